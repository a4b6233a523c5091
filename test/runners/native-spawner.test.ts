// The native spawn helper (native/orun-spawn.c through native-spawner.ts)
// with real processes: the same outcomes as a direct spawn, live output,
// process groups killed on timeout and abort, clear start errors, no temp
// files left behind, and no unsupervised steps when the helper dies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { isAlive } from "../../src/runtime/records/lock.js";
import { NativeSpawner } from "../../src/runners/process/native-spawner.js";
import { env, setup, sh } from "./native-spawner-support.js";
import { processEnded, signalIfAlive } from "../support/wait.js";

async function waitUntil(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000; // what a loaded machine needs; the awaited events take milliseconds here
  while (Date.now() < deadline && !check()) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(check(), `timed out waiting for ${what}`);
}

test("native spawner: combined stdout+stderr in order, exit status, cwd, and no temp file left", async (t) => {
  const { spawner, dir, outDir } = await setup(t);
  const chunks: string[] = [];
  const outcome = await spawner.run(sh("echo out; echo err >&2; pwd; printf 'ünï'; exit 4", dir, { onOutput: (c) => chunks.push(c) }), { inheritEnv: false });
  assert.equal(outcome.exitCode, 4);
  assert.equal(outcome.exitSignal, null);
  assert.equal(outcome.error, "exit status 4");
  assert.equal(outcome.output, `out\nerr\n${dir}\nünï`);
  assert.equal(chunks.join(""), outcome.output);
  assert.deepEqual(await readdir(outDir), []);
});

test("native spawner: two helpers of one process share an output folder without clashing", async (t) => {
  const { spawner, dir, outDir } = await setup(t);
  const second = await NativeSpawner.start(outDir);
  assert.ok(second);
  t.after(() => second.close());
  // Both count their requests from 1; a step of the first is still running when the second starts one.
  const go = path.join(dir, "go");
  const first = spawner.run(sh(`while [ ! -e ${go} ]; do sleep 0.02; done; echo first`, dir), { inheritEnv: false });
  await waitUntil(() => existsSync(outDir) && readdirSync(outDir).length === 1, "the first step's output file");
  const other = await second.run(sh("echo second", dir), { inheritEnv: false });
  assert.equal(other.error, undefined, "the second helper's step started (it failed with 'file exists' when both named their files <pid>-1)");
  assert.equal(other.output, "second\n");
  await writeFile(go, "");
  assert.equal((await first).output, "first\n");
});

test("native spawner: the request env overlays the inherited environment, or replaces it", async (t) => {
  const { spawner, dir } = await setup(t);
  const script = 'echo "home=${HOME:-unset} a=$A empty=[$EMPTY]"';
  const inherited = await spawner.run(sh(script, dir, { env: { A: "x=y", EMPTY: "" } }), { inheritEnv: true });
  assert.equal(inherited.output, `home=${process.env.HOME} a=x=y empty=[]\n`);
  const overridden = await spawner.run(sh('echo "$HOME"', dir, { env: { HOME: "/elsewhere" } }), { inheritEnv: true });
  assert.equal(overridden.output, "/elsewhere\n");
  const alone = await spawner.run(sh(script, dir, { env: { PATH: env.PATH, A: "1" } }), { inheritEnv: false });
  assert.equal(alone.output, "home=unset a=1 empty=[]\n");
});

test("native spawner: commands are looked up like execvp after entering the step directory", async (t) => {
  const { spawner, dir } = await setup(t);
  const bin = path.join(dir, "bin");
  await mkdir(bin);
  await writeFile(path.join(bin, "orun-test-tool"), "#!/bin/sh\necho tool ran \"$@\"\n", { mode: 0o755 });
  // No #! line: execvp runs it with /bin/sh.
  await writeFile(path.join(bin, "orun-plain-script"), "echo plain script $1\n", { mode: 0o755 });
  const run = (command: string, pathValue: string, args: string[] = []) => spawner.run({ command, args, cwd: dir, env: { PATH: pathValue } }, { inheritEnv: false });
  const absolute = await run("orun-test-tool", `${bin}:${env.PATH}`, ["a b"]);
  assert.equal(absolute.output, "tool ran a b\n", absolute.error);
  const relative = await run("orun-test-tool", `bin:${env.PATH}`);
  assert.equal(relative.output, "tool ran\n", relative.error);
  const plain = await run("orun-plain-script", `${bin}:${env.PATH}`, ["x"]);
  assert.equal(plain.output, "plain script x\n", plain.error);
  const dotSlash = await run("./bin/orun-test-tool", "/nonexistent");
  assert.equal(dotSlash.output, "tool ran\n", dotSlash.error);
});

