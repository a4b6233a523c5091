// A run registered with a plan of no jobs is finished at once, on both
// stores: v2 kept it `running` for ever, so `orun status --watch` on it never
// ended. Joining it again keeps it so.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, startTestBackend, testDatabase, tokenFor, type StoreKind, type TestBackend, type TestDatabase } from "../helpers.js";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`an empty run on ${kind}`, () => {
    let db: TestDatabase | undefined;
    let backend: TestBackend;
    let token: string;
    before(async () => {
      db = await testDatabase(kind);
      if (!db) return;
      backend = await startTestBackend(db.url);
      token = await tokenFor(backend.store, "acme/widgets");
    });
    after(async () => {
      await backend?.stop();
      await db?.cleanup();
    });

    it("is completed from the start", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const plan = { checksum: "abc123def456", jobs: [] };
      const created = await api(backend.url, token, "POST", "/v1/runs", { plan, runId: "empty" });
      assert.deepEqual([created.status, created.body.status], [201, "completed"]);
      const run = (await api<{ status: string; finishedAt: string | null; jobTotal: number }>(backend.url, token, "GET", "/v1/runs/empty")).body;
      assert.deepEqual([run.status, run.jobTotal, typeof run.finishedAt], ["completed", 0, "string"]);
      const joined = await api(backend.url, token, "POST", "/v1/runs", { plan, runId: "empty" });
      assert.deepEqual([joined.status, joined.body.status], [200, "completed"]);
    });
  });
}
