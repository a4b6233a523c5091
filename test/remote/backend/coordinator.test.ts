import { test } from "node:test";
import assert from "node:assert/strict";
import { CoordinatorError, WholeRunNeeded, claimJob, heartbeatJob, initialJobs, isJobActionable, releaseExpiredLeases, releaseJob, updateJob, type Clock, type JobRecord, type Mutation, type RunState } from "../../../src/remote/backend/coordinator.js";
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

test("a later attempt waits for the retry of the failure that skipped its jobs one retry grace, from its first claim behind that failure", () => {
  const GRACE = 60_000;
  const at = (ms: number): Clock => ({ now: new Date(Date.UTC(2026, 0, 1) + ms), leaseMs: 120_000, retryGraceMs: GRACE });
  const run = { namespace: "ns", runId: "r", status: "running", planChecksum: "c", triggerType: "ci", actor: null, dryRun: false, createdAt: "", updatedAt: "", finishedAt: null, revision: null } as const;
  const state: RunState = { run: { ...run }, jobs: initialJobs(plan([{ jobId: "x" }, { jobId: "d", deps: ["x"] }, { jobId: "e", deps: ["x"] }, { jobId: "f", deps: ["d"] }])) };
  const [first, second] = [1, 2].map((attempt) => ({ runId: "77", attempt }));
  assert.equal(claimJob(state, "x", "a1-x", at(0), { workflowRun: first }).result.claimed, true);
  updateJob(state, "x", "a1-x", "failed", "exit status 3", at(1));
  const [, d, e, f] = state.jobs as [unknown, JobRecord, JobRecord, JobRecord];
  assert.deepEqual([d.status, d.runAttempt, e.status, f.status], ["skipped", 1, "skipped", "skipped"]);

  // Attempt 2's first claim behind x starts the wait for x's retry (a write of the run's retry waits, no job);
  // later claims, of any job behind x, only read it.
  const opening = claimJob(state, "d", "a2-d", at(1_000), { workflowRun: second });
  assert.equal(opening.result.depsWaiting, true);
  assert.deepEqual([opening.changedJobs, opening.retryWaits], [[], { x: { attempt: 2, since: at(1_000).now.toISOString() } }]);
  assert.deepEqual(state.run.retryWaits, opening.retryWaits);
  const within = claimJob(state, "e", "a2-e", at(1_000 + GRACE - 1), { workflowRun: second });
  assert.deepEqual([within.result.depsWaiting, within.changedJobs.length, within.retryWaits], [true, 0, undefined]);
  assert.equal(isJobActionable(f, state, at(1_000 + GRACE - 1), second), false);
  // Past it: not retried, naming x, for every job behind x — also one first claimed after the grace (e, f): one
  // grace for the failure and the attempt, not one per job. A long-poll of attempt 2 is answered. Nothing changes.
  for (const job of [d, e, f]) {
    assert.equal(isJobActionable(job, state, at(1_000 + GRACE), second), true, job.jobId);
    const told = claimJob(state, job.jobId, `a2-${job.jobId}`, at(1_000 + GRACE), { workflowRun: second });
    assert.deepEqual([told.result.depsBlocked, told.result.notRetried, told.result.stop, told.changedJobs.length, told.retryWaits], [true, "x", undefined, 0, undefined], job.jobId);
  }
  const told = claimJob(state, "d", "a2-d", at(1_000 + GRACE), { workflowRun: second });
  assert.equal(
    told.result.reason,
    `dependency x failed in attempt 1, and no runner of attempt 2 retried x within 1m: if its leg was not re-run with this one (GitHub's "Re-run this job" re-runs one leg), "Re-run failed jobs" re-runs both; ` +
      "if it is queued, re-run this leg once it has retried x (orun backend serve --retry-grace sets how long a leg waits)",
  );
  // Attempt 1's claimers are told d is blocked, as before: the grace is only for a later attempt's.
  assert.equal(isJobActionable(d, state, at(2_000), first), true);

  // x is retried by hand (no OIDC: its attempt stays 1) and fails again: d is skipped again, and attempt 2's wait
  // that began before that is over; its next claim starts a grace anew, which e's claim then shares.
  assert.equal(claimJob(state, "x", "laptop", at(2 * GRACE), { retry: true, wholeRun: true }).result.claimed, true);
  assert.equal(d.status, "pending");
  updateJob(state, "x", "laptop", "failed", "exit status 3", at(2 * GRACE + 1));
  assert.deepEqual([d.status, d.runAttempt], ["skipped", 1]);
  const anew = claimJob(state, "d", "a2-d", at(2 * GRACE + 2), { workflowRun: second });
  assert.deepEqual([anew.result.depsWaiting, anew.retryWaits], [true, { x: { attempt: 2, since: at(2 * GRACE + 2).now.toISOString() } }]);
  assert.equal(claimJob(state, "e", "a2-e", at(3 * GRACE + 2), { workflowRun: second }).result.notRetried, "x");

  // x's leg of attempt 2 comes after all (queued past the grace): it retries x, and says the legs that waited gave up.
  const late = claimJob(state, "x", "a2-x", at(3 * GRACE + 3), { workflowRun: second, wholeRun: true });
  assert.deepEqual([late.result.retried, late.result.reopened, late.result.reopenedGaveUpAfter], [true, ["d", "e", "f"], "1m"]);
});

