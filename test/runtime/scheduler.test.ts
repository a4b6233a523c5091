// The ready-queue scheduler on its own: jobs are promises the test resolves,
// so ordering is observed exactly, with no processes and no sleeps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { schedule, type JobOutcome } from "../../src/runtime/scheduler.js";
import { orderJobs } from "../../src/runtime/graph.js";
import { makePlan } from "./helpers.js";
import type { PlanJob } from "../../src/model/plan.js";

interface Harness {
  started: string[];
  notRun: Map<string, string>;
  /** Each onFailFast call: the reason and the job that failed. */
  failFasts: [string, string][];
  finish(id: string, outcome?: JobOutcome): void;
  /** Resolves once `id` has started. */
  whenStarted(id: string): Promise<void>;
  inFlight(): number;
  maxInFlight: number;
  done: Promise<unknown>;
}

function harness(jobs: PlanJob[], options: { concurrency: number; failFast?: boolean; satisfied?: string[]; signal?: AbortSignal }): Harness {
  const resolvers = new Map<string, (o: JobOutcome) => void>();
  const waiters = new Map<string, () => void>();
  const h: Harness = {
    started: [],
    notRun: new Map(),
    failFasts: [],
    maxInFlight: 0,
    finish(id, outcome = "completed") {
      const resolve = resolvers.get(id);
      assert.ok(resolve, `${id} is not running`);
      resolvers.delete(id);
      resolve(outcome);
    },
    whenStarted(id) {
      if (h.started.includes(id)) return Promise.resolve();
      return new Promise((resolve) => waiters.set(id, resolve));
    },
    inFlight: () => resolvers.size,
    done: Promise.resolve(),
  };
  h.done = schedule({
    jobs: options.satisfied ? jobs : orderJobs(jobs),
    concurrency: options.concurrency,
    failFast: options.failFast ?? false,
    satisfied: new Set(options.satisfied ?? []),
    signal: options.signal,
    notRun: (job, reason) => h.notRun.set(job.id, reason),
    onFailFast: (reason, failed) => h.failFasts.push([reason, failed]),
    run: (job) =>
      new Promise<JobOutcome>((resolve) => {
        h.started.push(job.id);
        resolvers.set(job.id, resolve);
        h.maxInFlight = Math.max(h.maxInFlight, resolvers.size);
        waiters.get(job.id)?.();
      }),
  });
  return h;
}

// The scheduler starts what a completion released in the check phase after it (so a cancel read in the same poll
// phase comes first): two check phases let a completion queued now be applied and its released jobs start.
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

test("a dependent starts as soon as its own dependency finishes, while an unrelated slow job still runs (no waves)", async () => {
  const plan = makePlan([
    { id: "a@dev.slow", steps: [] },
    { id: "b@dev.fast", steps: [] },
    { id: "b@dev.next", dependsOn: ["b@dev.fast"], steps: [] },
  ]);
  const h = harness(plan.jobs, { concurrency: 2 });
  await h.whenStarted("a@dev.slow");
  await h.whenStarted("b@dev.fast");
  h.finish("b@dev.fast");
  await h.whenStarted("b@dev.next");
  assert.ok(h.started.includes("a@dev.slow") && h.inFlight() === 2, "slow job still running while the dependent runs");
  h.finish("b@dev.next");
  h.finish("a@dev.slow");
  const result = await h.done;
  assert.deepEqual(result, { completed: 3, failed: 0, blocked: 0, notRun: 0 });
});

test("never more jobs in flight than the concurrency limit", async () => {
  const plan = makePlan(Array.from({ length: 10 }, (_, i) => ({ id: `c@dev.j${i}`, steps: [] })));
  const h = harness(plan.jobs, { concurrency: 3 });
  const finished = new Set<string>();
  while (finished.size < 10) {
    await tick();
    assert.ok(h.inFlight() <= 3, `in flight: ${h.inFlight()}`);
    const running = h.started.find((id) => !finished.has(id))!;
    finished.add(running);
    h.finish(running);
  }
  await h.done;
  assert.equal(h.maxInFlight, 3);
  assert.equal(h.started.length, 10);
});

test("concurrency 1 runs the smallest ready job ID first (b, a, c→a, aa gives a, aa, b, c)", async () => {
  const plan = makePlan([
    { id: "x@e.b", steps: [] },
    { id: "x@e.a", steps: [] },
    { id: "x@e.c", dependsOn: ["x@e.a"], steps: [] },
    { id: "x@e.aa", steps: [] },
  ]);
  const h = harness(plan.jobs, { concurrency: 1 });
  for (const id of ["x@e.a", "x@e.aa", "x@e.b", "x@e.c"]) {
    await h.whenStarted(id);
    assert.equal(h.inFlight(), 1);
    h.finish(id);
  }
  await h.done;
  assert.deepEqual(h.started, ["x@e.a", "x@e.aa", "x@e.b", "x@e.c"]);
});

