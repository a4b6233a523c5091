// The hand-off (scheduler.ts, job-executor.ts handOverFirstStep): a job that
// waits only for a running one is handed to the spawn helper, which starts it
// the moment that job's last step exits 0 — even while the orun process is
// stopped (SIGSTOP), which is how these tests tell a hand-off from an
// ordinary start. A job whose dependency fails, is stopped by fail-fast or
// canceled never starts, and the records read as if it were started the
// ordinary way.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir, readJson, recordFile, type JobSpec, type StateFile } from "../runtime/helpers.js";
import { until } from "../support/wait.js";

type Options = { concurrency?: number; failFast?: boolean };

function startOrun(dir: string, args: string[] = []): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "x", ...args], { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: "ignore" });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited };
}

/** Runs the plan, stopping orun (SIGSTOP) once `stopAt` exists and letting it go on after `whileStopped`. */
async function runStopped(dir: string, stopAt: string, whileStopped: () => Promise<void>): Promise<number | null> {
  const { child, exited } = startOrun(dir);
  try {
    await until(() => existsSync(path.join(dir, stopAt)), `${stopAt} to appear`);
    child.kill("SIGSTOP");
    await whileStopped();
  } finally {
    child.kill("SIGCONT");
  }
  return exited;
}

const state = (dir: string): Promise<StateFile> => readJson<StateFile>(recordFile(dir, "x", "state.json"));
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
// The first job only makes the working folder known to the runner (a folder not yet seen is not handed over).
const WARM: JobSpec = { id: "a@dev.warm", steps: [{ run: "true" }] };

test("hand-off: the job waiting for a running one starts when it succeeds, while orun itself is stopped", async (t) => {
  const dir = await planDir(t, [
    WARM,
    { id: "a@dev.build", dependsOn: ["a@dev.warm"], steps: [{ run: "touch build-started; sleep 1; echo built" }] },
    { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [{ run: "touch deployed; echo deploy-output; echo ORUN_JOB_ID=$ORUN_JOB_ID" }] },
    { id: "a@dev.verify", dependsOn: ["a@dev.deploy"], steps: [{ run: "echo verified" }] },
  ]);
  const code = await runStopped(dir, "build-started", () => until(() => existsSync(path.join(dir, "deployed")), "deploy to start while orun is stopped", 10_000));
  assert.equal(code, 0);
  const saved = await state(dir);
  for (const id of ["a@dev.warm", "a@dev.build", "a@dev.deploy", "a@dev.verify"]) assert.equal(saved.jobs[id]?.status, "completed", id);
  // Its output, held while nobody could take it, is in its log like any step's.
  const logs = await runOrun(["logs", "--exec-id", "x", "--job", "a@dev.deploy"], { cwd: dir });
  assert.match(logs.stdout, /deploy-output\nORUN_JOB_ID=a@dev\.deploy/);
  const meta = await readJson<{ status: string; jobDone: number }>(recordFile(dir, "x", "metadata.json"));
  assert.equal(meta.status, "completed");
  assert.equal(meta.jobDone, 4);
});

test("hand-off: a failing job never lets the job handed over start; it is skipped with the reason", async (t) => {
  const dir = await planDir(t, [
    WARM,
    { id: "a@dev.build", dependsOn: ["a@dev.warm"], steps: [{ run: "touch build-started; sleep 0.5; exit 1" }] },
    { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [{ run: "touch deployed" }] },
  ]);
  const code = await runStopped(dir, "build-started", () => pause(1500));
  assert.equal(code, 1);
  assert.equal(existsSync(path.join(dir, "deployed")), false);
  const saved = await state(dir);
  assert.equal(saved.jobs["a@dev.build"]?.status, "failed");
  assert.equal(saved.jobs["a@dev.deploy"]?.status, "skipped");
  assert.equal(saved.jobs["a@dev.deploy"]?.reason, "dependency a@dev.build failed");
});

test("hand-off: a job whose earlier step failed with onFailure: continue does not let it start, though its last step succeeds", async (t) => {
  const dir = await planDir(t, [
    WARM,
    { id: "a@dev.build", dependsOn: ["a@dev.warm"], steps: [{ run: "exit 2", onFailure: "continue" }, { run: "touch build-last; sleep 0.5" }] },
    { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [{ run: "touch deployed" }] },
  ]);
  const code = await runStopped(dir, "build-last", () => pause(1200));
  assert.equal(code, 1);
  assert.equal(existsSync(path.join(dir, "deployed")), false);
  assert.equal((await state(dir)).jobs["a@dev.deploy"]?.status, "skipped");
});

