// A run registered with a plan of no jobs is finished at once, on both
// stores: v2 kept it `running` for ever, so `orun status --watch` on it never
// ended. Joining it again keeps it so.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { api, backendOnStore, type StoreKind } from "../helpers.js";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`an empty run on ${kind}`, () => {
    const on = backendOnStore(kind, {}, "acme/widgets");

    it("is completed from the start", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const plan = { checksum: "abc123def456", jobs: [] };
      const created = await api(on.backend.url, on.token, "POST", "/v1/runs", { plan, runId: "empty" });
      assert.deepEqual([created.status, created.body.status], [201, "completed"]);
      const run = (await api<{ status: string; finishedAt: string | null; jobTotal: number }>(on.backend.url, on.token, "GET", "/v1/runs/empty")).body;
      assert.deepEqual([run.status, run.jobTotal, typeof run.finishedAt], ["completed", 0, "string"]);
      const joined = await api(on.backend.url, on.token, "POST", "/v1/runs", { plan, runId: "empty" });
      assert.deepEqual([joined.status, joined.body.status], [200, "completed"]);
    });
  });
}
