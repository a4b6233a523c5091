// A later attempt of a workflow run waits for its failed dependency's retry only within the backend's retry grace,
// over real HTTP on loopback, on SQLite and PostgreSQL: GitHub's "Re-run this job" on a dependent's leg re-runs that
// leg alone, and nobody retries the failed job, so past the grace (counted from the attempt's first claim of the
// job) its claim says so — naming the failed job, its attempt and what re-runs both — instead of holding the leg
// for the runner's whole wait timeout. The attempt's runner of the failed job coming within the grace still
// reopens it ("Re-run failed jobs"); a later attempt gets its own grace; a run stopped by fail-fast too.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, enc, planOf, startTestBackend, testDatabase, tokenFor, type StoreKind, type TestBackend, type TestDatabase } from "../helpers.js";
import { startOidcIssuer, type LocalOidcIssuer } from "../../support/oidc-issuer.js";
import type { ClaimResponse, JobView } from "../../../src/remote/protocol.js";

const REPO = "acme/widgets";
const GRACE_MS = 1500;

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`a re-run attempt waits for its failed dependency's retry only within the grace (${kind})`, () => {
    let db: TestDatabase | undefined;
    let backend: TestBackend;
    /** A second replica on the same database. */
    let replica: TestBackend;
    let issuer: LocalOidcIssuer;
    let token: string;
    let n = 0;
    const newRunId = () => `grace-${++n}-${Date.now()}`;
    const call = <T = Record<string, unknown>>(method: string, path: string, body: unknown, t: string) => api<T>(backend.url, t, method, path, body);
    const claim = (runId: string, jobId: string, runnerId: string, t: string, url = backend.url) =>
      api<ClaimResponse>(url, t, "POST", `/v1/runs/${runId}/jobs/${enc(jobId)}/claim`, { runnerId });
    const finish = async (runId: string, jobId: string, runnerId: string, status: "success" | "failed", t: string) => {
      const res = await call("POST", `/v1/runs/${runId}/jobs/${enc(jobId)}/update`, { runnerId, status, ...(status === "failed" ? { error: "exit status 3" } : {}) }, t);
      assert.equal(res.status, 200, res.text);
    };
    const statuses = async (runId: string) => {
      const res = await call<{ jobs: JobView[] }>("GET", `/v1/runs/${runId}/jobs`, undefined, token);
      return Object.fromEntries(res.body.jobs.map((j) => [j.jobId, j.status]));
    };
    /** A long-poll for `jobId` as a runner of `t`'s attempt makes it: how long it was held. */
    const heldFor = async (runId: string, jobId: string, t: string, waitMs = 20_000, url = backend.url) => {
      const started = Date.now();
      const res = await api<{ job: JobView }>(url, t, "GET", `/v1/runs/${runId}/runnable?job=${enc(jobId)}&waitMs=${waitMs}`);
      assert.equal(res.status, 200, res.text);
      return Date.now() - started;
    };
    const attemptToken = (attempt: number, ghRun: string) => issuer.sign(REPO, { claims: { run_id: ghRun, run_attempt: String(attempt) } });

    before(async () => {
      db = await testDatabase(kind);
      if (!db) return;
      issuer = await startOidcIssuer();
      backend = await startTestBackend(db.url, { oidc: { issuer: issuer.issuer }, leaseMs: 60_000, retryGraceMs: GRACE_MS });
      replica = await startTestBackend(db.url, { oidc: { issuer: issuer.issuer }, leaseMs: 60_000, retryGraceMs: GRACE_MS });
      token = await tokenFor(backend.store, REPO);
    });
    after(async () => {
      await replica?.stop();
      await backend?.stop();
      await issuer?.close();
      await db?.cleanup();
    });

    it("a dependent's leg re-run alone is told, once the grace ends, that its failed dependency was not retried; a later attempt re-running both finishes the run", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = newRunId();
      const [a1, a2, a3] = await Promise.all([1, 2, 3].map((a) => attemptToken(a, "6660001")));
      // x fails in attempt 1; d and e (behind d) are skipped because of it.
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "x@dev.a": [], "d@dev.a": ["x@dev.a"], "e@dev.a": ["d@dev.a"] }), runId }, a1)).status, 201);
      assert.equal((await claim(runId, "x@dev.a", "a1-x", a1)).body.claimed, true);
      await finish(runId, "x@dev.a", "a1-x", "failed", a1);

      // Attempt 2 re-runs e's leg alone: its claims wait, and its long-poll is held, for the grace.
      const started = Date.now();
      const first = await claim(runId, "e@dev.a", "a2-e", a2);
      assert.deepEqual([first.body.claimed, first.body.depsWaiting, first.body.depsBlocked], [false, true, undefined], JSON.stringify(first.body));
      assert.match(first.body.reason ?? "", /in attempt 1; waiting for attempt 2 to retry it$/);
      const again = await claim(runId, "e@dev.a", "a2-e", a2);
      assert.equal(again.body.depsWaiting, true, "a repeated claim within the grace waits too (the grace runs from the first)");
      const held = await heldFor(runId, "e@dev.a", a2);
      assert.ok(Date.now() - started >= GRACE_MS, `the long-poll ends once the grace does, not before (held ${held} ms)`);
      assert.ok(held < 15_000, `the long-poll ends when the grace does, not at its waitMs (held ${held} ms)`);

      const told = await claim(runId, "e@dev.a", "a2-e", a2);
      assert.deepEqual([told.body.claimed, told.body.currentStatus, told.body.depsBlocked, told.body.depsWaiting, told.body.stop], [false, "skipped", true, undefined, undefined], JSON.stringify(told.body));
      assert.equal(told.body.notRetried, "x@dev.a");
      assert.equal(
        told.body.reason,
        `dependency d@dev.a skipped (upstream x@dev.a failed) in attempt 1, and no runner of attempt 2 retried x@dev.a within 1.5s: ` +
          `if its leg was not re-run with this one (GitHub's "Re-run this job" re-runs one leg), "Re-run failed jobs" re-runs both; ` +
          "if it is queued, re-run this leg once it has retried x@dev.a (orun backend serve --retry-grace sets how long a leg waits)",
      );
      // Nothing changed: the failed job stays failed, its dependents skipped.
      assert.deepEqual(await statuses(runId), { "x@dev.a": "failed", "d@dev.a": "skipped", "e@dev.a": "skipped" });
      // Attempt 3 ("Re-run failed jobs"): its own grace, and its leg of x within it reopens x, d and e.
      const third = await claim(runId, "e@dev.a", "a3-e", a3);
      assert.equal(third.body.depsWaiting, true, `attempt 3 waits anew: ${JSON.stringify(third.body)}`);
      const retried = await claim(runId, "x@dev.a", "a3-x", a3);
      assert.deepEqual([retried.body.claimed, retried.body.retried, retried.body.reopened], [true, true, ["d@dev.a", "e@dev.a"]], JSON.stringify(retried.body));
      await finish(runId, "x@dev.a", "a3-x", "success", a3);
      assert.equal((await claim(runId, "d@dev.a", "a3-d", a3)).body.claimed, true);
      await finish(runId, "d@dev.a", "a3-d", "success", a3);
      assert.equal((await claim(runId, "e@dev.a", "a3-e", a3)).body.claimed, true);
      await finish(runId, "e@dev.a", "a3-e", "success", a3);
      assert.equal((await call<{ status: string }>("GET", `/v1/runs/${runId}`, undefined, token)).body.status, "completed");
    });

    it("the failed job's leg of the same attempt arriving within the grace reopens it, and the dependent that waited runs after it", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = newRunId();
      const [a1, a2] = await Promise.all([1, 2].map((a) => attemptToken(a, "6660002")));
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "x@dev.a": [], "d@dev.a": ["x@dev.a"] }), runId }, a1)).status, 201);
      assert.equal((await claim(runId, "x@dev.a", "a1-x", a1)).body.claimed, true);
      await finish(runId, "x@dev.a", "a1-x", "failed", a1);
      assert.equal((await claim(runId, "d@dev.a", "a2-d", a2)).body.depsWaiting, true);
      const retried = await claim(runId, "x@dev.a", "a2-x", a2);
      assert.deepEqual([retried.body.claimed, retried.body.reopened], [true, ["d@dev.a"]], JSON.stringify(retried.body));
      // d is pending behind the running retry: it waits for x however long x runs, past the grace.
      const held = await heldFor(runId, "d@dev.a", a2, GRACE_MS + 1000);
      assert.ok(held >= GRACE_MS + 1000 - 50, `held for its whole waitMs while x runs (${held} ms)`);
      const waiting = await claim(runId, "d@dev.a", "a2-d", a2);
      assert.deepEqual([waiting.body.claimed, waiting.body.currentStatus, waiting.body.depsWaiting, waiting.body.notRetried], [false, "pending", true, undefined], JSON.stringify(waiting.body));
      await finish(runId, "x@dev.a", "a2-x", "success", a2);
      assert.equal((await claim(runId, "d@dev.a", "a2-d", a2)).body.claimed, true);
    });

    it("in a run stopped by fail-fast, a leg re-run alone is told the same, with the run's stop", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = newRunId();
      const [a1, a2] = await Promise.all([1, 2].map((a) => attemptToken(a, "6660003")));
      const plan = { ...planOf({ "x@dev.a": [], "d@dev.a": ["x@dev.a"] }), failFast: true };
      assert.equal((await call("POST", "/v1/runs", { plan, runId }, a1)).status, 201);
      assert.equal((await claim(runId, "x@dev.a", "a1-x", a1)).body.claimed, true);
      await finish(runId, "x@dev.a", "a1-x", "failed", a1);
      const first = await claim(runId, "d@dev.a", "a2-d", a2);
      assert.equal(first.body.depsWaiting, true, JSON.stringify(first.body));
      assert.match(first.body.reason ?? "", /^not started: fail-fast after x@dev\.a failed in attempt 1; waiting for attempt 2 to retry it$/);
      await heldFor(runId, "d@dev.a", a2);
      const told = await claim(runId, "d@dev.a", "a2-d", a2);
      assert.deepEqual([told.body.depsBlocked, told.body.stop, told.body.notRetried], [true, true, "x@dev.a"], JSON.stringify(told.body));
      assert.match(told.body.reason ?? "", /^not started: fail-fast after x@dev\.a failed in attempt 1, and no runner of attempt 2 retried x@dev\.a within 1\.5s: /);
      assert.deepEqual(await statuses(runId), { "x@dev.a": "failed", "d@dev.a": "skipped" });
    });

    it("every job skipped for one failure waits one grace per attempt, on any replica: a job first claimed after it is told at once", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = newRunId();
      const [a1, a2] = await Promise.all([1, 2].map((a) => attemptToken(a, "6660004")));
      // x fails in attempt 1; d1, d2 (behind it) and e (behind d2) are skipped: one leg of all three (`--env`).
      const plan = planOf({ "x@dev.a": [], "d1@stage.a": ["x@dev.a"], "d2@stage.b": ["x@dev.a"], "e@stage.c": ["d2@stage.b"] });
      assert.equal((await call("POST", "/v1/runs", { plan, runId }, a1)).status, 201);
      assert.equal((await claim(runId, "x@dev.a", "a1-x", a1)).body.claimed, true);
      await finish(runId, "x@dev.a", "a1-x", "failed", a1);

      // Attempt 2's leg claims d1 first, on one replica, and waits the grace out.
      const started = Date.now();
      assert.equal((await claim(runId, "d1@stage.a", "a2-stage", a2)).body.depsWaiting, true);
      await heldFor(runId, "d1@stage.a", a2);
      assert.ok(Date.now() - started >= GRACE_MS);
      // Its other jobs behind x, claimed for the first time now on the other replica, are told at once, as d1 is.
      for (const [jobId, url] of [["d2@stage.b", replica.url], ["e@stage.c", replica.url], ["d1@stage.a", backend.url]] as const) {
        const told = await claim(runId, jobId, "a2-stage", a2, url);
        assert.deepEqual([told.body.depsBlocked, told.body.depsWaiting, told.body.notRetried], [true, undefined, "x@dev.a"], `${jobId}: ${JSON.stringify(told.body)}`);
      }
      assert.deepEqual(await statuses(runId), { "x@dev.a": "failed", "d1@stage.a": "skipped", "d2@stage.b": "skipped", "e@stage.c": "skipped" });
    });

    it("the failed job's leg of an attempt coming after its grace retries it, and says its dependents' legs of the attempt gave up", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = newRunId();
      const [a1, a2] = await Promise.all([1, 2].map((a) => attemptToken(a, "6660005")));
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "x@dev.a": [], "d@dev.a": ["x@dev.a"] }), runId }, a1)).status, 201);
      assert.equal((await claim(runId, "x@dev.a", "a1-x", a1)).body.claimed, true);
      await finish(runId, "x@dev.a", "a1-x", "failed", a1);
      assert.equal((await claim(runId, "d@dev.a", "a2-d", a2)).body.depsWaiting, true);
      await heldFor(runId, "d@dev.a", a2);
      assert.equal((await claim(runId, "d@dev.a", "a2-d", a2)).body.notRetried, "x@dev.a");
      // x's leg was queued past the grace: it retries x; d is pending again, and nobody of attempt 2 waits for it.
      const late = await claim(runId, "x@dev.a", "a2-x", a2, replica.url);
      assert.deepEqual([late.body.claimed, late.body.retried, late.body.reopened, late.body.reopenedGaveUpAfter], [true, true, ["d@dev.a"], "1.5s"], JSON.stringify(late.body));
    });

    it("in a run stopped in the claimer's own attempt, a leg behind an earlier failure is told the stop at once, not after the grace", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = newRunId();
      const [a1, a2] = await Promise.all([1, 2].map((a) => attemptToken(a, "6660006")));
      const plan = { ...planOf({ "x@dev.a": [], "y@dev.a": [], "d@dev.a": ["x@dev.a"] }), failFast: true };
      assert.equal((await call("POST", "/v1/runs", { plan, runId }, a1)).status, 201);
      for (const job of ["x@dev.a", "y@dev.a"]) assert.equal((await claim(runId, job, `a1-${job}`, a1)).body.claimed, true);
      for (const job of ["x@dev.a", "y@dev.a"]) await finish(runId, job, `a1-${job}`, "failed", a1);
      // Attempt 2: y's leg reopens the run and fails again: the run stops in attempt 2; x's leg is refused.
      assert.equal((await claim(runId, "y@dev.a", "a2-y", a2)).body.retried, true);
      await finish(runId, "y@dev.a", "a2-y", "failed", a2);
      assert.equal((await claim(runId, "x@dev.a", "a2-x", a2)).body.stop, true);

      const started = Date.now();
      const told = await claim(runId, "d@dev.a", "a2-d", a2);
      assert.deepEqual(
        [told.body.claimed, told.body.depsBlocked, told.body.stop, told.body.depsWaiting, told.body.notRetried, told.body.reason],
        [false, true, true, undefined, undefined, "the run stopped in attempt 2 (fail-fast after y@dev.a failed); --retry reopens it"],
        JSON.stringify(told.body),
      );
      // A long-poll is not held either. Asked of a replica whose grace is 30 s (the poll's wait): under load one
      // request took over 1.5 s, so only a grace far longer than a loaded round trip tells "held" from "slow".
      const patient = await startTestBackend(db.url, { oidc: { issuer: issuer.issuer }, leaseMs: 60_000, retryGraceMs: 30_000 });
      try {
        const held = await heldFor(runId, "d@dev.a", a2, 30_000, patient.url);
        assert.ok(held < 15_000, `told at once (long-poll held ${held} ms; ${Date.now() - started} ms with the claim)`);
      } finally {
        await patient.stop();
      }
    });
  });
}
