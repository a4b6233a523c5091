// The scheduler's hand-off on its own: tickets and jobs are promises the test
// settles, so who is handed over, when the verdict comes and what it counts
// are observed exactly, with no processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { schedule, type JobOutcome, type ScheduleResult } from "../../src/runtime/scheduler.js";
import { orderJobs } from "../../src/runtime/graph.js";
import { makePlan, type JobSpec } from "./helpers.js";

interface Ticket {
  job: string;
  after: string;
  verdict?: boolean;
  /** Settles what the ticket's settle() returned. */
  resolve?: (outcome: JobOutcome | undefined) => void;
}

function harness(specs: JobSpec[], options: { concurrency?: number; failFast?: boolean; decline?: string[] } = {}) {
  const plan = makePlan(specs);
  const running = new Map<string, (o: JobOutcome) => void>();
  const tickets: Ticket[] = [];
  const notRun = new Map<string, string>();
  const started: string[] = [];
  let result: ScheduleResult | undefined;
  const done = schedule({
    jobs: orderJobs(plan.jobs),
    concurrency: options.concurrency ?? 1,
    failFast: options.failFast ?? false,
    satisfied: new Set(),
    notRun: (job, reason) => notRun.set(job.id, reason),
    run: (job) =>
      new Promise<JobOutcome>((resolve) => {
        started.push(job.id);
        running.set(job.id, resolve);
      }),
    handOff: (job, after) => {
      if (options.decline?.includes(job.id)) return undefined;
      const ticket: Ticket = { job: job.id, after: after.id };
      tickets.push(ticket);
      return {
        settle: (go) => {
          ticket.verdict = go;
          return new Promise((resolve) => (ticket.resolve = resolve));
        },
      };
    },
  }).then((r) => (result = r));
  return {
    started,
    notRun,
    tickets,
    ticket: (id: string) => tickets.find((t) => t.job === id),
    finish(id: string, outcome: JobOutcome = "completed") {
      const resolve = running.get(id);
      assert.ok(resolve, `${id} is not running`);
      running.delete(id);
      resolve(outcome);
    },
    done,
    result: () => result,
  };
}

// The scheduler starts what a completion released in the check phase after it (so a cancel read in the same poll
// phase comes first): two check phases let a completion queued now be applied and its released jobs start.
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
const chain: JobSpec[] = [
  { id: "a@dev.one", steps: [] },
  { id: "a@dev.two", dependsOn: ["a@dev.one"], steps: [] },
  { id: "a@dev.three", dependsOn: ["a@dev.two"], steps: [] },
];

test("hand-off: along a chain each job is handed over once its dependency runs, and confirmed when it completes", async () => {
  const h = harness(chain);
  await tick();
  assert.deepEqual(h.started, ["a@dev.one"]);
  assert.deepEqual(h.tickets.map((t) => [t.job, t.after]), [["a@dev.two", "a@dev.one"]]);
  assert.equal(h.ticket("a@dev.two")!.verdict, undefined, "no verdict while its dependency runs");
  h.finish("a@dev.one");
  await tick();
  assert.equal(h.ticket("a@dev.two")!.verdict, true);
  // Confirmed, it counts as running: the next job is handed over to it.
  assert.deepEqual(h.tickets.map((t) => [t.job, t.after]).at(-1), ["a@dev.three", "a@dev.two"]);
  h.ticket("a@dev.two")!.resolve!("completed");
  await tick();
  assert.equal(h.ticket("a@dev.three")!.verdict, true);
  assert.equal(h.result(), undefined, "the schedule waits for the confirmed job's outcome");
  h.ticket("a@dev.three")!.resolve!("completed");
  await h.done;
  assert.deepEqual(h.result(), { completed: 3, failed: 0, blocked: 0, notRun: 0 });
  assert.deepEqual(h.started, ["a@dev.one"], "run() starts only the first; the others were handed over");
});

test("hand-off: a failed dependency withdraws the job; once it is known not to have started it is skipped with the reason", async () => {
  const h = harness(chain);
  await tick();
  h.finish("a@dev.one", "failed");
  await tick();
  assert.equal(h.ticket("a@dev.two")!.verdict, false);
  assert.equal(h.notRun.has("a@dev.two"), false, "not marked before the withdrawal is confirmed");
  assert.equal(h.notRun.get("a@dev.three"), "dependency a@dev.one failed");
  assert.equal(h.result(), undefined);
  h.ticket("a@dev.two")!.resolve!(undefined);
  await h.done;
  assert.equal(h.notRun.get("a@dev.two"), "dependency a@dev.one failed");
  assert.deepEqual(h.result(), { completed: 0, failed: 1, blocked: 0, notRun: 2 });
});

