// Telling a rootless engine (its root is the invoking user) from a rootful one: the docker runner's
// default user depends on it (ORUN_DOCKER_USER=auto). Rootless podman up to 4.3 (Debian 12's) does not say
// so in `docker info`'s security options — only in a field of its own the docker CLI drops — so its socket,
// owned by the user, tells (aud16ci). But a rootful engine reached through a socket owned by the user (a
// chowned /var/run/docker.sock, a relay the user runs) is not rootless: taken for one, it ran the user's
// steps as root and left root-owned files in the workspace (rev16ci #1). The engine's data root decides.
// Here such a socket is a byte-for-byte relay, owned by the invoking user, to the real (rootful) engine.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { chown, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { DockerEngine } from "../../../src/runners/docker/engine.js";
import { type DockerInfo, type RootlessFacts, engineRunsAsUser, infoFacts, sameKernel, vmToolSocket } from "../../../src/runners/docker/rootless.js";
import { resolveContainerUser } from "../../../src/runners/docker/config.js";
import { PLAN_API_VERSION, PLAN_KIND, type Plan } from "../../../src/model/plan.js";
import { ORUN_BIN } from "../../support/cli.js";
import { TEST_IMAGE, docker, provideContainerEngine } from "../../support/container-engine.js";
import { planJob } from "./contexts.js";

const availability = await provideContainerEngine();
const isRoot = process.getuid?.() === 0;
/** As root the socket is given to a user id of no one; otherwise it is this user's own. */
const USER = isRoot ? 4242 : process.getuid!();

