// Fail-fast in a run registered before the plan payload said so (runs created
// before migration 10, or by a runner from before it), on both stores: the
// plan checksum covers failFast, so a runner joining with the same checksum
// and failFast makes the run failFast — a failure then stops it on every
// runner. Before, such a run never stopped across runners, and nothing told
// the runners. The create/join answer says whether the run is failFast. A run
// whose plan JSON kept the failFast its runners sent (to a backend from before
// migration 10, which ignored it) becomes failFast when the backend migrates.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { initialJobs } from "../../../src/remote/backend/coordinator.js";
import { openStore } from "../../../src/remote/backend/store/index.js";
import { api, backendOnStore, enc, planOf, sql, testDatabase, type StoreKind } from "../helpers.js";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`fail-fast of a run joined by a failFast runner on ${kind}`, () => {
    const on = backendOnStore(kind, { sweepIntervalMs: 3600_000 });

    it("a run registered without failFast becomes failFast when a runner with the same plan joins saying so", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => api<T>(on.backend.url, on.token, method, path, body);
      const plan = planOf({ "a@dev.x": [], "b@dev.x": [] });
      // The first runner is from before fail-fast spanned runners: its plan payload has no failFast.
      const created = await call("POST", "/v1/runs", { plan, runId: "old-run" });
      assert.deepEqual([created.status, created.body.failFast], [201, false]);
      assert.equal((await call("POST", `/v1/runs/old-run/jobs/${enc("a@dev.x")}/claim`, { runnerId: "old" })).body.claimed, true);

      const joined = await call("POST", "/v1/runs", { plan: { ...plan, failFast: true }, runId: "old-run" });
      assert.deepEqual([joined.status, joined.body.joined, joined.body.failFast], [200, true, true]);
      // A later join without it (the old runner again) does not undo it.
      assert.equal((await call("POST", "/v1/runs", { plan, runId: "old-run" })).body.failFast, true);

      assert.equal((await call("POST", `/v1/runs/old-run/jobs/${enc("a@dev.x")}/update`, { runnerId: "old", status: "failed" })).status, 200);
      const b = (await call("POST", `/v1/runs/old-run/jobs/${enc("b@dev.x")}/claim`, { runnerId: "new" })).body;
      assert.deepEqual([b.claimed, b.stop, b.reason], [false, true, "not started: fail-fast after a@dev.x failed"], "the failure stopped the run across runners");
    });
  });
}

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`fail-fast of runs registered before migration 10 on ${kind}`, () => {
    it("a running run whose plan JSON says failFast becomes failFast when the backend migrates", async (t) => {
      const db = await testDatabase(kind);
      if (!db) return t.skip("PostgreSQL unavailable");
      try {
        let store = await openStore(db.url);
        const ns = "local:acme/widgets";
        const run = { namespace: ns, status: "running" as const, planChecksum: "abc", triggerType: "ci", actor: null, dryRun: false, createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z", finishedAt: null, revision: null };
        // What a backend from before migration 10 stored for runners that sent failFast: the plan JSON only.
        // Plan JSON PostgreSQL's jsonb refuses (a NUL, a lone surrogate in a step's command) or that is not JSON at
        // all: the migration must neither fail the backend's start-up for such a row nor skip a failFast one it can read.
        const odd = (text: string) => ({ ...planOf({ "a@dev.x": [] }), jobs: [{ jobId: "a@dev.x", component: "a", deps: [], steps: [{ stepId: "s", uses: "run", with: { run: text } }] }] });
        const plans: [string, string, "running" | "completed"][] = [
          ["sent", JSON.stringify({ ...planOf({ "a@dev.x": [] }), failFast: true }), "running"],
          ["plain", JSON.stringify(planOf({ "a@dev.x": [] })), "running"],
          ["over", JSON.stringify({ ...planOf({ "a@dev.x": [] }), failFast: true }), "completed"],
          ["nul", JSON.stringify({ ...odd("printf 'x\u0000y'"), failFast: true }), "running"],
          ["nul-plain", JSON.stringify({ ...odd("printf 'x\u0000y'"), failFast: false }), "running"],
          ["surrogate", JSON.stringify({ ...odd("lone \ud800 surrogate"), failFast: true }), "running"],
          ["broken", '{"failFast":true, "jobs": [', "running"],
        ];
        for (const [runId, planJson, status] of plans) {
          const plan = planOf({ "a@dev.x": [] });
          await store.createRun({ run: { ...run, runId, status }, jobs: initialJobs(plan), planJson });
        }
        await store.close();
        await sql(db.url, "DELETE FROM schema_migrations WHERE version = 13");
        store = await openStore(db.url);
        try {
          const failFast = async (runId: string) => (await store.getRun(ns, runId))?.run.failFast;
          const got = await Promise.all(plans.map(([runId]) => failFast(runId)));
          assert.deepEqual(got, [true, false, false, true, false, true, false]);
        } finally {
          await store.close();
        }
      } finally {
        await db.cleanup();
      }
    });
  });
}
