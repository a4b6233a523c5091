// Records audit (round 3) through the built CLI: exec-id prefixes shared by several executions, a record that
// appears whole with its lock (and a run killed the moment it appears), status --detailed, and the logs
// command's run/<id> job/<id> forms and --raw. Real processes, real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, watch } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";
import { deadPid, liveSleeper } from "../support/wait.js";
import { processStartTicks } from "../../src/runtime/records/lock.js";

const JOBS = [
  { id: "app@dev.build", steps: [{ id: "compile", run: "echo compiled" }, { id: "test", run: "printf 'one\\ntwo'" }] },
  { id: "app@dev.deploy", dependsOn: ["app@dev.build"], steps: [{ id: "ship", run: "echo shipped" }] },
];

test("an exec-id prefix shared by several executions is refused with the candidates listed, by status, logs, --watch and --follow; an exact ID or a unique prefix still resolves", async (t) => {
  const dir = await planDir(t, JOBS, { name: "pre" }, "orun-rec15-");
  for (const id of ["nightly", "nightly-1", "nightly-2", "other"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  for (const args of [["status"], ["status", "--json"], ["status", "--watch", "--interval", "200ms"], ["logs"], ["logs", "--follow"]]) {
    // A watch or follow that never ends is killed after runOrun's minute (code null); under load orun's start took 10 s.
    const result = await runOrun([...args, "--exec-id", "nightly-"], { cwd: dir });
    assert.equal(result.code, 1, `${args.join(" ")}: ${result.stdout}`);
    assert.match(result.stderr, /exec-id prefix "nightly-" is ambiguous.*it matches 2 executions:\n {2}nightly-1\n {2}nightly-2\n/s, args.join(" "));
    // Under --json the error is the one document on stdout (docs/cli.md, machine-readable output); no record either way.
    if (args.includes("--json")) assert.match((JSON.parse(result.stdout) as { error: { message: string } }).error.message, /exec-id prefix "nightly-" is ambiguous/);
    else assert.equal(result.stdout, "", `${args.join(" ")} printed no record`);
  }
  // The positional form of logs resolves the same way.
  assert.match((await runOrun(["logs", "run/nig"], { cwd: dir })).stderr, /"nig" is ambiguous.*matches 3 executions:\n {2}nightly\n {2}nightly-1\n {2}nightly-2/s);
  // An exact ID wins over the longer IDs it prefixes; a prefix of one execution names it.
  assert.match((await runOrun(["status", "--exec-id", "nightly"], { cwd: dir })).stdout, /Run: nightly {2}·/);
  assert.match((await runOrun(["status", "--exec-id", "nightly-2"], { cwd: dir })).stdout, /Run: nightly-2 {2}·/);
  assert.match((await runOrun(["status", "--exec-id", "oth"], { cwd: dir })).stdout, /Run: other {2}·/);
  assert.match((await runOrun(["logs", "--exec-id", "oth"], { cwd: dir })).stdout, /── app@dev\.deploy › ship {2}\(completed\)\nshipped\n/);
});

test("a record appears whole, with its lock, and a run SIGKILLed the moment it appears is reported interrupted (status, --watch) instead of unknown", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "sleep 3" }] }], { name: "kill" }, "orun-rec15-");
  const executions = path.join(dir, ".orun/executions");
  await mkdir(executions, { recursive: true });
  for (let round = 0; round < 3; round++) {
    const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json"], { cwd: dir, stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    t.after(() => child.kill("SIGKILL"));
    const seen = new Set((await readdir(executions)).filter((name) => name !== "latest"));
    // The record's name as it appears, and whether its lock was there at that moment.
    const appeared = await new Promise<{ id: string; locked: boolean }>((resolve) => {
      const watcher = watch(executions, (_event, name) => {
        if (!name || seen.has(name) || name === "latest" || name.endsWith(".tmp") || !existsSync(path.join(executions, name))) return;
        const locked = existsSync(path.join(executions, name, ".lock"));
        child.kill("SIGKILL");
        watcher.close();
        resolve({ id: name, locked });
      });
    });
    await exited;
    assert.ok(appeared.locked, `round ${round}: record ${appeared.id} was visible without its lock`);
    const status = await runOrun(["status", "--exec-id", appeared.id], { cwd: dir });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /State: interrupted/, status.stdout);
    assert.match(status.stdout, new RegExp(`resume with: orun run --exec-id ${appeared.id}`));
    const watched = await runOrun(["status", "--exec-id", appeared.id, "--watch", "--interval", "200ms"], { cwd: dir });
    assert.equal(watched.code, 1, `--watch ends with the interruption: ${watched.stdout}`);
    // Its first poll saw it (a view is printed when it changes): a grace would have shown the run starting first.
    // Not timed: on a loaded machine orun's own start can take longer than a grace.
    assert.deepEqual(watched.stdout.match(/State: \w+/g), ["State: interrupted"], `no grace for a run setting itself up: its lock says it is dead\n${watched.stdout}`);
  }
});