test("native spawner: each process leads its own process group", async (t) => {
  const { spawner, dir } = await setup(t);
  // /proc/<pid>/stat after the command name: state, ppid, pgrp, session.
  const outcome = await spawner.run(sh('echo $$; cut -d")" -f2 /proc/$$/stat', dir), { inheritEnv: false });
  const [pid, stat] = outcome.output.trim().split("\n");
  const fields = stat!.trim().split(" ");
  assert.equal(fields[2], pid, "process group is the step's own pid");
  assert.equal(fields[3], pid, "session is the step's own pid");
  // Nothing ignored or blocked: the helper's own dispositions (SIGINT, SIGHUP, SIGPIPE ignored; SIGCHLD blocked) are not
  // inherited. grep reads its own status after exec (masks and ignored signals survive exec); reading the
  // shell's instead would race with dash blocking all signals while it waits for a child.
  const signals = await spawner.run(sh("exec grep -E '^Sig(Ign|Blk)' /proc/self/status", dir), { inheritEnv: false });
  assert.equal(signals.output, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
});

test("native spawner: output of a running step reaches onOutput before the step ends", async (t) => {
  const { spawner, dir } = await setup(t);
  const go = path.join(dir, "go");
  const script = `echo first; i=0; while [ ! -f '${go}' ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; [ -f '${go}' ] && echo second`;
  const outcome = await spawner.run(
    sh(script, dir, {
      onOutput: (chunk) => {
        if (chunk.includes("first")) void writeFile(go, "");
      },
    }),
    { inheritEnv: false },
  );
  assert.equal(outcome.exitCode, 0, outcome.output);
  assert.equal(outcome.output, "first\nsecond\n");
});

test("native spawner: a timeout kills the whole process group", async (t) => {
  const { spawner, dir } = await setup(t);
  const pidFile = path.join(dir, "bg.pid");
  const outcome = await spawner.run(sh(`sleep 30 & echo $! > '${pidFile}'; wait`, dir, { timeoutMs: 300 }), { inheritEnv: false });
  assert.equal(outcome.timedOut, true);
  assert.equal(outcome.error, "timed out after 300ms");
  const bgPid = Number((await readFile(pidFile, "utf8")).trim());
  await waitUntil(() => !isAlive(bgPid), "the background sleep to die");
});

test("native spawner: abort before and after start; a step killed by a signal reports it", async (t) => {
  const { spawner, dir } = await setup(t);
  const early = new AbortController();
  early.abort();
  const before = await spawner.run(sh(`touch '${path.join(dir, "ran")}'; sleep 30`, dir, { signal: early.signal }), { inheritEnv: false });
  assert.equal(before.aborted, true);
  assert.equal(before.error, "canceled");
  const late = new AbortController();
  const running = spawner.run(sh(`touch '${path.join(dir, "started")}'; sleep 30`, dir, { signal: late.signal }), { inheritEnv: false });
  await waitUntil(() => existsSync(path.join(dir, "started")), "the step to start");
  late.abort();
  assert.equal((await running).error, "canceled");
  // The helper ignores SIGINT (Ctrl-C is orun's to handle); steps must not inherit that.
  const interrupted = await spawner.run(sh("kill -INT $$; sleep 5", dir), { inheritEnv: false });
  assert.equal(interrupted.exitCode, null);
  assert.equal(interrupted.exitSignal, "SIGINT");
  assert.equal(interrupted.error, "signal: SIGINT");
});

test("native spawner: a missing command or working directory is a clear error, not a crash", async (t) => {
  const { spawner, dir, outDir } = await setup(t);
  const missing = await spawner.run({ command: "orun-no-such-command", args: [], cwd: dir, env }, { inheritEnv: false });
  assert.equal(missing.exitCode, null);
  assert.equal(missing.error, "orun-no-such-command: executable file not found in PATH");
  const noDir = await spawner.run(sh("true", path.join(dir, "gone")), { inheritEnv: false });
  assert.equal(noDir.error, `cannot start sh: working directory ${path.join(dir, "gone")} does not exist`);
  await writeFile(path.join(dir, "not-executable"), "echo hi\n", { mode: 0o644 });
  const denied = await spawner.run({ command: "./not-executable", args: [], cwd: dir, env }, { inheritEnv: false });
  assert.equal(denied.error, "cannot start ./not-executable: permission denied");
  const nul = await spawner.run(sh("true", dir, { env: { BAD: "a\0b" } }), { inheritEnv: false });
  assert.match(nul.error ?? "", /must not contain NUL bytes/);
  // The helper still works after errors, and left no temp files.
  assert.equal((await spawner.run(sh("echo ok", dir), { inheritEnv: false })).output, "ok\n");
  assert.deepEqual(await readdir(outDir), []);
});

test("native spawner: output larger than the in-memory cap is streamed in full and truncated in memory", async (t) => {
  const { spawner, dir, outDir } = await setup(t);
  let streamed = 0;
  // 8 MB of output: more than the 1 MB kept in memory and more than one read's worth.
  const outcome = await spawner.run(sh("head -c 8388608 /dev/zero | tr '\\0' x", dir, { onOutput: (chunk) => (streamed += chunk.length) }), { inheritEnv: false });
  assert.equal(outcome.exitCode, 0, outcome.error);
  assert.equal(streamed, 8 * 1024 * 1024);
  assert.ok(outcome.output.endsWith("[output truncated]"));
  assert.ok(outcome.output.length < 2 * 1024 * 1024);
  assert.deepEqual(await readdir(outDir), []);
});

test("native spawner: a step flooding its output still times out", async (t) => {
  const { spawner, dir } = await setup(t);
  let streamed = 0;
  let stoppedAfter: number | undefined;
  const started = Date.now();
  const outcome = await spawner.run(
    sh("yes", dir, {
      timeoutMs: 1000,
      killGraceMs: 200,
      onOutput: (chunk) => (streamed += chunk.length),
      beforeTerminate: () => (stoppedAfter = Date.now() - started),
    }),
    { inheritEnv: false },
  );
  assert.equal(outcome.timedOut, true);
  // Timed from the start to the timeout's SIGTERM: what `yes` wrote meanwhile is still read in full after it, and
  // on a loaded machine that backlog alone can take a minute.
  assert.ok(stoppedAfter !== undefined && stoppedAfter < 10_000, `the timeout fired ${stoppedAfter} ms after the start, while output kept coming`);
  assert.ok(streamed > 0);
});

test("native spawner: a background process that does not hold the step's output does not delay the step's end", async (t) => {
  const { spawner, dir } = await setup(t);
  const marker = path.join(dir, "bg-finished");
  const go = path.join(dir, "bg-go");
  // Its output goes elsewhere: the step ends when its shell does, not when the background job does. The job ends
  // when the test lets it (or after 30 s), not after a fixed second a loaded machine may spend starting the step.
  const job = `i=0; while [ ! -e '${go}' ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; touch '${marker}'`;
  const outcome = await spawner.run(sh(`(exec >/dev/null 2>&1; ${job}) & echo done`, dir), { inheritEnv: false });
  assert.equal(outcome.output, "done\n");
  assert.equal(existsSync(marker), false, "the step's end waited for its background job");
  await writeFile(go, "");
  await waitUntil(() => existsSync(marker), "the background job to finish");
});

test("native spawner: output a step's background process writes just after the step exits is kept; a daemon delays it only briefly", async (t) => {
  const { spawner, dir, outDir } = await setup(t);
  // "late" is written once the step's shell is gone (reaped), not after a fixed 0.1 s: on a loaded machine that
  // sleep alone could outlast the helper's 250 ms linger.
  const late = await spawner.run(sh("echo early; (while kill -0 $$ 2>/dev/null; do sleep 0.01; done; echo late) &", dir), { inheritEnv: false });
  assert.equal(late.exitCode, 0, late.error);
  assert.equal(late.output, "early\nlate\n");
  const pidFile = path.join(dir, "daemon.pid");
  const started = Date.now();
  const daemon = await spawner.run(sh(`sleep 30 & echo $! > '${pidFile}'; echo done`, dir), { inheritEnv: false });
  const daemonPid = Number(readFileSync(pidFile, "utf8").trim());
  t.after(() => {
    if (isAlive(daemonPid)) process.kill(daemonPid, "SIGKILL");
  });
  assert.equal(daemon.exitCode, 0, daemon.error);
  assert.equal(daemon.output, "done\n");
  // Far below the sleep's 30 s: a loaded machine's start-up and the 250 ms linger only.
  assert.ok(Date.now() - started < 15_000, "the step ended although its background sleep still runs");
  assert.ok(isAlive(daemonPid), "orun does not kill what a successful step leaves running");
  process.kill(daemonPid, "SIGKILL");
  await waitUntil(() => !isAlive(daemonPid), "the sleep to die");
  assert.deepEqual(await readdir(outDir), []);
});

test("native spawner: many concurrent processes each get their own outcome", async (t) => {
  const { spawner, dir } = await setup(t);
  const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => spawner.run(sh(`echo ${i}; exit ${i % 7}`, dir), { inheritEnv: false })));
  outcomes.forEach((outcome, i) => {
    assert.equal(outcome.output, `${i}\n`);
    assert.equal(outcome.exitCode, i % 7);
  });
});