test("hand-off: fail-fast withdraws handed-over jobs at once; the dependency still finishes", async () => {
  const h = harness(
    [
      { id: "a@dev.build", steps: [] },
      { id: "a@dev.lint", steps: [] },
      { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [] },
    ],
    { concurrency: 2, failFast: true },
  );
  await tick();
  assert.deepEqual(h.started, ["a@dev.build", "a@dev.lint"]);
  assert.equal(h.ticket("a@dev.deploy")!.after, "a@dev.build");
  h.finish("a@dev.lint", "failed");
  await tick();
  assert.equal(h.ticket("a@dev.deploy")!.verdict, false);
  h.ticket("a@dev.deploy")!.resolve!(undefined);
  await tick();
  assert.equal(h.result(), undefined, "build is still running");
  h.finish("a@dev.build");
  await h.done;
  assert.match(h.notRun.get("a@dev.deploy") ?? "", /fail-fast after a@dev\.lint failed/);
  assert.deepEqual(h.result(), { completed: 1, failed: 1, blocked: 0, notRun: 1 });
});

test("hand-off: a job withdrawn by fail-fast that the helper had already started counts as what it did, not as not run", async () => {
  const h = harness(
    [
      { id: "a@dev.build", steps: [] },
      { id: "a@dev.lint", steps: [] },
      { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [] },
      { id: "a@dev.smoke", dependsOn: ["a@dev.deploy"], steps: [] },
    ],
    { concurrency: 2, failFast: true },
  );
  await tick();
  h.finish("a@dev.lint", "failed");
  await tick();
  assert.equal(h.ticket("a@dev.deploy")!.verdict, false, "withdrawn at the stop");
  // Build ends next; the helper had started deploy before it read the withdrawal: the ticket answers with
  // deploy's outcome once it has run.
  h.finish("a@dev.build");
  await tick();
  assert.equal(h.result(), undefined, "the schedule waits for the job that ran on");
  h.ticket("a@dev.deploy")!.resolve!("completed");
  await h.done;
  assert.equal(h.notRun.has("a@dev.deploy"), false, "it ran: never recorded as not started");
  assert.equal(h.notRun.get("a@dev.smoke"), "not started: fail-fast after a@dev.lint failed", "nothing starts after the stop");
  assert.deepEqual(h.started, ["a@dev.build", "a@dev.lint"]);
  assert.deepEqual(h.result(), { completed: 2, failed: 1, blocked: 0, notRun: 1 });
});

const buildLintDeploy: JobSpec[] = [
  { id: "a@dev.build", steps: [] },
  { id: "a@dev.lint", steps: [] },
  { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [] },
];

for (const order of [["a@dev.build", "a@dev.lint"], ["a@dev.lint", "a@dev.build"]]) {
  test(`hand-off: under fail-fast a failure delivered in the same turn as the dependency's success withdraws the job (${order[0]} applied first)`, async () => {
    const h = harness(buildLintDeploy, { concurrency: 2, failFast: true });
    await tick();
    assert.equal(h.ticket("a@dev.deploy")!.after, "a@dev.build");
    // Both results are known before either is applied (one batch of end replies from the spawn helper).
    for (const id of order) h.finish(id, id === "a@dev.lint" ? "failed" : "completed");
    await tick();
    assert.equal(h.ticket("a@dev.deploy")!.verdict, false, "withdrawn, not confirmed");
    h.ticket("a@dev.deploy")!.resolve!(undefined);
    await h.done;
    assert.equal(h.notRun.get("a@dev.deploy"), "not started: fail-fast after a@dev.lint failed");
    assert.deepEqual(h.result(), { completed: 1, failed: 1, blocked: 0, notRun: 1 });
  });

  test(`hand-off: a job the helper started when its dependency succeeded runs on, though a failure delivered in the same turn stops the rest (${order[0]} applied first)`, async () => {
    const h = harness([...buildLintDeploy, { id: "a@dev.docs", dependsOn: ["a@dev.build"], steps: [] }], { concurrency: 3, failFast: true });
    await tick();
    for (const id of order) h.finish(id, id === "a@dev.lint" ? "failed" : "completed");
    await tick();
    assert.equal(h.ticket("a@dev.deploy")!.verdict, false, "withdrawn: only the runner knows whether it started");
    assert.deepEqual(h.started, ["a@dev.build", "a@dev.lint"], "docs, released with it, does not start");
    await tick();
    assert.equal(h.result(), undefined, "the schedule waits for the withdrawal's answer");
    // The helper had started it before it read the withdrawal: the ticket answers with its outcome.
    h.ticket("a@dev.deploy")!.resolve!("completed");
    await h.done;
    assert.equal(h.notRun.has("a@dev.deploy"), false, "it ran: never recorded as not started");
    assert.equal(h.notRun.get("a@dev.docs"), "not started: fail-fast after a@dev.lint failed");
    assert.deepEqual(h.result(), { completed: 2, failed: 1, blocked: 0, notRun: 1 });
  });
}