test("a record a dead process left locked before it wrote metadata is interrupted, named by the lock's pid; gc removes it without a grace", async (t) => {
  const dir = await planDir(t, JOBS, { name: "dead" }, "orun-rec15-");
  const exec = path.dirname(recordFile(dir, "dead-start", "x"));
  await mkdir(path.join(exec, "logs"), { recursive: true });
  const pid = await deadPid();
  await writeFile(path.join(exec, ".lock"), JSON.stringify({ pid, host: os.hostname(), since: new Date().toISOString() }));
  const status = await runOrun(["status", "--exec-id", "dead-start"], { cwd: dir });
  assert.match(status.stdout, /State: interrupted/);
  assert.match(status.stdout, new RegExp(`the run \\(pid ${pid}\\) is no longer alive`));
  const json = JSON.parse((await runOrun(["status", "--exec-id", "dead-start", "--json"], { cwd: dir })).stdout) as { interrupted?: boolean };
  assert.equal(json.interrupted, true);
  assert.match((await runOrun(["status", "--all"], { cwd: dir })).stdout, /dead-start\s+interrupted/);
  const gc = await runOrun(["gc", "--all"], { cwd: dir });
  assert.match(gc.stdout, /Removed dead-start/, gc.stdout);
  // It can be resumed: the record's name is free again, or the run takes the stale lock over.
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "dead-start"], { cwd: dir })).code, 0);
});

test("status --detailed lists each job's steps (in the order they run) with their status; a dead run's running step is shown interrupted", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ id: "compile", run: "true" }, { id: "test", run: "exit 3" }, { id: "publish", run: "true" }] }], { name: "det" }, "orun-rec15-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "det"], { cwd: dir })).code, 1);
  const plain = await runOrun(["status", "--exec-id", "det"], { cwd: dir });
  assert.doesNotMatch(plain.stdout, /compile/);
  const detailed = await runOrun(["status", "--exec-id", "det", "--detailed"], { cwd: dir });
  assert.equal(detailed.code, 0, detailed.stderr);
  assert.match(detailed.stdout, /✗ build .*\n {8}✓ compile\n {8}✗ test\n {8}○ publish {2}skipped\n/);
  // What a SIGKILLed run leaves: metadata running, the job and its step running, the lock's owner gone.
  const pid = await deadPid();
  const meta = JSON.parse(await readFile(recordFile(dir, "det", "metadata.json"), "utf8")) as Record<string, unknown>;
  await writeFile(recordFile(dir, "det", "metadata.json"), JSON.stringify({ ...meta, status: "running", pid, finishedAt: undefined }));
  await writeFile(
    recordFile(dir, "det", "state.json"),
    JSON.stringify({ execId: "det", planChecksum: meta.planChecksum, jobs: { "app@dev.build": { status: "running", steps: { compile: "completed", test: "running", publish: "pending" } } } }),
  );
  const dead = await runOrun(["status", "--exec-id", "det", "--detailed"], { cwd: dir });
  // A pending step (still to run) has no word; the skipped one above says so.
  assert.match(dead.stdout, /! build {2}interrupted\n {8}✓ compile\n {8}! test {2}interrupted\n {8}○ publish\n/, dead.stdout);
});