test("a later attempt's leg of the failed job within the grace reopens its dependents without a word of giving up", () => {
  const at = (ms: number): Clock => ({ now: new Date(Date.UTC(2026, 0, 1) + ms), leaseMs: 120_000, retryGraceMs: 60_000 });
  const run = { namespace: "ns", runId: "r", status: "running", planChecksum: "c", triggerType: "ci", actor: null, dryRun: false, createdAt: "", updatedAt: "", finishedAt: null, revision: null } as const;
  const state: RunState = { run: { ...run }, jobs: initialJobs(plan([{ jobId: "x" }, { jobId: "d", deps: ["x"] }])) };
  const [first, second] = [1, 2].map((attempt) => ({ runId: "77", attempt }));
  claimJob(state, "x", "a1-x", at(0), { workflowRun: first });
  updateJob(state, "x", "a1-x", "failed", "exit status 3", at(1));
  assert.equal(claimJob(state, "d", "a2-d", at(1_000), { workflowRun: second }).result.depsWaiting, true);
  const retried = claimJob(state, "x", "a2-x", at(59_000), { workflowRun: second, wholeRun: true });
  assert.deepEqual([retried.result.retried, retried.result.reopened, retried.result.reopenedGaveUpAfter], [true, ["d"], undefined]);
});

test("a later attempt's claim behind an earlier failure, in a run its own attempt stopped, is told the stop at once", () => {
  const clock: Clock = { now: new Date(Date.UTC(2026, 0, 1)), leaseMs: 120_000, retryGraceMs: 60_000 };
  const run = { namespace: "ns", runId: "r", status: "running", planChecksum: "c", triggerType: "ci", actor: null, dryRun: false, createdAt: "", updatedAt: "", finishedAt: null, revision: null, failFast: true } as const;
  const state: RunState = { run: { ...run }, jobs: initialJobs(plan([{ jobId: "x" }, { jobId: "y" }, { jobId: "d", deps: ["x"] }])) };
  const [first, second] = [1, 2].map((attempt) => ({ runId: "77", attempt }));
  // What the stores do with a mutation's stop and reopening of the run.
  const apply = <T>(m: Mutation<T>): Mutation<T> => {
    if (m.reopenRun) state.run.stoppedReason = null;
    if (m.stopRun) state.run.stoppedReason ??= m.stopRun;
    return m;
  };
  apply(claimJob(state, "x", "a1-x", clock, { workflowRun: first }));
  apply(claimJob(state, "y", "a1-y", clock, { workflowRun: first }));
  apply(updateJob(state, "x", "a1-x", "failed", "exit status 3", clock));
  apply(updateJob(state, "y", "a1-y", "failed", "exit status 3", clock));
  assert.equal(state.run.stoppedReason, "fail-fast after x failed");
  // Attempt 2: y's leg reopens the run and fails again, stopping it in attempt 2.
  assert.equal(apply(claimJob(state, "y", "a2-y", clock, { workflowRun: second, wholeRun: true })).result.retried, true);
  apply(updateJob(state, "y", "a2-y", "failed", "exit status 3", clock));
  assert.equal(state.run.stoppedReason, "fail-fast after y failed");
  const d = state.jobs[2]!;
  assert.deepEqual([d.status, d.lastError, d.runAttempt], ["skipped", "dependency x failed", 1]);
  // Which attempt stopped the run takes every job: a claim on part of the run asks for all of it.
  assert.throws(() => claimJob({ run: state.run, jobs: [d, state.jobs[0]!] }, "d", "a2-d", clock, { workflowRun: second }), WholeRunNeeded);
  const told = claimJob(state, "d", "a2-d", clock, { workflowRun: second, wholeRun: true });
  assert.deepEqual(
    [told.result.depsBlocked, told.result.stop, told.result.depsWaiting, told.result.notRetried, told.result.reason, told.retryWaits],
    [true, true, undefined, undefined, "the run stopped in attempt 2 (fail-fast after y failed); --retry reopens it", undefined],
  );
  // A long-poll holding the job that stopped the run ends at once.
  assert.equal(isJobActionable(d, { run: state.run, jobs: [d, state.jobs[1]!] }, clock, second), true);
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
  const told = claimJob({ run: { ...run, retryWaits: { z: { attempt: 2, since } } }, jobs }, "g", "a2-g", clock, { workflowRun: { runId: "77", attempt: 2 } });
  assert.equal(told.result.notRetried, "z");
  assert.match(told.result.reason ?? "", /^dependency f skipped in attempt 1, and no runner of attempt 2 retried z within 1s: if its leg was not re-run/);
});

