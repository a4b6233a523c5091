// Retrying a failed job within its run, over real HTTP on loopback, on SQLite and PostgreSQL: a claim with
// `retry` (orun run --job X --retry) or from a later attempt of the workflow run that failed it (GitHub's
// "Re-run failed jobs": same run_id, higher run_attempt in the OIDC token of the local issuer) reopens the job
// and the jobs skipped because of it, atomically; racing claimers stay exclusive; an older attempt, another
// workflow run, another repository or a forged token reopen nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generateKeyPair } from "jose";
import { api, enc, planOf, startTestBackend, testDatabase, tokenFor, type StoreKind, type TestBackend, type TestDatabase } from "../helpers.js";
import { startOidcIssuer, type LocalOidcIssuer } from "../../support/oidc-issuer.js";
import type { ClaimResponse, JobView } from "../../../src/remote/protocol.js";

const REPO = "acme/widgets";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`retrying a failed job on ${kind}`, () => {
    let db: TestDatabase | undefined;
    let backend: TestBackend;
    let issuer: LocalOidcIssuer;
    let token: string;
    let n = 0;
    const newRunId = () => `retry-${++n}-${Date.now()}`;
    const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, t = token) => api<T>(backend.url, t, method, path, body);
    const claim = (runId: string, jobId: string, runnerId: string, extra: { retry?: boolean } = {}, t = token) =>
      call<ClaimResponse>("POST", `/v1/runs/${runId}/jobs/${enc(jobId)}/claim`, { runnerId, ...extra }, t);
    const fail = async (runId: string, jobId: string, runnerId: string, t = token) => {
      const res = await call("POST", `/v1/runs/${runId}/jobs/${enc(jobId)}/update`, { runnerId, status: "failed", error: "exit status 3" }, t);
      assert.equal(res.status, 200, res.text);
    };
    const jobsOf = async (runId: string) => {
      const res = await call<{ jobs: JobView[] }>("GET", `/v1/runs/${runId}/jobs`);
      return Object.fromEntries(res.body.jobs.map((j) => [j.jobId, j]));
    };
    const statuses = async (runId: string) => Object.fromEntries(Object.entries(await jobsOf(runId)).map(([id, j]) => [id, j.status]));
    /** An OIDC token of `repo` from workflow run `runId`, attempt `attempt`. */
    const attemptToken = (attempt: number, runId = "5550001", repo = REPO) => issuer.sign(repo, { claims: { run_id: runId, run_attempt: String(attempt) } });

    before(async () => {
      db = await testDatabase(kind);
      if (!db) return;
      issuer = await startOidcIssuer();
      backend = await startTestBackend(db.url, { oidc: { issuer: issuer.issuer }, leaseMs: 60_000 });
      token = await tokenFor(backend.store, REPO);
    });
    after(async () => {
      await backend?.stop();
      await issuer?.close();
      await db?.cleanup();
    });

    it("--retry reopens a failed job and the jobs skipped because of it; racing retries claim it exactly once", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = newRunId();
      // x fails; d and e wait on it; f waits on x and on z, which fails too; s succeeded.
      const edges = { "s@dev.a": [], "x@dev.a": ["s@dev.a"], "z@dev.a": [], "d@dev.a": ["x@dev.a"], "e@dev.a": ["d@dev.a"], "f@dev.a": ["x@dev.a", "z@dev.a"] };
      assert.equal((await call("POST", "/v1/runs", { plan: planOf(edges), runId })).status, 201);
      assert.equal((await claim(runId, "s@dev.a", "r0")).body.claimed, true);
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc("s@dev.a")}/update`, { runnerId: "r0", status: "success" })).status, 200);
      for (const job of ["x@dev.a", "z@dev.a"]) assert.equal((await claim(runId, job, "r1")).body.claimed, true);
      await fail(runId, "x@dev.a", "r1");
      await fail(runId, "z@dev.a", "r1");
      assert.deepEqual(await statuses(runId), { "s@dev.a": "success", "x@dev.a": "failed", "z@dev.a": "failed", "d@dev.a": "skipped", "e@dev.a": "skipped", "f@dev.a": "skipped" });
      assert.equal((await call<{ status: string }>("GET", `/v1/runs/${runId}`)).body.status, "failed");

      // Without --retry nothing changes.
      const plain = await claim(runId, "x@dev.a", "r2");
      assert.equal(plain.body.claimed, false);
      assert.equal(plain.body.currentStatus, "failed");

      // Eight runners retry it at once: exactly one claims it.
      const racers = await Promise.all(Array.from({ length: 8 }, (_, i) => claim(runId, "x@dev.a", `racer-${i}`, { retry: true })));
      for (const r of racers) assert.equal(r.status, 200, r.text);
      const winners = racers.filter((r) => r.body.claimed);
      assert.equal(winners.length, 1, JSON.stringify(racers.map((r) => r.body)));
      assert.equal(winners[0].body.retried, true);
      assert.deepEqual(winners[0].body.reopened, ["d@dev.a", "e@dev.a"], "f stays skipped: it depends on z too");
      for (const loser of racers.filter((r) => !r.body.claimed)) assert.equal(loser.body.currentStatus, "running", JSON.stringify(loser.body));

      const jobs = await jobsOf(runId);
      assert.equal(jobs["x@dev.a"].status, "running");
      assert.equal(jobs["x@dev.a"].attempts, 2);
      assert.equal(jobs["x@dev.a"].runAttempt, undefined, "a --retry without OIDC takes up no workflow attempt");
      assert.equal(jobs["x@dev.a"].retries, 1);
      assert.equal(jobs["d@dev.a"].status, "pending");
      assert.equal(jobs["e@dev.a"].status, "pending");
      // f still depends on z, which failed: skipped again, for z.
      assert.equal(jobs["f@dev.a"].status, "skipped");
      assert.equal(jobs["f@dev.a"].lastError, "dependency z@dev.a failed");
      assert.equal((await call<{ status: string; finishedAt: string | null }>("GET", `/v1/runs/${runId}`)).body.status, "running");
      // A dependent waits for the retried job instead of being told it is blocked.
      const waiting = await claim(runId, "d@dev.a", "r3");
      assert.equal(waiting.body.depsWaiting, true, JSON.stringify(waiting.body));

      // A job running under a live lease, or one that succeeded, is not reopened by --retry.
      const live = await claim(runId, "x@dev.a", "r4", { retry: true });
      assert.deepEqual([live.body.claimed, live.body.currentStatus], [false, "running"]);
      const done = await claim(runId, "s@dev.a", "r4", { retry: true });
      assert.deepEqual([done.body.claimed, done.body.currentStatus], [false, "success"]);
      // A skipped job is not what --retry reopens: the answer names the way.
      const skipped = await claim(runId, "f@dev.a", "r4", { retry: true });
      assert.equal(skipped.body.depsBlocked, true);
      assert.match(skipped.body.reason ?? "", /dependency z@dev\.a failed — --retry reopens a failed job/);

      // The winner finishes: the reopened dependents run.
      const winner = racers.indexOf(winners[0]);
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc("x@dev.a")}/update`, { runnerId: `racer-${winner}`, status: "success" })).status, 200);
      assert.equal((await claim(runId, "d@dev.a", "r3")).body.claimed, true);
      // A misspelt flag is refused, naming it.
      const bad = await claim(runId, "x@dev.a", "r5", { retry: "yes" as unknown as boolean });
      assert.equal(bad.status, 400);
      assert.match(bad.text, /retry must be a boolean/);
    });

    it("a later attempt of the workflow run reclaims the job an earlier attempt failed; its dependents' runners wait for it; an older attempt or another workflow run reopens nothing", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = newRunId();
      const [first, second, third] = [await attemptToken(1), await attemptToken(2), await attemptToken(3)];
      const edges = { "x@dev.a": [], "d@dev.a": ["x@dev.a"], "e@dev.a": ["d@dev.a"] };
      assert.equal((await call("POST", "/v1/runs", { plan: planOf(edges), runId }, first)).status, 201);
      assert.equal((await claim(runId, "x@dev.a", "a1-x", {}, first)).body.claimed, true);
      await fail(runId, "x@dev.a", "a1-x", first);
      // The same attempt's runners: failed and blocked, as before.
      assert.equal((await claim(runId, "x@dev.a", "a1-x2", {}, first)).body.currentStatus, "failed");
      assert.equal((await claim(runId, "e@dev.a", "a1-e", {}, first)).body.depsBlocked, true);

      // Attempt 2's leg for e arrives before x's: it waits rather than giving up.
      const early = await claim(runId, "e@dev.a", "a2-e", {}, second);
      assert.equal(early.body.claimed, false);
      assert.equal(early.body.depsWaiting, true, JSON.stringify(early.body));
      assert.equal(early.body.depsBlocked, undefined);
      assert.match(early.body.reason ?? "", /in attempt 1; waiting for attempt 2 to retry it/);
      // Its long-poll holds (nothing to act on yet), while attempt 1's runner is answered at once: its job is blocked.
      let answered = false;
      const poll = call<{ job: JobView }>("GET", `/v1/runs/${runId}/runnable?job=${enc("e@dev.a")}&waitMs=2500`, undefined, second).finally(() => (answered = true));
      const older = await call<{ job: JobView }>("GET", `/v1/runs/${runId}/runnable?job=${enc("e@dev.a")}&waitMs=20000`, undefined, first);
      assert.equal(older.body.job.status, "skipped");
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(answered, false, "attempt 2's long-poll is held");
      const retried = await claim(runId, "x@dev.a", "a2-x", {}, second);
      assert.equal(retried.body.claimed, true, JSON.stringify(retried.body));
      assert.equal(retried.body.retried, true);
      assert.equal(retried.body.runAttempt, 2);
      const woken = await poll;
      assert.equal(woken.body.job.status, "pending", "the waiting runner sees the reopened job (and waits for it)");
      let jobs = await jobsOf(runId);
      assert.deepEqual([jobs["x@dev.a"].status, jobs["d@dev.a"].status, jobs["e@dev.a"].status], ["running", "pending", "pending"]);
      assert.equal(jobs["x@dev.a"].runAttempt, 2);

      // x fails again in attempt 2: attempt 1 (older) reopens nothing, nor does another workflow run's attempt 3.
      await fail(runId, "x@dev.a", "a2-x", second);
      const stale = await claim(runId, "x@dev.a", "a1-late", {}, first);
      assert.deepEqual([stale.body.claimed, stale.body.currentStatus], [false, "failed"]);
      const blockedForOlder = await claim(runId, "e@dev.a", "a1-late", {}, first);
      assert.equal(blockedForOlder.body.depsBlocked, true);
      const otherRun = await claim(runId, "x@dev.a", "other-run", {}, await attemptToken(3, "5550002"));
      assert.deepEqual([otherRun.body.claimed, otherRun.body.currentStatus], [false, "failed"]);
      jobs = await jobsOf(runId);
      assert.deepEqual([jobs["x@dev.a"].status, jobs["x@dev.a"].runAttempt, jobs["e@dev.a"].status], ["failed", 2, "skipped"]);

      // Attempt 3 of the same workflow run: reopened again; the chain runs to the end.
      assert.equal((await claim(runId, "x@dev.a", "a3-x", {}, third)).body.claimed, true);
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc("x@dev.a")}/update`, { runnerId: "a3-x", status: "success" }, third)).status, 200);
      for (const job of ["d@dev.a", "e@dev.a"]) {
        assert.equal((await claim(runId, job, `a3-${job}`, {}, third)).body.claimed, true);
        assert.equal((await call("POST", `/v1/runs/${runId}/jobs/${enc(job)}/update`, { runnerId: `a3-${job}`, status: "success" }, third)).status, 200);
      }
      assert.equal((await call<{ status: string }>("GET", `/v1/runs/${runId}`)).body.status, "completed");
      assert.equal((await jobsOf(runId))["e@dev.a"].runAttempt, 3);
    });

    it("only a caller of the run's repository can reopen its failed job: another repository's or a forged token changes nothing", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = newRunId();
      const owner = await attemptToken(1);
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ "x@dev.a": [], "d@dev.a": ["x@dev.a"] }), runId }, owner)).status, 201);
      assert.equal((await claim(runId, "x@dev.a", "a1", {}, owner)).body.claimed, true);
      await fail(runId, "x@dev.a", "a1", owner);
      // Another repository, same workflow run ID and a later attempt, and --retry: its namespace has no such run.
      const other = await claim(runId, "x@dev.a", "intruder", { retry: true }, await attemptToken(2, "5550001", "evil/widgets"));
      assert.equal(other.status, 404, other.text);
      const otherToken = await claim(runId, "x@dev.a", "intruder", { retry: true }, await tokenFor(backend.store, "evil/widgets"));
      assert.equal(otherToken.status, 404, otherToken.text);
      // A token for this repository signed with a key the issuer never published.
      const { privateKey } = await generateKeyPair("RS256");
      const forged = await issuer.sign(REPO, { claims: { run_id: "5550001", run_attempt: "9" }, key: privateKey });
      const refused = await claim(runId, "x@dev.a", "intruder", { retry: true }, forged);
      assert.equal(refused.status, 401, refused.text);
      assert.match(refused.text, /Invalid signature/);
      const jobs = await jobsOf(runId);
      assert.deepEqual([jobs["x@dev.a"].status, jobs["x@dev.a"].attempts, jobs["d@dev.a"].status], ["failed", 1, "skipped"]);
      // The repository's own backend token may: --retry.
      assert.equal((await claim(runId, "x@dev.a", "owner-laptop", { retry: true })).body.claimed, true);
    });

    it("a retry of a failed job reopens its stopped (fail-fast) run in one transaction: one of eight racers claims; the stop's skips are pending again, the other failure's dependents are not", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = newRunId();
      // x and z run; x fails and stops the run; z, still running, fails after it. d needs x, f needs z, u needs nothing.
      const plan = { ...planOf({ "x@dev.a": [], "z@dev.a": [], "d@dev.a": ["x@dev.a"], "f@dev.a": ["z@dev.a"], "g@dev.a": ["f@dev.a"], "u@dev.a": [] }), failFast: true };
      assert.equal((await call("POST", "/v1/runs", { plan, runId })).status, 201);
      for (const job of ["x@dev.a", "z@dev.a"]) assert.equal((await claim(runId, job, "r1")).body.claimed, true);
      await fail(runId, "x@dev.a", "r1");
      await fail(runId, "z@dev.a", "r1");
      assert.deepEqual(await statuses(runId), { "x@dev.a": "failed", "z@dev.a": "failed", "d@dev.a": "skipped", "f@dev.a": "skipped", "g@dev.a": "skipped", "u@dev.a": "skipped" });
      const stopped = await call<{ status: string; stoppedReason?: string }>("GET", `/v1/runs/${runId}`);
      assert.deepEqual([stopped.body.status, stopped.body.stoppedReason], ["failed", "fail-fast after x@dev.a failed"]);
      const refused = await claim(runId, "u@dev.a", "r2");
      assert.deepEqual([refused.body.currentStatus, refused.body.stop], ["skipped", true]);

      const racers = await Promise.all(Array.from({ length: 8 }, (_, i) => claim(runId, "x@dev.a", `racer-${i}`, { retry: true })));
      const winners = racers.filter((r) => r.body.claimed);
      assert.equal(winners.length, 1, JSON.stringify(racers.map((r) => r.body)));
      assert.equal(winners[0].body.runReopened, "fail-fast after x@dev.a failed");
      assert.deepEqual(winners[0].body.reopened, ["d@dev.a", "u@dev.a"], "f and g stay skipped: z failed");
      for (const loser of racers.filter((r) => !r.body.claimed)) assert.equal(loser.body.currentStatus, "running", JSON.stringify(loser.body));
      const run = await call<{ status: string; stoppedReason?: string; finishedAt: string | null }>("GET", `/v1/runs/${runId}`);
      assert.deepEqual([run.body.status, run.body.stoppedReason, run.body.finishedAt], ["running", undefined, null]);
      const jobs = await jobsOf(runId);
      assert.deepEqual(
        Object.fromEntries(Object.entries(jobs).map(([id, j]) => [id, [j.status, j.lastError]])),
        {
          "x@dev.a": ["running", null],
          "z@dev.a": ["failed", "exit status 3"],
          "d@dev.a": ["pending", null],
          "f@dev.a": ["skipped", "dependency z@dev.a failed"],
          "g@dev.a": ["skipped", "dependency f@dev.a skipped"],
          "u@dev.a": ["pending", null],
        },
      );
      // The open run starts jobs again: u (no dependency) is claimed; f is blocked, not stopped.
      assert.equal((await claim(runId, "u@dev.a", "r2")).body.claimed, true);
      const blocked = await claim(runId, "f@dev.a", "r2");
      assert.deepEqual([blocked.body.depsBlocked, blocked.body.stop], [true, undefined]);
      // A new failure stops it again, as fail-fast does.
      await fail(runId, `x@dev.a`, `racer-${racers.indexOf(winners[0])}`);
      assert.equal((await statuses(runId))["d@dev.a"], "skipped");
      const again = await call<{ stoppedReason?: string }>("GET", `/v1/runs/${runId}`);
      assert.equal(again.body.stoppedReason, "fail-fast after x@dev.a failed");
    });

    it("in a re-run attempt, a failed job's leg does not undo a stop that attempt made (another job failed again): only --retry reopens it", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = newRunId();
      const plan = { ...planOf({ "x@dev.a": [], "y@dev.a": [], "u@dev.a": [], "d@dev.a": ["x@dev.a"] }), failFast: true };
      assert.equal((await call("POST", "/v1/runs", { plan, runId })).status, 201);
      const [a1, a2] = await Promise.all([attemptToken(1, "5550077"), attemptToken(2, "5550077")]);
      // Attempt 1: x and y both fail; the run stops.
      for (const job of ["x@dev.a", "y@dev.a"]) assert.equal((await claim(runId, job, `a1-${job}`, {}, a1)).body.claimed, true);
      await fail(runId, "x@dev.a", "a1-x@dev.a", a1);
      await fail(runId, "y@dev.a", "a1-y@dev.a", a1);
      // Attempt 2: x's leg reopens the run, and x fails again: the run stops again, in attempt 2.
      const x2 = await claim(runId, "x@dev.a", "a2-x", {}, a2);
      assert.equal(x2.body.claimed, true, JSON.stringify(x2.body));
      await fail(runId, "x@dev.a", "a2-x", a2);
      const stop = (await call<{ stoppedReason?: string }>("GET", `/v1/runs/${runId}`)).body.stoppedReason;
      assert.equal(stop, "fail-fast after x@dev.a failed");
      // y's attempt-2 leg is told to stop, as attempt 1's late legs were; nothing is reopened, u does not start.
      const y2 = await claim(runId, "y@dev.a", "a2-y", {}, a2);
      assert.deepEqual([y2.body.claimed, y2.body.currentStatus, y2.body.stop], [false, "failed", true], JSON.stringify(y2.body));
      assert.match(y2.body.reason ?? "", /the run stopped in attempt 2 \(fail-fast after x@dev\.a failed\); --retry reopens it/);
      assert.equal((await call<{ stoppedReason?: string }>("GET", `/v1/runs/${runId}`)).body.stoppedReason, stop);
      const u2 = await claim(runId, "u@dev.a", "a2-u", {}, a2);
      assert.equal(u2.body.claimed, false, JSON.stringify(u2.body));
      assert.deepEqual(await statuses(runId), { "x@dev.a": "failed", "y@dev.a": "failed", "u@dev.a": "skipped", "d@dev.a": "skipped" });
      // An explicit --retry still reopens it; so does attempt 3.
      const retried = await claim(runId, "y@dev.a", "a2-y", { retry: true }, a2);
      assert.equal(retried.body.claimed, true, JSON.stringify(retried.body));
      assert.equal(retried.body.runReopened, stop);
    });
  });
}