test("dependents of a failed job are skipped transitively, with the reason; independent jobs still run", async () => {
  const plan = makePlan([
    { id: "a@dev.build", steps: [] },
    { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [] },
    { id: "a@dev.smoke", dependsOn: ["a@dev.deploy"], steps: [] },
    { id: "b@dev.build", steps: [] },
  ]);
  const h = harness(plan.jobs, { concurrency: 1 });
  await h.whenStarted("a@dev.build");
  h.finish("a@dev.build", "failed");
  await h.whenStarted("b@dev.build");
  h.finish("b@dev.build");
  const result = await h.done;
  assert.deepEqual(result, { completed: 1, failed: 1, blocked: 0, notRun: 2 });
  assert.equal(h.notRun.get("a@dev.deploy"), "dependency a@dev.build failed");
  assert.equal(h.notRun.get("a@dev.smoke"), "dependency a@dev.build failed");
});

test("failFast stops starting new jobs but lets running ones finish", async () => {
  const plan = makePlan([
    { id: "c@dev.a", steps: [] },
    { id: "c@dev.b", steps: [] },
    { id: "c@dev.c", steps: [] },
    { id: "c@dev.d", steps: [] },
  ]);
  const h = harness(plan.jobs, { concurrency: 2, failFast: true });
  await h.whenStarted("c@dev.a");
  await h.whenStarted("c@dev.b");
  h.finish("c@dev.a", "failed");
  await tick();
  assert.deepEqual(h.started, ["c@dev.a", "c@dev.b"], "nothing new starts after the failure");
  h.finish("c@dev.b");
  const result = await h.done;
  assert.deepEqual(result, { completed: 1, failed: 1, blocked: 0, notRun: 2 });
  assert.match(h.notRun.get("c@dev.c")!, /fail-fast after c@dev.a failed/);
});

test("onFailFast is told once, with the job whose failure tripped it; a tolerated failure or failFast off does not call it", async () => {
  const plan = makePlan([
    { id: "c@dev.a", steps: [] },
    { id: "c@dev.b", steps: [] },
    { id: "c@dev.c", steps: [] },
    { id: "c@dev.d", steps: [] },
    { id: "c@dev.e", steps: [] },
  ]);
  const h = harness(plan.jobs, { concurrency: 3, failFast: true });
  await h.whenStarted("c@dev.c");
  h.finish("c@dev.a", "failed-tolerated");
  await h.whenStarted("c@dev.d");
  assert.deepEqual(h.failFasts, [], "a failure tolerated by onFailure: continue steps does not trip fail-fast");
  h.finish("c@dev.b", "failed");
  await tick();
  assert.deepEqual(h.failFasts, [["not started: fail-fast after c@dev.b failed", "c@dev.b"]]);
  h.finish("c@dev.c", "failed");
  h.finish("c@dev.d");
  await h.done;
  assert.deepEqual(h.failFasts, [["not started: fail-fast after c@dev.b failed", "c@dev.b"]], "a later failure does not call it again");
  assert.equal(h.notRun.get("c@dev.e"), "not started: fail-fast after c@dev.b failed");

  const off = harness(plan.jobs, { concurrency: 5, failFast: false });
  await off.whenStarted("c@dev.e");
  for (const id of ["c@dev.a", "c@dev.b", "c@dev.c", "c@dev.d", "c@dev.e"]) off.finish(id, "failed");
  await off.done;
  assert.deepEqual(off.failFasts, []);
});

test("fail-fast: of two jobs that end in the same turn, the failure stops the jobs the success released, though the success is applied first", async () => {
  const plan = makePlan([
    { id: "a@dev.x", steps: [] },
    { id: "c@dev.x", steps: [] },
    { id: "a@prod.x", dependsOn: ["a@dev.x"], steps: [] },
    { id: "b@dev.x", dependsOn: ["a@dev.x"], steps: [] },
  ]);
  const h = harness(plan.jobs, { concurrency: 3, failFast: true });
  await h.whenStarted("a@dev.x");
  await h.whenStarted("c@dev.x");
  // Both results are known before either is applied (one batch of end replies from the spawn helper).
  h.finish("a@dev.x");
  h.finish("c@dev.x", "failed");
  const result = await h.done;
  assert.deepEqual(h.started, ["a@dev.x", "c@dev.x"], "nothing a@dev.x released starts");
  assert.deepEqual(result, { completed: 1, failed: 1, blocked: 0, notRun: 2 });
  assert.equal(h.notRun.get("a@prod.x"), "not started: fail-fast after c@dev.x failed");
  assert.equal(h.notRun.get("b@dev.x"), "not started: fail-fast after c@dev.x failed");
});