test("native spawner: if the helper dies, running steps are killed and reported, and it is no longer used", async (t) => {
  const { spawner, dir } = await setup(t);
  const pidFile = path.join(dir, "step.pid");
  const running = spawner.run(sh(`echo $$ > '${pidFile}'; sleep 30`, dir), { inheritEnv: false });
  await waitUntil(() => existsSync(pidFile), "the step to start");
  const stepPid = Number((await readFile(pidFile, "utf8")).trim());
  const helperPid = (spawner as unknown as { child: { pid: number } }).child.pid;
  process.kill(helperPid, "SIGKILL");
  const outcome = await running;
  assert.equal(outcome.error, "spawner helper exited unexpectedly");
  assert.equal(spawner.alive, false);
  await waitUntil(() => !isAlive(stepPid), "the orphaned step to be killed");
  const after = await spawner.run(sh("true", dir), { inheritEnv: false });
  assert.equal(after.error, "spawner helper exited");
});

test("native spawner: a step whose start reply was still held back when the helper died is found and killed", async (t) => {
  const { spawner, dir } = await setup(t);
  const pidFile = path.join(dir, "step.pid");
  const running = spawner.run(sh(`echo $$ > '${pidFile}'; exec sleep 30`, dir), { inheritEnv: false });
  await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").endsWith("\n"), "the step to start");
  // Start replies are held up to 20 ms: kill the helper before it sends this one.
  process.kill((spawner as unknown as { child: { pid: number } }).child.pid, "SIGKILL");
  const stepPid = Number(readFileSync(pidFile, "utf8").trim());
  assert.equal((await running).error, "spawner helper exited unexpectedly");
  await waitUntil(() => !isAlive(stepPid), "the step to be killed");
});

