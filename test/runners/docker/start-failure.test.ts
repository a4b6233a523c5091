// Hints for a container the engine would not start, by the cause the engine names (rev16ci, brief item 1):
// a mount failure got "check the component path or set --workdir", a network-setup failure "check
// executable permissions" — advice about the step, for faults of the engine.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startFailureHint } from "../../../src/runners/docker/start-failure.js";

describe("startFailureHint", () => {
  it("a mount failure (podman's runtime directory, a bind source, Docker Desktop's file sharing) gets mount advice", () => {
    for (const reason of [
      'crun: failed to mount runtime directory "/run/user/1000/containers": no such file or directory: OCI runtime attempted to invoke a command that was not found',
      'invalid mount config for type "bind": bind source path does not exist: /home/me/ws',
      "Mounts denied: The path /home/me/ws is not shared from the host and is not known to Docker.",
      'OCI runtime create failed: runc create failed: unable to start container process: error during container init: error mounting "/srv/ws" to rootfs at "/workspace": no such file or directory: unknown',
    ]) {
      assert.match(startFailureHint(reason) ?? "", /could not mount a folder/, reason);
    }
  });

  it("a network-setup failure (rootless slirp4netns/pasta, TUN device, CNI) gets network advice, also when it says 'no such file or directory'", () => {
    for (const reason of [
      "slirp4netns failed: \"/usr/bin/slirp4netns: open(\\\"/dev/net/tun\\\"): Permission denied\"",
      'setup network: pasta failed with exit code 1: Failed to open() /dev/net/tun: No such file or directory',
      "plugin type=\"bridge\" failed (add): cni plugin bridge failed: permission denied",
    ]) {
      assert.match(startFailureHint(reason) ?? "", /network/, reason);
      assert.doesNotMatch(startFailureHint(reason) ?? "", /mount/, reason);
    }
  });

  it("other causes get no hint: the engine's reason stands alone", () => {
    assert.equal(startFailureHint("unable to find user nosuchuser: no matching entries in passwd file"), undefined);
  });

  it("an image without sh: says the docker runner needs it, and where the image came from (camp25 #7)", () => {
    const origin = "it is the runsOn of job check of composition dk (component api); set it to an image that has sh";
    for (const reason of [
      'Error response from daemon: runc: runc create failed: unable to start container process: exec: "sh": executable file not found in $PATH: OCI runtime attempted to invoke a command that was not found',
      "Error response from daemon: crun: executable file `sh` not found in $PATH: No such file or directory: OCI runtime attempted to invoke a command that was not found",
      'exec: "sh": executable file not found in $PATH: permission denied',
    ]) {
      assert.equal(startFailureHint(reason, origin), `the docker runner needs sh in the job image: the container's main process and every step run through it; ${origin}`, reason);
    }
  });
});
