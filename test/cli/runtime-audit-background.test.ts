// Runtime audit: a --background run that dies before its run starts still ends, for `orun status
// --watch` and `orun logs --follow`, and says why. Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, readJson, removeDir, tempDir, type JobSpec, planDir, recordFile, writePlan } from "../runtime/helpers.js";
import { deadPid, processGone, until } from "../support/wait.js";

const setup = (t: { after(fn: () => Promise<void>): void }, jobs: JobSpec[], options: Parameters<typeof makePlan>[1] = {}): Promise<string> =>
  planDir(t, jobs, options, "orun-audit-rt-");

const record = recordFile;

/** Waits until the --background child named in the record's pid file has exited: until then it may still write into the record. */
async function childExited(dir: string, execId: string): Promise<void> {
  const pid = Number((await readFile(record(dir, execId, "pid"), "utf8")).trim());
  await until(() => processGone(pid), `the background child ${pid} to exit`);
}

test("a --background run whose child fails before it starts is recorded failed: status says why, --watch and logs --follow end", async (t) => {
  // The local runner refuses use: steps before any job runs, in the detached child.
  const dir = await setup(t, [{ id: "a@dev.one", steps: [{ use: "actions/checkout@v4" }] }]);
  const started = await runOrun(["run", "plan.json", "--background", "--runner", "local", "--exec-id", "bg"], { cwd: dir });
  assert.equal(started.code, 0, started.stdout + started.stderr);
  await until(async () => {
    try {
      return (await readJson<{ status: string }>(record(dir, "bg", "metadata.json"))).status === "failed";
    } catch {
      return false;
    }
  }, "the child to record its failure");
  const meta = await readJson<{ status: string; error?: string; trigger: string }>(record(dir, "bg", "metadata.json"));
  assert.match(meta.error ?? "", /cannot run GitHub Actions steps/);
  assert.equal(meta.trigger, "background");

  const status = await runOrun(["status", "--exec-id", "bg"], { cwd: dir });
  assert.match(status.stdout, /State: failed/);
  assert.match(status.stdout, /Error: .*cannot run GitHub Actions steps/);
  const watch = await runOrun(["status", "--exec-id", "bg", "--watch", "--interval", "200ms"], { cwd: dir, timeoutMs: 15_000 });
  assert.equal(watch.code, 1, "watch ends on a failed run");
  const follow = await runOrun(["logs", "--exec-id", "bg", "--follow"], { cwd: dir, timeoutMs: 15_000 });
  assert.equal(follow.code, 1, "logs --follow ends on a failed run");
  await childExited(dir, "bg");
});

test("a --background record whose child died before writing metadata reads as interrupted, and --watch ends", async (t) => {
  const dir = await tempDir("orun-audit-rt-");
  t.after(() => removeDir(dir));
  // What a child SIGKILLed during start-up leaves: the parent's folder, run.log, pid file and handed-over lock.
  const exec = path.join(dir, ".orun/executions/died");
  await mkdir(path.join(exec, "logs"), { recursive: true });
  const pid = await deadPid();
  await writeFile(path.join(exec, "pid"), `${pid}\n`);
  await writeFile(path.join(exec, "run.log"), "");
  await writeFile(path.join(exec, ".lock"), JSON.stringify({ pid, host: os.hostname(), handoffTo: pid, since: new Date().toISOString() }));
  const status = await runOrun(["status", "--exec-id", "died"], { cwd: dir });
  assert.match(status.stdout, /State: interrupted/);
  const watch = await runOrun(["status", "--exec-id", "died", "--watch", "--interval", "200ms"], { cwd: dir, timeoutMs: 15_000 });
  assert.equal(watch.code, 1, "watch ends");
  const follow = await runOrun(["logs", "--exec-id", "died", "--follow"], { cwd: dir, timeoutMs: 15_000 });
  assert.equal(follow.code, 1, "logs --follow ends");
});

/** Preloaded into the --background parent and so its child: the child (only) starts 1.5 s late. */
async function slowChildStart(dir: string): Promise<NodeJS.ProcessEnv> {
  const file = path.join(dir, "slow-child.cjs");
  await writeFile(file, 'if (process.env.ORUN_BACKGROUND_CHILD) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);\n');
  return { NODE_OPTIONS: `--require ${file}` };
}

test("status --watch on a finished execution resumed with --background waits for the new run instead of exiting on the old result", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.one", steps: [{ run: "echo ran >> runs" }] }]);
  const first = await runOrun(["run", "plan.json", "--exec-id", "again"], { cwd: dir });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const started = await runOrun(["run", "plan.json", "--background", "--exec-id", "again", "--job", "a@dev.one", "--retry"], { cwd: dir, env: await slowChildStart(dir) });
  assert.equal(started.code, 0, started.stdout + started.stderr);
  const watch = await runOrun(["status", "--exec-id", "again", "--watch", "--interval", "200ms"], { cwd: dir, timeoutMs: 20_000 });
  assert.equal(watch.code, 0, watch.stdout + watch.stderr);
  assert.match(watch.stdout, /State: starting/, "the old result is shown as the new run starts");
  assert.equal((await readFile(path.join(dir, "runs"), "utf8")).trim().split("\n").length, 2, "watch ended after the retried job ran");
  await childExited(dir, "again");
});

