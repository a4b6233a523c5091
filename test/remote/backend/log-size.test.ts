// Each job's log size is a column (jobs.log_bytes) kept by every log write, so
// run reads never measure the logs themselves; migration 5 adds and backfills
// it. Real SQLite files and real PostgreSQL schemas.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { api, backendOnStore, enc, planOf, sql, testDatabase, type StoreKind } from "../helpers.js";
import { MIGRATIONS, MIGRATIONS_TABLE } from "../../../src/remote/backend/store/migrations.js";
import { openStore } from "../../../src/remote/backend/store/index.js";
import { claimJob, type Clock } from "../../../src/remote/backend/coordinator.js";
import { repositoryIdFor } from "../../support/oidc-issuer.js";

const storedSize = async (url: string, ns: string, runId: string, jobId: string) =>
  Number((await sql<{ n: number | string }>(url, "SELECT log_bytes AS n FROM jobs WHERE namespace = $1 AND run_id = $2 AND job_id = $3", [ns, runId, jobId]))[0]?.n);

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`log sizes on ${kind}`, () => {
    const on = backendOnStore(kind, { rateLimit: { capacity: 10_000, refillPerSecond: 10_000 } }, "acme/logsize");
    const ns = repositoryIdFor("acme/logsize");
    const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => api<T>(on.backend.url, on.token, method, path, body);

    const maybe = (name: string, fn: () => Promise<void>) => it(name, async (t) => (on.db ? fn() : t.skip("PostgreSQL unavailable")));

    maybe("jobs.log_bytes holds the byte size after non-ASCII appends, a replace and a takeover's reset", async () => {
      const runId = "sizes";
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "web@dev.deploy": [], other: [] }), runId })).status, 201);
      const path = `/v1/runs/${runId}/logs/${enc("web@dev.deploy")}`;
      const chunk = "héllo ✓ wörld 🚀\n"; // 23 bytes, 16 characters
      const bytes = Buffer.byteLength(chunk);
      let offset = 0;
      for (let i = 1; i <= 3; i++) {
        const res = await call("POST", `${path}?append=true&offset=${offset}`, chunk);
        assert.equal(res.status, 200, res.text);
        offset = res.body.bytes as number;
        assert.equal(offset, bytes * i);
        assert.equal(await storedSize(on.db!.url, ns, runId, "web@dev.deploy"), bytes * i, `stored size after append ${i}`);
      }
      assert.equal((await call("POST", `${path}?append=true&offset=${bytes}`, chunk)).status, 409, "a gap against the stored size is refused");
      const replaced = await call("POST", path, "ünïcode");
      assert.equal(replaced.body.bytes, Buffer.byteLength("ünïcode"));
      assert.equal(await storedSize(on.db!.url, ns, runId, "web@dev.deploy"), Buffer.byteLength("ünïcode"));
      assert.equal(await storedSize(on.db!.url, ns, runId, "other"), 0, "another job's size is untouched");
      const state = await on.backend.store.getRun(ns, runId);
      assert.deepEqual(state?.jobs.map((j) => j.logBytes), [Buffer.byteLength("ünïcode"), 0]);
      const jobs = (await call<{ jobs: { logRef: string | null }[] }>("GET", `/v1/runs/${runId}/jobs`)).body.jobs;
      assert.deepEqual(jobs.map((j) => j.logRef !== null), [true, false], "logRef follows the stored size");
      // The column is what reads use: a size written behind the store's back shows through.
      await sql(on.db!.url, "UPDATE jobs SET log_bytes = 4242 WHERE namespace = $1 AND run_id = $2 AND job_id = $3", [ns, runId, "other"]);
      assert.equal((await on.backend.store.getRun(ns, runId))?.jobs[1]?.logBytes, 4242);
      await sql(on.db!.url, "UPDATE jobs SET log_bytes = 0 WHERE namespace = $1 AND run_id = $2 AND job_id = $3", [ns, runId, "other"]);
      // A takeover starts the log afresh, size included.
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc("web@dev.deploy")}/claim`, { runnerId: "r1" })).body.claimed, true);
      const expired: Clock = { now: new Date(Date.now() + 3_600_000), leaseMs: 1 };
      const takeover = await on.backend.store.mutateRun(ns, runId, { jobIds: ["web@dev.deploy"], deps: true }, (s) => claimJob(s, "web@dev.deploy", "r2", expired));
      assert.equal(takeover?.takeover, true);
      assert.equal(await storedSize(on.db!.url, ns, runId, "web@dev.deploy"), 0);
      assert.equal((await call("POST", `${path}?append=true&offset=0`, chunk)).body.bytes, bytes);
    });

    maybe("migration 5 adds the column and backfills it from the logs already stored", async () => {
      const old = await testDatabase(kind);
      assert.ok(old);
      try {
        // A database as a backend before migration 5 left it, with a multi-byte log.
        const dialect = kind === "sqlite" ? "sqlite" : "postgres";
        await sql(old.url, MIGRATIONS_TABLE);
        for (const m of MIGRATIONS.filter((x) => x.version <= 4)) {
          for (const statement of m[dialect].split(";").map((x) => x.trim()).filter(Boolean)) await sql(old.url, statement);
          await sql(old.url, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [m.version, m.name, "2026-01-01T00:00:00.000Z"]);
        }
        await sql(
          old.url,
          "INSERT INTO runs (namespace, run_id, status, plan_checksum, plan_json, trigger_type, actor, dry_run, created_at, updated_at) VALUES ('ns', 'r', 'running', 'c', '{}', 'ci', NULL, $1, 't', 't')",
          [kind === "sqlite" ? 0 : false],
        );
        for (const [position, job] of ["a", "b"].entries()) {
          await sql(old.url, "INSERT INTO jobs (namespace, run_id, job_id, position, component, deps, status) VALUES ('ns', 'r', $1, $2, 'c', '[]', 'running')", [job, position]);
        }
        await sql(old.url, "INSERT INTO logs (namespace, run_id, job_id, content, updated_at) VALUES ('ns', 'r', 'a', $1, 't')", [Buffer.from("✓ done\n".repeat(3))]);
        const store = await openStore(old.url);
        try {
          const state = await store.getRun("ns", "r");
          assert.deepEqual(state?.jobs.map((j) => [j.jobId, j.logBytes]), [["a", 3 * Buffer.byteLength("✓ done\n")], ["b", 0]]);
        } finally {
          await store.close();
        }
        const applied = await sql<{ version: number }>(old.url, "SELECT version FROM schema_migrations ORDER BY version");
        assert.deepEqual(applied.map((r) => Number(r.version)), MIGRATIONS.map((m) => m.version), "every later migration applied too");
      } finally {
        await old.cleanup();
      }
    });
  });
}
