// A cancel (Ctrl-C, SIGTERM) that lands while a job is being admitted — between being picked from the ready queue and
// its first step — leaves the job recorded not started (skipped: run canceled), as the jobs still queued are, and never
// shown started. Before, a job whose admission answered after the cancel was started: shown started, then failed as
// canceled before its first step. Each await of admission is held here until the test has cancelled the run: the
// remote admission (hooks.beforeJob), a promotion gate's evidence query (one that passes, one that blocks), and the
// clearing of a resumed job's old logs (which stay: they are moved aside until the job is known to start, and a cancel
// meanwhile put them back). Each check after an await is pinned: without the one after the gates a blocking
// verdict made after the cancel recorded the job blocked; without the one after beforeJob its gates were judged.
// Fail-fast tripping while a job is admitted (its gate judged, its claim answered) stops it as the cancel does, with
// the reason the queued jobs get. The whole runtime (executePlan) with the real local runner, records and files.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { executePlan } from "../../src/runtime/execute.js";
import type { ExecutionHooks } from "../../src/runtime/hooks.js";
import type { RunEvent } from "../../src/runtime/events.js";
import { ExecutionStore } from "../../src/runtime/records/store.js";
import type { Plan, PlanJob, PromotionGate } from "../../src/model/plan.js";
import { makePlan, readJson, recordFile, removeDir, tempDir } from "./helpers.js";

const REVISION = "0123456789abcdef0123456789abcdef01234567";

interface Bed {
  dir: string;
  /** The job's step leaves this file when it runs. */
  ran: string;
  plan: Plan;
}

/** One job, deploy, gated on its component in staging when `gated`; its step says it tried, fails until <dir>/go exists, then notes that it ran. */
async function bed(t: TestContext, gated = false, failFirst = false): Promise<Bed> {
  const dir = await tempDir("orun-cancel-admission-");
  t.after(() => removeDir(dir));
  const ran = path.join(dir, "ran");
  const gates: PromotionGate[] | undefined = gated ? [{ type: "environment-promotion", component: "api", environment: "staging", condition: "success", match: { revision: REVISION } }] : undefined;
  const plan = makePlan([{ id: "api@prod.deploy", ...(gates ? { gates } : {}), steps: [{ run: `echo tried; test -f '${dir}/go' || exit 1; touch '${ran}'` }] }], { revision: REVISION });
  if (!failFirst) await writeFile(path.join(dir, "go"), "");
  return { dir, ran, plan };
}

/** Runs `plan` in `dir` under `abort`, with `hooks`; the events it rendered. */
async function run(b: Bed, abort: AbortController, hooks?: ExecutionHooks, execId = "x1"): Promise<{ exitCode: number; events: RunEvent[] }> {
  const events: RunEvent[] = [];
  const { exitCode } = await executePlan({
    plan: b.plan,
    storeDir: b.dir,
    workspaceDir: b.dir,
    runner: { name: "local", source: "default" },
    execId,
    hooks,
    renderer: { handle: (event) => events.push(event), close: () => undefined },
    signal: abort.signal,
    warn: () => undefined,
    stateWriteIntervalMs: 0,
  });
  return { exitCode, events };
}

/** The job was recorded not started and never shown started; its step did not run. */
async function assertNotStarted(b: Bed, result: { exitCode: number; events: RunEvent[] }, execId = "x1"): Promise<void> {
  assert.equal(result.exitCode, 130);
  assert.deepEqual(result.events.filter((event) => event.type.startsWith("job-") || event.type.startsWith("step-")).map((event) => `${event.type} ${"status" in event ? event.status : ""}`), ["job-not-run skipped"]);
  const notRun = result.events.find((event) => event.type === "job-not-run");
  assert.equal(notRun && "reason" in notRun ? notRun.reason : undefined, "run canceled");
  const state = await readJson<{ jobs: Record<string, { status: string; reason?: string; startedAt?: string }> }>(recordFile(b.dir, execId, "state.json"));
  const job = state.jobs["api@prod.deploy"];
  assert.equal(job?.status, "skipped", JSON.stringify(job));
  assert.equal(job.reason, "run canceled");
  assert.equal(job.startedAt, undefined);
  assert.equal(existsSync(b.ran), false);
  const end = result.events.find((event) => event.type === "run-end");
  assert.equal(end && "summary" in end ? end.summary.status : undefined, "canceled");
}

/**
 * A resumed job the cancel stopped before it started again: its earlier attempt's record stays as it was (failed, its
 * step, its error: nothing new is known of it), and the run says it was not run this time. Its step did not run.
 */
