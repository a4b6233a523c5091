// Whether a container engine runs as the invoking user ("rootless": the container's root is that user, so
// steps run as the image's user; on a rootful engine they run as the user's uid:gid, see config.ts). Pure:
// engine.ts gathers the facts.
import path from "node:path";
import { isInside } from "../../util/paths.js";

/** The fields of `docker info --format '{{json .}}'` the decision reads (Docker and podman alike). */
export interface DockerInfo {
  ServerVersion?: string;
  SecurityOptions?: string[] | null;
  OperatingSystem?: string;
  DockerRootDir?: string;
  KernelVersion?: string;
}

export interface RootlessFacts {
  /** `docker info`'s security options (rootless Docker and podman 4.4+ list "name=rootless"). */
  securityOptions: string;
  /** The invoking user; undefined where there are no uids. */
  hostUid: number | undefined;
  /** Owner of the unix socket the CLI connects to; undefined for other transports or when it cannot be seen. */
  socketOwner: number | undefined;
  /** Owner of the engine's data root (`docker info`'s DockerRootDir) on this host; undefined when absent here. */
  dataRootOwner: number | undefined;
  /** `docker info`'s OperatingSystem: "Docker Desktop" keeps its data root in its VM, whatever this host has there. */
  operatingSystem?: string;
  /** This host's platform (process.platform). */
  hostPlatform: NodeJS.Platform;
  /** `docker info`'s KernelVersion: the kernel the engine runs on. */
  engineKernel?: string;
  /** This host's kernel release (os.release()). */
  hostKernel?: string;
  /** Whether the socket lies in a VM tool's own folder (see vmToolSocket). */
  vmSocket?: boolean;
}

/** The facts `docker info` gives (the rest is this host's: see engine.ts). */
export function infoFacts(info: DockerInfo): Pick<RootlessFacts, "securityOptions" | "operatingSystem" | "engineKernel"> {
  const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);
  const options: unknown[] = Array.isArray(info.SecurityOptions) ? info.SecurityOptions : [];
  return {
    securityOptions: options.filter((option) => typeof option === "string").join(" "),
    operatingSystem: text(info.OperatingSystem),
    engineKernel: text(info.KernelVersion),
  };
}

/**
 * Podman up to 4.3 says it is rootless only in a field the docker CLI drops, so its socket tells: an engine
 * runs as whoever serves its socket. But a socket owned by the user is not proof: a rootful engine's socket
 * chowned to the user (common advice for "permission denied on docker.sock") or a relay the user runs in
 * front of it belongs to the user too, and running steps as root there leaves root-owned files in the
 * workspace. The engine's data root settles it when it is on this host: a rootless engine keeps its storage
 * in the user's home, a rootful one under root's /var/lib.
 *
 * An engine in a VM the user runs (Docker Desktop, colima, lima, podman machine — on macOS, Windows or
 * Linux) is reached through a socket the user owns, and the VM's file sharing (virtiofs, 9p, sshfs) writes
 * workspace files as the user whatever the container's user is: steps run as the image's user there (as
 * root, apt-get works). Such an engine runs on another kernel than this host's — a sound sign, since a
 * container shares its host's kernel — or behind a socket in a VM tool's own folder; a data root path on
 * this host then belongs to another engine. A data root not on this host with the same kernel is, on
 * Linux, an engine in another mount namespace: typically a rootful host engine whose socket is mounted into
 * the container orun runs in, behind a relay owned by the user (a devcontainer's docker-outside-of-docker):
 * rootful. A VM whose kernel release is exactly this host's, not reached through a known VM tool's socket,
 * passes for that; ORUN_DOCKER_USER=image says otherwise.
 */
export function engineRunsAsUser(facts: RootlessFacts): boolean {
  if (facts.securityOptions.includes("rootless")) return true;
  const { hostUid } = facts;
  // Root on the host: the image's user either way (see resolveContainerUser).
  if (hostUid === undefined || hostUid === 0) return false;
  if (facts.socketOwner !== hostUid) return false;
  if (facts.operatingSystem === "Docker Desktop") return true;
  if (facts.vmSocket === true) return true;
  if (facts.engineKernel !== undefined && facts.hostKernel !== undefined && !sameKernel(facts.engineKernel, facts.hostKernel)) return true;
  if (facts.dataRootOwner === undefined) return facts.hostPlatform !== "linux";
  return facts.dataRootOwner === hostUid;
}

/**
 * Docker reports its kernel reformatted as `<a>.<b>.<c><flavor>` (a missing `.c` becomes `.0`), podman as
 * `uname -r` has it: both are compared in Docker's form.
 */
export function sameKernel(a: string, b: string): boolean {
  const normal = (release: string): string => {
    const match = /^(\d+)\.(\d+)(?:\.(\d+))?(.*)$/.exec(release.trim());
    return match ? `${Number(match[1])}.${Number(match[2])}.${Number(match[3] ?? 0)}${match[4]}` : release.trim();
  };
  return normal(a) === normal(b);
}

/**
 * Whether a unix socket lies in the folder of a tool that runs the engine in a VM and forwards its socket
 * there: lima (`$LIMA_HOME`, else ~/.lima: `<instance>/sock/docker.sock`) or colima (`$COLIMA_HOME`, else
 * ~/.colima: `<profile>/docker.sock`).
 */
export function vmToolSocket(socketPath: string, home: string | undefined, env: NodeJS.ProcessEnv): boolean {
  const folders = [env.LIMA_HOME || (home && path.join(home, ".lima")), env.COLIMA_HOME || (home && path.join(home, ".colima"))];
  const socket = path.resolve(socketPath);
  return folders.some((folder) => {
    if (!folder) return false;
    const root = path.resolve(folder);
    return socket !== root && isInside(root, socket);
  });
}
