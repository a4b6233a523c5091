// Fail-fast across runners, on both stores: in a run whose plan is failFast
// (decision 6: failFast stops starting new jobs and lets running ones finish),
// a failed job stops the whole run — every job not started yet is skipped and
// its claim answers `stop` — whichever runner it failed on. A failure the
// runner reports as tolerated (only `onFailure: continue` steps, or a blocked
// job) skips only its dependents, and a plan without failFast keeps v2's rule.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sweepOnce } from "../../../src/remote/backend/sweeper.js";
import { api, backendOnStore, enc, planOf, startTestBackend, type StoreKind } from "../helpers.js";

interface Claim {
  claimed: boolean;
  currentStatus?: string;
  depsBlocked?: boolean;
  stop?: boolean;
  reason?: string;
}

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`fail-fast across runners on ${kind}`, () => {
    const on = backendOnStore(kind, { sweepIntervalMs: 3600_000 });
    let n = 0;
    const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => api<T>(on.backend.url, on.token, method, path, body);
    const create = async (failFast: boolean | undefined) => {
      const runId = `ff-${++n}-${Date.now()}`;
      const plan = { ...planOf({ "a@dev.x": [], "b@dev.x": [], "c@dev.x": ["b@dev.x"], "d@dev.x": [] }), ...(failFast === undefined ? {} : { failFast }) };
      assert.equal((await call("POST", "/v1/runs", { plan, runId })).status, 201);
      return runId;
    };
    const claim = async (runId: string, job: string, runner: string) => (await call<Claim>("POST", `/v1/runs/${runId}/jobs/${enc(job)}/claim`, { runnerId: runner })).body;
    const update = async (runId: string, job: string, runner: string, status: string, extra: Record<string, unknown> = {}) =>
      (await call("POST", `/v1/runs/${runId}/jobs/${enc(job)}/update`, { runnerId: runner, status, ...extra })).status;
    const jobs = async (runId: string) =>
      Object.fromEntries((await call<{ jobs: { jobId: string; status: string; lastError: string | null }[] }>("GET", `/v1/runs/${runId}/jobs`)).body.jobs.map((j) => [j.jobId, j]));

    it("a failure stops a failFast run: jobs not started are skipped and their claims answer stop; running ones finish", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const runId = await create(true);
      assert.equal((await claim(runId, "a@dev.x", "r1")).claimed, true);
      assert.equal((await claim(runId, "b@dev.x", "r2")).claimed, true);
      assert.equal(await update(runId, "a@dev.x", "r1", "failed", { error: "step main: exit status 3" }), 200);

      const d = await claim(runId, "d@dev.x", "r3");
      assert.deepEqual(d, { claimed: false, currentStatus: "skipped", depsBlocked: true, stop: true, reason: "not started: fail-fast after a@dev.x failed" });
      assert.equal((await claim(runId, "c@dev.x", "r4")).stop, true, "a job waiting on a running one will not start either");
      // b was running: it finishes and its result counts; c (its dependent) stays skipped.
      assert.equal(await update(runId, "b@dev.x", "r2", "success"), 200);
      const after = await jobs(runId);
      assert.deepEqual(Object.fromEntries(Object.entries(after).map(([id, j]) => [id, j.status])), { "a@dev.x": "failed", "b@dev.x": "success", "c@dev.x": "skipped", "d@dev.x": "skipped" });
      assert.equal(after["c@dev.x"]!.lastError, "not started: fail-fast after a@dev.x failed");
      const run = (await call<{ status: string; stoppedReason?: string }>("GET", `/v1/runs/${runId}`)).body;
      assert.deepEqual([run.status, run.stoppedReason], ["failed", "fail-fast after a@dev.x failed"], "the run is finished (failed) once its running jobs end");
    });

    it("in a stopped run, a job whose runner died is not handed to another runner: a claim or the sweeper ends it failed", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const shortLease = await startTestBackend(on.db.url, { leaseMs: 200, sweepIntervalMs: 3600_000 });
      try {
        const short = (job: string, runner: string) => api<Claim>(shortLease.url, on.token, "POST", `/v1/runs/${runIdOf}/jobs/${enc(job)}/claim`, { runnerId: runner });
        const runIdOf = await create(true);
        for (const [job, runner] of [["a@dev.x", "r1"], ["b@dev.x", "dies"], ["d@dev.x", "dies-too"]] as const) assert.equal((await short(job, runner)).body.claimed, true);
        assert.equal(await update(runIdOf, "a@dev.x", "r1", "failed"), 200);
        await new Promise((resolve) => setTimeout(resolve, 400));
        // b's lease expired after the run stopped: a claim does not take it over.
        const taken = (await short("b@dev.x", "rescuer")).body;
        assert.deepEqual([taken.claimed, taken.currentStatus, taken.stop], [false, "failed", true]);
        assert.match(taken.reason ?? "", /^lease expired after the run stopped \(fail-fast after a@dev\.x failed\): runner dies stopped heartbeating/);
        // d's: the sweeper ends it instead of releasing it for a takeover.
        const clock = () => ({ now: new Date(Date.now() + 60_000), leaseMs: 200 });
        const swept = await sweepOnce({ store: on.backend.store, settings: { leaseMs: 200, maxLongPollMs: 1, longPollRecheckMs: 1, maxLogBytes: 1, maxJsonBytes: 1 }, clock }, 24 * 3600_000);
        assert.equal(swept.released, 0, "nothing released for a takeover");
        const after = await jobs(runIdOf);
        assert.deepEqual([after["d@dev.x"]!.status, after["c@dev.x"]!.status], ["failed", "skipped"]);
        assert.equal((await call<{ status: string }>("GET", `/v1/runs/${runIdOf}`)).body.status, "failed", "every job ended: the run is finished");
        assert.equal((await call<{ ok: boolean; abort?: boolean }>("POST", `/v1/runs/${runIdOf}/jobs/${enc("d@dev.x")}/heartbeat`, { runnerId: "dies-too" })).body.abort, true, "a runner that was only stalled is told to stop");
      } finally {
        await shortLease.stop();
      }
    });

    it("a tolerated failure (onFailure: continue, or blocked) skips only its dependents; without failFast a failure stops nothing (v2)", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const tolerant = await create(true);
      assert.equal((await claim(tolerant, "b@dev.x", "r1")).claimed, true);
      assert.equal(await update(tolerant, "b@dev.x", "r1", "failed", { error: "step lint: exit status 1", tolerated: true }), 200);
      const c = await claim(tolerant, "c@dev.x", "r2");
      assert.deepEqual([c.currentStatus, c.depsBlocked, c.stop, c.reason], ["skipped", true, undefined, "dependency b@dev.x failed"], "skipped as a dependent, not a stop");
      assert.equal((await claim(tolerant, "d@dev.x", "r3")).claimed, true, "an independent job still starts");

      for (const failFast of [false, undefined]) {
        const plain = await create(failFast);
        assert.equal((await claim(plain, "a@dev.x", "r1")).claimed, true);
        assert.equal(await update(plain, "a@dev.x", "r1", "failed"), 200);
        assert.equal((await claim(plain, "d@dev.x", "r2")).claimed, true, `failFast ${failFast}: independent jobs still start`);
        const c2 = await claim(plain, "b@dev.x", "r3");
        assert.equal(c2.stop, undefined);
      }
    });
  });
}