describe("docker runner: rootless engine detection", { skip: availability.skip }, () => {
  const engine = availability.engine!;
  let dir: string;
  let proxy: net.Server;
  let proxyHost: string;
  const sockets = new Set<net.Socket>();

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "orun-ci16-rootless-"));
    const endpoint = (await docker(engine, ["context", "inspect", "--format", "{{.Endpoints.docker.Host}}"])).stdout.trim();
    assert.match(endpoint, /^unix:\/\//, "the test engine is reached through a unix socket");
    const target = endpoint.slice("unix://".length);
    // A byte-for-byte relay to the real engine, on a socket owned by USER.
    // Half-open: the CLI ends its side of an attach once it has sent its input, and reads the output after.
    proxy = net.createServer({ allowHalfOpen: true }, (client) => {
      const upstream = net.connect({ path: target, allowHalfOpen: true });
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    const socketPath = path.join(dir, "engine.sock");
    await new Promise<void>((resolve) => proxy.listen(socketPath, resolve));
    if (isRoot) {
      await chown(socketPath, USER, USER);
      await chown(dir, USER, USER);
    }
    proxyHost = `unix://${socketPath}`;
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => proxy.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("a rootful engine behind a socket that belongs to the invoking non-root user is not rootless (its data root is root's)", async () => {
    const throughProxy = new DockerEngine({ ...engine.env, DOCKER_HOST: proxyHost });
    assert.equal((await throughProxy.probe(USER)).rootless, false);
    assert.equal((await throughProxy.probe(USER + 1)).rootless, false, "someone else's socket");
    assert.equal((await throughProxy.probe(0)).rootless, false);
  });

  it("orun run --runner docker as that user runs the steps as the user's uid, and files they make are the user's", { skip: !isRoot && "needs root to run orun as another user" }, async () => {
    const workspace = path.join(dir, "ws");
    const plan: Plan = {
      apiVersion: PLAN_API_VERSION,
      kind: PLAN_KIND,
      metadata: { name: "rev16ci-rootful" },
      execution: { concurrency: 1, failFast: true },
      spec: {},
      jobs: [planJob("a@dev.who", [{ id: "who", run: "echo uid=$(id -u); touch made" }])],
    };
    await mkdir(workspace);
    await writeFile(path.join(workspace, "plan.json"), JSON.stringify(plan));
    await chown(workspace, USER, USER);
    await chown(path.join(workspace, "plan.json"), USER, USER);
    const env = { ...engine.env, DOCKER_HOST: proxyHost, HOME: dir, NO_COLOR: "1", ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" };
    const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--runner", "docker", "--verbose", "--exec-id", "who"], { cwd: workspace, env, uid: USER, gid: USER });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`│ uid=${USER}$`, "m"), "the invoking user's uid (as root, the file below would be root's)");
    assert.equal((await stat(path.join(workspace, "made"))).uid, USER);
  });
});

describe("engineRunsAsUser", () => {
  const user = 1000;
  const facts = { securityOptions: '["name=seccomp,profile=default"]', hostUid: user, socketOwner: user, dataRootOwner: user, hostPlatform: "linux" as const };

  it("an engine that says it is rootless is", () => {
    assert.equal(engineRunsAsUser({ ...facts, securityOptions: '["name=seccomp","name=rootless"]', socketOwner: undefined, dataRootOwner: 0 }), true);
  });

  it("podman up to 4.3: socket and data root the user's (rootless); data root not on this host, on macOS or Windows (a VM's engine)", () => {
    assert.equal(engineRunsAsUser(facts), true);
    assert.equal(engineRunsAsUser({ ...facts, dataRootOwner: undefined, hostPlatform: "darwin" }), true);
    assert.equal(engineRunsAsUser({ ...facts, dataRootOwner: undefined, hostPlatform: "win32" }), true);
  });

  it("on Linux, an engine whose data root is not on this host behind a socket the user owns (a host engine's socket relayed into a container) is rootful (rev16b-ci #2)", () => {
    assert.equal(engineRunsAsUser({ ...facts, dataRootOwner: undefined }), false);
    assert.equal(engineRunsAsUser({ ...facts, dataRootOwner: undefined, operatingSystem: "Docker Desktop" }), true, "Docker Desktop for Linux");
  });

  it("Docker Desktop (socket the user's, data root in its VM) is rootless even where this host has a /var/lib/docker of root's", () => {
    assert.equal(engineRunsAsUser({ ...facts, dataRootOwner: 0, operatingSystem: "Docker Desktop" }), true);
    assert.equal(engineRunsAsUser({ ...facts, socketOwner: 0, operatingSystem: "Docker Desktop" }), false, "a socket of root's");
  });

  it("a socket the user owns in front of an engine whose data root is someone else's (root's, or hidden from the user: -1) is rootful", () => {
    assert.equal(engineRunsAsUser({ ...facts, dataRootOwner: 0 }), false);
    assert.equal(engineRunsAsUser({ ...facts, dataRootOwner: -1 }), false);
  });

  it("a socket of root's (or of the docker group's, owned by root), tcp:// and ssh:// hosts, and root on the host: rootful", () => {
    assert.equal(engineRunsAsUser({ ...facts, socketOwner: 0 }), false);
    assert.equal(engineRunsAsUser({ ...facts, socketOwner: undefined }), false);
    assert.equal(engineRunsAsUser({ ...facts, hostUid: 0, socketOwner: 0, dataRootOwner: 0 }), false);
    assert.equal(engineRunsAsUser({ ...facts, hostUid: undefined }), false);
  });
});

// `docker info --format '{{json .}}'` as engines answer it (the fields the decision reads; ServerVersion and
// Name for the reader). podman 4.3 is this project's CI engine as recorded; the others are the shapes those
// engines report (their OperatingSystem, DockerRootDir, KernelVersion, SecurityOptions).
const INFO = {
  podman43Debian: { ServerVersion: "4.3.1", Name: "vm", SecurityOptions: ["name=seccomp,profile=default"], OperatingSystem: "debian", DockerRootDir: "/var/lib/containers/storage", KernelVersion: "6.18.44-fc-v669" },
  colima: { ServerVersion: "27.4.0", Name: "colima", SecurityOptions: ["name=apparmor", "name=seccomp,profile=builtin", "name=cgroupns"], OperatingSystem: "Ubuntu 24.04.1 LTS", DockerRootDir: "/var/lib/docker", KernelVersion: "6.8.0-50-generic" },
  limaRootful: { ServerVersion: "27.3.1", Name: "lima-docker-rootful", SecurityOptions: ["name=apparmor", "name=seccomp,profile=builtin", "name=cgroupns"], OperatingSystem: "Ubuntu 24.04.1 LTS", DockerRootDir: "/var/lib/docker", KernelVersion: "6.8.0-49-generic" },
  limaRootless: { ServerVersion: "27.3.1", Name: "lima-docker", SecurityOptions: ["name=seccomp,profile=builtin", "name=rootless", "name=cgroupns"], OperatingSystem: "Ubuntu 24.04.1 LTS", DockerRootDir: "/home/dev.linux/.local/share/docker", KernelVersion: "6.8.0-49-generic" },
  podmanMachineRootful: { ServerVersion: "5.3.1", Name: "localhost.localdomain", SecurityOptions: ["name=seccomp,profile=default", "name=selinux"], OperatingSystem: "fedora", DockerRootDir: "/var/lib/containers/storage", KernelVersion: "6.11.8-300.fc41.x86_64" },
  dockerDesktopLinux: { ServerVersion: "27.3.1", Name: "docker-desktop", SecurityOptions: ["name=seccomp,profile=unconfined", "name=cgroupns"], OperatingSystem: "Docker Desktop", DockerRootDir: "/var/lib/docker", KernelVersion: "6.10.14-linuxkit" },
  hostEngineUbuntu: { ServerVersion: "27.4.1", Name: "build-host", SecurityOptions: ["name=apparmor", "name=seccomp,profile=builtin", "name=cgroupns"], OperatingSystem: "Ubuntu 22.04.5 LTS", DockerRootDir: "/var/lib/docker", KernelVersion: "5.15.0-126-generic" },
} satisfies Record<string, DockerInfo & { Name: string }>;

describe("engineRunsAsUser on recorded docker info (VM engines on a Linux host, aud17dock #2)", () => {
  const user = 1000;
  const host = { hostUid: user, socketOwner: user, hostPlatform: "linux" as const };
  const decide = (info: DockerInfo, extra: Partial<RootlessFacts>): boolean => engineRunsAsUser({ ...infoFacts(info), ...host, dataRootOwner: undefined, ...extra });
  const userFor = (rootless: boolean): string | undefined => resolveContainerUser({ kind: "auto" }, { uid: user, gid: user }, rootless);

  it("colima, lima and podman machine on Linux run on their VM's kernel: steps run as the image's user", () => {
    // A Fedora host with its own rootful podman: /var/lib/containers/storage here is root's, and another engine's.
    assert.equal(decide(INFO.podmanMachineRootful, { hostKernel: "6.12.5-200.fc41.x86_64", dataRootOwner: 0 }), true);
    assert.equal(decide(INFO.colima, { hostKernel: "6.8.0-49-generic" }), true);
    assert.equal(decide(INFO.limaRootful, { hostKernel: "6.1.0-28-amd64", dataRootOwner: 0 }), true, "a host with Docker of its own");
    assert.equal(decide(INFO.limaRootless, { hostKernel: "6.8.0-49-generic" }), true, "it says it is rootless");
    assert.equal(userFor(decide(INFO.colima, { hostKernel: "6.8.0-49-generic" })), undefined);
  });

  it("a VM on exactly the host's kernel is told by a lima or colima socket; else it passes for a rootful engine", () => {
    assert.equal(decide(INFO.limaRootful, { hostKernel: "6.8.0-49-generic", vmSocket: true }), true);
    assert.equal(decide(INFO.limaRootful, { hostKernel: "6.8.0-49-generic" }), false);
  });

  it("a host engine relayed into a devcontainer shares orun's kernel: rootful, steps run as the user's uid:gid", () => {
    const rootless = decide(INFO.hostEngineUbuntu, { hostKernel: "5.15.0-126-generic" });
    assert.equal(rootless, false);
    assert.equal(userFor(rootless), "1000:1000");
    // This project's engine through a socket of the user's (rootless.test above, for real): its data root is root's.
    assert.equal(decide(INFO.podman43Debian, { hostKernel: "6.18.44-fc-v669", dataRootOwner: 0 }), false);
  });

  it("a kernel that differs does not count for a socket of someone else's or for root on the host", () => {
    assert.equal(decide(INFO.colima, { hostKernel: "6.1.0-28-amd64", socketOwner: 0 }), false);
    assert.equal(decide(INFO.colima, { hostKernel: "6.1.0-28-amd64", socketOwner: undefined }), false, "tcp:// or ssh://");
    assert.equal(decide(INFO.colima, { hostKernel: "6.1.0-28-amd64", hostUid: 0, socketOwner: 0 }), false);
  });

  it("Docker Desktop for Linux, and an engine whose kernel is unknown, keep their rules", () => {
    assert.equal(decide(INFO.dockerDesktopLinux, { hostKernel: "6.10.14-linuxkit" }), true);
    assert.equal(decide({ ...INFO.hostEngineUbuntu, KernelVersion: "" }, { hostKernel: "6.1.0-28-amd64" }), false);
    assert.equal(decide({ ...INFO.hostEngineUbuntu, KernelVersion: "" }, { hostKernel: "6.1.0-28-amd64", hostPlatform: "darwin" }), true);
  });

  it("reads odd info defensively", () => {
    assert.deepEqual(infoFacts({ SecurityOptions: null }), { securityOptions: "", operatingSystem: undefined, engineKernel: undefined });
    assert.deepEqual(infoFacts({ SecurityOptions: "name=rootless" as unknown as string[], KernelVersion: 5 as unknown as string }), {
      securityOptions: "",
      operatingSystem: undefined,
      engineKernel: undefined,
    });
  });
});

describe("sameKernel and vmToolSocket", () => {
  it("compares kernels in Docker's form (a missing patch number is .0)", () => {
    assert.equal(sameKernel("6.1-1-amd64", "6.1.0-1-amd64"), true);
    assert.equal(sameKernel("6.18.44-fc-v669", "6.18.44-fc-v669"), true);
    assert.equal(sameKernel("6.8.0-49-generic", "6.8.0-50-generic"), false);
    assert.equal(sameKernel("23.1.0", "6.8.0-50-generic"), false, "a macOS host's Darwin release");
  });

  it("knows lima's and colima's socket folders, under their *_HOME variables too", () => {
    assert.equal(vmToolSocket("/home/dev/.lima/docker/sock/docker.sock", "/home/dev", {}), true);
    assert.equal(vmToolSocket("/home/dev/.colima/default/docker.sock", "/home/dev", {}), true);
    assert.equal(vmToolSocket("/srv/vms/default/docker.sock", "/home/dev", { COLIMA_HOME: "/srv/vms" }), true);
    assert.equal(vmToolSocket("/srv/lima/x/sock/docker.sock", "/home/dev", { LIMA_HOME: "/srv/lima/" }), true);
    assert.equal(vmToolSocket("/home/dev/.lima-other/docker.sock", "/home/dev", {}), false);
    assert.equal(vmToolSocket("/run/user/1000/docker.sock", "/home/dev", {}), false);
    assert.equal(vmToolSocket("/var/run/docker.sock", undefined, {}), false);
  });
});
