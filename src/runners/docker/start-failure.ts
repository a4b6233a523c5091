// What to suggest when the engine refuses to start a job's container, by the cause its message names. The
// engine's reason often ends in an errno text ("no such file or directory", "permission denied") that says
// nothing of the step's paths or of executable bits: a mount that failed, or a rootless engine that cannot
// set up networking, needs advice about the engine. Unknown causes get no hint (the reason stands alone).

/** Networking of the container: slirp4netns/pasta (rootless), CNI/netavark, network namespaces, TUN devices. */
const NETWORK = /slirp4netns|pasta|netavark|\bcni\b|network namespace|netns|\/dev\/net\/tun|setup network|set up network|network setup|network for/i;
/** Mounts: a bind source, a volume, the engine's own runtime directories, Docker Desktop's file sharing. */
const MOUNT = /\bmount|bind source|volume|not shared from the host|statfs/i;

/** The image has no `sh` (Docker: `exec: "sh": executable file not found`; crun: ``executable file `sh` not found``). */
const NO_SH = /exec: "sh": executable file not found|executable file `sh` not found|"sh": no such file or directory/i;

/**
 * `shOrigin`: where the job's image came from and what to change, for an image without sh (config.ts imageOrigin).
 */
export function startFailureHint(reason: string, shOrigin?: string): string | undefined {
  if (NO_SH.test(reason)) {
    return `the docker runner needs sh in the job image: the container's main process and every step run through it${shOrigin ? `; ${shOrigin}` : ""}`;
  }
  if (NETWORK.test(reason)) {
    return "the engine could not set up the container's network: a rootless engine needs /dev/net/tun for slirp4netns or pasta; check the engine's network settings (e.g. netns in containers.conf)";
  }
  if (MOUNT.test(reason)) {
    return "the engine could not mount a folder into the container: the workspace and its .orun record must be on a file system the engine can reach (a remote or VM engine sees only the folders it shares), and a rootless engine needs its runtime directory (XDG_RUNTIME_DIR)";
  }
  return undefined;
}