test("a runner canceled gives its job back: pending at once, attempt kept, dependents waiting, taken over by the next claim; its late beat does not retake it; in a stopped run it is skipped as not started", () => {
  const at = (ms: number): Clock => ({ now: new Date(Date.UTC(2026, 0, 1) + ms), leaseMs: 120_000, retryGraceMs: 60_000 });
  const run = { namespace: "ns", runId: "r", status: "running", planChecksum: "c", triggerType: "ci", actor: null, dryRun: false, createdAt: "", updatedAt: "", finishedAt: null, revision: null, failFast: true } as const;
  const state: RunState = { run: { ...run }, jobs: initialJobs(plan([{ jobId: "x" }, { jobId: "d", deps: ["x"] }])) };
  assert.equal(claimJob(state, "x", "one", at(0)).result.claimed, true);
  assert.deepEqual(releaseJob(state, "x", "one", "canceled while it ran (step s: canceled)", at(1)).result, { ok: true, status: "pending" });
  const [x, d] = state.jobs as [JobRecord, JobRecord];
  assert.deepEqual([x.status, x.attempts, x.lastError, d.status], ["pending", 1, "released by its runner one: canceled while it ran (step s: canceled)", "pending"]);
  assert.ok(!state.run.stoppedReason, "no fail-fast");
  // A runner waiting behind it hears it was given back, not that a lease lapsed.
  const behind = claimJob(state, "d", "three", at(1)).result;
  assert.deepEqual([behind.depsAbandoned, behind.depsReleased], [["x"], ["x"]]);
  // A repeat (its answer lost) is answered the same; a beat already on its way is told to stop.
  assert.deepEqual(releaseJob(state, "x", "one", undefined, at(2)).result, { ok: true, status: "pending" });
  assert.deepEqual(heartbeatJob(state, "x", "one", at(3)).result, { ok: false, abort: true });
  assert.equal(x.status, "pending");
  // Another runner's claim takes it over; the first can no longer release it.
  const taken = claimJob(state, "x", "two", at(4)).result;
  assert.deepEqual([taken.claimed, taken.takeover], [true, true]);
  assert.throws(() => releaseJob(state, "x", "one", undefined, at(5)), (err: unknown) => err instanceof CoordinatorError && err.status === 400);
  // The run stopped meanwhile (fail-fast elsewhere): nobody takes it over, so it ends as the stop's other jobs do.
  state.run.stoppedReason = "fail-fast after z failed";
  assert.deepEqual(releaseJob(state, "x", "two", "canceled", at(6)).result, { ok: true, status: "skipped" });
  assert.deepEqual([x.status, x.lastError], ["skipped", "not started: fail-fast after z failed"]);
});

test("a claim of a job another runner holds says when its lease lapses, on the backend's clock; a claim past then takes it over", () => {
  const at = (ms: number): Clock => ({ now: new Date(Date.UTC(2026, 0, 1) + ms), leaseMs: 5_000 });
  const run = { namespace: "ns", runId: "r", status: "running", planChecksum: "c", triggerType: "ci", actor: null, dryRun: false, createdAt: "", updatedAt: "", finishedAt: null, revision: null, failFast: false } as const;
  const state: RunState = { run: { ...run }, jobs: initialJobs(plan([{ jobId: "x" }])) };
  assert.equal(claimJob(state, "x", "one", at(0)).result.claimed, true);
  assert.deepEqual(claimJob(state, "x", "two", at(1_500)).result, { claimed: false, currentStatus: "running", reason: "running on runner one", leaseExpiresInMs: 3_500 });
  // A beat renews it: the answer moves with it.
  heartbeatJob(state, "x", "one", at(2_000));
  assert.equal(claimJob(state, "x", "two", at(2_000)).result.leaseExpiresInMs, 5_000);
  // At the lapse itself the lease still holds (isLeaseExpired is strict); just past it, the claim takes over.
  assert.deepEqual(claimJob(state, "x", "two", at(7_000)).result.leaseExpiresInMs, 0);
  const taken = claimJob(state, "x", "two", at(7_001)).result;
  assert.deepEqual([taken.claimed, taken.takeover], [true, true]);
  // Swept instead (its runner stopped heartbeating): abandoned, not released.
  const swept: RunState = { run: { ...run }, jobs: initialJobs(plan([{ jobId: "y" }, { jobId: "e", deps: ["y"] }])) };
  claimJob(swept, "y", "one", at(0));
  releaseExpiredLeases(swept, at(5_001));
  const waiting = claimJob(swept, "e", "two", at(5_002)).result;
  assert.deepEqual([waiting.depsAbandoned, waiting.depsReleased], [["y"], undefined]);
});

