// The docker runner against a real Docker-API engine (podman's socket in CI).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmod, readFile, readdir, stat, mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import os from "node:os";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { spawnSync } from "node:child_process";
import net from "node:net";
import { createDockerRunner } from "../../../src/runners/docker/index.js";
import { MAX_READ_BACK } from "../../../src/runners/docker/docker-runner.js";
import type { Runner } from "../../../src/runners/runner.js";
import { TEST_IMAGE, docker, provideContainerEngine } from "../../support/container-engine.js";
import { jobContext, planJob, runContext, runJob, settle, stepContext, tempWorkspace } from "./contexts.js";

/** What this process writes to stderr from now until restore() (the runner's warnings), passed through as well. */
function captureStderr(): { text: () => string; restore: () => void } {
  const write = process.stderr.write.bind(process.stderr);
  const chunks: string[] = [];
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(String(chunk));
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  return { text: () => chunks.join(""), restore: () => (process.stderr.write = write) };
}

const availability = await provideContainerEngine();

describe("docker runner on a real engine", { skip: availability.skip }, () => {
  const engine = availability.engine!;
  let workspace: { dir: string; remove: () => Promise<void> };
  let runner: Runner;

  const containersOf = async (execId: string): Promise<string[]> => {
    const result = await docker(engine, ["ps", "--all", "--filter", `label=io.orun.exec-id=${execId}`, "--format", "{{.Names}}"]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout.split("\n").filter(Boolean);
  };

  before(async () => {
    workspace = await tempWorkspace();
    runner = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never" }, engine.env);
  });

  after(async () => {
    await runner.cleanup?.(runContext(workspace.dir, []));
    await workspace.remove();
  });

  it("writes files under /workspace that appear on the host, owned by the host user", async () => {
    const job = planJob("web@dev.build", [{ run: "mkdir -p out && echo built > out/artifact.txt && pwd" }], { path: "svc" });
    await mkdir(path.join(workspace.dir, "svc"));
    const run = runContext(workspace.dir, [job]);
    await runner.prepare?.(run);
    const [result] = await runJob(runner, jobContext(run, job));
    assert.equal(result?.error, undefined, result?.output);
    assert.equal(result?.exitCode, 0);
    assert.equal(result?.output.trim(), "/workspace/svc");
    const file = path.join(workspace.dir, "svc/out/artifact.txt");
    assert.equal(await readFile(file, "utf8"), "built\n");
    assert.equal((await stat(file)).uid, process.getuid!());
    assert.deepEqual(await containersOf(run.execId), [], "the job's container is removed at job end");
  });

  it("honours working-directory inside the job path and refuses one outside the workspace", async () => {
    await mkdir(path.join(workspace.dir, "svc2/sub"), { recursive: true });
    const job = planJob("web@dev.wd", [{ run: "pwd", "working-directory": "sub" }, { run: "pwd", "working-directory": "../../.." }], { path: "svc2" });
    const run = runContext(workspace.dir, [job]);
    const results = await runJob(runner, jobContext(run, job));
    assert.equal(results[0]?.output.trim(), "/workspace/svc2/sub");
    assert.match(results[1]?.error ?? "", /working directory .* is outside the mounted workspace/);
  });

  it("passes only the declared environment, never the host's", async () => {
    {
      const multiline = "line one\nline two";
      const job = planJob("web@dev.env", [{ run: 'env; printf "<%s>" "$MULTI"', env: { DECLARED: "yes", MULTI: multiline, EMPTY: "" } }], {
        env: { FROM_JOB: "3" },
      });
      const run = runContext(workspace.dir, [job]);
      const hostEnv = { ...engine.env, ORUN_DOCKER_TEST_HOST_ONLY: "host-secret" };
      const isolated = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never" }, hostEnv);
      const [result] = await runJob(isolated, jobContext(run, job));
      const output = result?.output ?? "";
      assert.equal(result?.exitCode, 0, output);
      assert.doesNotMatch(output, /ORUN_DOCKER_TEST_HOST_ONLY|host-secret/);
      assert.match(output, /^DECLARED=yes$/m);
      assert.match(output, /^FROM_JOB=3$/m);
      assert.match(output, /^EMPTY=$/m);
      assert.match(output, /^ORUN_RUNNER=docker$/m);
      assert.match(output, /^ORUN_CONTEXT=container$/m);
      assert.ok(output.endsWith(`<${multiline}>`), output);
    }
  });

  it("honours shell: through a script file mounted read-only into the container", async () => {
    const job = planJob("web@dev.shell", [
      { run: "false\necho unreachable", shell: "sh" },
      { run: "echo from-file", shell: "cat {0}" },
      { run: "echo x", shell: "pwsh-nope" },
      // The image has no python: a stand-in python3 on the step's PATH shows the fallback is chosen in the container.
      { run: "print('hi')", shell: "python", env: { PATH: "/workspace/shell-bin:/bin" } },
    ]);
    await mkdir(path.join(workspace.dir, "shell-bin"), { recursive: true });
    await writeFile(path.join(workspace.dir, "shell-bin/python3"), '#!/bin/sh\necho "python3 ran $1"\ncat "$1"\n', { mode: 0o755 });
    const run = runContext(workspace.dir, [job]);
    const jobCtx = jobContext(run, job);
    await runner.startJob!(jobCtx);
    const strict = await runner.runStep(stepContext(jobCtx, 0));
    assert.equal(strict.exitCode, 1, "sh -e stops at the first failing command");
    assert.doesNotMatch(strict.output, /unreachable/);
    const custom = await runner.runStep(stepContext(jobCtx, 1));
    assert.equal(custom.output.trim(), "echo from-file");
    const unknown = await runner.runStep(stepContext(jobCtx, 2));
    assert.match(unknown.error ?? "", /unsupported shell "pwsh-nope"/);
    const python = await runner.runStep(stepContext(jobCtx, 3));
    assert.equal(python.error, undefined, python.output);
    assert.match(python.output, /^python3 ran \/__orun\/scripts\/[0-9a-f]{12}\.py$/m);
    assert.match(python.output, /^print\('hi'\)$/m);
    await runner.finishJob!(jobCtx, { failed: true });
    await settle(runner);
    assert.deepEqual(await readdir(path.join(run.scratchDir, "docker")), [], "script folders go with their container");
  });

  it("propagates exit statuses and stops at the failing step", async () => {
    const job = planJob("web@dev.fail", [{ run: "echo before; exit 3" }, { run: "echo never" }]);
    const run = runContext(workspace.dir, [job]);
    const results = await runJob(runner, jobContext(run, job));
    assert.equal(results.length, 1);
    assert.equal(results[0]?.exitCode, 3);
    assert.equal(results[0]?.error, "exit status 3");
    assert.match(results[0]?.output ?? "", /before/);
    assert.deepEqual(await containersOf(run.execId), [], "removed after a failure too");
  });

  it("reports a step that killed its own process group by its status, not as a lost engine", async () => {
    const job = planJob("web@dev.selfkill", [{ run: "echo before; kill -TERM 0; sleep 5" }]);
    const run = runContext(workspace.dir, [job]);
    const [result] = await runJob(runner, jobContext(run, job));
    assert.equal(result?.exitCode, 143, result?.error);
    assert.equal(result?.error, "exit status 143");
  });

  it("reads a step whose status file could not be written by its exit status, not as a lost connection", async () => {
    // Regression: a step that ended without its status file (a full disk, a step that removed or replaced
    // it — here a folder in its place) was taken for one whose engine connection broke mid-step: a success
    // and an exit 3 both became 'lost the connection to the container engine', and the container was dropped.
    const blockStatus = 'for f in /__orun/run/*.pid; do mkdir "${f%.pid}.status"; done';
    const job = planJob("web@dev.nostatus", [
      { run: `${blockStatus}; echo fine` },
      { run: `${blockStatus}; echo failing; exit 3` },
      { run: "echo same container" },
    ]);
    const run = runContext(workspace.dir, [job]);
    const jobCtx = jobContext(run, job);
    await runner.startJob!(jobCtx);
    try {
      const [container] = await containersOf(run.execId);
      const ok = await runner.runStep(stepContext(jobCtx, 0));
      assert.equal(ok.error, undefined, ok.output);
      assert.equal(ok.exitCode, 0);
      const failed = await runner.runStep(stepContext(jobCtx, 1));
      assert.equal(failed.exitCode, 3, failed.error);
      assert.equal(failed.error, "exit status 3");
      assert.deepEqual(await containersOf(run.execId), [container], "the job keeps its container");
      assert.equal((await runner.runStep(stepContext(jobCtx, 2))).exitCode, 0);
    } finally {
      await runner.finishJob!(jobCtx, { failed: true });
      await settle(runner);
    }
  });

  it("keeps files and state outside the workspace between the steps of one job", async () => {
    const job = planJob("web@dev.state", [
      { run: "echo kept > /tmp/state.txt && mkdir -p /opt/tool && echo v1 > /opt/tool/version" },
      { run: 'printf "%s/%s" "$(cat /tmp/state.txt)" "$(cat /opt/tool/version)"' },
    ]);
    const run = runContext(workspace.dir, [job]);
    const results = await runJob(runner, jobContext(run, job));
    assert.equal(results[1]?.exitCode, 0, results[1]?.output);
    assert.equal(results[1]?.output, "kept/v1");
  });

  it("reaps what a step leaves behind: a killed background process does not stay a zombie for a later step", async () => {
    const job = planJob("web@dev.reap", [
      { run: "sleep 60 >/dev/null 2>&1 & echo $! > /tmp/bg.pid" },
      // kill -0 finds a zombie: the loop ends only once the container's main process reaped it.
      { run: 'p=$(cat /tmp/bg.pid); kill "$p"; n=0; while kill -0 "$p" 2>/dev/null; do n=$((n+1)); [ $n -le 100 ] || exit 7; sleep 0.05; done; echo reaped' },
    ]);
    const run = runContext(workspace.dir, [job]);
    const results = await runJob(runner, jobContext(run, job));
    assert.equal(results[1]?.exitCode, 0, results[1]?.output);
    assert.equal(results[1]?.output.trim(), "reaped");
  });

  it("says why a job container could not start (the engine's reason, not the CLI's pointer to --help)", async () => {
    const job = planJob("web@dev.nouser", [{ run: "true" }]);
    const run = runContext(workspace.dir, [job]);
    const strange = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never", dockerUser: "orun-no-such-user" }, engine.env);
    try {
      await assert.rejects(strange.startJob!(jobContext(run, job)), (err: Error) => {
        assert.match(err.message, /^docker runner: could not start a container for job web@dev\.nouser from image \S+: .*orun-no-such-user/);
        assert.doesNotMatch(err.message, /--help/);
        return true;
      });
    } finally {
      await strange.cleanup!(run);
    }
    assert.deepEqual(await containersOf(run.execId), []);
  });

  it("fails clearly when the image is missing and --pull is never", async () => {
    const missing = "localhost/orun-missing-image:nope";
    const job = planJob("web@dev.missing", [{ run: "true" }], { runsOn: missing });
    const run = runContext(workspace.dir, [job]);
    await assert.rejects(
      runner.startJob!(jobContext(run, job)),
      (err: Error) => err.message.includes(missing) && /not present locally/.test(err.message) && /never/.test(err.message),
    );
    assert.deepEqual(await containersOf(run.execId), []);
  });

  it("refuses a non-Linux runner label without a default image, naming the job", async () => {
    const plain = createDockerRunner({ pull: "never" }, engine.env);
    const job = planJob("web@dev.mac", [{ run: "true" }], { runsOn: "macos-latest" });
    const run = runContext(workspace.dir, [job]);
    await assert.rejects(plain.startJob!(jobContext(run, job)), /^OrunError: docker runner: job web@dev\.mac: runsOn "macos-latest" has no Linux container image/);
  });

  it("pulls the job image by default, and when that fails for an image that exists locally says how to use it", async () => {
    const run = runContext(workspace.dir, []);
    const pulling = createDockerRunner({ dockerImage: TEST_IMAGE }, engine.env);
    const job = planJob("web@dev.always", [{ run: "true" }]);
    await assert.rejects(pulling.startJob!(jobContext(run, job)), (err: Error) => {
      assert.ok(err.message.startsWith(`docker runner: failed to pull image ${TEST_IMAGE}: `), err.message);
      assert.match(err.message, /exists locally: run it without pulling with --pull missing/);
      return true;
    });
    await pulling.cleanup?.(run);
  });

  it("tries to pull a missing image under --pull missing and reports the failure", async () => {
    const unreachable = "localhost:1/orun/none:1";
    const pulling = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "missing" }, engine.env);
    const job = planJob("web@dev.pull", [{ run: "true" }], { runsOn: unreachable });
    const run = runContext(workspace.dir, [job]);
    await assert.rejects(pulling.startJob!(jobContext(run, job)), (err: Error) => {
      assert.ok(err.message.startsWith(`docker runner: failed to pull image ${unreachable}: `), err.message);
      // The hint the spec gives for an image that cannot be pulled (it was missing), naming where it came from.
      assert.match(err.message, /\(docker image could not be pulled: it is the runsOn of job pull \(component web\); set it to a container image this engine can pull\)$/);
      return true;
    });
  });

  it("an image without sh: the job's start says the docker runner needs sh, naming the job's runsOn (camp25 #7)", async () => {
    const image = `localhost/orun-test-nosh-${Date.now().toString(36)}:latest`;
    const context = path.join(workspace.dir, "nosh-image");
    await mkdir(context);
    await writeFile(path.join(context, "Dockerfile"), `FROM ${TEST_IMAGE}\nRUN rm -f /bin/sh\n`);
    const built = await docker(engine, ["build", "--quiet", "--tag", image, context]);
    assert.equal(built.code, 0, built.stderr);
    const noSh = createDockerRunner({ pull: "never" }, engine.env);
    const job = planJob("web@dev.nosh", [{ run: "true" }], { runsOn: image, composition: "svc" });
    const run = runContext(workspace.dir, [job]);
    try {
      await assert.rejects(noSh.startJob!(jobContext(run, job)), (err: Error) => {
        assert.ok(err.message.startsWith(`docker runner: could not start a container for job web@dev.nosh from image ${image}: `), err.message);
        assert.match(err.message, /\(the docker runner needs sh in the job image: the container's main process and every step run through it; it is the runsOn of job nosh of composition svc \(component web\); set it to an image that has sh\)$/);
        return true;
      });
      assert.deepEqual(await containersOf(run.execId), []);
    } finally {
      await noSh.cleanup!(run);
      await docker(engine, ["rmi", "--force", image]);
    }
  });

  it("runs steps as an explicit --user so workspace files belong to that user", async () => {
    const asUser = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never", dockerUser: "1234:2345" }, engine.env);
    // As if the workspace belonged to uid 1234 (the test itself runs as root).
    await mkdir(path.join(workspace.dir, "users"));
    await chmod(workspace.dir, 0o755);
    await chmod(path.join(workspace.dir, "users"), 0o777);
    const job = planJob("web@dev.user", [{ run: "id -u; touch owned.txt" }], { path: "users" });
    const run = runContext(workspace.dir, [job]);
    const [result] = await runJob(asUser, jobContext(run, job));
    assert.equal(result?.output.trim(), "1234");
    const info = await stat(path.join(workspace.dir, "users/owned.txt"));
    assert.equal(info.uid, 1234);
    assert.equal(info.gid, 2345);
  });

  it("on timeout kills the step's processes but keeps the job's container, so a retry still has what earlier steps set up", async () => {
    // Regression: a timeout removed the whole container, so a retry (or a later step after
    // onFailure: continue) ran in a fresh one without the tools the job's earlier steps installed.
    const job = planJob("web@dev.slow", [
      { run: "mkdir -p /opt/tool && echo v1 > /opt/tool/version" },
      { run: "echo started; sleep 60 & sleep 60" },
      { run: "cat /opt/tool/version; ps" },
    ]);
    const run = runContext(workspace.dir, [job]);
    const jobCtx = jobContext(run, job);
    await runner.startJob!(jobCtx);
    const [container] = await containersOf(run.execId);
    assert.ok(container, "the container exists while the job runs");
    assert.equal((await runner.runStep(stepContext(jobCtx, 0))).exitCode, 0);
    const started = Date.now();
    const result = await runner.runStep(stepContext(jobCtx, 1, { timeoutMs: 1500 }));
    assert.ok(Date.now() - started < 20_000, "the step ended long before its sleep");
    assert.equal(result.timedOut, true);
    assert.match(result.error ?? "", /timed out after 1\.5s/);
    assert.match(result.output, /started/);
    assert.deepEqual(await containersOf(run.execId), [container], "the job keeps its container");
    const retry = await runner.runStep(stepContext(jobCtx, 2));
    assert.equal(retry.exitCode, 0, retry.output);
    assert.match(retry.output, /^v1$/m, "what the first step installed is still there");
    assert.doesNotMatch(retry.output, /sleep 60/, "the timed-out step's processes, background ones included, are gone");
    await runner.finishJob!(jobCtx, { failed: true });
    await settle(runner);
    assert.deepEqual(await containersOf(run.execId), []);
  });

  it("reports a container removed from under a step instead of a bogus exit status", async () => {
    const job = planJob("web@dev.vanish", [{ run: "touch vanish-started; sleep 60" }]);
    const run = runContext(workspace.dir, [job]);
    const jobCtx = jobContext(run, job);
    await runner.startJob!(jobCtx);
    const step = runner.runStep(stepContext(jobCtx, 0));
    for (let waited = 0; !existsSync(path.join(workspace.dir, "vanish-started")); waited += 50) {
      assert.ok(waited < 60_000, "the step never started");
      await delay(50);
    }
    const [name] = await containersOf(run.execId);
    await docker(engine, ["rm", "--force", name!]);
    const result = await step;
    assert.match(result.error ?? "", new RegExp(`container ${name} stopped unexpectedly`));
    await runner.finishJob!(jobCtx, { failed: true });
  });

  /**
   * The engine behind a socket a test can break: a byte-for-byte proxy to the real one. Half-open like the
   * engine's socket: the docker CLI half-closes an exec's stream once it has no input to send, and reads the
   * output after. `halfOpen: false` makes a relay that drops such connections: every exec's stream then ends
   * at once, and the CLI exits 0 while the command still runs (or has not started) in the container.
   * `losesOutput` makes one that keeps the connection until the engine ends it but drops what the engine sends
   * after the CLI half-closed it: the step's whole output, with the stream ending only once the step did.
   * `hidesExitCode` makes it also answer the CLI's inspection of an exec with exit code 0 (same length, so the
   * response stays whole): what the CLI learns when its stream ended before the step did.
   */
  const engineProxy = async ({ halfOpen = true, losesOutput = false, hidesExitCode = false } = {}) => {
    const engineHost = engine.dockerHost || "unix:///var/run/docker.sock";
    assert.ok(engineHost.startsWith("unix://"), `a unix socket engine (${engineHost})`);
    const socketPath = path.join(workspace.dir, `engine-proxy-${Date.now().toString(36)}.sock`);
    const sockets = new Set<net.Socket>();
    const server = net.createServer({ allowHalfOpen: halfOpen }, (client) => {
      const upstream = net.connect({ path: engineHost.slice("unix://".length), allowHalfOpen: halfOpen });
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => undefined);
      }
      if (losesOutput) {
        client.pipe(upstream);
        // An exec's stream starts after the engine's `101` answer: from there nothing goes through, whatever the step
        // printed before the CLI half-closed its side (under load a step's first output can come before that).
        let streaming = false;
        upstream.on("data", (chunk: Buffer) => {
          if (streaming || client.readableEnded) return;
          let text = chunk.toString("latin1");
          const upgraded = /^HTTP\/1\.1 101 /.test(text) ? text.indexOf("\r\n\r\n") : -1;
          if (upgraded >= 0) {
            streaming = true;
            text = text.slice(0, upgraded + 4);
          }
          client.write(Buffer.from(hidesExitCode ? text.replace(/"ExitCode":\d\b/g, '"ExitCode":0') : text, "latin1"));
        });
        upstream.on("end", () => client.end());
        return;
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const dropConnections = (): void => {
      for (const socket of sockets) socket.destroy();
    };
    return { host: `unix://${socketPath}`, dropConnections, close: () => (server.close(), dropConnections()) };
  };

  /** Starts a 60 s step through `proxy`, breaks the engine with `breakIt` once it runs, and returns its result. */
  const stepThroughBrokenEngine = async (id: string, breakIt: (proxy: Awaited<ReturnType<typeof engineProxy>>) => void) => {
    const proxy = await engineProxy();
    const proxied = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never" }, { ...engine.env, DOCKER_HOST: proxy.host });
    const job = planJob(`web@dev.${id}`, [{ run: `touch ${id}-started; while :; do date +%s%N >> ${id}-beats; sleep 0.1; done` }]);
    const run = runContext(workspace.dir, [job]);
    try {
      const jobCtx = jobContext(run, job);
      await proxied.prepare!(run);
      await proxied.startJob!(jobCtx);
      const step = proxied.runStep(stepContext(jobCtx, 0));
      for (let waited = 0; !existsSync(path.join(workspace.dir, `${id}-started`)); waited += 50) {
        assert.ok(waited < 60_000, "the step never started");
        await delay(50);
      }
      breakIt(proxy);
      const result = await step;
      const beats = await readFile(path.join(workspace.dir, `${id}-beats`), "utf8");
      await proxied.finishJob!(jobCtx, { failed: true });
      await settle(proxied);
      return { result, run, proxy, beats };
    } finally {
      proxy.close();
      await proxied.cleanup!(run);
    }
  };

  it("says the engine was lost, never that the step succeeded, when the engine goes away mid-step", async () => {
    // The docker CLI exits 0 when its stream to the engine breaks.
    const { result, run, proxy } = await stepThroughBrokenEngine("lost", (proxy) => proxy.close());
    assert.equal(result.exitCode, null);
    assert.match(result.error ?? "", new RegExp(`^lost the container engine at ${proxy.host.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} while the step ran`));
    // The engine could not be told to remove it; its owner let go of it, so it stopped by itself.
    const [name] = await containersOf(run.execId);
    try {
      for (let waited = 0; (await docker(engine, ["container", "inspect", "--format", "{{.State.Running}}", name!])).stdout.trim() === "true"; waited += 200) {
        assert.ok(waited < 15_000, "the container runs on after its runner let go of it");
        await delay(200);
      }
    } finally {
      await docker(engine, ["rm", "--force", name!]);
    }
  });

  it("stops a step whose connection to the engine broke, and says so", async () => {
    const { result, beats, run } = await stepThroughBrokenEngine("cut", (proxy) => proxy.dropConnections());
    assert.equal(result.exitCode, null);
    assert.match(result.error ?? "", /^lost the connection to the container engine at unix:\/\/.* while the step ran/);
    await delay(500);
    assert.equal(await readFile(path.join(workspace.dir, "cut-beats"), "utf8"), beats, "the step was stopped, not left running in the container");
    assert.deepEqual(await containersOf(run.execId), [], "the engine still answers: the job's container was removed");
  });

  it("behind a relay that ends every exec's stream at once, a step is neither taken for a success nor left running", async () => {
    // Regression (aud17dock #3): through such a relay the docker CLI exits 0 at once, for the step (which may
    // not even have recorded its start yet: it passed for a success) and for the kill of its group (taken as
    // done, while the kill landed later, or — with a group file the step overwrote — never: the step ran on).
    const proxy = await engineProxy({ halfOpen: false });
    const relayed = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never" }, { ...engine.env, DOCKER_HOST: proxy.host });
    const job = planJob("web@dev.relay", [{ run: 'for f in /__orun/run/*.pid; do echo x > "$f"; done; touch relay-started; while :; do date +%s%N >> relay-beats; sleep 0.1; done' }]);
    const run = runContext(workspace.dir, [job]);
    const beats = async (): Promise<string> => readFile(path.join(workspace.dir, "relay-beats"), "utf8").catch(() => "none");
    try {
      const jobCtx = jobContext(run, job);
      await relayed.prepare!(run);
      await relayed.startJob!(jobCtx);
      const result = await relayed.runStep(stepContext(jobCtx, 0));
      assert.equal(result.exitCode, null, `${result.error} ${result.output}`);
      assert.match(result.error ?? "", /^(lost the connection to the container engine at unix:\/\/.* while the step ran|the step left no record in its container)/);
      assert.deepEqual(await containersOf(run.execId), [], "the kill could not be proven: the container was removed before the step's result");
      const then = await beats();
      await delay(500);
      assert.equal(await beats(), then, "the step does not run on");
      await relayed.finishJob!(jobCtx, { failed: true });
      await settle(relayed);
    } finally {
      proxy.close();
      await relayed.cleanup!(run);
    }
  });

  it("a step that leaves a process in the background ends when its command does, its output copied", async () => {
    // Regression (rev26 #1): the copy's tee read until every holder of the step's output closed it, the
    // background process too, so `./server &` held the job until that process ended (here 20 s).
    const job = planJob("web@dev.background", [{ run: "(sleep 20; touch late.txt) & echo started" }, { run: "echo next; [ -e late.txt ] || echo not-yet" }]);
    const run = runContext(workspace.dir, [job]);
    const results = await runJob(runner, jobContext(run, job));
    assert.deepEqual(
      results.map((result) => [result.exitCode, result.error, result.output]),
      [
        [0, undefined, "started\n"],
        [0, undefined, "next\nnot-yet\n"],
      ],
    );
    assert.equal(existsSync(path.join(workspace.dir, "late.txt")), false, "the job ended before its background process did");
  });

  it("a step that leaves a writer in the background leaves no mark of its copy behind in the run folder", async () => {
    // rev27 #5: the orphaned tee, ended by the closed stream after the step, still wrote its `.teed` mark.
    const job = planJob("web@dev.writer", [
      { run: "(i=0; while [ $i -lt 30 ]; do echo tick $i; i=$((i+1)); sleep 0.1; done) & echo started" },
      { run: "sleep 4; ls -a /__orun/run" },
    ]);
    const run = runContext(workspace.dir, [job]);
    const results = await runJob(runner, jobContext(run, job));
    assert.equal(results[0]?.exitCode, 0);
    assert.doesNotMatch(results[1]?.output ?? "", /\.teed$/m, results[1]?.output);
  });

  it("a step's trap on SIGINT runs when the step sends itself SIGINT, as under the local runner", async () => {
    // rev27 #2: the whole recording pipeline ran in the background, where sh starts commands with SIGINT and
    // SIGQUIT ignored: a step's `trap … INT` did nothing and `kill -INT` reached nothing it started.
    const job = planJob("web@dev.sigint", [{ run: "sh -c 'trap \"echo got-int; exit 0\" INT; kill -INT $$; sleep 1; echo no-int'" }]);
    const run = runContext(workspace.dir, [job]);
    const [result] = await runJob(runner, jobContext(run, job));
    assert.equal(result?.output, "got-int\n", result?.output);
  });

  it("gets back the output a relay lost from the container's copy, and says so in the step's output and on stderr", async () => {
    // Regression (camp25 #3): the step's status came from its status file, so it passed, its output gone
    // without a word (an empty log).
    const proxy = await engineProxy({ losesOutput: true });
    const relayed = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never" }, { ...engine.env, DOCKER_HOST: proxy.host });
    const job = planJob("web@dev.lossy", [{ run: "echo first line; echo to stderr >&2; printf 'no newline'" }, { run: "echo second; exit 3" }]);
    const run = runContext(workspace.dir, [job]);
    const stderr = captureStderr();
    try {
      const jobCtx = jobContext(run, job);
      await relayed.prepare!(run);
      await relayed.startJob!(jobCtx);
      const logged: Buffer[] = [];
      const first = await relayed.runStep(stepContext(jobCtx, 0, { onOutputBytes: (chunk) => logged.push(chunk) }));
      assert.equal(first.error, undefined, first.output);
      assert.equal(first.exitCode, 0);
      const note = (step: string, bytes: number): string =>
        `[orun] the connection to the container engine at ${proxy.host} ended before step ${step} of job web@dev.lossy did (a relay that drops half-closed connections does this): ${bytes} bytes of its output were lost on the way and read back from the container's copy\n`;
      assert.equal(Buffer.concat(logged).toString(), `first line\nto stderr\nno newline\n${note("s1", 31)}`);
      assert.equal(first.output, `first line\nto stderr\nno newline\n${note("s1", 31)}`);
      // Text only (no onOutputBytes), and a failing step: the same.
      let text = "";
      const second = await relayed.runStep(stepContext(jobCtx, 1, { onOutput: (chunk) => (text += chunk) }));
      assert.equal(second.exitCode, 3);
      assert.equal(text, `second\n${note("s2", 7)}`);
      assert.match(stderr.text(), /warning: docker runner: the connection to the container engine at .* ended before step s1 of job web@dev.lossy did .*: 31 bytes/);
      await relayed.finishJob!(jobCtx, { failed: true });
      await settle(relayed);
    } finally {
      stderr.restore();
      proxy.close();
      await relayed.cleanup!(run);
    }
  });

  it("an image without tee: steps run uncopied with their output and status, and a cut stream is said to have maybe lost output", async () => {
    // The fallback of recordingGroup (no `tee` in the image) was untested (rec26 4). busybox's sh finds its own tee
    // applet without a link to it, so the image's sh is the host's dash (with the libraries it loads), and only
    // busybox's other applets are on PATH.
    const image = `localhost/orun-test-notee-${Date.now().toString(36)}:latest`;
    const context = path.join(workspace.dir, "notee-image");
    await mkdir(context);
    const libraries = [...spawnSync("ldd", ["/bin/dash"], { encoding: "utf8" }).stdout.matchAll(/(\/\S+) \(0x/g)].map((match) => match[1]!);
    assert.ok(libraries.length > 0, "dash's libraries");
    const copies = ["/bin/dash", ...libraries].map((file, index) => {
      const name = `file-${index}`;
      writeFileSync(path.join(context, name), readFileSync(file), { mode: 0o755 });
      return `COPY ${name} ${file === "/bin/dash" ? "/bin/sh" : file}`;
    });
    await writeFile(path.join(context, "Dockerfile"), [`FROM ${TEST_IMAGE}`, `RUN ["/bin/busybox", "rm", "-f", "/bin/sh", "/bin/tee"]`, ...copies, `RUN ! command -v tee`, ""].join("\n"));
    const built = await docker(engine, ["build", "--quiet", "--tag", image, context]);
    assert.equal(built.code, 0, built.stderr);
    const proxy = await engineProxy({ losesOutput: true, hidesExitCode: true });
    const direct = createDockerRunner({ pull: "never" }, engine.env);
    const relayed = createDockerRunner({ pull: "never" }, { ...engine.env, DOCKER_HOST: proxy.host });
    const stderr = captureStderr();
    try {
      // Straight to the engine: output and status as ever, and no copy made.
      const plain = planJob("web@dev.notee", [{ run: "echo out; echo err >&2; ls -a /__orun/run; exit 4" }], { runsOn: image });
      const plainRun = runContext(workspace.dir, [plain]);
      const [result] = await runJob(direct, jobContext(plainRun, plain));
      assert.equal(result?.exitCode, 4, result?.output);
      // stdout and stderr come on two streams: in either order.
      const lines = (result?.output ?? "").split("\n");
      assert.ok(lines.includes("out") && lines.includes("err"), result?.output);
      assert.ok(lines.some((line) => line.endsWith(".pid")), result?.output);
      assert.ok(!lines.some((line) => line.endsWith(".out")), `no copy made: ${result?.output}`);
      await direct.cleanup!(plainRun);

      // Through a relay that loses the output, the CLI ending with 0: the step's status (3, from its file) differs, so
      // the stream was cut; with nothing to read back, the step's log says its output may be incomplete.
      const lossy = planJob("web@dev.notee-lossy", [{ run: "echo lost; exit 3" }], { runsOn: image });
      const run = runContext(workspace.dir, [lossy]);
      const jobCtx = jobContext(run, lossy);
      await relayed.prepare!(run);
      await relayed.startJob!(jobCtx);
      let text = "";
      const cut = await relayed.runStep(stepContext(jobCtx, 0, { onOutput: (chunk) => (text += chunk) }));
      assert.equal(cut.exitCode, 3, cut.error);
      const note = `[orun] the connection to the container engine at ${proxy.host} ended before step s1 of job web@dev.notee-lossy did (a relay that drops half-closed connections does this): its output may be incomplete, and orun has no copy of it (no tee in the job's image)\n`;
      assert.equal(text, note);
      assert.equal(cut.output, note);
      assert.match(stderr.text(), /warning: docker runner: .* ended before step s1 of job web@dev\.notee-lossy did .*: its output may be incomplete, and orun has no copy of it \(no tee in the job's image\)/);
      await relayed.finishJob!(jobCtx, { failed: true });
      await settle(relayed);
      await relayed.cleanup!(run);
    } finally {
      stderr.restore();
      proxy.close();
      await docker(engine, ["rmi", "--force", image]);
    }
  });

  it("reads back at most MAX_READ_BACK of a step's lost output, its last bytes, says how much it left, and removes the copy when the step ends", async () => {
    // Regression (rec26 4): the read-back had no cap — a step that printed gigabytes before its stream was cut held
    // the whole run up while its copy was read into the log, synchronously.
    const proxy = await engineProxy({ losesOutput: true });
    const relayed = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never" }, { ...engine.env, DOCKER_HOST: proxy.host });
    const total = MAX_READ_BACK + 1000;
    // 1000 bytes of "a", then MAX_READ_BACK of "b": what is read back is exactly the b's.
    const job = planJob("web@dev.flood", [{ run: `head -c 1000 /dev/zero | tr '\\0' a; head -c ${MAX_READ_BACK} /dev/zero | tr '\\0' b` }, { run: "ls -a /__orun/run" }]);
    const run = runContext(workspace.dir, [job]);
    const stderr = captureStderr();
    try {
      const jobCtx = jobContext(run, job);
      await relayed.prepare!(run);
      await relayed.startJob!(jobCtx);
      const logged: Buffer[] = [];
      const flood = await relayed.runStep(stepContext(jobCtx, 0, { onOutputBytes: (chunk) => logged.push(chunk) }));
      assert.equal(flood.exitCode, 0, flood.error);
      const log = Buffer.concat(logged).toString("latin1");
      const note = `[orun] the connection to the container engine at ${proxy.host} ended before step s1 of job web@dev.flood did (a relay that drops half-closed connections does this): ${total} bytes of its output were lost on the way; its last ${MAX_READ_BACK} were read back from the container's copy (the 1000 before them were not: orun reads back at most 16 MiB)\n`;
      assert.equal(log.length, MAX_READ_BACK + 1 + note.length);
      assert.ok(/^b+$/.test(log.slice(0, MAX_READ_BACK)), "the copy's last bytes, and only those");
      assert.equal(log.slice(MAX_READ_BACK), `\n${note}`);
      assert.ok(stderr.text().includes(`: ${total} bytes of its output were lost on the way; its last ${MAX_READ_BACK} were read back`), stderr.text());
      // The copy went with the step: the next step sees none of the first one's files in the run folder.
      let listed = "";
      const ls = await relayed.runStep(stepContext(jobCtx, 1, { onOutput: (chunk) => (listed += chunk) }));
      assert.equal(ls.exitCode, 0, ls.error);
      // (Through this relay the listing itself is read back from the second step's own copy: the one .out there.)
      assert.equal(ls.output.split("\n").filter((name) => name.endsWith(".out")).length, 1, ls.output);
      await relayed.finishJob!(jobCtx, { failed: false });
      await settle(relayed);
    } finally {
      stderr.restore();
      proxy.close();
      await relayed.cleanup!(run);
    }
  });

  it("behind a relay that ends every exec's stream at once, a step that passes never loses its output unsaid", async () => {
    // camp25 #3 with the relay it was found with: a step that ended before the CLI gave up passed with an
    // empty log. Whether the step or the CLI is first is a race; either way the output is there, or the
    // step failed saying the connection was lost.
    const proxy = await engineProxy({ halfOpen: false });
    const relayed = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never" }, { ...engine.env, DOCKER_HOST: proxy.host });
    const steps = Array.from({ length: 4 }, (_, index) => ({ run: `echo step-${index}-output` }));
    const stderr = captureStderr();
    const seen: string[] = [];
    try {
      for (let index = 0; index < steps.length; index++) {
        const job = planJob(`web@dev.race${index}`, [steps[index]!]);
        const run = runContext(workspace.dir, [job]);
        const jobCtx = jobContext(run, job);
        await relayed.prepare!(run);
        await relayed.startJob!(jobCtx);
        let text = "";
        const result = await relayed.runStep(stepContext(jobCtx, 0, { onOutput: (chunk) => (text += chunk) }));
        if (result.error === undefined) {
          assert.match(text, new RegExp(`^step-${index}-output\n(\\[orun\\] .* read back from the container's copy\n)?$`));
          seen.push("passed");
        } else {
          assert.match(result.error, /lost the connection to the container engine|the step left no record in its container/);
          seen.push("lost");
        }
        await relayed.finishJob!(jobCtx, { failed: result.error !== undefined });
        await settle(relayed);
      }
    } finally {
      stderr.restore();
      proxy.close();
    }
    console.log(`relay outcomes: ${seen.join(", ")}`);
  });

  it("a step that left no record at all in its container is not a success, whatever the CLI says", async () => {
    // No group file and no status file (here the step removed one and blocked the other): nothing tells
    // whether it ran, so the CLI's 0 (which a stream that ended early gives as well) does not count.
    const job = planJob("web@dev.unrecorded", [{ run: 'for f in /__orun/run/*.pid; do mkdir "${f%.pid}.status"; rm -f "$f"; done; echo gone' }]);
    const run = runContext(workspace.dir, [job]);
    const [result] = await runJob(runner, jobContext(run, job));
    assert.equal(result?.exitCode, null);
    assert.match(result?.error ?? "", /^the step left no record in its container: .* or the step removed its files in \/__orun\/run$/);
    assert.match(result?.output ?? "", /gone/);
    assert.deepEqual(await containersOf(run.execId), []);
  });

  it("removes a job container that stopped under a step, instead of leaving it for as long as orun runs", async () => {
    const job = planJob("web@dev.stopped", [{ run: "kill -TERM 1; sleep 30" }]);
    const run = runContext(workspace.dir, [job]);
    const [result] = await runJob(runner, jobContext(run, job));
    assert.match(result?.error ?? "", /container orun-\S+ stopped unexpectedly/);
    assert.deepEqual(await containersOf(run.execId), []);
  });

  it("runs concurrent jobs in separate containers at the same time", async () => {
    // Each job announces itself, then waits for the other's file: both can
    // only succeed when they overlap.
    const rendezvous = (self: string, other: string) =>
      `cat /etc/hostname > /workspace/host-${self}; touch /workspace/ready-${self}; i=0; while [ ! -e /workspace/ready-${other} ]; do i=$((i+1)); [ $i -gt 900 ] && exit 9; sleep 0.1; done`;
    const a = planJob("api@dev.a", [{ run: rendezvous("a", "b") }]);
    const b = planJob("api@dev.b", [{ run: rendezvous("b", "a") }]);
    const run = runContext(workspace.dir, [a, b]);
    const [ra, rb] = await Promise.all([runJob(runner, jobContext(run, a)), runJob(runner, jobContext(run, b))]);
    assert.equal(ra?.[0]?.exitCode, 0, ra?.[0]?.output);
    assert.equal(rb?.[0]?.exitCode, 0, rb?.[0]?.output);
    const hostA = await readFile(path.join(workspace.dir, "host-a"), "utf8");
    const hostB = await readFile(path.join(workspace.dir, "host-b"), "utf8");
    assert.notEqual(hostA.trim(), "");
    assert.notEqual(hostA, hostB, "each job has its own container");
  });

  it("removes every container on cleanup (Ctrl-C), including running jobs'", async () => {
    const own = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never" }, engine.env);
    const job = planJob("web@dev.interrupted", [{ run: "sleep 60" }]);
    const run = runContext(workspace.dir, [job]);
    const controller = new AbortController();
    const jobCtx = jobContext(run, job, controller.signal);
    await own.startJob!(jobCtx);
    const running = own.runStep(stepContext(jobCtx, 0, { signal: controller.signal }));
    assert.equal((await containersOf(run.execId)).length, 1);
    controller.abort();
    await own.cleanup!(run);
    const result = await running;
    assert.notEqual(result.error, undefined);
    assert.deepEqual(await containersOf(run.execId), []);
  });

  it("removes containers orphaned by a dead orun process of this host, and only those", async () => {
    // A pid that certainly ended: a process that has exited.
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadPid = Number(gone.stdout);
    const make = async (name: string, pid: number) => {
      const result = await docker(engine, [
        "run", "--detach", "--name", name, "--label", `io.orun.host=${os.hostname()}`, "--label", `io.orun.pid=${pid}`,
        "--label", "io.orun.exec-id=orphans", TEST_IMAGE, "sleep", "600",
      ]);
      assert.equal(result.code, 0, result.stderr);
    };
    const suffix = Date.now().toString(36);
    await make(`orun-orphan-dead-${suffix}`, deadPid);
    await make(`orun-orphan-live-${suffix}`, process.pid);
    try {
      const fresh = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never" }, engine.env);
      await fresh.prepare!(runContext(workspace.dir, []));
      assert.deepEqual(await containersOf("orphans"), [`orun-orphan-live-${suffix}`]);
    } finally {
      await docker(engine, ["rm", "--force", `orun-orphan-dead-${suffix}`, `orun-orphan-live-${suffix}`]);
    }
  });

  it("keeps step variables away from the docker CLI on the host (GODEBUG, loader and TLS variables)", async () => {
    // Regression: a step's GODEBUG reached the host's docker CLI process, whose
    // Go runtime then traced itself into the step's output.
    const job = planJob("web@dev.cli-env", [{ run: 'printf "<%s|%s>" "$GODEBUG" "$SSL_CERT_DIR"', env: { GODEBUG: "inittrace=1", SSL_CERT_DIR: "/nowhere" } }]);
    const run = runContext(workspace.dir, [job]);
    const [result] = await runJob(runner, jobContext(run, job));
    assert.equal(result?.exitCode, 0, result?.output);
    assert.equal(result?.output, "<inittrace=1|/nowhere>", "the container sees the values; the CLI's runtime does not");
  });

  it("refuses a working directory that leaves the workspace through a symbolic link", async () => {
    // Regression: host paths were mapped lexically, so <ws>/etc-link (→ /etc) ran the step in the
    // container's /etc, and a link to a sibling folder failed as "exit status 127".
    const outside = await tempWorkspace("orun-docker-outside-");
    try {
      await mkdir(path.join(workspace.dir, "links/real/deep"), { recursive: true });
      await symlink("/etc", path.join(workspace.dir, "links/etc-link"));
      await symlink(outside.dir, path.join(workspace.dir, "links/sibling-link"));
      // An absolute link to a folder inside the workspace is followed to where that folder is mounted.
      await symlink(path.join(workspace.dir, "links/real"), path.join(workspace.dir, "links/inside-link"));
      const job = planJob("web@dev.links", [
        { run: "pwd", "working-directory": "etc-link" },
        { run: "pwd", "working-directory": "sibling-link" },
        { run: "pwd", "working-directory": "inside-link/deep" },
      ], { path: "links" });
      const run = runContext(workspace.dir, [job]);
      const jobCtx = jobContext(run, job);
      await runner.startJob!(jobCtx);
      const etc = await runner.runStep(stepContext(jobCtx, 0));
      assert.match(etc.error ?? "", /working directory .*links\/etc-link \(a link to \/etc\) is outside the mounted workspace/);
      assert.equal(etc.output, "", "nothing ran");
      const sibling = await runner.runStep(stepContext(jobCtx, 1));
      assert.match(sibling.error ?? "", /links\/sibling-link \(a link to .*orun-docker-outside-.*\) is outside the mounted workspace/);
      const inside = await runner.runStep(stepContext(jobCtx, 2));
      assert.equal(inside.error, undefined, inside.output);
      assert.equal(inside.output.trim(), "/workspace/links/real/deep");
      await runner.finishJob!(jobCtx, { failed: true });
    } finally {
      await outside.remove();
    }
  });

  it("keeps multi-byte characters whole wherever the engine splits the output", async () => {
    // Regression: every chunk was decoded on its own, so a character split between two
    // reads (the docker CLI copies in 32 KiB blocks) became two U+FFFD.
    const line = "ab日本語✓é\n";
    const job = planJob("web@dev.utf8", [{ run: `i=0; while [ $i -lt 20000 ]; do printf 'ab日本語✓é\\n'; i=$((i+1)); done > /tmp/u.txt; cat /tmp/u.txt` }]);
    const run = runContext(workspace.dir, [job]);
    const chunks: string[] = [];
    const jobCtx = jobContext(run, job);
    await runner.startJob!(jobCtx);
    const result = await runner.runStep(stepContext(jobCtx, 0, { onOutput: (chunk) => chunks.push(chunk) }));
    await runner.finishJob!(jobCtx, { failed: false });
    assert.equal(result.exitCode, 0, result.error);
    assert.ok(!result.output.includes("\uFFFD"), "no replacement characters in the captured output");
    assert.equal(result.output, line.repeat(20000));
    assert.equal(chunks.join(""), line.repeat(20000), "nor in the live output that feeds the logs");
  });

  it("lets a container creation in flight finish on Ctrl-C and removes the container, instead of leaking it", async () => {
    // Regression: Ctrl-C killed `docker run --detach` mid-request; the engine still created the
    // container after the runner's `docker rm` had found nothing, and it outlived the run (podman
    // even kept a half-created one that broke `docker ps -a`). This docker stand-in hands the
    // request to the real CLI in the background, as an engine finishes a request whose client died.
    const bin = await tempWorkspace("orun-docker-bin-");
    const job = planJob("web@dev.create-abort", [{ run: "true" }]);
    const run = runContext(workspace.dir, [job]);
    try {
      const real = spawnSync("sh", ["-c", "command -v docker"], { encoding: "utf8", env: engine.env }).stdout.trim();
      await writeFile(
        path.join(bin.dir, "docker"),
        [
          "#!/bin/sh",
          'if [ "$1" = run ]; then',
          '  read -r _ _ _ _ pgrp _ < /proc/$$/stat; echo "$pgrp" > "$MARKS/pgrp"',
          '  touch "$MARKS/create-started"',
          '  ( sleep 0.3; "$REAL_DOCKER" "$@"; status=$?; touch "$MARKS/create-done"; exit $status ) &',
          "  wait $!",
          "  exit $?",
          "fi",
          'exec "$REAL_DOCKER" "$@"',
          "",
        ].join("\n"),
        { mode: 0o755 },
      );
      const hostEnv = { ...engine.env, PATH: `${bin.dir}:${engine.env.PATH ?? ""}`, REAL_DOCKER: real, MARKS: bin.dir };
      const own = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never" }, hostEnv);
      const controller = new AbortController();
      const starting = own.startJob!(jobContext(run, job, controller.signal));
      for (let waited = 0; !existsSync(path.join(bin.dir, "create-started")); waited += 20) {
        assert.ok(waited < 30_000, "docker run never started");
        await delay(20);
      }
      controller.abort();
      await assert.rejects(starting, /canceled|shutting down/);
      await own.cleanup!(run);
      for (let waited = 0; !existsSync(path.join(bin.dir, "create-done")); waited += 20) {
        assert.ok(waited < 30_000, "the engine never finished the creation");
        await delay(20);
      }
      assert.deepEqual(await containersOf(run.execId), [], "no container outlives the canceled run");
      // A terminal's Ctrl-C signals orun's whole process group: the CLI must be outside it.
      const ownGroup = (await readFile("/proc/self/stat", "utf8")).split(") ")[1]!.split(" ")[2];
      assert.notEqual((await readFile(path.join(bin.dir, "pgrp"), "utf8")).trim(), ownGroup, "docker runs in a process group of its own");
    } finally {
      const leaked = await containersOf(run.execId).catch(() => []);
      if (leaked.length) await docker(engine, ["rm", "--force", ...leaked]);
      await bin.remove();
    }
  });

  it("does not let one job's cancellation stop an image pull another job is waiting for", async () => {
    // Regression: the pull shared by the jobs of a run took the first job's signal, so a job handed
    // to another runner (remote state) or canceled mid-pull failed every job waiting on that image.
    const bin = await tempWorkspace("orun-docker-bin-");
    try {
      const real = spawnSync("sh", ["-c", "command -v docker"], { encoding: "utf8", env: engine.env }).stdout.trim();
      // A pull that takes a moment and then finds the (local) image up to date.
      await writeFile(
        path.join(bin.dir, "docker"),
        ["#!/bin/sh", 'if [ "$1" = pull ]; then touch "$MARKS/pull-started"; sleep 1; exit 0; fi', 'exec "$REAL_DOCKER" "$@"', ""].join("\n"),
        { mode: 0o755 },
      );
      const hostEnv = { ...engine.env, PATH: `${bin.dir}:${engine.env.PATH ?? ""}`, REAL_DOCKER: real, MARKS: bin.dir };
      const own = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "always" }, hostEnv);
      const a = planJob("web@dev.pull-a", [{ run: "true" }]);
      const b = planJob("web@dev.pull-b", [{ run: "echo b ran" }]);
      const run = runContext(workspace.dir, [a, b]);
      const handedOn = new AbortController();
      const startA = own.startJob!(jobContext(run, a, handedOn.signal));
      const jobB = jobContext(run, b);
      const resultB = runJob(own, jobB);
      for (let waited = 0; !existsSync(path.join(bin.dir, "pull-started")); waited += 20) {
        assert.ok(waited < 30_000, "the pull never started");
        await delay(20);
      }
      handedOn.abort();
      await assert.rejects(startA, /canceled/, "the canceled job stops waiting at once");
      const [stepB] = await resultB;
      assert.equal(stepB?.error, undefined, stepB?.output);
      assert.equal(stepB?.output.trim(), "b ran");
      await own.cleanup!(run);
      assert.deepEqual(await containersOf(run.execId), []);
    } finally {
      await bin.remove();
    }
  });

  it("does not hold a canceled job up for the kill of a timed-out step that a slow engine has not done yet", async () => {
    // Regression: after a timeout, the kill of the step's group waited for the engine (up to 60 s) even
    // once Ctrl-C came: orun exited only when the engine answered. The canceled job drops its container.
    const bin = await tempWorkspace("orun-docker-bin-");
    const job = planJob("web@dev.slow-kill", [{ run: "sleep 60" }]);
    const run = runContext(workspace.dir, [job]);
    try {
      const real = spawnSync("sh", ["-c", "command -v docker"], { encoding: "utf8", env: engine.env }).stdout.trim();
      await writeFile(
        path.join(bin.dir, "docker"),
        ["#!/bin/sh", 'case "$*" in *"kill -KILL"*) touch "$MARKS/kill-started"; exec sleep 60;; esac', 'exec "$REAL_DOCKER" "$@"', ""].join("\n"),
        { mode: 0o755 },
      );
      const own = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never" }, { ...engine.env, PATH: `${bin.dir}:${engine.env.PATH ?? ""}`, REAL_DOCKER: real, MARKS: bin.dir });
      const controller = new AbortController();
      const jobCtx = jobContext(run, job, controller.signal);
      await own.startJob!(jobCtx);
      const step = own.runStep(stepContext(jobCtx, 0, { timeoutMs: 500, signal: controller.signal }));
      for (let waited = 0; !existsSync(path.join(bin.dir, "kill-started")); waited += 20) {
        assert.ok(waited < 30_000, "the timed-out step's kill never started");
        await delay(20);
      }
      const canceled = Date.now();
      controller.abort();
      const result = await step;
      assert.ok(Date.now() - canceled < 15_000, `the step ended ${Date.now() - canceled} ms after the cancel, waiting for the engine`);
      assert.equal(result.timedOut, true);
      assert.deepEqual(await containersOf(run.execId), [], "the canceled job's container is removed instead");
      await own.cleanup!(run);
    } finally {
      const leaked = await containersOf(run.execId).catch(() => []);
      if (leaked.length) await docker(engine, ["rm", "--force", ...leaked]);
      await bin.remove();
    }
  });

  it("warns when the engine cannot list containers, and still removes the ones it started", async () => {
    // Regression: a failing `docker ps` (podman with a half-created container answers every listing
    // with "container not known") made the orphan sweep and cleanup's listing silently do nothing.
    const bin = await tempWorkspace("orun-docker-bin-");
    const warnings: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    try {
      const real = spawnSync("sh", ["-c", "command -v docker"], { encoding: "utf8", env: engine.env }).stdout.trim();
      await writeFile(
        path.join(bin.dir, "docker"),
        ["#!/bin/sh", 'if [ "$1" = ps ]; then echo "Error response from daemon: container not known" >&2; exit 1; fi', 'exec "$REAL_DOCKER" "$@"', ""].join("\n"),
        { mode: 0o755 },
      );
      const own = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never" }, { ...engine.env, PATH: `${bin.dir}:${engine.env.PATH ?? ""}`, REAL_DOCKER: real });
      const job = planJob("web@dev.no-ps", [{ run: "sleep 60" }]);
      const run = runContext(workspace.dir, [job]);
      process.stderr.write = ((chunk: string | Uint8Array) => {
        warnings.push(String(chunk));
        return true;
      }) as typeof process.stderr.write;
      await own.prepare!(run);
      await own.startJob!(jobContext(run, job));
      await own.cleanup!(run);
      process.stderr.write = write;
      const text = warnings.join("");
      assert.match(text, /warning: docker runner: could not look for containers left by crashed runs: docker ps failed: Error response from daemon: container not known/);
      assert.match(text, /warning: docker runner: could not list this run's containers \(docker ps failed: .*\); removing the ones it knows of/);
      assert.deepEqual(await containersOf(run.execId), [], "the started container is removed by name");
    } finally {
      process.stderr.write = write;
      await bin.remove();
    }
  });

  it("rejects use: steps like the local runner", async () => {
    const job = planJob("web@dev.gha", [{ name: "setup", use: "actions/setup-node@v4" }]);
    const run = runContext(workspace.dir, [job]);
    const [result] = await runJob(runner, jobContext(run, job));
    assert.match(result?.error ?? "", /uses GitHub Actions syntax .*--gha or --runner github-actions/);
  });
});

describe("docker runner without an engine", () => {
  it("with neither DOCKER_HOST nor a context, says how to point the CLI at an engine", async () => {
    assert.ok(!existsSync("/var/run/docker.sock"), "this test needs no engine at the docker CLI's default socket");
    const workspace = await tempWorkspace();
    try {
      const { DOCKER_HOST: _host, DOCKER_CONTEXT: _context, ...rest } = process.env;
      // An empty CLI config: no current context either.
      const runner = createDockerRunner({ dockerImage: TEST_IMAGE }, { ...rest, DOCKER_CONFIG: workspace.dir });
      await assert.rejects(runner.prepare!(runContext(workspace.dir, [])), (err: Error) => {
        assert.match(err.message, /^docker runner: no container engine reachable at the docker CLI's default \(.*\): .*; start an engine there, or set DOCKER_HOST to the one to use \(podman: /);
        return true;
      });
    } finally {
      await workspace.remove();
    }
  });

  it("names the unreachable DOCKER_HOST", async () => {
    const workspace = await tempWorkspace();
    try {
      const dead = `unix://${path.join(workspace.dir, "dead.sock")}`;
      const runner = createDockerRunner({ dockerImage: TEST_IMAGE }, { ...process.env, DOCKER_HOST: dead });
      await assert.rejects(runner.prepare!(runContext(workspace.dir, [])), (err: Error) => {
        assert.match(err.message, /^docker runner: no container engine reachable at unix:\/\/.*dead\.sock: /);
        return true;
      });
    } finally {
      await workspace.remove();
    }
  });

  it("says how to get a docker CLI when none is on PATH, pointing at nothing this package does not ship", async () => {
    const workspace = await tempWorkspace();
    try {
      const runner = createDockerRunner({ dockerImage: TEST_IMAGE }, { ...process.env, PATH: workspace.dir });
      await assert.rejects(runner.prepare!(runContext(workspace.dir, [])), (err: Error) => {
        assert.match(err.message, /^docker runner: the docker CLI was not found on PATH \(install Docker, or the docker CLI with an engine/);
        assert.doesNotMatch(err.message, /scripts\//, "the published package has no scripts/setup-container-engine.sh");
        return true;
      });
    } finally {
      await workspace.remove();
    }
  });

  it("refuses an unknown --pull policy", () => {
    assert.throws(() => createDockerRunner({ pull: "sometimes" }, {}), /invalid --pull value "sometimes" \(expected one of: always, missing, never\)/);
  });
});
