// Pure rules of the docker runner: images, pull policy, container user, names,
// paths and the exec invocation. No engine needed.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseDockerConfig, pullFailureHint, resolveContainerUser, resolveJobImage } from "../../../src/runners/docker/config.js";
import { bindMountArgs, containerName, containerPath, createContainerArgs, stepExec } from "../../../src/runners/docker/container.js";

describe("docker image resolution", () => {
  it("maps GitHub-hosted labels like orun v2.3 and keeps explicit references", () => {
    assert.equal(resolveJobImage(undefined), "ubuntu:22.04");
    assert.equal(resolveJobImage(""), "ubuntu:22.04");
    assert.equal(resolveJobImage("ubuntu-22.04"), "ubuntu:22.04");
    assert.equal(resolveJobImage("ubuntu-24.04"), "ubuntu:24.04");
    assert.equal(resolveJobImage("ubuntu-20.04"), "ubuntu:20.04");
    assert.equal(resolveJobImage(" Ubuntu-Latest "), "ubuntu:latest");
    assert.equal(resolveJobImage("ghcr.io/acme/ci:1.0"), "ghcr.io/acme/ci:1.0");
    assert.equal(resolveJobImage("node:20-bookworm", "localhost/x:1"), "node:20-bookworm", "an explicit image beats the default");
  });

  it("uses the configured default for empty runsOn and labels", () => {
    assert.equal(resolveJobImage(undefined, "localhost/orun-test:latest"), "localhost/orun-test:latest");
    assert.equal(resolveJobImage("ubuntu-24.04", "localhost/orun-test:latest"), "localhost/orun-test:latest");
    assert.equal(resolveJobImage("macos-14", "localhost/orun-test:latest"), "localhost/orun-test:latest");
  });

  it("refuses non-Linux labels without a default image", () => {
    assert.throws(() => resolveJobImage("macos-latest"), /runsOn "macos-latest" has no Linux container image.*--docker-image/);
    assert.throws(() => resolveJobImage("windows-2022"), /runsOn "windows-2022"/);
    // The bare labels too: not images named "windows" or "macos" to pull.
    for (const label of ["windows", "macOS"]) assert.throws(() => resolveJobImage(label), new RegExp(`runsOn "${label}" has no Linux container image`), label);
  });

  it("takes Object.prototype's names as image references, not as labels", () => {
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      assert.equal(resolveJobImage(name), name);
      assert.equal(resolveJobImage(name, "localhost/orun-test:latest"), name, "the default image is for labels only");
      assert.equal(
        pullFailureHint(name, parseDockerConfig({}, { ORUN_DOCKER_IMAGE: "other:1" })),
        "docker image could not be pulled: it is the job's runsOn; set runsOn to a container image this engine can pull",
      );
    }
  });
});

describe("docker pull-failure hint", () => {
  it("names where the image came from: runsOn, --docker-image, ORUN_DOCKER_IMAGE or a label's stand-in", () => {
    const none = parseDockerConfig({}, {});
    assert.equal(pullFailureHint("ghcr.io/acme/ci:1", none), "docker image could not be pulled: it is the job's runsOn; set runsOn to a container image this engine can pull");
    assert.equal(
      pullFailureHint("ubuntu-22.04", parseDockerConfig({}, { ORUN_DOCKER_IMAGE: "nosuch/image:zz" })),
      "docker image could not be pulled: it came from ORUN_DOCKER_IMAGE (for jobs whose runsOn is a runner label or empty); set it to an image this engine can pull, or unset it",
    );
    assert.equal(
      pullFailureHint(undefined, parseDockerConfig({ dockerImage: "nosuch/image:zz" }, { ORUN_DOCKER_IMAGE: "other:1" })),
      "docker image could not be pulled: it came from --docker-image (for jobs whose runsOn is a runner label or empty); pass an image this engine can pull",
    );
    assert.equal(
      pullFailureHint(" ubuntu-24.04 ", none),
      'docker image could not be pulled: ubuntu:24.04 stands in for the job\'s runsOn label "ubuntu-24.04"; set runsOn to a container image this engine can pull, or pass --docker-image',
    );
    // With the job (the plan keeps no file position for runsOn): which job of which composition and component.
    const job = { name: "check", component: "api", composition: "dk" };
    assert.equal(
      pullFailureHint("ghcr.io/acme/ci:1", none, job),
      "docker image could not be pulled: it is the runsOn of job check of composition dk (component api); set it to a container image this engine can pull",
    );
    assert.equal(
      pullFailureHint("ubuntu-24.04", none, job),
      'docker image could not be pulled: ubuntu:24.04 stands in for the runsOn of job check of composition dk (component api), the runner label "ubuntu-24.04"; set runsOn to a container image this engine can pull, or pass --docker-image',
    );
    assert.equal(
      pullFailureHint(undefined, none),
      "docker image could not be pulled: ubuntu:22.04 is the image for jobs without runsOn; set runsOn to a container image this engine can pull, or pass --docker-image",
    );
  });
});