test("a cancel delivered in the same event-loop phase as a success, just after it, starts none of the jobs the success released", async () => {
  const plan = makePlan([
    { id: "a@dev.build", steps: [] },
    { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [] },
  ]);
  const cancel = new AbortController();
  const h = harness(plan.jobs, { concurrency: 2, signal: cancel.signal });
  await h.whenStarted("a@dev.build");
  // A step's end and a Ctrl-C read from the same turn of the event loop: the success and the promise jobs it queues
  // come first, the cancel before the loop's next phase. (Two timers due together did this only mostly: on a loaded
  // machine the second could fall due a turn later, after the released job rightly started.)
  setTimeout(() => {
    h.finish("a@dev.build");
    setImmediate(() => cancel.abort());
  }, 0);
  // Started all the same (the defect): ended, so the assertions below say so rather than the schedule hanging.
  await new Promise((resolve) => setTimeout(resolve, 0));
  await tick();
  if (h.started.includes("a@dev.deploy")) h.finish("a@dev.deploy", "failed");
  const result = await h.done;
  assert.deepEqual(h.started, ["a@dev.build"], "the dependent did not start after the cancel");
  assert.deepEqual(result, { completed: 1, failed: 0, blocked: 0, notRun: 1 });
  assert.equal(h.notRun.get("a@dev.deploy"), "run canceled");
});

test("a blocked job skips its dependents; dependencies completed earlier count as satisfied", async () => {
  const plan = makePlan([
    { id: "p@prod.deploy", steps: [] },
    { id: "p@prod.verify", dependsOn: ["p@prod.deploy"], steps: [] },
  ]);
  const h = harness(plan.jobs, { concurrency: 4 });
  await h.whenStarted("p@prod.deploy");
  h.finish("p@prod.deploy", "blocked");
  await h.done;
  assert.equal(h.notRun.get("p@prod.verify"), "dependency p@prod.deploy was blocked");

  // A dependency outside the scheduled set that already completed is satisfied.
  const only = plan.jobs.filter((job) => job.id === "p@prod.verify");
  const h2 = harness(only, { concurrency: 1, satisfied: ["p@prod.deploy"] });
  await h2.whenStarted("p@prod.verify");
  h2.finish("p@prod.verify");
  assert.deepEqual(await h2.done, { completed: 1, failed: 0, blocked: 0, notRun: 0 });
});

test("a job reported skipped (e.g. by remote state) skips its dependents with that reason", async () => {
  const plan = makePlan([
    { id: "r@dev.up", steps: [] },
    { id: "r@dev.down", dependsOn: ["r@dev.up"], steps: [] },
  ]);
  const h = harness(plan.jobs, { concurrency: 2 });
  await h.whenStarted("r@dev.up");
  h.finish("r@dev.up", "skipped");
  assert.deepEqual(await h.done, { completed: 0, failed: 0, blocked: 0, notRun: 2 });
  assert.equal(h.notRun.get("r@dev.down"), "dependency r@dev.up was skipped");
});

test("a job whose run throws ends the schedule only after the jobs still running have settled", async () => {
  const plan = makePlan([
    { id: "a@dev.boom", steps: [] },
    { id: "b@dev.slow", steps: [] },
    { id: "c@dev.later", steps: [] },
  ]);
  const errors: unknown[] = [];
  let releaseSlow!: (outcome: JobOutcome) => void;
  let settled = false;
  const notRun = new Map<string, string>();
  const done = schedule({
    jobs: orderJobs(plan.jobs),
    concurrency: 2,
    failFast: false,
    satisfied: new Set(),
    notRun: (job, reason) => notRun.set(job.id, reason),
    onError: (err) => errors.push(err),
    run: (job) => {
      if (job.id === "a@dev.boom") return Promise.reject(new Error("result not recorded"));
      return new Promise<JobOutcome>((resolve) => (releaseSlow = resolve));
    },
  }).finally(() => (settled = true));
  await tick();
  await tick();
  assert.equal(errors.length, 1, "the caller hears of the error at once");
  assert.equal(settled, false, "b is still running: the schedule has not ended");
  releaseSlow("completed");
  await assert.rejects(done, /result not recorded/);
  assert.equal(notRun.get("c@dev.later"), "run aborted", "nothing new started after the error");
});