test("hand-off: a retried last step lets the job handed over start after the attempt that succeeds, once", async (t) => {
  const dir = await planDir(t, [
    WARM,
    { id: "a@dev.build", dependsOn: ["a@dev.warm"], steps: [{ run: "if [ -f tried ]; then exit 0; fi; touch tried; exit 1", retry: 2 }] },
    { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [{ run: "echo run >> deploys" }] },
  ]);
  const { exited } = startOrun(dir);
  assert.equal(await exited, 0);
  assert.deepEqual((await readFile(path.join(dir, "deploys"), "utf8")).split("\n").filter(Boolean), ["run"]);
  const saved = await state(dir);
  assert.equal(saved.jobs["a@dev.build"]?.status, "completed");
  assert.equal(saved.jobs["a@dev.deploy"]?.status, "completed");
});

test("hand-off: fail-fast elsewhere withdraws the job handed over; it never starts after its dependency succeeds", async (t) => {
  const dir = await planDir(
    t,
    [
      WARM,
      { id: "a@dev.build", dependsOn: ["a@dev.warm"], steps: [{ run: "sleep 1" }] },
      { id: "a@dev.lint", dependsOn: ["a@dev.warm"], steps: [{ run: "sleep 0.2; exit 1" }] },
      { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [{ run: "touch deployed" }] },
    ],
    { concurrency: 2, failFast: true } satisfies Options,
  );
  const { exited } = startOrun(dir);
  assert.equal(await exited, 1);
  assert.equal(existsSync(path.join(dir, "deployed")), false);
  const saved = await state(dir);
  assert.equal(saved.jobs["a@dev.build"]?.status, "completed");
  assert.equal(saved.jobs["a@dev.lint"]?.status, "failed");
  assert.equal(saved.jobs["a@dev.deploy"]?.status, "skipped");
  assert.match(saved.jobs["a@dev.deploy"]?.reason ?? "", /fail-fast after a@dev\.lint failed/);
});

test("hand-off: a dependency that times out never lets the job handed over start, though it exits 0 on the stop signal", async (t) => {
  const dir = await planDir(t, [
    WARM,
    // A graceful-shutdown handler: SIGTERM ends the step with status 0, but the step timed out.
    { id: "a@dev.build", dependsOn: ["a@dev.warm"], steps: [{ run: "trap 'exit 0' TERM; sleep 5 & wait", timeout: "1s" }] },
    { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [{ run: "echo first >> deployed" }, { run: "echo second >> deployed" }] },
    { id: "a@dev.verify", dependsOn: ["a@dev.deploy"], steps: [{ run: "touch verified" }] },
  ]);
  const { exited } = startOrun(dir);
  assert.equal(await exited, 1);
  assert.equal(existsSync(path.join(dir, "deployed")), false, "deploy never ran");
  const saved = await state(dir);
  assert.match(saved.jobs["a@dev.build"]?.lastError ?? "", /timed out after 1s/);
  assert.equal(saved.jobs["a@dev.deploy"]?.status, "skipped");
  assert.equal(saved.jobs["a@dev.deploy"]?.reason, "dependency a@dev.build failed");
  assert.equal((await readJson<{ jobDone: number }>(recordFile(dir, "x", "metadata.json"))).jobDone, 1);
});

test("hand-off: a job waiting on two that end together (orun busy meanwhile) still runs, once", async (t) => {
  const dir = await planDir(
    t,
    [
      WARM,
      { id: "a@dev.x", dependsOn: ["a@dev.warm"], steps: [{ run: "touch x-started; sleep 0.3" }] },
      { id: "a@dev.d", dependsOn: ["a@dev.warm"], steps: [{ run: "touch d-started; sleep 0.3" }] },
      { id: "a@dev.s", dependsOn: ["a@dev.x", "a@dev.d"], steps: [{ run: "echo ran >> s-ran" }] },
    ],
    { concurrency: 2 },
  );
  // Stopped while both end, orun hears of both ends at once: the hand-off must not wait on a job that has ended.
  const code = await runStopped(dir, "x-started", async () => {
    await until(() => existsSync(path.join(dir, "d-started")), "d to start");
    await pause(600);
  });
  assert.equal(code, 0);
  assert.deepEqual((await readFile(path.join(dir, "s-ran"), "utf8")).split("\n").filter(Boolean), ["ran"]);
});