describe("docker image references", () => {
  it("refuses a runsOn or --docker-image that the docker CLI would read as options", () => {
    // Regression: runsOn "--help" made `docker pull --help` "succeed" and `docker run … --help` start nothing.
    assert.throws(() => resolveJobImage("--help"), /runsOn "--help" is not a container image reference/);
    assert.throws(() => resolveJobImage(" -v/:/host "), /runsOn "-v\/:\/host" is not a container image reference/);
    assert.throws(() => resolveJobImage("my image:1"), /runsOn "my image:1" is not a container image reference/);
    assert.throws(() => parseDockerConfig({ dockerImage: "--privileged" }, {}), /invalid --docker-image "--privileged"/);
    assert.throws(() => parseDockerConfig({}, { ORUN_DOCKER_IMAGE: "-x" }), /invalid ORUN_DOCKER_IMAGE "-x"/);
    assert.equal(resolveJobImage("registry.example:5000/team/app@sha256:abc"), "registry.example:5000/team/app@sha256:abc");
  });
});

describe("docker runner options", () => {
  it("reads flags first, then ORUN_DOCKER_* variables, with defaults", () => {
    assert.deepEqual(parseDockerConfig({}, {}), { pull: "always", defaultImage: undefined, user: { kind: "auto" } }, "the seed's docker runner pulls the job image");
    assert.deepEqual(parseDockerConfig({}, { ORUN_DOCKER_PULL: "never", ORUN_DOCKER_IMAGE: "img:1", ORUN_DOCKER_USER: "image" }), {
      pull: "never",
      defaultImage: "img:1",
      defaultImageFrom: "ORUN_DOCKER_IMAGE",
      user: { kind: "image" },
    });
    assert.deepEqual(parseDockerConfig({ pull: "Always", dockerImage: "img:2", dockerUser: "1000:1000" }, { ORUN_DOCKER_PULL: "never", ORUN_DOCKER_IMAGE: "img:1" }), {
      pull: "always",
      defaultImage: "img:2",
      defaultImageFrom: "--docker-image",
      user: { kind: "explicit", user: "1000:1000" },
    });
  });

  it("rejects bad values naming the flag", () => {
    assert.throws(() => parseDockerConfig({ pull: "later" }, {}), /invalid --pull value "later"/);
    assert.throws(() => parseDockerConfig({}, { ORUN_DOCKER_PULL: "x" }), /invalid ORUN_DOCKER_PULL value "x"/, "named where it came from");
    assert.throws(() => parseDockerConfig({ dockerImage: "bad image" }, {}), /invalid --docker-image "bad image"/);
  });

  it("runs as the host user only where that avoids root-owned files", () => {
    const auto = { kind: "auto" } as const;
    assert.equal(resolveContainerUser(auto, { uid: 1000, gid: 100 }, false), "1000:100");
    assert.equal(resolveContainerUser(auto, { uid: 1000, gid: 100 }, true), undefined, "rootless: container root is the host user");
    assert.equal(resolveContainerUser(auto, { uid: 0, gid: 0 }, false), undefined);
    assert.equal(resolveContainerUser({ kind: "image" }, { uid: 1000, gid: 100 }, false), undefined);
    assert.equal(resolveContainerUser({ kind: "explicit", user: "root" }, { uid: 1000 }, false), "root");
  });
});

