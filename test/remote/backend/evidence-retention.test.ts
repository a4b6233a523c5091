// Promotion-gate evidence kept from runs that retention deleted (migration 7)
// is bounded and unambiguous, on both stores: it is pruned once its run last
// changed longer ago than the evidence retention (a gate then blocks, the
// safe side), and it names its run as a deleted one with the time it last
// changed — the run ID alone may by then name a later run that reused it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sweepOnce } from "../../../src/remote/backend/sweeper.js";
import type { BackendContext } from "../../../src/remote/backend/context.js";
import { api, backendOnStore, enc, planOf, type StoreKind } from "../helpers.js";

const HOUR = 3600_000;
// Two commits (POST /v1/runs refuses a revision that is no commit ID).
const [REV_A, REV_B] = ["a", "b"].map((digit) => digit.repeat(40));

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`kept promotion-gate evidence on ${kind}`, () => {
    const on = backendOnStore(kind, { sweepIntervalMs: 3600_000 }, "acme/widgets");
    /** The sweeper as if it ran `hours` from now. */
    const sweepAt = (hours: number, retentionMs: number, evidenceRetentionMs: number) => {
      const ctx: BackendContext = { store: on.backend.store, settings: { leaseMs: 60_000, maxLongPollMs: 1, longPollRecheckMs: 1, maxLogBytes: 1, maxJsonBytes: 1 }, clock: () => ({ now: new Date(Date.now() + hours * HOUR), leaseMs: 60_000 }) };
      return sweepOnce(ctx, retentionMs, evidenceRetentionMs);
    };
    const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);
    const succeed = async (runId: string, revision: string, jobs: string[]) => {
      const created = await call("POST", "/v1/runs", { plan: { ...planOf(Object.fromEntries(jobs.map((j) => [j, []]))), revision }, runId });
      assert.equal(created.status, 201, created.text);
      for (const job of jobs) {
        assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc(job)}/claim`, { runnerId: "r" })).body.claimed, true);
        assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc(job)}/update`, { runnerId: "r", status: "success" })).status, 200);
      }
    };
    const ask = async (revision: string) => (await call("GET", `/v1/evidence?component=web&environment=qa&revision=${revision}`)).body;

    it("names a deleted run as deleted (its ID now reused by another run), and prunes it after the evidence retention", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      await succeed("gha-7-1", REV_A, ["web@qa.build"]);
      assert.deepEqual(await ask(REV_A), { satisfied: true, runId: "gha-7-1" }, "a live run is named by its ID");

      // Two hours later, with a one-hour retention: the run goes, its evidence stays.
      const first = await sweepAt(2, HOUR, 48 * HOUR);
      assert.equal(first.deleted, 1);
      assert.equal(first.prunedEvidence, 0, "recorded two hours ago: well within 48 h");
      // The run ID is used again (same ORUN_EXEC_ID), by a run at another revision.
      await succeed("gha-7-1", REV_B, ["web@qa.build"]);
      const kept = (await ask(REV_A)) as { satisfied: boolean; runId?: string; deletedRun?: { runId: string; recordedAt: string } };
      assert.equal(kept.satisfied, true, "the promotion of rev-a still passes");
      assert.equal(kept.runId, undefined, "gha-7-1 is now a run at rev-b: it is not named as rev-a's evidence");
      assert.equal(kept.deletedRun?.runId, "gha-7-1");
      assert.ok(Date.parse(kept.deletedRun?.recordedAt ?? "") <= Date.now(), `when the deleted run last changed: ${kept.deletedRun?.recordedAt}`);
      assert.deepEqual(await ask(REV_B), { satisfied: true, runId: "gha-7-1" }, "the live run answers for its own revision");

      // Three days on: every run is deleted and evidence older than 48 h is pruned — rev-a's and rev-b's alike.
      const later = await sweepAt(72, HOUR, 48 * HOUR);
      assert.equal(later.deleted, 1);
      assert.equal(later.prunedEvidence, 2);
      assert.deepEqual(await ask(REV_A), { satisfied: false }, "past the evidence retention, the gate blocks");
      assert.deepEqual(await ask(REV_B), { satisfied: false });
    });

    it("kept evidence moves to the latest deleted run of its revision, never back to an earlier one", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      await succeed("early", REV_A, ["web@qa.build"]);
      assert.equal((await sweepAt(2, HOUR, 48 * HOUR)).deleted, 1);
      await succeed("late", REV_A, ["web@qa.build"]);
      assert.equal((await sweepAt(2, HOUR, 48 * HOUR)).deleted, 1);
      const kept = (await ask(REV_A)) as { satisfied: boolean; deletedRun?: { runId: string } };
      assert.deepEqual([kept.satisfied, kept.deletedRun?.runId], [true, "late"]);
    });
  });
}
