// Retention on PostgreSQL against a run touched at the same moment: a run
// idle past the retention period whose mutation (a claim, a heartbeat) is in
// flight when the sweeper deletes expired runs is either deleted whole or
// kept whole, never left without its jobs and logs. The in-flight mutation
// is a real transaction holding the run's row lock, as mutateRun takes it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { openStore } from "../../../src/remote/backend/store/index.js";
import type { Store } from "../../../src/remote/backend/store/types.js";
import { initialJobs } from "../../../src/remote/backend/coordinator.js";
import { planOf, sql, testDatabase, type TestDatabase } from "../helpers.js";

describe("retention racing a mutation on postgres", () => {
  let db: TestDatabase | undefined;
  let store: Store | undefined;
  before(async () => {
    db = await testDatabase("postgres");
    if (db) store = await openStore(db.url);
  });
  after(async () => {
    await store?.close();
    await db?.cleanup();
  });

  it("a run whose mutation commits while the sweeper deletes expired runs keeps its jobs and logs", async (t) => {
    if (!db || !store) return t.skip("PostgreSQL unavailable");
    const old = "2020-01-01T00:00:00.000Z";
    const run = { namespace: "ns", runId: "r1", status: "running" as const, planChecksum: "abc", triggerType: "ci", actor: null, dryRun: false, createdAt: old, updatedAt: old, finishedAt: null, revision: null };
    const plan = planOf({ a: [], b: ["a"] });
    assert.deepEqual(await store.createRun({ run, jobs: initialJobs(plan), planJson: JSON.stringify(plan) }), { created: true });
    assert.deepEqual(await store.writeLog("ns", "r1", "a", Buffer.from("hello\n"), { mode: "append", maxBytes: 1024 }), { bytes: 6 });

    // A mutation in flight: it holds the run's row lock and refreshes updated_at, as mutateRun does.
    const url = new URL(db.url);
    const schema = url.searchParams.get("schema");
    url.searchParams.delete("schema");
    const other = new pg.Client({ connectionString: url.toString(), options: `-c search_path=${schema}` });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query("SELECT 1 FROM runs WHERE namespace = 'ns' AND run_id = 'r1' FOR UPDATE");
      await other.query("UPDATE runs SET updated_at = $1 WHERE namespace = 'ns' AND run_id = 'r1'", [new Date().toISOString()]);
      const sweeping = store.deleteRunsUpdatedBefore("2021-01-01T00:00:00.000Z");
      // Long enough for the sweep to reach the locked row and wait for it.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await other.query("COMMIT");
      assert.equal(await sweeping, 0, "the run was touched: it is not expired any more");
    } finally {
      await other.end();
    }
    const state = await store.getRun("ns", "r1");
    assert.deepEqual(state?.jobs.map((j) => j.jobId), ["a", "b"], "the run keeps its jobs");
    assert.equal((await store.readLog("ns", "r1", "a"))?.toString(), "hello\n", "and its logs");
    assert.equal((await sql(db.url, "SELECT 1 FROM runs WHERE run_id = 'r1'")).length, 1);

    // Untouched, it is deleted whole.
    assert.equal(await store.deleteRunsUpdatedBefore("2999-01-01T00:00:00.000Z"), 1);
    assert.equal(await store.getRun("ns", "r1"), undefined);
    assert.equal((await sql(db.url, "SELECT 1 FROM jobs WHERE run_id = 'r1' UNION ALL SELECT 1 FROM log_chunks WHERE run_id = 'r1'")).length, 0);
  });
});
