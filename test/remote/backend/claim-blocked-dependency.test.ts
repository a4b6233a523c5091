// A pending job whose dependency failed or was skipped is never claimed, and the claim says the job is blocked
// (depsBlocked, naming the dependency): a runner told only "waiting" would keep polling for a job that can never
// run. updateJob's cascade normally marks such a job skipped itself; this is the claim's own guard for a state
// the cascade did not reach (a run stored by another backend version, or rows edited by hand).
import { test } from "node:test";
import assert from "node:assert/strict";
import { claimJob, initialJobs, type Clock, type RunState } from "../../../src/remote/backend/coordinator.js";
import type { BackendPlan } from "../../../src/remote/protocol.js";

const clock: Clock = { now: new Date(Date.UTC(2026, 0, 1)), leaseMs: 120_000, retryGraceMs: 60_000 };

function runWith(depStatus: "failed" | "skipped"): RunState {
  const plan: BackendPlan = { checksum: "sha256-x", jobs: [{ jobId: "a" }, { jobId: "b", deps: ["a"] }] as BackendPlan["jobs"] };
  const run = { namespace: "ns", runId: "r", status: "running", planChecksum: "c", triggerType: "ci", actor: null, dryRun: false, createdAt: "", updatedAt: "", finishedAt: null, revision: null } as const;
  const state: RunState = { run: { ...run }, jobs: initialJobs(plan) };
  state.jobs[0]!.status = depStatus;
  return state;
}

for (const depStatus of ["failed", "skipped"] as const) {
  test(`a pending job whose dependency ${depStatus} is not claimed and is told blocked, not waiting`, () => {
    const state = runWith(depStatus);
    const told = claimJob(state, "b", "runner-1", clock);
    assert.equal(told.result.claimed, false);
    assert.equal(told.result.depsBlocked, true);
    assert.equal(told.result.depsWaiting, undefined);
    assert.equal(told.result.reason, `dependency a ${depStatus}`);
    assert.equal(state.jobs[1]!.status, "pending", "the job is left pending, not taken");
    assert.deepEqual(told.changedJobs, []);
  });
}