describe("docker container pieces", () => {
  it("names containers uniquely and within docker's alphabet", () => {
    const name = containerName("My Plan/2026:01", "web-app@production.deploy", "abcd1234");
    assert.equal(name, "orun-My-Plan-2026-01-web-app-production.deploy-abcd1234");
    assert.match(containerName("x".repeat(200), "../../etc@passwd.y"), /^orun-[A-Za-z0-9][A-Za-z0-9_.-]*$/);
    assert.notEqual(containerName("e", "j"), containerName("e", "j"));
    assert.ok(containerName("e".repeat(300), "j".repeat(300)).length <= 5 + 40 + 1 + 60 + 1 + 8);
  });

  it("maps host directories into /workspace and refuses ones outside", () => {
    assert.equal(containerPath("/ws", "/ws"), "/workspace");
    assert.equal(containerPath("/ws/", "/ws/svc/sub"), "/workspace/svc/sub");
    assert.equal(containerPath("/ws", "/ws/svc/../other"), "/workspace/other");
    assert.equal(containerPath("/ws", "/elsewhere"), undefined);
    assert.equal(containerPath("/ws", "/ws/../ws2"), undefined);
    assert.equal(containerPath("/ws", "/ws/..data"), "/workspace/..data");
  });

  it("mounts awkward host paths with the syntax that carries them", () => {
    assert.deepEqual(bindMountArgs("/tmp/a b,c", "/workspace"), ["--volume", "/tmp/a b,c:/workspace"]);
    assert.deepEqual(bindMountArgs("/tmp/s", "/__orun/scripts", true), ["--volume", "/tmp/s:/__orun/scripts:ro"]);
    assert.deepEqual(bindMountArgs("/tmp/a:b", "/workspace"), ["--mount", "type=bind,source=/tmp/a:b,target=/workspace"]);
    assert.deepEqual(bindMountArgs("/tmp/a:b", "/s", true), ["--mount", "type=bind,source=/tmp/a:b,target=/s,readonly"]);
    assert.throws(() => bindMountArgs("/tmp/a:b,c", "/workspace"), /contain both ':' and ','/);
  });

  it("creates the job container with labels, mount, workdir and user", () => {
    const args = createContainerArgs({ name: "orun-x", image: "img:1", workspaceDir: "/ws", scriptsDir: "/rec/s", runDir: "/rec/r", execId: "e1", jobId: "a@b.c", owner: "o1", host: "box", pid: 42, user: "1000:1000" });
    const joined = args.join(" ");
    assert.match(joined, /--name orun-x /);
    assert.match(joined, /--label io\.orun\.exec-id=e1 --label io\.orun\.job-id=a@b\.c --label io\.orun\.owner=o1 --label io\.orun\.host=box --label io\.orun\.pid=42/);
    assert.match(joined, /--user 1000:1000 --volume \/ws:\/workspace --volume \/rec\/s:\/__orun\/scripts:ro --volume \/rec\/r:\/__orun\/run --workdir \/workspace --entrypoint sh img:1 -c /);
    assert.ok(!args.includes("--rm"), "never --rm: podman leaves a container whose start failed, and 'docker run --rm' waits for its removal for ever");
    assert.doesNotMatch(joined, /\.orun-owner/, "no owner pipe: kept until removed");
  });

  it("keeps a container with an owner pipe only while the pipe is held open", () => {
    const args = createContainerArgs({ name: "orun-x", image: "img:1", workspaceDir: "/ws", scriptsDir: "/rec/s", runDir: "/rec/r", execId: "e1", jobId: "a@b.c", owner: "o1", host: "box", pid: 42, ownerPipe: true });
    // Only after the owner's hello line came through the pipe does its end-of-file end the container.
    assert.match(args.at(-1)!, /^trap 'exit 0' TERM INT; if \[ -p \/__orun\/run\/\.orun-owner \]; then \( read -r _ \|\| exit 0; rm -f \/__orun\/run\/\.orun-owner; while read -r _; do :; done; kill -TERM 1 \) < \/__orun\/run\/\.orun-owner & fi; while :; do sleep 3600 & wait \$!; done$/);
  });

  it("forwards only declared variables, by name, keeping values out of argv", () => {
    const exec = stepExec({
      container: "c1",
      workdir: "/workspace/svc",
      env: { TOKEN: "s3cret", MULTI: "a\nb", DOCKER_HOST: "tcp://inner:2375", PATH: "/opt/bin:/bin" },
      hostEnv: { DOCKER_HOST: "unix:///run/engine.sock", HOST_ONLY: "x", PATH: "/usr/bin" },
      command: ["sh", "-c", "echo hi"],
    });
    assert.deepEqual(exec.args, [
      "exec", "--workdir", "/workspace/svc",
      "--env", "DOCKER_HOST=tcp://inner:2375",
      "--env", "MULTI",
      "--env", "PATH=/opt/bin:/bin",
      "--env", "TOKEN",
      "c1", "sh", "-c", "echo hi",
    ]);
    assert.ok(!exec.args.some((arg) => arg.includes("s3cret")));
    assert.equal(exec.cliEnv.TOKEN, "s3cret");
    assert.equal(exec.cliEnv.MULTI, "a\nb");
    assert.equal(exec.cliEnv.DOCKER_HOST, "unix:///run/engine.sock", "the CLI still talks to the host's engine");
    assert.equal(exec.cliEnv.PATH, "/usr/bin");
    assert.throws(() => stepExec({ container: "c", workdir: "/workspace", env: { "A=B": "1" }, hostEnv: {}, command: ["true"] }), /invalid environment variable name/);
  });

  it("gives variables that steer the host's docker CLI, its Go runtime or its loader inline, never through the CLI's environment", () => {
    const steering = ["GODEBUG", "GOMAXPROCS", "GOGC", "GOTRACEBACK", "SSL_CERT_FILE", "SSL_CERT_DIR", "LD_PRELOAD", "LD_LIBRARY_PATH", "GLIBC_TUNABLES", "TMPDIR", "TZ", "ZONEINFO", "ALL_PROXY", "http_proxy", "BUILDX_CONFIG", "XDG_CONFIG_HOME", "SSH_AUTH_SOCK"];
    const env = Object.fromEntries(steering.map((key) => [key, `step-${key}`]));
    const exec = stepExec({ container: "c", workdir: "/workspace", env: { ...env, GOOGLE_PROJECT: "p" }, hostEnv: { TZ: "UTC" }, command: ["true"] });
    for (const key of steering) {
      assert.ok(exec.args.includes(`${key}=step-${key}`), `${key} is given inline`);
      assert.notEqual(exec.cliEnv[key], `step-${key}`, `${key} does not reach the CLI's environment`);
    }
    assert.equal(exec.cliEnv.TZ, "UTC");
    assert.equal(exec.cliEnv.GOOGLE_PROJECT, "p", "other names are still forwarded by name");
  });

  it("refuses a variable value with a NUL byte, naming the variable", () => {
    assert.throws(
      () => stepExec({ container: "c", workdir: "/workspace", env: { TOKEN: "a\0b" }, hostEnv: {}, command: ["true"] }),
      /environment variable TOKEN: its value contains a NUL byte, which no process environment can carry/,
    );
  });
});

