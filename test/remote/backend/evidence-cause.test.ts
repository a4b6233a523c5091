// Why a job's success is no promotion evidence is kept with the job (migration 20): a database migrated from
// version 19 keeps its marked jobs, with no cause (the gate then names both causes), and a later result records one.
// A run's revision is a commit ID: POST /v1/runs refuses anything else. Real HTTP on loopback, on SQLite and
// PostgreSQL.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MIGRATIONS, MIGRATIONS_TABLE } from "../../../src/remote/backend/store/migrations.js";
import { repositoryIdFor } from "../../support/oidc-issuer.js";
import { api, backendOnStore, enc, planOf, sql, startTestBackend, testDatabase, tokenFor, type StoreKind } from "../helpers.js";

const REV = "1111111111111111111111111111111111111111";
const OTHER = "2222222222222222222222222222222222222222";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`the cause of withheld promotion evidence, on ${kind}`, () => {
    it("a database at version 19 migrates: a job marked no evidence keeps no cause, and a later result records one", async (t) => {
      const old = await testDatabase(kind);
      if (!old) return t.skip("PostgreSQL unavailable");
      try {
        // A database as a backend at migration 19 left it: a run at REV whose web@qa.test succeeded from other code.
        const dialect = kind === "sqlite" ? "sqlite" : "postgres";
        await sql(old.url, MIGRATIONS_TABLE);
        for (const m of MIGRATIONS.filter((x) => x.version <= 19)) {
          for (const statement of m[dialect].split(";").map((x) => x.trim()).filter(Boolean)) await sql(old.url, statement);
          await sql(old.url, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [m.version, m.name, "2026-01-01T00:00:00.000Z"]);
        }
        const ns = repositoryIdFor("acme/widgets");
        const [yes, no] = kind === "sqlite" ? [1, 0] : [true, false];
        await sql(
          old.url,
          "INSERT INTO runs (namespace, run_id, status, plan_checksum, plan_json, trigger_type, actor, dry_run, created_at, updated_at, revision) VALUES ($1, 'old-1', 'completed', 'abc123def456', '{}', 'ci', NULL, $2, $3, $4, $5)",
          [ns, no, "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z", REV],
        );
        for (const [position, job, noEvidence] of [[0, "web@qa.build", no], [1, "web@qa.test", yes]] as const) {
          await sql(
            old.url,
            "INSERT INTO jobs (namespace, run_id, job_id, position, component, deps, status, runner_id, attempts, no_evidence) VALUES ($1, 'old-1', $2, $3, 'web', '[]', 'success', 'r', 1, $4)",
            [ns, job, position, noEvidence],
          );
        }

        const backend = await startTestBackend(old.url);
        try {
          const token = await tokenFor(backend.store, "acme/widgets");
          const call = (method: string, path: string, body?: unknown) => api(backend.url, token, method, path, body);
          const applied = await sql<{ version: number }>(old.url, "SELECT version FROM schema_migrations ORDER BY version");
          assert.deepEqual(applied.map((r) => Number(r.version)), MIGRATIONS.map((m) => m.version), "migration 20 (and any later) applied");
          assert.ok(MIGRATIONS.some((m) => m.version === 20));

          const ask = async () => (await call("GET", `/v1/evidence?component=web&environment=qa&revision=${REV}`)).body;
          // Still no evidence (the boolean decides), but its cause was never recorded: the gate names both.
          assert.deepEqual(await ask(), { satisfied: false, withheld: { runId: "old-1", jobId: "web@qa.test", cause: null, reason: null } });
          const jobs = (await call("GET", "/v1/runs/old-1/jobs")).body.jobs as { jobId: string; noEvidence?: unknown }[];
          assert.deepEqual(jobs.map((j) => [j.jobId, j.noEvidence]), [["web@qa.build", undefined], ["web@qa.test", { cause: null, reason: null }]]);

          // A run of the new backend records the cause of the same kind of result.
          const created = await call("POST", "/v1/runs", { plan: { ...planOf({ "web@qa.build": [], "web@qa.test": [] }), revision: REV }, runId: "new-1" });
          assert.equal(created.status, 201, created.text);
          for (const [job, revision] of [["web@qa.build", REV], ["web@qa.test", OTHER]]) {
            assert.equal((await call("POST", `/v1/runs/new-1/jobs/${enc(job!)}/claim`, { runnerId: "r" })).body.claimed, true);
            assert.deepEqual((await call("POST", `/v1/runs/new-1/jobs/${enc(job!)}/update`, { runnerId: "r", status: "success", revision })).body, { ok: true, evidence: job === "web@qa.build" });
          }
          const reason = `the runner reported running ${OTHER.slice(0, 12)}, not the run's revision ${REV.slice(0, 12)}`;
          // The latest such run is named.
          assert.deepEqual(await ask(), { satisfied: false, withheld: { runId: "new-1", jobId: "web@qa.test", cause: "other-code", reason } });
          const stored = await sql<{ no_evidence_cause: string; no_evidence_reason: string }>(old.url, "SELECT no_evidence_cause, no_evidence_reason FROM jobs WHERE run_id = 'new-1' AND job_id = 'web@qa.test'");
          assert.deepEqual(stored, [{ no_evidence_cause: "other-code", no_evidence_reason: reason }]);

          // A job that failed running other code, retried at the run's revision: evidence, its cause cleared with the mark.
          assert.equal((await call("POST", "/v1/runs", { plan: { ...planOf({ "web@qa.build": [], "web@qa.test": [] }), revision: REV }, runId: "new-2" })).status, 201);
          assert.equal((await call("POST", `/v1/runs/new-2/jobs/${enc("web@qa.build")}/claim`, { runnerId: "r" })).body.claimed, true);
          assert.equal((await call("POST", `/v1/runs/new-2/jobs/${enc("web@qa.build")}/update`, { runnerId: "r", status: "success", revision: REV })).status, 200);
          assert.equal((await call("POST", `/v1/runs/new-2/jobs/${enc("web@qa.test")}/claim`, { runnerId: "r" })).body.claimed, true);
          assert.equal((await call("POST", `/v1/runs/new-2/jobs/${enc("web@qa.test")}/update`, { runnerId: "r", status: "failed", revision: OTHER })).status, 200);
          const cause = () => sql(old.url, "SELECT no_evidence_cause, no_evidence_reason FROM jobs WHERE run_id = 'new-2' AND job_id = 'web@qa.test'");
          assert.deepEqual(await cause(), [{ no_evidence_cause: "other-code", no_evidence_reason: reason }]);
          assert.equal((await call("POST", `/v1/runs/new-2/jobs/${enc("web@qa.test")}/claim`, { runnerId: "r2", retry: true })).body.retried, true);
          assert.deepEqual((await call("POST", `/v1/runs/new-2/jobs/${enc("web@qa.test")}/update`, { runnerId: "r2", status: "success", revision: REV })).body, { ok: true, evidence: true });
          assert.deepEqual(await cause(), [{ no_evidence_cause: null, no_evidence_reason: null }]);
          assert.deepEqual(await ask(), { satisfied: true, runId: "new-2" });
        } finally {
          await backend.stop();
        }
      } finally {
        await old.cleanup();
      }
    });
  });

  describe(`a run's revision on ${kind}`, () => {
    const on = backendOnStore(kind, { sweepIntervalMs: 3600_000 }, "acme/widgets");
    const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);

    it("POST /v1/runs refuses a plan.revision that is no commit ID with 400 naming the field and what it must be, and stores no run", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const refused: [unknown, string][] = [
        ["main", `got "main"`],
        ["", `got ""`],
        ["abc123", `got "abc123"`],
        ["ABCDEF".repeat(7).slice(0, 40), `got "${"ABCDEF".repeat(7).slice(0, 40)}"`],
        [`${REV}0`, `got "${REV}0"`],
        [` ${REV}`, `got " ${REV}"`],
        ["\u202e".repeat(3), "got a 3-character string"],
        [42, "got a number"],
        [[REV], "got an array"],
        [{ sha: REV }, "got an object"],
        [true, "got a boolean"],
      ];
      for (const [index, [revision, got]] of refused.entries()) {
        const runId = `bad-rev-${index}`;
        const res = await call("POST", "/v1/runs", { plan: { ...planOf({ "web@qa.build": [] }), revision }, runId });
        assert.equal(res.status, 400, `${JSON.stringify(revision)}: ${res.text}`);
        assert.deepEqual(res.body, {
          code: "INVALID_REQUEST",
          error: `Invalid plan.revision: must be a commit ID, 40 or 64 lower-case hex digits (git's full object name of the commit the plan was compiled from), or left out; ${got}`,
        });
        assert.equal((await call("GET", `/v1/runs/${runId}`)).status, 404, "no run was stored");
      }
      for (const [runId, revision] of [["sha1-rev", REV], ["sha256-rev", "a".repeat(64)], ["no-rev", undefined], ["null-rev", null]] as const) {
        const res = await call("POST", "/v1/runs", { plan: { ...planOf({ "web@qa.build": [] }), ...(revision === undefined ? {} : { revision }) }, runId });
        assert.equal(res.status, 201, res.text);
        assert.equal((await call("GET", `/v1/runs/${runId}`)).body.revision, revision ?? undefined);
      }
    });
  });
}
