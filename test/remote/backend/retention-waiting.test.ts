// Retention never deletes a run while runners are waiting in it, on both
// stores: a runner waiting for a dependency nobody has claimed yet (its
// matrix leg still queued) or for a long job of another runner changes
// nothing in the run, so "not updated for --retention" deleted it under
// them. A runner's claims and long-polls are activity; once they stop, the
// idle run goes as before.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sweepOnce } from "../../../src/remote/backend/sweeper.js";
import { api, backendOnStore, enc, planOf, type StoreKind } from "../helpers.js";

const RETENTION_MS = 600;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`retention and waiting runners on ${kind}`, () => {
    const on = backendOnStore(kind, { retentionMs: RETENTION_MS, sweepIntervalMs: 3600_000 });
    const sweep = () =>
      sweepOnce({ store: on.backend.store, settings: { leaseMs: 120_000, maxLongPollMs: 30_000, longPollRecheckMs: 50, maxLogBytes: 1, maxJsonBytes: 1 }, clock: () => ({ now: new Date(), leaseMs: 120_000 }) }, RETENTION_MS);

    it("keeps a run whose runners are waiting (claims, long-polls) past the retention, and deletes it once they stop", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [], "b@dev.x": ["a@dev.x"] }), runId: "waiting" })).status, 201);
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "a@dev.x": [] }), runId: "idle" })).status, 201);

      // b's runner waits as orun does (claim, then a long-poll) for twice the retention; a is never claimed.
      const until = Date.now() + 2 * RETENTION_MS;
      while (Date.now() < until) {
        const claim = await call("POST", `/v1/runs/waiting/jobs/${enc("b@dev.x")}/claim`, { runnerId: "waiter" });
        assert.equal(claim.body.depsWaiting, true);
        assert.equal((await call("GET", `/v1/runs/waiting/runnable?job=${enc("b@dev.x")}&waitMs=150`)).status, 200);
      }
      assert.equal((await sweep()).deleted, 1, "only the idle run goes");
      assert.equal((await call("GET", "/v1/runs/idle")).status, 404);
      assert.equal((await call("GET", "/v1/runs/waiting")).status, 200, "the run its runner waits in stays");

      // Reading the run (orun status --watch) is not a runner's activity: once the waiting stops, it goes.
      await sleep(RETENTION_MS + 100);
      assert.equal((await call("GET", "/v1/runs/waiting")).status, 200);
      assert.equal((await sweep()).deleted, 1);
      assert.equal((await call("GET", "/v1/runs/waiting")).status, 404);
    });
  });
}