test("native spawner: the helper refuses a malformed request and orun reports it instead of hanging", async (t) => {
  const { spawner, dir } = await setup(t);
  const running = spawner.run(sh("sleep 30", dir), { inheritEnv: false });
  // A frame without its final NUL byte: not something this protocol produces.
  (spawner as unknown as { child: { stdin: NodeJS.WritableStream } }).child.stdin.write(Buffer.from([3, 0, 0, 0, 0x41, 0x42, 0x43]));
  assert.equal((await running).error, "spawner helper exited unexpectedly");
  assert.equal(spawner.alive, false);
});

test("native spawner: if the helper dies, a running step's whole process group is killed, its background processes too", async (t) => {
  const { spawner, dir } = await setup(t);
  const bgFile = path.join(dir, "bg.pid");
  const running = spawner.run(sh(`sleep 30 & echo $! > '${bgFile}'; wait`, dir), { inheritEnv: false });
  await waitUntil(() => existsSync(bgFile) && readFileSync(bgFile, "utf8").endsWith("\n"), "the step's background process to start");
  const bgPid = Number(readFileSync(bgFile, "utf8").trim());
  t.after(() => signalIfAlive(bgPid, "SIGKILL"));
  process.kill((spawner as unknown as { child: { pid: number } }).child.pid, "SIGKILL");
  assert.equal((await running).error, "spawner helper exited unexpectedly");
  await waitUntil(() => processEnded(bgPid), "the step's background process to be killed with its group");
});

test("native spawner: a step the dying helper leaves keeps the output it wrote, and its output file goes", async (t) => {
  const { spawner, dir, outDir } = await setup(t);
  const pidFile = path.join(dir, "step.pid");
  const running = spawner.run(sh(`echo written before; echo $$ > '${pidFile}'; sleep 30`, dir), { inheritEnv: false });
  await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").endsWith("\n"), "the step to start");
  process.kill((spawner as unknown as { child: { pid: number } }).child.pid, "SIGKILL");
  const outcome = await running;
  assert.equal(outcome.error, "spawner helper exited unexpectedly");
  assert.equal(outcome.output, "written before\n");
  assert.deepEqual(await readdir(outDir), [], "no output file left behind");
});
