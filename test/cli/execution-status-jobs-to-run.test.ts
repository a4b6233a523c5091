// An execution whose last run completed but which still has jobs to run is `incomplete`, not `completed`: jobs
// the record holds pending (reopened by a --job X --retry, left by a crash) and plan jobs a scoped run left out.
// Nothing failed, so it is not painted failed either: status, --json, --all, --watch's exit code, the run's
// summary and --json all say so, and a resume that runs the rest closes it completed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

async function statusOf(dir: string): Promise<{ text: string; state: string; meta: string; all: string; watch: number | null }> {
  const orun = (...args: string[]) => runOrun(args, { cwd: dir });
  const text = (await orun("status")).stdout;
  const meta = (JSON.parse((await orun("status", "--json")).stdout) as { meta: { status: string } }).meta.status;
  const all = (await orun("status", "--all")).stdout;
  const watch = (await orun("status", "--watch")).code;
  return { text, state: /State: (\S+)/.exec(text)?.[1] ?? "?", meta, all, watch };
}

test("a --job X --retry that reopens a skipped job leaves the execution incomplete until a resume runs it", async (t) => {
  const dir = await planDir(
    t,
    [
      { id: "a@dev.build", steps: [{ run: "test -f fixed" }] },
      { id: "b@dev.build", dependsOn: ["a@dev.build"], steps: [{ run: "echo b >> ran-b" }] },
    ],
    { failFast: false },
  );
  const orun = (...args: string[]) => runOrun(args, { cwd: dir });
  assert.equal((await orun("run", "plan.json", "--exec-id", "x")).code, 1);
  await writeFile(path.join(dir, "fixed"), "");

  const retried = await orun("run", "plan.json", "--exec-id", "x", "--job", "a@dev.build", "--retry", "--json");
  assert.equal(retried.code, 0, retried.stdout + retried.stderr);
  const summary = JSON.parse(retried.stdout) as { status: string; executionStatus: string; unfinished?: unknown };
  assert.deepEqual([summary.status, summary.executionStatus, summary.unfinished], ["completed", "incomplete", [{ id: "b@dev.build", status: "pending" }]]);

  const after = await statusOf(dir);
  assert.equal(after.state, "incomplete", after.text);
  assert.match(after.text, /○ 1 waiting/);
  assert.match(after.text, /Progress: .* 50%/);
  assert.equal(after.meta, "incomplete");
  assert.match(after.all, /○ x\s+incomplete\s+test\s+1 succeeded · 0 failed · 1 to run/);
  // Nothing failed: --watch ends as the run did, with success.
  assert.equal(after.watch, 0);
  assert.equal(existsSync(path.join(dir, "ran-b")), false);

  const resumed = await orun("run", "plan.json", "--exec-id", "x");
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.doesNotMatch(resumed.stdout, /! execution|resume {2}orun run/);
  assert.equal(await readFile(path.join(dir, "ran-b"), "utf8"), "b\n");
  const done = await statusOf(dir);
  assert.deepEqual([done.state, done.meta, done.watch], ["completed", "completed", 0]);
  assert.match(done.all, /✓ x\s+completed\s/);
});

test("a scoped run (--env) that completes its jobs leaves the execution incomplete: status names the jobs it left out", async (t) => {
  const dir = await planDir(t, [
    { id: "api@dev.deploy", steps: [{ run: "echo dev >> ran" }] },
    { id: "api@prod.deploy", dependsOn: ["api@dev.deploy"], steps: [{ run: "echo prod >> ran" }] },
  ]);
  const orun = (...args: string[]) => runOrun(args, { cwd: dir });
  const scoped = await orun("run", "plan.json", "--exec-id", "s", "--env", "dev");
  assert.equal(scoped.code, 0, scoped.stdout + scoped.stderr);
  // What the scope left out is what the user asked for: the summary does not nag; status says incomplete.
  assert.match(scoped.stdout, /✓ Done in .*\n {2}1 succeeded\n/);
  assert.doesNotMatch(scoped.stdout, /! execution|resume {2}orun run/);

  const after = await statusOf(dir);
  assert.equal(after.state, "incomplete", after.text);
  assert.match(after.text, /✓ 1 completed .*○ 1 not run {2}\(2 in plan\)/);
  assert.match(after.text, /Progress: .* 50%/);
  assert.equal(after.meta, "incomplete");
  assert.match(after.all, /○ s\s+incomplete\s+test\s+1 succeeded · 0 failed · 1 to run/);
  assert.equal(after.watch, 0);

  const rest = await orun("run", "plan.json", "--exec-id", "s");
  assert.equal(rest.code, 0, rest.stdout + rest.stderr);
  assert.doesNotMatch(rest.stdout, /! execution/);
  assert.equal(await readFile(path.join(dir, "ran"), "utf8"), "dev\nprod\n");
  const done = await statusOf(dir);
  assert.deepEqual([done.state, done.meta], ["completed", "completed"]);
  assert.doesNotMatch(done.text, /not run/);
});

