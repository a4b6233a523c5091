// Who holds a job, over real HTTP on loopback, on SQLite and PostgreSQL: a
// runner that stalled past its lease gets its job back when nobody took it
// over; a repeated claim by the holder is the same claim; the holder may
// report a job it did not start as skipped.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { api, backendOnStore, enc, planOf, type StoreKind } from "../helpers.js";
import { sweepOnce } from "../../../src/remote/backend/sweeper.js";
import { repositoryIdFor } from "../../support/oidc-issuer.js";

const LEASE_MS = 60_000;

interface JobBody {
  jobId: string;
  status: string;
  runnerId: string | null;
  attempts: number;
  lastError: string | null;
}

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`job ownership on ${kind}`, () => {
    // The real sweeper stays out of the way: the tests sweep with a clock of their own.
    const on = backendOnStore(kind, { leaseMs: LEASE_MS, sweepIntervalMs: 3_600_000, rateLimit: { capacity: 10_000, refillPerSecond: 10_000 } }, "acme/ownership");
    let n = 0;
    const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => api<T>(on.backend.url, on.token, method, path, body);
    const create = async (edges: Record<string, string[]>) => {
      const runId = `own-${++n}-${Date.now()}`;
      const res = await call("POST", "/v1/runs", { plan: planOf(edges), runId });
      assert.equal(res.status, 201, res.text);
      return runId;
    };
    const claim = (runId: string, jobId: string, runnerId: string) => call("POST", `/v1/runs/${runId}/jobs/${enc(jobId)}/claim`, { runnerId });
    const beat = (runId: string, jobId: string, runnerId: string) => call("POST", `/v1/runs/${runId}/jobs/${enc(jobId)}/heartbeat`, { runnerId });
    const update = (runId: string, jobId: string, runnerId: string, status: string, error?: string) => call("POST", `/v1/runs/${runId}/jobs/${enc(jobId)}/update`, { runnerId, status, error });
    const job = async (runId: string, jobId: string) => (await call<JobBody>("GET", `/v1/runs/${runId}/jobs/${enc(jobId)}/status`)).body;
    /** Runs the sweeper as if the lease of every running job had expired (a clock one lease ahead). */
    const sweepExpired = async () => {
      const ahead = { now: new Date(Date.now() + LEASE_MS + 1000), leaseMs: LEASE_MS };
      const { released } = await sweepOnce({ store: on.backend.store, settings: { leaseMs: LEASE_MS, maxLongPollMs: 1, longPollRecheckMs: 1, maxLogBytes: 1, maxJsonBytes: 1 }, clock: () => ahead }, 365 * 86_400_000);
      assert.ok(released >= 1, "the sweeper released the stalled runner's job");
    };

    const maybe = (name: string, fn: () => Promise<void>) => it(name, async (t) => (on.db ? fn() : t.skip("PostgreSQL unavailable")));

    maybe("a stalled runner whose released job nobody claimed gets it back on its next heartbeat, and its result counts", async () => {
      const runId = await create({ a: [], b: ["a"] });
      assert.equal((await claim(runId, "a", "r1")).body.claimed, true);
      await sweepExpired();
      const released = await job(runId, "a");
      assert.deepEqual([released.status, released.runnerId], ["pending", null], "released: nobody runs it now");
      assert.match(String(released.lastError), /lease expired \(runner r1/);
      // The runner resumes: its log, heartbeat and result are still its own attempt.
      assert.equal((await call("POST", `/v1/runs/${runId}/logs/a?append=true&offset=0&runnerId=r1`, "output\n")).status, 200);
      assert.deepEqual((await beat(runId, "a", "r1")).body, { ok: true });
      const back = await job(runId, "a");
      assert.deepEqual([back.status, back.runnerId, back.attempts, back.lastError], ["running", "r1", 1, null]);
      assert.deepEqual((await claim(runId, "a", "r2")).body.claimed, false, "and it is not up for takeover again");
      assert.equal((await update(runId, "a", "r1", "success")).status, 200);
      assert.equal((await job(runId, "a")).status, "success");
      assert.equal((await call("GET", `/v1/runs/${runId}/logs/a`)).text, "output\n");
    });

    maybe("a stalled runner may report its result straight away (no heartbeat first)", async () => {
      const runId = await create({ a: [] });
      await claim(runId, "a", "r1");
      await sweepExpired();
      const res = await update(runId, "a", "r1", "failed", "step main: exit status 1");
      assert.equal(res.status, 200, res.text);
      const done = await job(runId, "a");
      assert.deepEqual([done.status, done.runnerId, done.lastError], ["failed", "r1", "step main: exit status 1"]);
      assert.equal((await call("GET", `/v1/runs/${runId}`)).body.status, "failed");
    });

    maybe("once another runner claimed the released job, the stalled one is told to abort and its result is refused", async () => {
      const runId = await create({ a: [] });
      await claim(runId, "a", "r1");
      await sweepExpired();
      const takeover = await claim(runId, "a", "r2");
      assert.deepEqual([takeover.body.claimed, takeover.body.takeover], [true, true]);
      assert.deepEqual((await beat(runId, "a", "r1")).body, { ok: false, abort: true });
      assert.match(String((await update(runId, "a", "r1", "success")).body.error), /does not own/);
      assert.equal((await call("POST", `/v1/runs/${runId}/logs/a?append=true&offset=0&runnerId=r1`, "late\n")).status, 409);
      const current = await job(runId, "a");
      assert.deepEqual([current.status, current.runnerId, current.attempts], ["running", "r2", 2]);
      assert.equal((await update(runId, "a", "r2", "success")).status, 200);
    });

    maybe("a runner that gave its job back holds it no longer: its result is refused before and after another runner claims the job", async () => {
      const runId = await create({ a: [], b: ["a"] });
      await claim(runId, "a", "r1");
      const given = await call("POST", `/v1/runs/${runId}/jobs/a/release`, { runnerId: "r1", reason: "canceled while it ran" });
      assert.deepEqual(given.body, { ok: true, status: "pending" }, given.text);
      // A result still on its way from r1 (or a stale r1) must not settle the job the next claim is for.
      const stale = await update(runId, "a", "r1", "failed", "step main: exit status 1");
      assert.equal(stale.status, 400, stale.text);
      assert.match(String(stale.body.error), /not running \(current: pending\): released by its runner r1: canceled while it ran; its result is not recorded/);
      assert.deepEqual([(await job(runId, "a")).status, (await job(runId, "b")).status], ["pending", "pending"], "neither the job nor its dependent settled");
      assert.deepEqual((await claim(runId, "a", "r2")).body.claimed, true);
      assert.match(String((await update(runId, "a", "r1", "success")).body.error), /does not own/);
      assert.equal((await update(runId, "a", "r2", "success")).status, 200);
      const done = await job(runId, "a");
      assert.deepEqual([done.status, done.runnerId, done.attempts], ["success", "r2", 2]);
    });

    maybe("a repeated claim by the holder succeeds without counting a second attempt, even past its lease", async () => {
      const runId = await create({ a: [] });
      assert.equal((await claim(runId, "a", "r1")).body.claimed, true);
      assert.equal((await call("POST", `/v1/runs/${runId}/logs/a?append=true&offset=0&runnerId=r1`, "kept\n")).status, 200);
      for (let i = 0; i < 2; i++) {
        const again = await claim(runId, "a", "r1");
        assert.deepEqual([again.status, again.body.claimed, again.body.takeover, again.body.leaseMs], [200, true, undefined, LEASE_MS], again.text);
      }
      assert.deepEqual([(await job(runId, "a")).attempts, (await job(runId, "a")).runnerId], [1, "r1"]);
      // Its lease ran out but the sweeper has not run yet: still its own claim, not a takeover that would reset its log.
      const late = await on.backend.store.mutateRun(repositoryIdFor("acme/ownership"), runId, "all", (state) => {
        state.jobs[0]!.heartbeatAt = new Date(Date.now() - 2 * LEASE_MS).toISOString();
        return { result: true, changedJobs: [state.jobs[0]!] };
      });
      assert.equal(late, true);
      const again = await claim(runId, "a", "r1");
      assert.deepEqual([again.body.claimed, again.body.takeover], [true, undefined]);
      const held = await job(runId, "a");
      assert.deepEqual([held.status, held.attempts], ["running", 1]);
      assert.equal((await call("GET", `/v1/runs/${runId}/logs/a`)).text, "kept\n");
      assert.equal((await claim(runId, "a", "r2")).body.claimed, false, "the repeat refreshed its lease");
    });

    maybe("the released job's own runner claiming it again takes it back as the same attempt", async () => {
      const runId = await create({ a: [] });
      await claim(runId, "a", "r1");
      await sweepExpired();
      const again = await claim(runId, "a", "r1");
      assert.equal(again.body.claimed, true);
      assert.equal(again.body.takeover, undefined);
      const back = await job(runId, "a");
      assert.deepEqual([back.status, back.runnerId, back.attempts], ["running", "r1", 1]);
    });
    maybe("the holder reports a job it decided not to run as skipped: its pending dependents are skipped and the run finishes", async () => {
      const runId = await create({ a: [], b: ["a"], c: ["b"], d: [] });
      assert.equal((await update(runId, "a", "r1", "skipped", "not started")).status, 400, "only a claimed job can be reported");
      await claim(runId, "a", "r1");
      assert.match(String((await update(runId, "a", "r2", "skipped")).body.error), /does not own/);
      const reason = "not started: fail-fast (job x@dev.build failed)";
      const res = await update(runId, "a", "r1", "skipped", reason);
      assert.equal(res.status, 200, res.text);
      assert.equal((await update(runId, "a", "r1", "skipped", reason)).status, 200, "a retried report is idempotent");
      assert.deepEqual([(await job(runId, "a")).status, (await job(runId, "a")).lastError], ["skipped", reason]);
      assert.deepEqual([(await job(runId, "b")).status, (await job(runId, "b")).lastError], ["skipped", "dependency a skipped"]);
      assert.deepEqual([(await job(runId, "c")).status, (await job(runId, "c")).lastError], ["skipped", "dependency b skipped (upstream a skipped)"]);
      const blocked = await claim(runId, "c", "r3");
      assert.deepEqual([blocked.body.claimed, blocked.body.depsBlocked], [false, true]);
      assert.equal((await call("GET", `/v1/runs/${runId}`)).body.status, "running", "d is still to run");
      await claim(runId, "d", "r4");
      await update(runId, "d", "r4", "success");
      const run = (await call("GET", `/v1/runs/${runId}`)).body;
      assert.deepEqual([run.status, run.jobSkipped, run.jobDone], ["failed", 3, 1], "finished: every job is terminal");
      assert.ok(run.finishedAt);
    });
  });
}