test("a --background resume refused by the child (dependencies not completed) records the failure on the execution", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.one", steps: [{ run: "true" }] },
    { id: "b@dev.two", dependsOn: ["a@dev.one"], steps: [{ run: "true" }] },
  ]);
  const first = await runOrun(["run", "plan.json", "--exec-id", "part", "--component", "a"], { cwd: dir });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const state = await readFile(record(dir, "part", "state.json"), "utf8");
  await writeFile(record(dir, "part", "state.json"), state.replace('"completed"', '"failed"'));
  const metadataBefore = await readFile(record(dir, "part", "metadata.json"), "utf8");
  const started = await runOrun(["run", "plan.json", "--background", "--exec-id", "part", "--job", "b@dev.two"], { cwd: dir });
  assert.equal(started.code, 0, started.stdout + started.stderr);
  const watch = await runOrun(["status", "--exec-id", "part", "--watch", "--interval", "200ms"], { cwd: dir, timeoutMs: 20_000 });
  assert.equal(watch.code, 1, watch.stdout + watch.stderr);
  assert.match(watch.stdout, /State: failed/);
  assert.match(watch.stdout, /Error: cannot run b@dev\.two: dependencies not completed \(a@dev\.one\)/);
  // As a refused foreground resume, the refused background one leaves the earlier run's metadata as it was:
  // the failure is recorded beside it.
  assert.equal(await readFile(record(dir, "part", "metadata.json"), "utf8"), metadataBefore);
  const failure = await readJson<{ error: string; pid: number }>(record(dir, "part", "background-error.json"));
  assert.match(failure.error, /^cannot run b@dev\.two: dependencies not completed \(a@dev\.one\)/);
  const json = await runOrun(["status", "--exec-id", "part", "--json"], { cwd: dir });
  assert.equal((JSON.parse(json.stdout) as { backgroundError?: { error: string } }).backgroundError?.error, failure.error);

  // The next background start is not that failure: it runs, and the record is its own again.
  await writeFile(record(dir, "part", "state.json"), state);
  const again = await runOrun(["run", "plan.json", "--background", "--exec-id", "part", "--job", "b@dev.two"], { cwd: dir });
  assert.equal(again.code, 0, again.stdout + again.stderr);
  const done = await runOrun(["status", "--exec-id", "part", "--watch", "--interval", "200ms"], { cwd: dir, timeoutMs: 20_000 });
  assert.equal(done.code, 0, done.stdout + done.stderr);
  assert.doesNotMatch(done.stdout, /Error:/);
  await childExited(dir, "part");
});

test("run --background --json prints a JSON object (exec ID, pid, log, summary); the run's JSON summary lands in summary.json, its messages in run.log", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.one", steps: [{ run: "echo a" }] }]);
  const started = await runOrun(["run", "plan.json", "--background", "--json", "--exec-id", "bgjson"], { cwd: dir });
  assert.equal(started.code, 0, started.stdout + started.stderr);
  const out = JSON.parse(started.stdout) as { execId: string; status: string; pid: number; log: string; summary: string };
  assert.equal(out.execId, "bgjson");
  assert.equal(out.status, "started");
  assert.ok(Number.isInteger(out.pid));
  assert.equal(out.log, record(dir, "bgjson", "run.log"));
  assert.equal(out.summary, record(dir, "bgjson", "summary.json"));
  // The summary is printed last, after the record is closed: wait for it whole.
  let summary: { execId?: string; status?: string } = {};
  await until(async () => {
    try {
      summary = JSON.parse(await readFile(out.summary, "utf8")) as typeof summary;
      return true;
    } catch {
      return false;
    }
  }, "the background run's JSON summary in summary.json");
  assert.equal(summary.execId, "bgjson");
  assert.equal(summary.status, "completed");
  const kept = await readFile(out.summary, "utf8");

  // A later start that its child refuses (the record belongs to another plan) prints no summary: the last one stays
  // whole. The parent, which waits for the run to start, prints the child's error as JSON and exits 1.
  await writePlan(dir, makePlan([{ id: "a@dev.one", steps: [{ run: "echo other" }] }]), "other.json");
  const refused = await runOrun(["run", "other.json", "--background", "--json", "--exec-id", "bgjson"], { cwd: dir });
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  const { error } = JSON.parse(refused.stdout) as { error: { message: string; field?: string } };
  assert.match(error.message, /execution bgjson belongs to plan \w+, not \w+/);
  assert.equal(error.field, "planChecksum");
  assert.ok(refused.stderr.includes(`✕ ${error.message}`), refused.stderr);
  // Printed by the parent, the refusal is not recorded as well (background-error.json): the child has exited and the
  // record is as the last run left it.
  assert.ok(!(await readdir(record(dir, "bgjson", ""))).includes("summary.json.partial"), "the refused child cleaned up");
  assert.ok(!existsSync(record(dir, "bgjson", "background-error.json")), "the refusal was recorded too");
  assert.equal(await readFile(out.summary, "utf8"), kept);
  await childExited(dir, "bgjson");

  // The child's warnings go to run.log and leave the summary parseable.
  const warned = await runOrun(["run", "plan.json", "--background", "--json", "--exec-id", "bgwarn", "--component", "nomatch"], { cwd: dir });
  assert.equal(warned.code, 0, warned.stdout + warned.stderr);
  const warnedOut = JSON.parse(warned.stdout) as { summary: string; log: string };
  await until(async () => {
    try {
      return (JSON.parse(await readFile(warnedOut.summary, "utf8")) as { execId?: string }).execId === "bgwarn";
    } catch {
      return false;
    }
  }, "the warned run's JSON summary");
  assert.match(await readFile(warnedOut.log, "utf8"), /warning: .*nomatch/);
  await childExited(dir, "bgwarn");
});