test("hand-off: Ctrl-C while a job is handed over: it never starts, and is recorded skipped", async (t) => {
  const dir = await planDir(t, [
    WARM,
    // Exits 0 on Ctrl-C's SIGTERM: only the withdrawal keeps deploy from starting.
    { id: "a@dev.build", dependsOn: ["a@dev.warm"], steps: [{ run: "touch build-started; trap 'exit 0' TERM; sleep 5 & wait" }] },
    { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [{ run: "touch deployed" }] },
  ]);
  const { child, exited } = startOrun(dir);
  await until(() => existsSync(path.join(dir, "build-started")), "build to start");
  child.kill("SIGINT");
  assert.notEqual(await exited, 0);
  await pause(700); // past the moment build would have ended
  assert.equal(existsSync(path.join(dir, "deployed")), false);
  const saved = await state(dir);
  assert.equal(saved.jobs["a@dev.build"]?.status, "failed");
  assert.equal(saved.jobs["a@dev.deploy"]?.status, "skipped");
});

test("hand-off: a job whose working folder the job before it creates runs there", async (t) => {
  const dir = await planDir(t, [
    WARM,
    { id: "a@dev.build", dependsOn: ["a@dev.warm"], steps: [{ run: "mkdir -p out/site" }] },
    { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [{ run: "pwd > ../../where", "working-directory": "out/site" }] },
  ]);
  const { exited } = startOrun(dir);
  assert.equal(await exited, 0);
  assert.equal((await readFile(path.join(dir, "where"), "utf8")).trim(), path.join(dir, "out/site"));
});

test("hand-off: one job at a time, jobs start in the ready queue's order — a job readied later never jumps ahead", async (t) => {
  // build's end readies deploy and lint (deploy is handed over); smoke waits only for deploy, but lint was ready
  // first: lint runs (and fails fast) before smoke would start.
  const dir = await planDir(
    t,
    [
      WARM,
      { id: "a@dev.build", dependsOn: ["a@dev.warm"], steps: [{ run: "echo build >> order" }] },
      { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [{ run: "echo deploy >> order" }] },
      { id: "a@dev.lint", dependsOn: ["a@dev.build"], steps: [{ run: "echo lint >> order; exit 1" }] },
      { id: "a@dev.smoke", dependsOn: ["a@dev.deploy"], steps: [{ run: "echo smoke >> order" }] },
    ],
    { concurrency: 1, failFast: true },
  );
  const { exited } = startOrun(dir);
  assert.equal(await exited, 1);
  assert.deepEqual((await readFile(path.join(dir, "order"), "utf8")).split("\n").filter(Boolean), ["build", "deploy", "lint"]);
  assert.match((await state(dir)).jobs["a@dev.smoke"]?.reason ?? "", /fail-fast after a@dev\.lint failed/);
});

test("hand-off: orun killed after the helper started a job but before orun heard its dependency ended — resume does not run the dependency again", async (t) => {
  const dir = await planDir(t, [
    WARM,
    { id: "a@dev.deploy", dependsOn: ["a@dev.warm"], steps: [{ run: "echo deployed >> deploys.txt; while [ ! -f go ]; do sleep 0.05; done" }] },
    { id: "a@dev.after", dependsOn: ["a@dev.deploy"], steps: [{ run: "[ -f resume ] && exit 0; touch after-started; sleep 30" }] },
  ]);
  const { child, exited } = startOrun(dir);
  try {
    await until(() => existsSync(path.join(dir, "deploys.txt")), "deploy to start");
    await pause(300); // the hand-off of `after` reaches the helper
    child.kill("SIGSTOP");
    await import("node:fs/promises").then((fs) => fs.writeFile(path.join(dir, "go"), ""));
    // The helper starts `after` the moment deploy exits 0, while orun (stopped) has not heard of it.
    await until(() => existsSync(path.join(dir, "after-started")), "after to start while orun is stopped", 10_000);
  } finally {
    child.kill("SIGKILL");
  }
  await exited;
  await import("node:fs/promises").then((fs) => fs.writeFile(path.join(dir, "resume"), ""));
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "x"], { cwd: dir, env: { NO_COLOR: "1" } });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.equal(await readFile(path.join(dir, "deploys.txt"), "utf8"), "deployed\n", "deploy ran once");
  const saved = await state(dir);
  assert.equal(saved.jobs["a@dev.deploy"]?.status, "completed");
  assert.equal(saved.jobs["a@dev.after"]?.status, "completed");
});