test("a --job run after a crash leaves the execution incomplete: the interrupted job and its dependent are still to run", async (t) => {
  const dir = await planDir(t, [
    // a holds until the test releases it (30 s at most): killed orun leaves this shell behind, and it must end on its own.
    { id: "a@dev.build", steps: [{ run: "echo $$ > a.pid; touch a-started; i=0; while [ ! -f release ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; echo a >> ran" }] },
    { id: "b@dev.build", dependsOn: ["a@dev.build"], steps: [{ run: "echo b >> ran" }] },
    { id: "c@dev.build", steps: [{ run: "echo c >> ran" }] },
  ]);
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "y"], { cwd: dir, stdio: "ignore", env: { ...process.env, NO_COLOR: "1" } });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  for (let i = 0; i < 600 && !existsSync(path.join(dir, "a-started")); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(existsSync(path.join(dir, "a-started")), "job a started");
  // The step can start before the record says so (state writes are batched): kill only once it does, or the record
  // knows nothing of a and rightly calls it "not run" (under load this raced).
  const stateFile = path.join(dir, ".orun", "executions", "y", "state.json");
  const aRunning = async (): Promise<boolean> => {
    try {
      return JSON.parse(await readFile(stateFile, "utf8")).jobs?.["a@dev.build"]?.status === "running";
    } catch {
      return false; // not written yet
    }
  };
  for (let i = 0; i < 600 && !(await aRunning()); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(await aRunning(), "the record says a is running");
  child.kill("SIGKILL");
  await exited;
  // The orphaned step ends once released; wait until it has, so it cannot append to `ran` later.
  const stepPid = Number((await readFile(path.join(dir, "a.pid"), "utf8")).trim());
  await writeFile(path.join(dir, "release"), "");
  for (let i = 0; i < 200 && alive(stepPid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(alive(stepPid), false, "the orphaned step ended");
  await writeFile(path.join(dir, "ran"), "");
  // The record reads interrupted once nothing of the killed run holds its lock (its spawn helper may linger a moment).
  let shown = "";
  for (let i = 0; i < 100 && !/State: interrupted/.test(shown); i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    shown = (await runOrun(["status"], { cwd: dir })).stdout;
  }
  assert.match(shown, /State: interrupted/);

  const only = await runOrun(["run", "plan.json", "--exec-id", "y", "--job", "c@dev.build"], { cwd: dir });
  assert.equal(only.code, 0, only.stdout + only.stderr);
  assert.match(only.stdout, /! execution y is incomplete, 2 jobs still to run: a@dev\.build \(pending\), b@dev\.build \(not run\)\n/);
  const after = await statusOf(dir);
  assert.equal(after.state, "incomplete", after.text);
  assert.equal(after.meta, "incomplete");
  assert.match(after.text, /Progress: .* 33%/);

  const resumed = await runOrun(["run", "plan.json", "--exec-id", "y"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.equal(await readFile(path.join(dir, "ran"), "utf8"), "c\na\nb\n");
  assert.equal((await statusOf(dir)).meta, "completed");
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("run --json of a failed run lists the execution's unfinished jobs too (as running.md says), and its text summary no unfinished line", async (t) => {
  const dir = await planDir(
    t,
    [
      { id: "a@dev.build", steps: [{ run: "exit 3" }] },
      { id: "b@dev.build", dependsOn: ["a@dev.build"], steps: [{ run: "echo b" }] },
    ],
    { failFast: false },
  );
  const failed = await runOrun(["run", "plan.json", "--exec-id", "f", "--json"], { cwd: dir });
  assert.equal(failed.code, 1, failed.stderr);
  const summary = JSON.parse(failed.stdout) as { status: string; executionStatus: string; unfinished?: unknown };
  assert.deepEqual([summary.status, summary.executionStatus, summary.unfinished], ["failed", "failed", [{ id: "a@dev.build", status: "failed" }, { id: "b@dev.build", status: "skipped" }]]);
  const text = await runOrun(["run", "plan.json", "--exec-id", "g"], { cwd: dir });
  assert.equal(text.code, 1);
  assert.doesNotMatch(text.stdout, /is still failed/);
});

test("status's progress counts finished jobs only: a run whose jobs were all blocked or skipped reads 0%, and a failed job counts but its skipped dependent does not", async (t) => {
  const dir = await planDir(t, [
    { id: "app@prod.deploy", policies: { requireApproval: "true" }, steps: [{ run: "touch deployed" }] },
    { id: "app@prod.notify", dependsOn: ["app@prod.deploy"], steps: [{ run: "true" }] },
    { id: "lib@dev.build", steps: [{ run: "exit 3" }] },
    { id: "lib@dev.test", dependsOn: ["lib@dev.build"], steps: [{ run: "true" }] },
  ], { failFast: false });
  const orun = (...args: string[]) => runOrun(args, { cwd: dir });
  assert.equal((await orun("run", "plan.json", "--exec-id", "blocked", "--component", "app")).code, 1);
  const blocked = (await orun("status", "--exec-id", "blocked")).stdout;
  assert.match(blocked, /○ 1 skipped {2}· {2}⊘ 1 blocked/, blocked);
  assert.match(blocked, /Progress: ░{32} 0%/, blocked);

  assert.equal((await orun("run", "plan.json", "--exec-id", "failed", "--component", "lib")).code, 1);
  const failed = (await orun("status", "--exec-id", "failed")).stdout;
  assert.match(failed, /✗ 1 failed {2}· {2}○ 1 skipped/, failed);
  // 1 finished of the plan's 4 jobs.
  assert.match(failed, /Progress: ▓{8}░{24} 25%/, failed);
});