test("a job the cancel stopped before it started (outcome not-started) leaves its dependents to the cancel's reason, not skipped for it", async () => {
  const plan = makePlan([
    { id: "a@dev.build", steps: [] },
    { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [] },
  ]);
  const cancel = new AbortController();
  const h = harness(plan.jobs, { concurrency: 1, signal: cancel.signal });
  await h.whenStarted("a@dev.build");
  // Being admitted when the cancel lands: the caller records it not run and answers not-started.
  cancel.abort();
  h.finish("a@dev.build", "not-started");
  const result = await h.done;
  assert.deepEqual(result, { completed: 0, failed: 0, blocked: 0, notRun: 2 });
  assert.equal(h.notRun.get("a@dev.deploy"), "run canceled");
  assert.equal(h.notRun.has("a@dev.build"), false);
});

test("a job that fails once the run is canceled (its step stopped) leaves its dependents not run for the cancel, not for its failure", async () => {
  const plan = makePlan([
    { id: "a@dev.build", steps: [] },
    { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [] },
    { id: "a@dev.verify", dependsOn: ["a@dev.deploy"], steps: [] },
  ]);
  const cancel = new AbortController();
  const h = harness(plan.jobs, { concurrency: 2, signal: cancel.signal });
  await h.whenStarted("a@dev.build");
  // As under the docker runner: no start is handed over, and the cancel stops the running step, which fails.
  cancel.abort();
  h.finish("a@dev.build", "failed");
  const result = await h.done;
  assert.deepEqual(result, { completed: 0, failed: 1, blocked: 0, notRun: 2 });
  assert.equal(h.notRun.get("a@dev.deploy"), "run canceled");
  assert.equal(h.notRun.get("a@dev.verify"), "run canceled");
});

test("a job that failed before a cancel still names its failure as its dependents' reason", async () => {
  const plan = makePlan([
    { id: "a@dev.build", steps: [] },
    { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [] },
  ]);
  const cancel = new AbortController();
  const h = harness(plan.jobs, { concurrency: 2, signal: cancel.signal });
  await h.whenStarted("a@dev.build");
  h.finish("a@dev.build", "failed");
  await h.done;
  cancel.abort();
  assert.equal(h.notRun.get("a@dev.deploy"), "dependency a@dev.build failed");
});

test("a deferred job goes back in line behind every ready job, keeps its dependents waiting, and is picked again when none is ready", async () => {
  const jobs = [
    { id: "a", deps: [] },
    { id: "b", deps: [] },
    { id: "c", deps: [] },
    { id: "d", deps: ["a"] },
  ].map((j) => ({ id: j.id, name: j.id, component: j.id, environment: "dev", dependsOn: j.deps, steps: [] }) as PlanJob);
  const picked: string[] = [];
  const othersReady: boolean[] = [];
  let deferA = true;
  const result = await schedule({
    jobs,
    concurrency: 1,
    failFast: false,
    satisfied: new Set(),
    notRun: () => assert.fail("every job runs"),
    run: async (job, context) => {
      picked.push(job.id);
      othersReady.push(context.othersReady());
      if (job.id === "a" && deferA) {
        deferA = false;
        return "deferred";
      }
      return "completed";
    },
  });
  assert.deepEqual(picked, ["a", "b", "c", "a", "d"]);
  // a was picked first with b and c ready; back again, it is the only one left.
  assert.deepEqual(othersReady, [true, true, false, false, false]);
  assert.deepEqual(result, { completed: 4, failed: 0, blocked: 0, notRun: 0 });
});

test("a deferred job woken by its run (remote state: its holder's lease lapsed) takes the next free slot, ahead of the ready jobs", async () => {
  const jobs = ["a", "b", "c", "d", "e"].map((id) => ({ id, name: id, component: id, environment: "dev", dependsOn: [], steps: [] }) as PlanJob);
  const picked: string[] = [];
  let wakeA: (() => void) | undefined;
  let releaseB!: () => void;
  const bRunning = new Promise<void>((resolve) => (releaseB = resolve));
  const result = await schedule({
    jobs,
    concurrency: 1,
    failFast: false,
    satisfied: new Set(),
    notRun: () => assert.fail("every job runs"),
    run: async (job, context) => {
      picked.push(job.id);
      if (job.id === "a" && wakeA === undefined) {
        wakeA = () => context.wake();
        return "deferred";
      }
      // While b runs, a's wake comes: a goes before c, d and e, which were ready before it.
      if (job.id === "b") {
        wakeA!();
        releaseB();
      }
      await bRunning;
      return "completed";
    },
  });
  assert.deepEqual(picked, ["a", "b", "a", "c", "d", "e"]);
  assert.deepEqual(result, { completed: 5, failed: 0, blocked: 0, notRun: 0 });
});
