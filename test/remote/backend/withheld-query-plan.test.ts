// An unmet promotion gate asks GET /v1/evidence, which runs WITHHELD_SQL: its cost must follow the runs at the asked
// revision, not the size of the jobs table. Checked by each store's own query plan (no timing), on a database the
// backend migrated, with 2,000 runs of 20 jobs each, half of them at the revision asked about (what made
// PostgreSQL prefer scanning jobs). SQLite is left without statistics, as the backend leaves it (it never runs
// ANALYZE); PostgreSQL's are taken, as autovacuum would.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openStore } from "../../../src/remote/backend/store/index.js";
import { WITHHELD_SQL } from "../../../src/remote/backend/store/migrations.js";
import { sql, testDatabase, type StoreKind } from "../helpers.js";

const REV = "1111111111111111111111111111111111111111";
const PREFIX = "web@qa.";
const PARAMS = ["ns", REV, PREFIX, PREFIX.length];

// Both dialects: WITH RECURSIVE for the rows, comparisons for the booleans (0/1 on SQLite).
const RUNS = `
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO runs (namespace, run_id, status, plan_checksum, plan_json, trigger_type, actor, dry_run, created_at, updated_at, revision)
SELECT 'ns', 'p-' || i, 'failed', 'abc123def456', '{}', 'ci', NULL, 1 = 0, '2026-11-27T00:00:00.000Z', '2026-11-27T00:00:00.000Z',
  CASE WHEN i % 2 = 0 THEN '${REV}' ELSE 'r' || i END FROM n`;
const JOBS = `
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 19)
INSERT INTO jobs (namespace, run_id, job_id, position, component, deps, status, runner_id, attempts, no_evidence)
SELECT r.namespace, r.run_id, 'web@qa.j' || k.i, k.i, 'web', '[]', CASE WHEN k.i = 19 THEN 'failed' ELSE 'success' END, 'r', 1, k.i = 5
FROM runs r, k`;

interface PgNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Index Cond"?: string;
  Plans?: PgNode[];
}

function* nodes(node: PgNode): Generator<PgNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* nodes(child);
}

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`the withheld-evidence query's plan on ${kind}`, () => {
    it("reads the runs at the revision by runs_revision, and jobs only by run, never scanning jobs", async (t) => {
      const db = await testDatabase(kind);
      if (!db) return t.skip("PostgreSQL unavailable");
      try {
        await (await openStore(db.url)).close(); // the backend's own migrations
        await sql(db.url, RUNS);
        await sql(db.url, JOBS);
        if (kind === "postgres") await sql(db.url, "ANALYZE");
        assert.deepEqual(await sql(db.url, "SELECT count(*) AS n FROM jobs"), [{ n: kind === "sqlite" ? 40_000 : "40000" }]);

        if (kind === "sqlite") {
          // SQLite binds `?` in the text's order; $3/$4 come twice.
          const ordered = [...WITHHELD_SQL.matchAll(/\$(\d+)/g)].map((m) => PARAMS[Number(m[1]) - 1]);
          const plan = (await sql<{ detail: string }>(db.url, `EXPLAIN QUERY PLAN ${WITHHELD_SQL}`, ordered)).map((row) => row.detail);
          const access = plan.filter((line) => /^(SCAN|SEARCH) /.test(line));
          assert.equal(access[0], "SEARCH r USING INDEX runs_revision (namespace=? AND revision=?)", plan.join("\n"));
          // `w` is the one run picked (LIMIT 1); every read of jobs seeks one run's.
          for (const line of access.slice(1).filter((x) => x !== "SCAN w")) assert.match(line, /^SEARCH \w+ USING (COVERING )?INDEX \w+ \(namespace=\? AND run_id=\?/, plan.join("\n"));
        } else {
          const [row] = await sql<{ "QUERY PLAN": { Plan: PgNode }[] }>(db.url, `EXPLAIN (FORMAT JSON) ${WITHHELD_SQL}`, PARAMS);
          const all = [...nodes(row!["QUERY PLAN"][0]!.Plan)].filter((node) => node["Relation Name"]);
          const shown = JSON.stringify(all.map((node) => [node["Node Type"], node["Relation Name"], node["Index Name"], node["Index Cond"]]));
          assert.deepEqual(all.filter((node) => node["Relation Name"] === "runs").map((node) => node["Index Name"]), ["runs_revision"], shown);
          const jobs = all.filter((node) => node["Relation Name"] === "jobs");
          assert.ok(jobs.length > 0, shown);
          for (const node of jobs) assert.match(node["Index Cond"] ?? "", /\(run_id = r\.run_id\)/, shown);
        }
      } finally {
        await db.cleanup();
      }
    });
  });
}