test("orun logs run/<id> job/<id> are --exec-id and --job; --raw prints the recorded output only; conflicting or unknown forms are refused", async (t) => {
  const dir = await planDir(t, JOBS, { name: "logs" }, "orun-rec15-");
  for (const id of ["first", "second"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  const positional = await runOrun(["logs", "run/first", "job/app@dev.build"], { cwd: dir });
  const flags = await runOrun(["logs", "--exec-id", "first", "--job", "app@dev.build"], { cwd: dir });
  assert.equal(positional.code, 0, positional.stderr);
  assert.equal(positional.stdout, flags.stdout);
  assert.match(positional.stdout, /── app@dev\.build › compile {2}\(completed\)\ncompiled\n── app@dev\.build › test {2}\(completed\)\none\ntwo\n$/);
  // Either order, the dotted job form, and a flag that agrees.
  assert.equal((await runOrun(["logs", "job/app.dev.build", "run/first", "--exec-id", "first"], { cwd: dir })).stdout, flags.stdout);

  const raw = await runOrun(["logs", "run/first", "job/app@dev.build", "--step", "test", "--raw"], { cwd: dir });
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(raw.stdout, "one\ntwo", "the log's bytes: no header, no added newline");
  assert.equal((await runOrun(["logs", "--exec-id", "first", "--raw"], { cwd: dir })).stdout, "compiled\none\ntwo\nshipped\n", "several logs: none glued to the next");
  const followRaw = await runOrun(["logs", "--exec-id", "first", "--job", "deploy", "--follow", "--raw"], { cwd: dir });
  assert.equal(followRaw.stdout, "shipped\n");
  // A step no job has is an error (was "No logs match." and exit 0); nothing reaches stdout under --raw either.
  const none = await runOrun(["logs", "--exec-id", "first", "--step", "nothing", "--raw"], { cwd: dir });
  assert.equal(none.code, 1);
  assert.equal(none.stdout, "");
  assert.match(none.stderr, /step not found in execution first: nothing/);

  for (const [args, message] of [
    [["logs", "first"], /unexpected argument "first": expected run\/<exec-id> or job\/<job-id>/],
    [["logs", "run/"], /unexpected argument "run\/"/],
    [["logs", "run/first", "--exec-id", "second"], /"run\/first" and --exec-id second name different executions/],
    [["logs", "job/a", "job/b"], /job\/<…> was given twice/],
  ] as const) {
    const result = await runOrun([...args], { cwd: dir });
    assert.equal(result.code, 1, args.join(" "));
    assert.match(result.stderr, message);
  }
});

test("a record written by orun v2 (dotted job IDs, v2 log file names, no lock content, a job left running by a finished run) is shown as it was", async (t) => {
  const dir = await planDir(t, JOBS, { name: "v2" }, "orun-rec15-");
  const id = "demo-20260501-a1b2c3";
  await mkdir(path.dirname(recordFile(dir, id, "logs/api.dev.build/x")), { recursive: true });
  await mkdir(path.dirname(recordFile(dir, id, "logs/web.dev.build/x")), { recursive: true });
  const v2meta = { execId: id, planId: "0123456789ab", planName: "demo", startedAt: "2026-05-01T10:00:00Z", finishedAt: "2026-05-01T10:00:05Z", status: "failed", trigger: "cli", user: "alice", dryRun: false, jobTotal: 3, jobDone: 1, jobFailed: 1 };
  await writeFile(recordFile(dir, id, "metadata.json"), JSON.stringify(v2meta));
  await writeFile(
    recordFile(dir, id, "state.json"),
    JSON.stringify({
      execId: id,
      planChecksum: `sha256-${"0".repeat(64)}`,
      jobs: {
        "api.dev.build": { status: "failed", steps: { compile: "completed", "test:unit": "failed" }, lastError: "step test:unit: exit status 1" },
        "web.dev.build": { status: "completed", steps: { build: "completed" } },
        "web.prod.deploy": { status: "running", heartbeatAt: "2026-05-01T10:00:03Z", steps: {} },
      },
    }),
  );
  await writeFile(recordFile(dir, id, "logs/api.dev.build/compile.log"), "compiling");
  await writeFile(recordFile(dir, id, "logs/api.dev.build/test_unit.log"), "FAIL unit");
  await writeFile(recordFile(dir, id, "logs/web.dev.build/build.log"), "Preview URL: https://x.dev");
  await writeFile(recordFile(dir, id, ".lock"), ""); // v2's flock file, never removed

  const logs = await runOrun(["logs", "--exec-id", id], { cwd: dir });
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /── api@dev\.build › test:unit {2}\(failed\)\nFAIL unit\n/, "the v2 folder and file are the job's and step's, with their status");
  assert.match(logs.stdout, /── api@dev\.build › compile {2}\(completed\)\n/);
  assert.equal((await runOrun(["logs", "--exec-id", id, "--failed", "--raw"], { cwd: dir })).stdout, "FAIL unit");
  assert.equal((await runOrun(["logs", "--exec-id", id, "--job", "api@dev.build", "--step", "test:unit", "--raw"], { cwd: dir })).stdout, "FAIL unit");

  const status = await runOrun(["status", "--exec-id", id], { cwd: dir });
  assert.match(status.stdout, /State: failed/);
  assert.match(status.stdout, /● 0 running .*! 1 interrupted/, "the finished run's running job is no longer running");
  assert.match(status.stdout, /! deploy {2}interrupted/);
  // A watch that never ends is killed after runOrun's minute (code null); on a loaded machine orun's start alone can take 8 s.
  const watched = await runOrun(["status", "--exec-id", id, "--watch", "--interval", "200ms"], { cwd: dir });
  assert.equal(watched.code, 1, "a finished, failed record ends the watch");
  assert.deepEqual(watched.stdout.match(/State: \w+/g), ["State: failed"], `on its first poll\n${watched.stdout}`);
});

test("a record whose times run backwards (a copy from a machine with a skewed clock) shows no negative duration", async (t) => {
  const dir = await planDir(t, JOBS, { name: "skew" }, "orun-rec15-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "skew"], { cwd: dir })).code, 0);
  const meta = JSON.parse(await readFile(recordFile(dir, "skew", "metadata.json"), "utf8")) as Record<string, unknown>;
  await writeFile(recordFile(dir, "skew", "metadata.json"), JSON.stringify({ ...meta, startedAt: "2030-01-01T00:00:10Z", finishedAt: "2030-01-01T00:00:00Z" }));
  const state = JSON.parse(await readFile(recordFile(dir, "skew", "state.json"), "utf8")) as { jobs: Record<string, Record<string, unknown>> };
  state.jobs["app@dev.build"] = { ...state.jobs["app@dev.build"], startedAt: "2030-01-01T00:00:05Z", finishedAt: "2030-01-01T00:00:01Z" };
  await writeFile(recordFile(dir, "skew", "state.json"), JSON.stringify(state));
  const status = await runOrun(["status", "--exec-id", "skew"], { cwd: dir });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Duration: —\n/);
  assert.match(status.stdout, /✓ build\n/, "no duration for the job either");
  assert.doesNotMatch(status.stdout, /-\d/);
});

test("status --all refuses --exec-id, --watch and --detailed, which it ignored in silence", async (t) => {
  const dir = await planDir(t, JOBS, { name: "all" }, "orun-rec15-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "one"], { cwd: dir })).code, 0);
  for (const [extra, named] of [
    [["--exec-id", "one"], "--exec-id"],
    [["--watch"], "--watch"],
    [["-w", "--detailed"], "--watch and --detailed"],
  ] as const) {
    const result = await runOrun(["status", "--all", ...extra], { cwd: dir });
    assert.equal(result.code, 1, extra.join(" "));
    assert.equal(result.stdout, "");
    assert.match(result.stderr, new RegExp(`--all lists every execution once, so ${named} would be ignored`));
  }
  assert.match((await runOrun(["status", "--all"], { cwd: dir })).stdout, /✓ one\s+completed/);
});

test("a record whose run holds its lock and has not written metadata yet is 'starting' (it read 'unknown', and status --all marked it ✗)", async (t) => {
  const dir = await planDir(t, JOBS, { name: "start" }, "orun-rec15-");
  const sleeper = await liveSleeper(t);
  await mkdir(path.dirname(recordFile(dir, "new-run", "logs/x")), { recursive: true });
  await writeFile(recordFile(dir, "new-run", ".lock"), JSON.stringify({ pid: sleeper.pid, host: os.hostname(), startTime: processStartTicks(sleeper.pid) }));
  assert.match((await runOrun(["status", "--exec-id", "new-run"], { cwd: dir })).stdout, /State: starting/);
  assert.match((await runOrun(["status", "--all"], { cwd: dir })).stdout, /● new-run\s+starting/);
  assert.equal((JSON.parse((await runOrun(["status", "--exec-id", "new-run", "--json"], { cwd: dir })).stdout) as { starting?: boolean }).starting, true);
});