test("in a stopped run, a claim under the holder's runner ID without its lease takes over nothing: the lapsed job ends there", () => {
  const clock = (ms: number): Clock => ({ now: new Date(Date.UTC(2026, 0, 1) + ms), leaseMs: 60_000 });
  const run = { namespace: "ns", runId: "r", status: "running", planChecksum: "c", triggerType: "ci", actor: null, dryRun: false, createdAt: "", updatedAt: "", finishedAt: null, revision: null } as const;
  const state: RunState = { run: { ...run }, jobs: initialJobs(plan([{ jobId: "x" }])) };
  const claimed = claimJob(state, "x", "r1", clock(0), { claimKey: "key-of-r1-claim-0000", newLease: "secret-of-r1" });
  assert.equal(claimed.result.leaseToken, "secret-of-r1");
  state.run.stoppedReason = "fail-fast after y failed";
  // Its lease lapsed: a claim naming r1 with another claim key is no holder, and a stopped run hands nothing on.
  const late = claimJob(state, "x", "r1", clock(61_000), { claimKey: "key-of-another-claim", newLease: "another-secret" });
  assert.deepEqual([late.result.claimed, late.result.stop, late.result.leaseToken], [false, true, undefined]);
  assert.equal(state.jobs[0]!.status, "failed");
  // The holder itself, with its secret, gets it back (a fresh copy of the run, as before the late claim).
  const again: RunState = { run: { ...run }, jobs: initialJobs(plan([{ jobId: "x" }])) };
  claimJob(again, "x", "r1", clock(0), { claimKey: "key-of-r1-claim-0000", newLease: "secret-of-r1" });
  again.run.stoppedReason = "fail-fast after y failed";
  assert.deepEqual(claimJob(again, "x", "r1", clock(61_000), { presentedLease: "secret-of-r1" }).result, { claimed: true, leaseMs: 60_000 });
});

test("a takeover keeps the job's first start; a retry of the failed job starts it afresh", () => {
  const at = (ms: number): Clock => ({ now: new Date(Date.UTC(2026, 0, 1) + ms), leaseMs: 1_000 });
  const run = { namespace: "ns", runId: "r", status: "running", planChecksum: "c", triggerType: "ci", actor: null, dryRun: false, createdAt: "", updatedAt: "", finishedAt: null, revision: null } as const;
  const state: RunState = { run: { ...run }, jobs: initialJobs(plan([{ jobId: "x" }])) };
  const [job] = state.jobs as [JobRecord];
  assert.equal(claimJob(state, "x", "r1", at(0)).result.claimed, true);
  const taken = claimJob(state, "x", "r2", at(5_000));
  assert.deepEqual([taken.result.claimed, (taken.result as { takeover?: boolean }).takeover], [true, true]);
  assert.deepEqual([job.runnerId, job.startedAt, job.attempts], ["r2", at(0).now.toISOString(), 2]);
  updateJob(state, "x", "r2", "failed", "exit status 1", at(6_000));
  assert.equal(claimJob(state, "x", "r3", at(9_000), { retry: true, wholeRun: true }).result.claimed, true);
  assert.deepEqual([job.runnerId, job.startedAt, job.attempts], ["r3", at(9_000).now.toISOString(), 3]);
});

test("the runner a leased job was taken from is told to abort, and its late result is refused as not its own, not as a bad lease", () => {
  const at = (ms: number): Clock => ({ now: new Date(Date.UTC(2026, 0, 1) + ms), leaseMs: 1_000 });
  const run = { namespace: "ns", runId: "r", status: "running", planChecksum: "c", triggerType: "ci", actor: null, dryRun: false, createdAt: "", updatedAt: "", finishedAt: null, revision: null } as const;
  const state: RunState = { run: { ...run }, jobs: initialJobs(plan([{ jobId: "x" }])) };
  assert.equal(claimJob(state, "x", "r1", at(0), { claimKey: "key-1", newLease: "lease-1" }).result.claimed, true);
  assert.equal(claimJob(state, "x", "r2", at(5_000), { claimKey: "key-2", newLease: "lease-2" }).result.claimed, true);
  assert.deepEqual(heartbeatJob(state, "x", "r1", at(5_100), "lease-1").result, { ok: false, abort: true });
  assert.throws(
    () => updateJob(state, "x", "r1", "success", undefined, at(5_200), { lease: "lease-1" }),
    (err: unknown) => err instanceof CoordinatorError && err.status === 400 && err.message === "Runner does not own this job",
  );
  assert.equal((state.jobs[0] as JobRecord).runnerId, "r2");
});