test("hand-off: never while ready jobs wait for a slot, at most one job per dependency, and a declined job starts as usual", async () => {
  const queued = harness([
    { id: "a@dev.one", steps: [] },
    { id: "a@dev.other", steps: [] },
    { id: "a@dev.two", dependsOn: ["a@dev.one"], steps: [] },
  ]);
  await tick();
  assert.equal(queued.tickets.length, 0, "a@dev.other is ready and would lose its turn");

  const fan = harness([
    { id: "a@dev.one", steps: [] },
    { id: "a@dev.b1", dependsOn: ["a@dev.one"], steps: [] },
    { id: "a@dev.b2", dependsOn: ["a@dev.one"], steps: [] },
  ]);
  await tick();
  // The one the ready queue would start first (plan order).
  assert.deepEqual(fan.tickets.map((t) => t.job), ["a@dev.b1"]);
  fan.finish("a@dev.one");
  await tick();
  assert.deepEqual(fan.started, ["a@dev.one"], "one slot: the handed-over job holds it");
  fan.ticket("a@dev.b1")!.resolve!("completed");
  await tick();
  assert.deepEqual(fan.started, ["a@dev.one", "a@dev.b2"]);
  fan.finish("a@dev.b2");
  await fan.done;
  assert.deepEqual(fan.result(), { completed: 3, failed: 0, blocked: 0, notRun: 0 });

  const declined = harness(chain, { decline: ["a@dev.two"] });
  await tick();
  assert.equal(declined.tickets.length, 0);
  declined.finish("a@dev.one");
  await tick();
  assert.deepEqual(declined.started, ["a@dev.one", "a@dev.two"]);
  assert.deepEqual(declined.tickets.map((t) => [t.job, t.after]), [["a@dev.three", "a@dev.two"]]);
});

/**
 * One job at a time, each finished as soon as it runs (completed unless `failing` names it): the order jobs
 * start in — through run() or a confirmed hand-off — and the reasons of those that do not run.
 */
async function sequence(specs: JobSpec[], handOff: boolean, failing: ReadonlySet<string>, failFast = false): Promise<{ order: string[]; notRun: Map<string, string> }> {
  const plan = makePlan(specs);
  const order: string[] = [];
  const notRun = new Map<string, string>();
  const running: ((o: JobOutcome) => void)[] = [];
  const outcome = (id: string): JobOutcome => (failing.has(id) ? "failed" : "completed");
  let finished = false;
  const done = schedule({
    jobs: orderJobs(plan.jobs),
    concurrency: 1,
    failFast,
    satisfied: new Set(),
    notRun: (job, reason) => notRun.set(job.id, reason),
    run: (job) =>
      new Promise<JobOutcome>((resolve) => {
        order.push(job.id);
        running.push(() => resolve(outcome(job.id)));
      }),
    handOff: handOff
      ? (job) => ({
          settle: (go) =>
            go
              ? new Promise<JobOutcome | undefined>((resolve) => {
                  order.push(job.id);
                  running.push(() => resolve(outcome(job.id)));
                })
              : Promise.resolve(undefined),
        })
      : undefined,
  }).then(() => (finished = true));
  while (!finished) {
    await tick();
    const next = running.shift();
    assert.ok(next || finished || running.length === 0);
    next?.("completed");
  }
  await done;
  return { order, notRun };
}

test("hand-off: at concurrency 1 jobs start in exactly the order they would without it (smallest ready ID first)", async () => {
  // a's completion readies b and c (b is handed over); d waits only for b — it must not jump ahead of c.
  const specs: JobSpec[] = [
    { id: "a@dev.a", steps: [] },
    { id: "a@dev.b", dependsOn: ["a@dev.a"], steps: [] },
    { id: "a@dev.c", dependsOn: ["a@dev.a"], steps: [] },
    { id: "a@dev.d", dependsOn: ["a@dev.b"], steps: [] },
  ];
  const plain = await sequence(specs, false, new Set());
  assert.deepEqual(plain.order, ["a@dev.a", "a@dev.b", "a@dev.c", "a@dev.d"]);
  assert.deepEqual((await sequence(specs, true, new Set())).order, plain.order);
});

test("hand-off: random DAGs at concurrency 1, with failures and fail-fast, run and skip the same jobs in the same order", async () => {
  let seed = 42;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let round = 0; round < 150; round++) {
    const n = 3 + Math.floor(random() * 14);
    const specs: JobSpec[] = [];
    const failing = new Set<string>();
    for (let i = 0; i < n; i++) {
      const id = `c@dev.j${i}`;
      specs.push({ id, dependsOn: specs.filter(() => random() < 0.3).map((s) => s.id), steps: [] });
      if (random() < 0.1) failing.add(id);
    }
    const failFast = random() < 0.5;
    const plain = await sequence(specs, false, failing, failFast);
    const handed = await sequence(specs, true, failing, failFast);
    assert.deepEqual(handed.order, plain.order, `round ${round}`);
    assert.deepEqual([...handed.notRun].sort(), [...plain.notRun].sort(), `round ${round}`);
  }
});
