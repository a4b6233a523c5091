// A runner waiting behind a chain whose head lost its runner is told so, on
// both stores: A's runner died (lease expired, released by the sweeper) → B
// waits on A → C waits on B. C's claim names A as abandoned too, not only the
// runner waiting directly on A — or C's runner looks like any wait for 30 min.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sweepOnce } from "../../../src/remote/backend/sweeper.js";
import { api, backendOnStore, enc, planOf, type StoreKind } from "../helpers.js";

const LEASE_MS = 1000;

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`abandoned jobs upstream on ${kind}`, () => {
    const on = backendOnStore(kind, { leaseMs: LEASE_MS, sweepIntervalMs: 3600_000 }, "acme/widgets");
    const claim = async (runId: string, jobId: string, runnerId: string) =>
      (await api<{ claimed: boolean; depsWaiting?: boolean; depsAbandoned?: string[] }>(on.backend.url, on.token, "POST", `/v1/runs/${runId}/jobs/${enc(jobId)}/claim`, { runnerId })).body;
    /** The sweeper, ten leases from now: every running job whose runner stopped heartbeating is released. */
    const sweepLater = () =>
      sweepOnce(
        { store: on.backend.store, settings: { leaseMs: LEASE_MS, maxLongPollMs: 1, longPollRecheckMs: 1, maxLogBytes: 1, maxJsonBytes: 1 }, clock: () => ({ now: new Date(Date.now() + 10 * LEASE_MS), leaseMs: LEASE_MS }) },
        24 * 3600_000,
      );

    it("names an abandoned job to every runner waiting behind it, directly or through pending jobs", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const runId = `chain-${Date.now()}`;
      const plan = planOf({ "a@dev.x": [], "b@dev.x": ["a@dev.x"], "c@dev.x": ["b@dev.x"], "d@dev.x": ["c@dev.x"], "e@dev.x": [], "f@dev.x": ["d@dev.x", "e@dev.x"], "g@dev.x": [], "h@dev.x": ["g@dev.x"] });
      assert.equal((await api(on.backend.url, on.token, "POST", "/v1/runs", { plan, runId })).status, 201);
      for (const job of ["a@dev.x", "e@dev.x"]) assert.equal((await claim(runId, job, "died")).claimed, true);
      assert.equal((await claim(runId, "g@dev.x", "alive")).claimed, true);
      assert.equal((await claim(runId, "c@dev.x", "waiter-c")).depsAbandoned, undefined, "a is running: an ordinary wait");
      assert.ok((await sweepLater()).released >= 3);
      // g's runner was only slow: it comes back and keeps its job (nothing upstream of h is abandoned then).
      assert.equal((await api(on.backend.url, on.token, "POST", `/v1/runs/${runId}/jobs/${enc("g@dev.x")}/heartbeat`, { runnerId: "alive" })).body.ok, true);

      assert.deepEqual((await claim(runId, "b@dev.x", "waiter-b")).depsAbandoned, ["a@dev.x"], "direct");
      const c = await claim(runId, "c@dev.x", "waiter-c");
      assert.deepEqual([c.claimed, c.depsWaiting, c.depsAbandoned], [false, true, ["a@dev.x"]], "through b");
      assert.deepEqual((await claim(runId, "d@dev.x", "waiter-d")).depsAbandoned, ["a@dev.x"], "through c and b");
      assert.deepEqual((await claim(runId, "f@dev.x", "waiter-f")).depsAbandoned, ["e@dev.x", "a@dev.x"], "each abandoned job upstream, nearest first");
      assert.equal((await claim(runId, "h@dev.x", "waiter-h")).depsAbandoned, undefined, "g is running again");

      // A runner takes a over: the chain behind it is an ordinary wait again.
      assert.equal((await claim(runId, "a@dev.x", "rescuer")).claimed, true);
      assert.equal((await claim(runId, "d@dev.x", "waiter-d")).depsAbandoned, undefined);
      assert.deepEqual((await claim(runId, "f@dev.x", "waiter-f")).depsAbandoned, ["e@dev.x"]);
    });
  });
}