async function assertEarlierResultKept(b: Bed, result: { exitCode: number; events: RunEvent[] }, execId: string, before: unknown): Promise<void> {
  assert.equal(result.exitCode, 130);
  const kept = "run canceled: not run this time (its failed result from an earlier run stands)";
  assert.deepEqual(result.events.filter((event) => event.type.startsWith("job-") || event.type.startsWith("step-")).map((event) => `${event.type} ${"status" in event ? event.status : ""} ${"reason" in event ? event.reason : ""}`), [`job-not-run skipped ${kept}`]);
  const state = await readJson<{ jobs: Record<string, unknown> }>(recordFile(b.dir, execId, "state.json"));
  assert.deepEqual(state.jobs["api@prod.deploy"], before);
  assert.equal(existsSync(b.ran), false);
  const end = result.events.find((event) => event.type === "run-end");
  assert.equal(end && "summary" in end ? end.summary.status : undefined, "canceled");
  assert.equal(end && "summary" in end ? end.summary.jobs.find((job) => job.id === "api@prod.deploy")?.reason : undefined, kept);
}

/** The job's entry in the record's state after its first run, which failed at its step. */
async function failedEntry(b: Bed, execId: string): Promise<unknown> {
  const entry = (await readJson<{ jobs: Record<string, { status: string; lastError?: string; steps: Record<string, string> }> }>(recordFile(b.dir, execId, "state.json"))).jobs["api@prod.deploy"];
  assert.equal(entry?.status, "failed");
  assert.deepEqual(entry.steps, { s1: "failed" });
  assert.match(entry.lastError ?? "", /exit status 1/);
  return entry;
}

test("cancelled while the remote admission (beforeJob) answers: the job it admitted is handed back as held and not run", async (t) => {
  const b = await bed(t);
  const abort = new AbortController();
  const told: string[] = [];
  const hooks: ExecutionHooks = {
    beforeJob: async () => {
      // The claim's answer arrives as the Ctrl-C lands: admitted, after the run was cancelled.
      abort.abort();
      return { action: "run", stop: new AbortController().signal, claimed: true };
    },
    onJobNotRun: (job, status, reason) => void told.push(`${job.id} ${status} ${reason}`),
  };
  await assertNotStarted(b, await run(b, abort, hooks));
  // A held job is reported "blocked" to the hooks, which tell the backend it was canceled before it started.
  assert.deepEqual(told, ["api@prod.deploy blocked run canceled"]);
});

test("cancelled while a promotion gate's evidence is asked for: the job is not started, whatever the answer", async (t) => {
  const b = await bed(t, true);
  const abort = new AbortController();
  const hooks: ExecutionHooks = {
    gateSatisfied: async () => {
      abort.abort();
      return true;
    },
  };
  await assertNotStarted(b, await run(b, abort, hooks));
});

test("cancelled while a promotion gate's evidence is asked for and the gate blocks: the job is not started, not blocked by a verdict made after the cancel", async (t) => {
  const b = await bed(t, true);
  const abort = new AbortController();
  let asked = 0;
  const hooks: ExecutionHooks = {
    gateSatisfied: async () => {
      asked++;
      abort.abort();
      return false;
    },
  };
  await assertNotStarted(b, await run(b, abort, hooks));
  assert.equal(asked, 1);
});

test("cancelled while the remote admission answers, the job gated: its gates are not judged after the cancel, and it is handed back as held", async (t) => {
  const b = await bed(t, true);
  const abort = new AbortController();
  const told: string[] = [];
  let asked = 0;
  const hooks: ExecutionHooks = {
    beforeJob: async () => {
      abort.abort();
      return { action: "run", stop: new AbortController().signal, claimed: true };
    },
    // A gate that would block: judged after the cancel, it would only cost time (the local history read) and say nothing.
    gateSatisfied: async () => {
      asked++;
      return false;
    },
    onJobNotRun: (job, status, reason) => void told.push(`${job.id} ${status} ${reason}`),
  };
  await assertNotStarted(b, await run(b, abort, hooks));
  assert.equal(asked, 0, "the gate was asked after the cancel");
  assert.deepEqual(told, ["api@prod.deploy blocked run canceled"]);
});

test("cancelled while a resumed job's earlier logs are cleared: the job is not started, and those logs stay in the record", async (t) => {
  const b = await bed(t, false, true);
  // A first run of the execution in which the job failed: the resume runs it again, clearing its logs first.
  assert.equal((await run(b, new AbortController(), undefined, "r1")).exitCode, 1);
  const earlierLog = new ExecutionStore(b.dir).stepLogFile("r1", "api@prod.deploy", "s1");
  assert.equal(await readFile(earlierLog, "utf8"), "tried\n");
  const before = await failedEntry(b, "r1");
  await writeFile(path.join(b.dir, "go"), "");
  const abort = new AbortController();
  // The Ctrl-C lands while the logs are being moved out of the way.
  const setAside = ExecutionStore.prototype.setAsideJobLogs;
  t.after(() => void (ExecutionStore.prototype.setAsideJobLogs = setAside));
  let moved = 0;
  ExecutionStore.prototype.setAsideJobLogs = async function (this: ExecutionStore, ...args: Parameters<typeof setAside>) {
    moved++;
    const aside = await setAside.apply(this, args);
    abort.abort();
    return aside;
  };
  await assertEarlierResultKept(b, await run(b, abort, undefined, "r1"), "r1", before);
  assert.equal(moved, 1);
  // The earlier attempt's log is where it was: the job it belongs to did not run again.
  assert.equal(await readFile(earlierLog, "utf8"), "tried\n");
});

