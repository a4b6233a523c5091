// Retention never deletes a run while one of its jobs is running, on both
// stores: with a lease longer than the retention (--lease-timeout 10m,
// --retention 1m: a heartbeat every 2.5 min) a run whose only activity is a
// long job's heartbeats went between two beats, and its runner's next
// heartbeat and its result met "Run not found". A silent runner's job is
// released by the sweeper after its lease; then the idle run goes as before.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sweepOnce } from "../../../src/remote/backend/sweeper.js";
import { api, backendOnStore, enc, planOf, sql, type StoreKind } from "../helpers.js";

const MINUTE = 60_000;

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`retention and running jobs on ${kind}`, () => {
    const on = backendOnStore(kind, { leaseMs: 10 * MINUTE, sweepIntervalMs: 3600_000 }, "acme/widgets");
    /** A sweep `minutes` from now with a 10-minute lease and a 1-minute retention. */
    const sweepIn = (minutes: number) =>
      sweepOnce({ store: on.backend.store, settings: { leaseMs: 10 * MINUTE, maxLongPollMs: 1, longPollRecheckMs: 1, maxLogBytes: 1, maxJsonBytes: 1 }, clock: () => ({ now: new Date(Date.now() + minutes * MINUTE), leaseMs: 10 * MINUTE }) }, MINUTE);

    it("keeps a run with a running job past the retention, and deletes it once idle", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [], "b@dev.x": ["a@dev.x"] }), runId: "long" })).status, 201);
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [] }), runId: "idle" })).status, 201);
      assert.equal((await call("POST", `/v1/runs/long/jobs/${enc("a@dev.x")}/claim`, { runnerId: "r" })).body.claimed, true);

      // Two minutes on: past the retention, within a's lease (its next heartbeat is due at 2.5 min).
      assert.equal((await sweepIn(2)).deleted, 1, "only the idle run goes");
      assert.equal((await call("GET", "/v1/runs/idle")).status, 404);
      assert.equal((await call("GET", "/v1/runs/long")).status, 200, "the run with a running job stays");
      assert.equal((await call("POST", `/v1/runs/long/jobs/${enc("a@dev.x")}/heartbeat`, { runnerId: "r" })).body.ok, true);
      assert.equal((await call("POST", `/v1/runs/long/jobs/${enc("a@dev.x")}/update`, { runnerId: "r", status: "success" })).status, 200, "and its result is recorded");

      // Idle from now on: a later sweep deletes it.
      assert.equal((await sweepIn(5)).deleted, 1);
      assert.equal((await call("GET", "/v1/runs/long")).status, 404);
    });

    it("a runner giving its job back (release) counts as activity in the run, as its claim did", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [] }), runId: "given" })).status, 201);
      assert.equal((await call("POST", `/v1/runs/given/jobs/${enc("a@dev.x")}/claim`, { runnerId: "r" })).body.claimed, true);
      // Its last change and its last runner's question an hour ago: only the release is recent.
      const hourAgo = new Date(Date.now() - 60 * MINUTE).toISOString();
      await sql(on.db.url, "UPDATE runs SET updated_at = $1, active_at = $2 WHERE run_id = $3", [hourAgo, hourAgo, "given"]);
      const released = await call("POST", `/v1/runs/given/jobs/${enc("a@dev.x")}/release`, { runnerId: "r", reason: "canceled" });
      assert.deepEqual(released.body, { ok: true, status: "pending" }, released.text);
      assert.equal((await sweepIn(0)).deleted, 0, "the run its runner just gave a job back in stays");
      assert.equal((await call("GET", "/v1/runs/given")).status, 200);
    });
  });
}
