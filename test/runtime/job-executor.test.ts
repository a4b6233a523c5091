// One job through the real local runner (sh -c, real files): what a cancel between two steps records.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createRunner } from "../../src/runners/registry.js";
import { JobLatches, executeJob, handOverFirstStep, type JobExecutorDeps } from "../../src/runtime/job-executor.js";
import { ExecutionStore } from "../../src/runtime/records/store.js";
import { StateWriter, emptyState, readStateFile } from "../../src/runtime/records/state.js";
import type { RunEvent } from "../../src/runtime/events.js";
import type { Plan } from "../../src/model/plan.js";
import { makePlan, removeDir, tempDir } from "./helpers.js";

/**
 * A job's surroundings in a temp folder: an execution record `execId` with its state and writer, and the local
 * runner prepared for `plan`. After the test the runner is stopped before the folder goes (its spawn helper may
 * still write output files there). `deps` completes the executor's dependencies with what a test decides.
 */
async function jobBed(t: TestContext, plan: Plan, execId: string) {
  const dir = await tempDir();
  const store = new ExecutionStore(dir);
  const state = emptyState(execId, "sha256-x");
  const writer = new StateWriter(store.stateFile(execId), state, 0);
  const runner = await createRunner("local");
  const runContext = { plan, execId, workspaceDir: dir, scratchDir: path.join(store.execDir(execId), "tmp"), options: {} };
  t.after(async () => {
    await runner.cleanup?.(runContext);
    await removeDir(dir);
  });
  await store.create(execId);
  await runner.prepare?.(runContext);
  const deps = (rest: Pick<JobExecutorDeps, "signal" | "emit"> & Partial<JobExecutorDeps>): JobExecutorDeps => ({
    runner,
    runContext,
    ids: { runner: "local", planId: "x", execId },
    state,
    writer,
    store,
    workdir: { workspaceDir: dir },
    ...rest,
  });
  return { dir, store, state, writer, runner, deps };
}

test("a run canceled between two steps leaves the job failed (canceled), never completed with steps that did not run", async (t) => {
  const plan = makePlan([{ id: "a@dev.one", steps: [{ run: "touch first" }, { run: "touch second" }] }]);
  const job = plan.jobs[0]!;
  const { dir, store, writer, deps } = await jobBed(t, plan, "cancel");
  const abort = new AbortController();
  // Ctrl-C lands the moment the first step has ended, before the second starts.
  const emit = (event: RunEvent): void => {
    if (event.type === "step-end" && event.stepKey === "s1") abort.abort();
  };
  const result = await executeJob(deps({ signal: abort.signal, emit }), job);
  await writer.flush();
  assert.ok(existsSync(path.join(dir, "first")));
  assert.equal(existsSync(path.join(dir, "second")), false);
  assert.equal(result.status, "failed");
  assert.equal(result.fatal, true);
  const saved = (await readStateFile(store.stateFile("cancel")))!.jobs["a@dev.one"]!;
  assert.equal(saved.status, "failed", "a resume must run the job again");
  assert.deepEqual(saved.steps, { s1: "completed", s2: "skipped" });
  assert.match(saved.lastError ?? "", /canceled/);
});

test("a retried step: the hooks hear each new attempt (onStepRetry), in order", async (t) => {
  const plan = makePlan([{ id: "a@dev.flaky", steps: [{ id: "try", retry: 2, run: "echo try >> tries; [ $(wc -l < tries) -ge 3 ]" }] }]);
  const job = plan.jobs[0]!;
  const { writer, deps } = await jobBed(t, plan, "retry");
  const heard: string[] = [];
  const hooks = {
    onStepRetry: (retried: typeof job, key: string, attempt: number, attempts: number) => void heard.push(`${retried.id} ${key} ${attempt}/${attempts}`),
  };
  const result = await executeJob(deps({ signal: new AbortController().signal, emit: () => undefined, hooks }), job);
  await writer.flush();
  assert.equal(result.status, "completed");
  assert.deepEqual(heard, ["a@dev.flaky try 2/3", "a@dev.flaky try 3/3"]);
});

/** Polls for `file` (a step's marker) until it exists, or fails after a deadline. */
async function waitForFile(file: string, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!existsSync(file)) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test("hand-off through the spawn helper: a withdrawal it reads after starting the job is answered 'started', and the job is recorded as what it did; one it reads first, 'not started'", async (t) => {
  const gated = (name: string): string => `touch ${name}-running; while [ ! -e go-${name} ]; do sleep 0.01; done`;
  const plan = makePlan([
    { id: "w@dev.warm", steps: [{ run: "true" }] },
    { id: "a@dev.x", steps: [{ run: gated("a") }] },
    { id: "b@dev.x", dependsOn: ["a@dev.x"], steps: [{ run: "echo ran >> ran-b" }] },
    { id: "c@dev.x", steps: [{ run: gated("c") }] },
    { id: "d@dev.x", dependsOn: ["c@dev.x"], steps: [{ run: "echo ran >> ran-d" }] },
  ]);
  const byId = new Map(plan.jobs.map((job) => [job.id, job]));
  const bed = await jobBed(t, plan, "handoff");
  const { dir, state, runner } = bed;
  assert.ok(runner.handOff, "the spawn helper is built (npm run build)");
  const deps = bed.deps({ signal: new AbortController().signal, emit: () => undefined, latches: new JobLatches(runner.handOff) });
  // A step has run in the directory: a handed-over step may then start in the helper.
  assert.equal((await executeJob(deps, byId.get("w@dev.warm")!)).status, "completed");

  // b waits on a; a exits 0 and the helper starts b before orun withdraws it (a stop crossing that start).
  const aRun = executeJob(deps, byId.get("a@dev.x")!);
  await waitForFile(path.join(dir, "a-running"), "a to start");
  const b = handOverFirstStep(deps, byId.get("b@dev.x")!, byId.get("a@dev.x")!)!;
  assert.ok(b, "b is handed over");
  await new Promise((resolve) => setImmediate(resolve)); // its request is written to the helper
  await writeFile(path.join(dir, "go-a"), "");
  assert.equal((await aRun).status, "completed");
  await waitForFile(path.join(dir, "ran-b"), "the helper to start b");
  b.withdraw();
  assert.equal(await b.startedBeforeWithdrawal(), true);
  const bResult = await executeJob(deps, byId.get("b@dev.x")!, b);
  assert.equal(bResult.status, "completed");
  assert.deepEqual(state.jobs["b@dev.x"]?.steps, { s1: "completed" });
  assert.equal(await readFile(path.join(dir, "ran-b"), "utf8"), "ran\n", "it ran once");

  // d waits on c and is withdrawn while c still runs: the helper never starts it.
  const cRun = executeJob(deps, byId.get("c@dev.x")!);
  await waitForFile(path.join(dir, "c-running"), "c to start");
  const d = handOverFirstStep(deps, byId.get("d@dev.x")!, byId.get("c@dev.x")!)!;
  assert.ok(d, "d is handed over");
  d.withdraw();
  assert.equal(await d.startedBeforeWithdrawal(), false);
  await writeFile(path.join(dir, "go-c"), "");
  assert.equal((await cRun).status, "completed");
  assert.equal((await d.result).notStarted, true);
  assert.equal(existsSync(path.join(dir, "ran-d")), false, "a withdrawn job that had not started never runs");
});
