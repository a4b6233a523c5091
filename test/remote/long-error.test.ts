// A job failing with a long error (a step quoting its output, e.g. a refused
// `::set-env::` command 70 KB long) still has its result recorded, on both
// stores: the backend takes an update body as large as its JSON cap and keeps
// the error's first 4,000 characters; the client clips the error it sends, so
// a backend capping update bodies at 64 KiB (e39805f) records it too. Before,
// the update was refused with 413, the job stayed running and its dependents
// waited until the lease was given up.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BackendClient } from "../../src/remote/client.js";
import { MAX_ERROR_CHARS } from "../../src/remote/protocol.js";
import { api, backendOnStore, enc, planOf, startTestBackend, type StoreKind } from "./helpers.js";

const LONG = `::set-env name=X::${"a".repeat(70_000)}`;

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`a long job error on ${kind}`, () => {
    const on = backendOnStore(kind);

    it("the backend records an update with a 70 KB error, keeping its first 4,000 characters; dependents are skipped", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => api<T>(on.backend.url, on.token, method, path, body);
      assert.equal((await call("POST", "/v1/runs", { plan: { ...planOf({ "a@dev.x": [], "b@dev.x": ["a@dev.x"] }), failFast: true }, runId: "long" })).status, 201);
      assert.equal((await call("POST", `/v1/runs/long/jobs/${enc("a@dev.x")}/claim`, { runnerId: "r1" })).body.claimed, true);
      // A NUL too: PostgreSQL text cannot hold one, it is replaced.
      const updated = await call("POST", `/v1/runs/long/jobs/${enc("a@dev.x")}/update`, { runnerId: "r1", status: "failed", error: `\u0000${LONG}` });
      assert.equal(updated.status, 200, updated.text);
      const jobs = (await call<{ jobs: { jobId: string; status: string; lastError: string | null }[] }>("GET", "/v1/runs/long/jobs")).body.jobs;
      assert.deepEqual(jobs.map((j) => [j.jobId, j.status]), [["a@dev.x", "failed"], ["b@dev.x", "skipped"]]);
      const kept = jobs[0].lastError ?? "";
      assert.equal(kept.length, MAX_ERROR_CHARS);
      assert.equal(kept, `\uFFFD${LONG.slice(0, MAX_ERROR_CHARS - 2)}…`, "the error's start, an ellipsis marking the cut");
    });

    it("the client clips the error it sends: a backend taking 64 KiB update bodies records it", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      // A backend whose JSON cap is 64 KiB takes no larger update, as a backend from e39805f did.
      const strict = await startTestBackend(on.db.url, { maxJsonBytes: 64 * 1024 });
      try {
        const raw = await api(strict.url, on.token, "POST", "/v1/runs/strict/jobs/x/update", { runnerId: "r1", status: "failed", error: LONG });
        assert.equal(raw.status, 413, "the whole error does not fit");
        const client = new BackendClient({ baseUrl: strict.url, auth: { kind: "token", token: async () => on.token }, retryBudgetMs: 2000 });
        await client.createRun({ plan: planOf({ "a@dev.x": [] }), runId: "strict" });
        const claim = await client.claim("strict", "a@dev.x", "r1");
        assert.equal(claim.claimed, true);
        assert.equal((await client.update("strict", "a@dev.x", { runnerId: "r1", status: "failed", error: LONG }, { lease: claim.leaseToken })).ok, true);
        const job = await client.jobStatus("strict", "a@dev.x");
        assert.deepEqual([job.status, job.lastError], ["failed", `${LONG.slice(0, MAX_ERROR_CHARS - 1)}…`]);
      } finally {
        await strict.stop();
      }
    });
  });
}
