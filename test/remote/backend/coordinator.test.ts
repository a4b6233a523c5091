import { test } from "node:test";
import assert from "node:assert/strict";
import { CoordinatorError, claimJob, initialJobs, isJobActionable, updateJob, type Clock, type RunState } from "../../../src/remote/backend/coordinator.js";
import type { BackendPlan } from "../../../src/remote/protocol.js";

const plan = (jobs: unknown[]): BackendPlan => ({ checksum: "sha256-x", jobs: jobs as BackendPlan["jobs"] });

function rejects(jobs: unknown[], message: string): void {
  assert.throws(
    () => initialJobs(plan(jobs)),
    (err: unknown) => err instanceof CoordinatorError && err.status === 400 && err.message === message,
    message,
  );
}

test("registration reports the first problem in plan order, as an HTTP 400", () => {
  rejects([{ jobId: "a" }, { jobId: "a" }, { jobId: "" }], "Duplicate jobId: a");
  rejects([{ jobId: "a" }, { jobId: " " }, { jobId: "a" }], "plan.jobs[1].jobId must be a non-empty string");
  rejects([{ jobId: "a", deps: ["ghost"] }, { jobId: "b", deps: "a" }], "Job a depends on unknown job ghost");
  rejects([{ jobId: "a", deps: [1] }, { jobId: "b", deps: ["ghost"] }], "plan.jobs[0].deps must be an array of job IDs");
});

test("a cycle is named from the first job in plan order that reaches it, following deps as listed", () => {
  rejects([{ jobId: "z", deps: ["y"] }, { jobId: "y", deps: ["x"] }, { jobId: "x", deps: ["y"] }], "Dependency cycle: y -> x -> y");
  rejects([{ jobId: "a", deps: ["a"] }], "Dependency cycle: a -> a");
  rejects(
    [
      { jobId: "r", deps: ["p", "q"] },
      { jobId: "q", deps: ["r"] },
      { jobId: "p", deps: [] },
    ],
    "Dependency cycle: r -> q -> r",
  );
});

test("a 20,000-job chain registers (the cycle check does not recurse) with deps de-duplicated", () => {
  const jobs = Array.from({ length: 20_000 }, (_, i) => ({ jobId: `j${i}`, deps: i === 0 ? [] : [`j${i - 1}`, `j${i - 1}`] })).reverse();
  const records = initialJobs(plan(jobs));
  assert.equal(records.length, 20_000);
  assert.equal(records[0]!.jobId, "j19999");
  assert.deepEqual(records[0]!.deps, ["j19998"]);
  assert.equal(records[0]!.position, 0);
  assert.equal(records[0]!.status, "pending");
});

test("a later attempt waits for the retry of the failure that skipped its job only within the retry grace, from its first claim", () => {
  const GRACE = 60_000;
  const at = (ms: number): Clock => ({ now: new Date(Date.UTC(2026, 0, 1) + ms), leaseMs: 120_000, retryGraceMs: GRACE });
  const run = { namespace: "ns", runId: "r", status: "running", planChecksum: "c", triggerType: "ci", actor: null, dryRun: false, createdAt: "", updatedAt: "", finishedAt: null, revision: null } as const;
  const state: RunState = { run: { ...run }, jobs: initialJobs(plan([{ jobId: "x" }, { jobId: "d", deps: ["x"] }])) };
  const [first, second] = [1, 2].map((attempt) => ({ runId: "77", attempt }));
  assert.equal(claimJob(state, "x", "a1-x", at(0), { workflowRun: first }).result.claimed, true);
  updateJob(state, "x", "a1-x", "failed", "exit status 3", at(1));
  const d = state.jobs[1]!;
  assert.deepEqual([d.status, d.runAttempt], ["skipped", 1]);

  // Attempt 2's first claim of d starts its grace (a write); later claims within it only wait.
  const opening = claimJob(state, "d", "a2-d", at(1_000), { workflowRun: second });
  assert.equal(opening.result.depsWaiting, true);
  assert.deepEqual(opening.changedJobs, [d]);
  assert.deepEqual(d.retryAwaited, { attempt: 2, since: at(1_000).now.toISOString() });
  const within = claimJob(state, "d", "a2-d", at(1_000 + GRACE - 1), { workflowRun: second });
  assert.deepEqual([within.result.depsWaiting, within.changedJobs.length], [true, 0]);
  assert.equal(isJobActionable(d, state, at(1_000 + GRACE - 1), second), false);
  // Past it: not retried, naming x; a long-poll of attempt 2 is answered. Nothing changes.
  assert.equal(isJobActionable(d, state, at(1_000 + GRACE), second), true);
  const told = claimJob(state, "d", "a2-d", at(1_000 + GRACE), { workflowRun: second });
  assert.deepEqual([told.result.depsBlocked, told.result.notRetried, told.result.stop, told.changedJobs.length], [true, "x", undefined, 0]);
  assert.match(told.result.reason ?? "", /^dependency x failed in attempt 1, and no runner of attempt 2 retried x within 1m: /);
  // Attempt 1's claimers are told d is blocked, as before: the grace is only for a later attempt's.
  assert.equal(isJobActionable(d, state, at(2_000), first), true);

  // x is retried by hand (no OIDC: its attempt stays 1) and fails again: d is skipped again, and attempt 2's wait
  // recorded before that is over; its next claim starts a grace anew.
  assert.equal(claimJob(state, "x", "laptop", at(2 * GRACE), { retry: true, wholeRun: true }).result.claimed, true);
  assert.equal(d.status, "pending");
  updateJob(state, "x", "laptop", "failed", "exit status 3", at(2 * GRACE + 1));
  assert.deepEqual([d.status, d.runAttempt], ["skipped", 1]);
  const anew = claimJob(state, "d", "a2-d", at(2 * GRACE + 2), { workflowRun: second });
  assert.deepEqual([anew.result.depsWaiting, anew.changedJobs], [true, [d]]);
});

test("a leg told its failed dependency was not retried hears of the failed job, through the skipped jobs in between", () => {
  const clock: Clock = { now: new Date(Date.UTC(2026, 0, 1)), leaseMs: 120_000, retryGraceMs: 1_000 };
  const since = new Date(clock.now.getTime() - 5_000).toISOString();
  const run = { namespace: "ns", runId: "r", status: "failed", planChecksum: "c", triggerType: "ci", actor: null, dryRun: false, createdAt: "", updatedAt: "", finishedAt: null, revision: null } as const;
  const jobs = initialJobs(plan([{ jobId: "z" }, { jobId: "f", deps: ["z"] }, { jobId: "g", deps: ["f"] }]));
  const skipped = (job: (typeof jobs)[number], lastError: string) => Object.assign(job, { status: "skipped", lastError, finishedAt: since, ciRunId: "77", runAttempt: 1 });
  Object.assign(jobs[0]!, { status: "failed", lastError: "exit status 3", ciRunId: "77", runAttempt: 1 });
  // reopenDependents skips a job again naming its skipped dependency, not the failure behind it.
  skipped(jobs[1]!, "dependency z failed");
  skipped(jobs[2]!, "dependency f skipped");
  jobs[2]!.retryAwaited = { attempt: 2, since };
  const told = claimJob({ run: { ...run }, jobs }, "g", "a2-g", clock, { workflowRun: { runId: "77", attempt: 2 } });
  assert.equal(told.result.notRetried, "z");
  assert.match(told.result.reason ?? "", /^dependency f skipped in attempt 1, and no runner of attempt 2 retried z within 1s: /);
});