describe("ownerAlive (a container's io.orun.pid label)", () => {
  it("labels the owner as pid@start, and a reused pid (another start time) is not the owner", async () => {
    const { ownerAlive } = await import("../../../src/runners/docker/container.js");
    const { processStartTicks } = await import("../../../src/runtime/records/lock.js");
    const args = createContainerArgs({ name: "orun-x", image: "img:1", workspaceDir: "/ws", scriptsDir: "/rec/s", runDir: "/rec/r", execId: "e1", jobId: "a@b.c", owner: "o1", host: "box", pid: 42, pidStart: 777 });
    const { pidNamespace } = await import("../../../src/runners/docker/container.js");
    assert.match(pidNamespace() ?? "", /^\d+$/, "procfs names this process's pid namespace");
    assert.ok(args.includes(`io.orun.pid=42@777@${pidNamespace()}`));
    assert.equal(ownerAlive(`999999999@1@${pidNamespace()}`), false, "no such process in this namespace: an orphan");
    assert.equal(ownerAlive("999999999@1@1"), true, "an owner in another pid namespace is out of sight: never judged dead");
    const start = processStartTicks(process.pid);
    assert.ok(start !== undefined, "procfs gives this process's start time");
    assert.equal(ownerAlive(`${process.pid}@${start}`), true);
    assert.equal(ownerAlive(`${process.pid}@${start! + 1}`), false, "same pid, another process: the container is an orphan");
    assert.equal(ownerAlive(String(process.pid)), true, "labels from before start times: the pid alone decides");
    assert.equal(ownerAlive("not-a-pid"), false);
  });
});

describe("processAlive (orphaned containers' owners)", () => {
  it("a killed orun that is still a zombie (not reaped) is not alive; a running process is", async () => {
    const { spawn } = await import("node:child_process");
    const { processAlive } = await import("../../../src/runners/docker/container.js");
    // `sleep 0.05` ends under a parent (`exec sleep 5`) that never reaps it: a zombie for 5 s.
    const parent = spawn("sh", ["-c", "sleep 0.05 & echo $!; exec sleep 5"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()))));
      assert.equal(processAlive(parent.pid!), true);
      const deadline = Date.now() + 5_000;
      while (processAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(processAlive(pid), false);
      assert.doesNotThrow(() => process.kill(pid, 0), "it is a zombie: the pid still exists");
    } finally {
      parent.kill();
    }
  });
});