test("cancelled while a resumed job's gate is judged: the job is not started, and its earlier logs stay in the record", async (t) => {
  const b = await bed(t, true, true);
  const gateSatisfied = async () => true;
  assert.equal((await run(b, new AbortController(), { gateSatisfied }, "r2")).exitCode, 1);
  const earlierLog = new ExecutionStore(b.dir).stepLogFile("r2", "api@prod.deploy", "s1");
  const before = await failedEntry(b, "r2");
  await writeFile(path.join(b.dir, "go"), "");
  const abort = new AbortController();
  const hooks: ExecutionHooks = {
    gateSatisfied: async () => {
      abort.abort();
      return true;
    },
  };
  await assertEarlierResultKept(b, await run(b, abort, hooks, "r2"), "r2", before);
  assert.equal(await readFile(earlierLog, "utf8"), "tried\n");
});

/**
 * Two jobs side by side under fail-fast: api@dev.fail fails at once; api@prod.deploy (gated when `gated`) is being
 * admitted meanwhile. `admitted` says when its admission may answer: once fail-fast has tripped — once its stop
 * signal says so, or (where it does not: before the fix) once the failed job's end has been applied by the scheduler.
 */
async function failFastBed(t: TestContext, gated: boolean) {
  const dir = await tempDir("orun-failfast-admission-");
  t.after(() => removeDir(dir));
  const ran = path.join(dir, "ran");
  const gates: PromotionGate[] | undefined = gated ? [{ type: "environment-promotion", component: "api", environment: "staging", condition: "success", match: { revision: REVISION } }] : undefined;
  const plan = makePlan(
    [
      { id: "api@dev.fail", steps: [{ run: "exit 3" }] },
      { id: "api@prod.deploy", ...(gates ? { gates } : {}), steps: [{ run: `touch '${ran}'` }] },
    ],
    { revision: REVISION, concurrency: 2, failFast: true },
  );
  let failedEnded!: () => void;
  const failed = new Promise<void>((resolve) => (failedEnded = resolve));
  const admitted = async (signal: AbortSignal | undefined): Promise<void> => {
    const tripped = failed.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    const stopped = new Promise<void>((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener("abort", () => resolve(), { once: true })));
    await Promise.race([tripped, stopped]);
  };
  // Heard once the failed job's result is through (the scheduler applies it in the promise jobs that follow).
  const afterJob = async (job: PlanJob): Promise<void> => {
    if (job.id === "api@dev.fail") failedEnded();
  };
  return { b: { dir, ran, plan }, admitted, afterJob };
}

/** The deploy job was not started, skipped for fail-fast as the queued jobs are; the run failed for api@dev.fail. */
async function assertSkippedForFailFast(b: Bed, result: { exitCode: number; events: RunEvent[] }): Promise<void> {
  assert.equal(result.exitCode, 1);
  assert.deepEqual(
    result.events.filter((event) => event.type.startsWith("job-") && "job" in event && event.job.id === "api@prod.deploy").map((event) => `${event.type} ${"reason" in event ? event.reason : ""}`),
    ["job-not-run not started: fail-fast after api@dev.fail failed"],
  );
  const state = await readJson<{ jobs: Record<string, { status: string; reason?: string }> }>(recordFile(b.dir, "x1", "state.json"));
  const job = state.jobs["api@prod.deploy"];
  assert.equal(job?.status, "skipped", JSON.stringify(job));
  assert.equal(job.reason, "not started: fail-fast after api@dev.fail failed");
  assert.equal(existsSync(b.ran), false, "the job started after fail-fast tripped");
}

test("fail-fast trips while a job's promotion gate is judged: the job does not start, skipped as the queued jobs are", async (t) => {
  const { b, admitted, afterJob } = await failFastBed(t, true);
  const hooks: ExecutionHooks = {
    afterJob,
    gateSatisfied: async (_gate, _revision, signal) => {
      await admitted(signal);
      return true;
    },
  };
  await assertSkippedForFailFast(b, await run(b, new AbortController(), hooks));
});

test("fail-fast trips while a job's remote claim is answered: the claimed job does not start, and is handed back to the hooks as held", async (t) => {
  const { b, admitted, afterJob } = await failFastBed(t, false);
  const told: string[] = [];
  const hooks: ExecutionHooks = {
    afterJob,
    beforeJob: async (job, signal) => {
      if (job.id === "api@prod.deploy") await admitted(signal);
      return { action: "run", stop: new AbortController().signal, claimed: true };
    },
    onJobNotRun: (job, status, reason) => void told.push(`${job.id} ${status} ${reason}`),
  };
  await assertSkippedForFailFast(b, await run(b, new AbortController(), hooks));
  assert.deepEqual(told, ["api@prod.deploy blocked not started: fail-fast after api@dev.fail failed"]);
});
