// A job's result names the revision its runner ran (UpdateRequest.revision): the backend counts a success as
// promotion evidence for the run's revision only when that is it — live, and in the evidence a retention sweep keeps —
// and answers whether it did. Runners that name none (older ones, v2's) count as before. Real HTTP on loopback, on
// SQLite and PostgreSQL.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sweepOnce } from "../../../src/remote/backend/sweeper.js";
import type { BackendContext } from "../../../src/remote/backend/context.js";
import { api, backendOnStore, enc, planOf, type StoreKind } from "../helpers.js";

const REV = "1111111111111111111111111111111111111111";
const OTHER = "2222222222222222222222222222222222222222";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`promotion evidence from the revision a job ran, on ${kind}`, () => {
    const on = backendOnStore(kind, { sweepIntervalMs: 3600_000 }, "acme/widgets");
    const call = (method: string, path: string, body?: unknown) => api(on.backend.url, on.token, method, path, body);
    const start = async (runId: string, jobs: string[]) => {
      const created = await call("POST", "/v1/runs", { plan: { ...planOf(Object.fromEntries(jobs.map((j) => [j, []]))), revision: REV }, runId });
      assert.equal(created.status, 201, created.text);
    };
    /** Claims `job` and reports it `status`, with `extra` fields (revision); returns the update's answer. */
    const finish = async (runId: string, job: string, extra: Record<string, unknown> = {}, status = "success") => {
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc(job)}/claim`, { runnerId: "r" })).body.claimed, true);
      return call("POST", `/v1/runs/${runId}/jobs/${enc(job)}/update`, { runnerId: "r", status, ...extra });
    };
    const ask = async (component: string) => (await call("GET", `/v1/evidence?component=${component}&environment=qa&revision=${REV}`)).body;

    it("counts a success reported at the run's revision, or by a runner that names none; not one at another revision or none", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      await start("vouch-1", ["older@qa.build", "same@qa.build", "other@qa.build", "none@qa.build"]);
      const older = await finish("vouch-1", "older@qa.build");
      assert.deepEqual([older.status, older.body], [200, { ok: true, evidence: true }], "an older runner's success counts, as before");
      assert.deepEqual((await finish("vouch-1", "same@qa.build", { revision: REV })).body, { ok: true, evidence: true });
      assert.deepEqual((await finish("vouch-1", "other@qa.build", { revision: OTHER })).body, { ok: true, evidence: false });
      assert.deepEqual((await finish("vouch-1", "none@qa.build", { revision: null })).body, { ok: true, evidence: false });

      assert.deepEqual(await ask("older"), { satisfied: true, runId: "vouch-1" });
      assert.deepEqual(await ask("same"), { satisfied: true, runId: "vouch-1" });
      // The gate is told which job is no evidence and why (jobs.no_evidence_cause and _reason, migration 20).
      const other = { cause: "other-code", reason: `the runner reported running ${OTHER.slice(0, 12)}, not the run's revision ${REV.slice(0, 12)}` };
      const none = { cause: "other-checkout", reason: `the runner reported running code that is not its plan's commit (a tree that moved on, has edits, or is another folder), not the run's revision ${REV.slice(0, 12)}` };
      assert.deepEqual(await ask("other"), { satisfied: false, withheld: { runId: "vouch-1", jobId: "other@qa.build", ...other } });
      assert.deepEqual(await ask("none"), { satisfied: false, withheld: { runId: "vouch-1", jobId: "none@qa.build", ...none } });
      // And so is whoever reads the run's jobs (orun status --remote-state): only those successes are marked.
      const jobs = (await call("GET", "/v1/runs/vouch-1/jobs")).body.jobs as { jobId: string; noEvidence?: unknown }[];
      assert.deepEqual(
        jobs.map((j) => [j.jobId, j.noEvidence]),
        [["older@qa.build", undefined], ["same@qa.build", undefined], ["other@qa.build", other], ["none@qa.build", none]],
      );
      assert.deepEqual((await call("GET", `/v1/evidence?component=other&environment=qa&revision=${OTHER}`)).body, { satisfied: false }, "nor for the revision it ran: the run's plan is REV's");

      // The repeat of an update whose answer was lost is answered alike.
      const repeat = await call("POST", `/v1/runs/vouch-1/jobs/${enc("other@qa.build")}/update`, { runnerId: "r", status: "success", revision: OTHER });
      assert.deepEqual(repeat.body, { ok: true, evidence: false });
      // A failure's answer says nothing of evidence.
      await start("vouch-2", ["api@qa.build"]);
      assert.deepEqual((await finish("vouch-2", "api@qa.build", { revision: REV }, "failed")).body, { ok: true });
    });

    it("a component with one job that ran other code is no evidence, and a retry at the run's revision makes it evidence again", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      await start("vouch-3", ["web@qa.build", "web@qa.test"]);
      await finish("vouch-3", "web@qa.build", { revision: REV });
      await finish("vouch-3", "web@qa.test", { revision: REV }, "failed");
      // Retried from another commit: it succeeds, but the component's evidence is withheld.
      assert.equal((await call("POST", `/v1/runs/vouch-3/jobs/${enc("web@qa.test")}/claim`, { runnerId: "r2", retry: true })).body.retried, true);
      assert.deepEqual((await call("POST", `/v1/runs/vouch-3/jobs/${enc("web@qa.test")}/update`, { runnerId: "r2", status: "success", revision: OTHER })).body, { ok: true, evidence: false });
      assert.equal((await call("GET", "/v1/runs/vouch-3")).body.status, "completed");
      const reason = `the runner reported running ${OTHER.slice(0, 12)}, not the run's revision ${REV.slice(0, 12)}`;
      assert.deepEqual(await ask("web"), { satisfied: false, withheld: { runId: "vouch-3", jobId: "web@qa.test", cause: "other-code", reason } });

      // The same run, its job reported at its revision (by a runner at the run's commit): evidence.
      await start("vouch-4", ["web@qa.build", "web@qa.test"]);
      await finish("vouch-4", "web@qa.build", { revision: REV });
      await finish("vouch-4", "web@qa.test", { revision: REV }, "failed");
      assert.equal((await call("POST", `/v1/runs/vouch-4/jobs/${enc("web@qa.test")}/claim`, { runnerId: "r2", retry: true })).body.retried, true);
      assert.deepEqual((await call("POST", `/v1/runs/vouch-4/jobs/${enc("web@qa.test")}/update`, { runnerId: "r2", status: "success", revision: REV })).body, { ok: true, evidence: true });
      assert.deepEqual(await ask("web"), { satisfied: true, runId: "vouch-4" });
    });

    it("retention keeps no evidence from a run whose job ran other code", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      await start("vouch-5", ["db@qa.migrate"]);
      await finish("vouch-5", "db@qa.migrate", { revision: null });
      await start("vouch-6", ["cache@qa.warm"]);
      await finish("vouch-6", "cache@qa.warm", { revision: REV });
      // Every run so far goes (a sweep as if two hours on, one-hour retention); the evidence of those that had some stays.
      const ctx: BackendContext = {
        store: on.backend.store,
        settings: { leaseMs: 60_000, maxLongPollMs: 1, longPollRecheckMs: 1, maxLogBytes: 1, maxJsonBytes: 1 },
        clock: () => ({ now: new Date(Date.now() + 2 * 3600_000), leaseMs: 60_000 }),
      };
      assert.ok((await sweepOnce(ctx, 3600_000, 48 * 3600_000)).deleted >= 2);
      assert.equal((await call("GET", "/v1/runs/vouch-5")).status, 404);
      assert.deepEqual(await ask("db"), { satisfied: false });
      assert.deepEqual(((await ask("cache")) as { deletedRun?: { runId: string } }).deletedRun?.runId, "vouch-6");
    });

    it("refuses a revision that is neither a string nor null, naming the field", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      await start("vouch-7", ["api@qa.build"]);
      const refused = await finish("vouch-7", "api@qa.build", { revision: 42 });
      assert.equal(refused.status, 400, refused.text);
      assert.match(refused.text, /revision must be the commit the job ran at \(a string\) or null/);
      assert.equal((await call("GET", `/v1/runs/vouch-7/jobs/${enc("api@qa.build")}/status`)).body.status, "running", "nothing recorded");
    });
  });
}
