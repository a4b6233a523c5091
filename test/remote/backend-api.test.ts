// The backend's HTTP API and claim semantics (40-remote-state.md §1, §2, §7
// with decision 9's fixes), over real HTTP on loopback, on SQLite and on
// PostgreSQL.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, enc, planOf, startTestBackend, testDatabase, tokenFor, type ApiResponse, type StoreKind, type TestBackend, type TestDatabase } from "./helpers.js";
import type { BackendOptions } from "../../src/remote/backend/server.js";
import { sweepOnce } from "../../src/remote/backend/sweeper.js";
import { MIGRATIONS } from "../../src/remote/backend/store/migrations.js";
import Database from "better-sqlite3";
import pg from "pg";
import { repositoryIdFor } from "../support/oidc-issuer.js";

async function listMigrations(url: string): Promise<number[]> {
  if (url.startsWith("sqlite:")) {
    const db = new Database(url.slice("sqlite:".length), { readonly: true });
    try {
      return db.prepare<[], { version: number }>("SELECT version FROM schema_migrations ORDER BY version").all().map((r) => r.version);
    } finally {
      db.close();
    }
  }
  const u = new URL(url);
  const schema = u.searchParams.get("schema");
  u.searchParams.delete("schema");
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  try {
    return (await client.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`)).rows.map((r) => Number(r.version));
  } finally {
    await client.end();
  }
}

// Short enough for the takeover tests, long enough that a loaded machine does not release a claim before the test reads it.
const LEASE_MS = 2500;
// Runs' revisions: commit IDs (POST /v1/runs refuses anything else).
const [REV_1, REV_2, REV_9] = ["1", "2", "9"].map((digit) => digit.repeat(40));

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`backend API on ${kind}`, () => {
    let db: TestDatabase | undefined;
    let backend: TestBackend;
    let token: string;
    let otherToken: string;
    let url: string;
    let n = 0;
    const newRunId = () => `run-${++n}-${Date.now()}`;
    const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, t: string | undefined = token) => api<T>(url, t, method, path, body);
    const create = async (edges: Record<string, string[]>, runId = newRunId()) => {
      const res = await call("POST", "/v1/runs", { plan: planOf(edges), runId });
      assert.equal(res.status, 201, res.text);
      return runId;
    };
    const claim = (runId: string, jobId: string, runnerId: string) => call("POST", `/v1/runs/${runId}/jobs/${enc(jobId)}/claim`, { runnerId });
    const update = (runId: string, jobId: string, runnerId: string, status: string, error?: string) =>
      call("POST", `/v1/runs/${runId}/jobs/${enc(jobId)}/update`, { runnerId, status, error });
    const jobsOf = async (runId: string) => {
      const res = await call<{ jobs: { jobId: string; status: string; lastError: string | null; runnerId: string | null }[] }>("GET", `/v1/runs/${runId}/jobs`);
      return Object.fromEntries(res.body.jobs.map((j) => [j.jobId, j]));
    };

    before(async () => {
      db = await testDatabase(kind);
      if (!db) return;
      backend = await startTestBackend(db.url, { leaseMs: LEASE_MS, sweepIntervalMs: 100, rateLimit: { capacity: 10_000, refillPerSecond: 10_000 } });
      url = backend.url;
      token = await tokenFor(backend.store, "acme/widgets");
      otherToken = await tokenFor(backend.store, "evil/repo");
    });
    after(async () => {
      await backend?.stop();
      await db?.cleanup();
    });
    const maybe = (name: string, fn: () => Promise<void>) => it(name, async (t) => (db ? fn() : t.skip("PostgreSQL unavailable")));
    type Call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => Promise<ApiResponse<T>>;
    /** A backend of its own for one test (a fresh database), where the shared one's 2.5 s lease and 100 ms sweep would race a loaded machine. */
    const withOwnBackend = async (options: Partial<BackendOptions>, fn: (call: Call) => Promise<void>) => {
      const own = (await testDatabase(kind))!;
      const b = await startTestBackend(own.url, { rateLimit: { capacity: 10_000, refillPerSecond: 10_000 }, ...options });
      try {
        const t = await tokenFor(b.store, "acme/widgets");
        await fn((method, path, body) => api(b.url, t, method, path, body));
      } finally {
        await b.stop();
        await own.cleanup();
      }
    };

    maybe("creates a run (201), joins it with the same checksum (200) and refuses another checksum (409)", async () => {
      const runId = newRunId();
      const first = await call("POST", "/v1/runs", { plan: planOf({ a: [] }), runId });
      assert.equal(first.status, 201);
      assert.equal(first.body.runId, runId);
      assert.equal(first.body.status, "running");
      const again = await call("POST", "/v1/runs", { plan: planOf({ a: [] }), runId });
      assert.equal(again.status, 200);
      assert.equal(again.body.joined, true);
      assert.equal(again.body.createdAt, first.body.createdAt, "join reports the original createdAt");
      const other = await call("POST", "/v1/runs", { plan: planOf({ a: [] }, "ffffffffffff"), runId });
      assert.equal(other.status, 409);
      assert.equal(other.body.code, "CONFLICT");
      const generated = await call("POST", "/v1/runs", { plan: planOf({ a: [] }) });
      assert.equal(generated.status, 201);
      assert.match(String(generated.body.runId), /^[0-9a-f-]{36}$/);
    });

    maybe("rejects invalid plans and bodies with 400 naming the problem", async () => {
      const cases: [unknown, RegExp][] = [
        [{ plan: { checksum: "x", jobs: [{ jobId: "a" }, { jobId: "a" }] } }, /Duplicate jobId: a/],
        [{ plan: planOf({ a: ["missing"] }) }, /depends on unknown job missing/],
        [{ plan: planOf({ a: ["b"], b: ["a"] }) }, /cycle/i],
        [{ plan: { checksum: "x" } }, /Missing or invalid plan/],
        [{ plan: planOf({ a: [] }), runId: "" }, /Missing runId/],
        [{ plan: planOf({ a: [] }), runId: "../../etc" }, /Invalid runId/],
        [{ plan: planOf({ a: [] }), runId: ".." }, /Invalid runId: "\.\." cannot be used in a URL path/],
        [{ plan: { checksum: "x", jobs: [{ jobId: "." }] } }, /Invalid jobId: "\." cannot be used in a URL path/],
      ];
      for (const [body, message] of cases) {
        const res = await call("POST", "/v1/runs", body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.code, "INVALID_REQUEST");
        assert.match(String(res.body.error), message);
      }
      const notJson = await call("POST", "/v1/runs", "{nope");
      assert.equal(notJson.status, 400);
      assert.match(String(notJson.body.error), /Invalid JSON/);
      const mismatch = await call("POST", "/v1/runs", { plan: planOf({ a: [] }), namespaceId: "someone/else" });
      assert.equal(mismatch.status, 403);
    });

    maybe("GET run returns one shape: top-level fields and the same under `run`", async () => {
      const runId = await create({ "web@dev.deploy": [] });
      const res = await call<Record<string, unknown> & { run: Record<string, unknown> }>("GET", `/v1/runs/${runId}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.runId, runId);
      assert.equal(res.body.jobTotal, 1);
      assert.deepEqual({ ...res.body, run: undefined }, { ...res.body.run, run: undefined });
      assert.equal((await call("GET", "/v1/runs/nope")).status, 404);
      assert.equal(res.body.revision, undefined, "a plan that recorded no revision: no field");
      assert.equal(res.body.dryRun, false);
    });

    maybe("GET run says dryRun as a JSON boolean on either store (SQLite keeps it as 0/1)", async () => {
      const runId = newRunId();
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ a: [] }), runId, dryRun: true })).status, 201);
      const res = await call<{ dryRun: unknown; run: { dryRun: unknown } }>("GET", `/v1/runs/${runId}`);
      assert.deepEqual([res.status, res.body.dryRun, res.body.run.dryRun], [200, true, true]);
    });

    maybe("GET run names the commit the run's plan was compiled at (its revision), top level and under `run`", async () => {
      const runId = newRunId();
      const revision = "0123456789abcdef0123456789abcdef01234567";
      assert.equal((await call("POST", "/v1/runs", { plan: { ...planOf({ "web@dev.deploy": [] }), revision }, runId })).status, 201);
      const res = await call<{ revision?: string; run: { revision?: string } }>("GET", `/v1/runs/${runId}`);
      assert.deepEqual([res.status, res.body.revision, res.body.run.revision], [200, revision, revision]);
    });

    maybe("claims: no deps → claimed; pending dep → depsWaiting; running → the holder's repeat succeeds, others wait; done → currentStatus", async () => {
      const runId = await create({ a: [], b: ["a"] });
      const waiting = await claim(runId, "b", "r1");
      assert.deepEqual([waiting.status, waiting.body.claimed, waiting.body.depsWaiting, waiting.body.currentStatus], [200, false, true, "pending"]);
      const claimed = await claim(runId, "a", "r1");
      assert.equal(claimed.body.claimed, true);
      assert.equal(claimed.body.leaseMs, LEASE_MS);
      const jobs = await jobsOf(runId);
      assert.equal(jobs.a.status, "running");
      assert.equal(jobs.a.runnerId, "r1");
      const repeated = await claim(runId, "a", "r1");
      assert.deepEqual([repeated.body.claimed, repeated.body.takeover], [true, undefined], "a retried claim by the holder is the same claim");
      const other = await claim(runId, "a", "r2");
      assert.deepEqual([other.body.claimed, other.body.currentStatus], [false, "running"]);
      assert.equal((await update(runId, "a", "r1", "success")).status, 200);
      const done = await claim(runId, "a", "r2");
      assert.deepEqual([done.body.claimed, done.body.currentStatus], [false, "success"]);
      assert.equal((await claim(runId, "b", "r2")).body.claimed, true);
      assert.equal((await claim(runId, "zzz", "r2")).status, 404);
      assert.equal((await claim("never-created", "a", "r2")).status, 404);
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/b/claim`, {})).status, 400);
    });

    maybe("exactly one of 25 concurrent claims wins", () =>
      // The default 2 min lease: under load the 25 claims took longer than LEASE_MS, and a racer answered after the
      // winner's lease ran out took the job over (takeover: true), as it should.
      withOwnBackend({}, async (own) => {
        const runId = newRunId();
        assert.equal((await own("POST", "/v1/runs", { plan: planOf({ a: [] }), runId })).status, 201);
        const results = await Promise.all(Array.from({ length: 25 }, (_, i) => own("POST", `/v1/runs/${runId}/jobs/a/claim`, { runnerId: `racer-${i}` })));
        assert.ok(results.every((r) => r.status === 200));
        const winners = results.filter((r) => r.body.claimed === true);
        assert.equal(winners.length, 1);
        assert.equal(winners[0].body.takeover, undefined, "the winner's claim is the first");
        const jobs = await own<{ jobs: { runnerId: string | null; attempts: number }[] }>("GET", `/v1/runs/${runId}/jobs`);
        assert.deepEqual([jobs.body.jobs[0].runnerId, jobs.body.jobs[0].attempts], [`racer-${results.indexOf(winners[0])}`, 1]);
      }));

    maybe("update: non-owner and pending refused, same-owner repeat idempotent, other status 400", async () => {
      const runId = await create({ a: [], b: [] });
      const pending = await update(runId, "a", "r1", "success");
      assert.equal(pending.status, 400);
      assert.match(String(pending.body.error), /not running/);
      await claim(runId, "a", "r1");
      const stranger = await update(runId, "a", "r2", "success");
      assert.equal(stranger.status, 400);
      assert.match(String(stranger.body.error), /does not own/);
      const unknown = await update(runId, "a", "r1", "cancelled");
      assert.equal(unknown.status, 400);
      assert.match(String(unknown.body.error), /'success', 'failed' or 'skipped'/);
      assert.equal((await update(runId, "a", "r1", "success")).status, 200);
      assert.equal((await update(runId, "a", "r1", "success")).status, 200, "a retried update is idempotent");
      assert.equal((await update(runId, "a", "r1", "failed")).status, 400, "but cannot flip a finished job");
    });

    maybe("a failure marks all transitive dependents skipped; their claims are depsBlocked; run ends failed", async () => {
      const runId = await create({ a: [], b: ["a"], c: ["b"], d: [] });
      await claim(runId, "a", "r1");
      await update(runId, "a", "r1", "failed", "step deploy: exit status 3");
      const jobs = await jobsOf(runId);
      assert.equal(jobs.a.status, "failed");
      assert.equal(jobs.a.lastError, "step deploy: exit status 3");
      assert.equal(jobs.b.status, "skipped");
      assert.match(String(jobs.b.lastError), /dependency a failed/);
      assert.equal(jobs.c.status, "skipped", "grandchildren are terminal too (v2 left them waiting forever)");
      const blocked = await claim(runId, "c", "r2");
      assert.equal(blocked.body.claimed, false);
      assert.equal(blocked.body.depsBlocked, true);
      assert.match(String(blocked.body.reason), /a failed/);
      let run = await call("GET", `/v1/runs/${runId}`);
      assert.equal(run.body.status, "running", "an independent job is still pending");
      await claim(runId, "d", "r3");
      await update(runId, "d", "r3", "success");
      run = await call("GET", `/v1/runs/${runId}`);
      assert.deepEqual([run.body.status, run.body.jobFailed, run.body.jobSkipped, run.body.jobDone], ["failed", 1, 2, 1]);
      assert.ok(run.body.finishedAt);
    });

    maybe("a job its runner skipped ends the run failed even though no job failed", async () => {
      const runId = await create({ a: [], b: ["a"] });
      assert.equal((await claim(runId, "a", "r1")).body.claimed, true);
      assert.equal((await update(runId, "a", "r1", "skipped")).status, 200);
      const run = await call("GET", `/v1/runs/${runId}`);
      assert.deepEqual([run.body.status, run.body.jobFailed, run.body.jobSkipped, run.body.jobDone], ["failed", 0, 2, 0]);
      assert.ok(run.body.finishedAt);
    });

    maybe("all jobs succeeding completes the run; runnable lists claimable jobs in plan order", async () => {
      const runId = newRunId();
      const plan = { checksum: "c", jobs: [{ jobId: "z" }, { jobId: "b", deps: ["z"] }, { jobId: "10" }] };
      assert.equal((await call("POST", "/v1/runs", { plan, runId })).status, 201);
      assert.deepEqual((await call("GET", `/v1/runs/${runId}/runnable`)).body.jobs, ["z", "10"]);
      for (const job of ["z", "10", "b"]) {
        assert.equal((await claim(runId, job, "r")).body.claimed, true, job);
        await update(runId, job, "r", "success");
      }
      const run = await call("GET", `/v1/runs/${runId}`);
      assert.equal(run.body.status, "completed");
      assert.equal(run.body.jobDone, 3);
    });

    maybe("long-poll: a waiting dependent is woken within milliseconds of its dependency finishing", async () => {
      const runId = await create({ a: [], b: ["a"] });
      await claim(runId, "a", "r1");
      let answered = false;
      const poll = call<{ jobs: string[]; job: { status: string } }>("GET", `/v1/runs/${runId}/runnable?job=b&waitMs=30000`).then((res) => {
        answered = true;
        return res;
      });
      await new Promise((r) => setTimeout(r, 300));
      // A state check, not a clock one: Date.now() can show 299 ms after a 300 ms timer.
      assert.equal(answered, false, "the poll was held while a was running");
      const finishedAt = Date.now();
      await update(runId, "a", "r1", "success");
      const res = await poll;
      const wokeAfter = Date.now() - finishedAt;
      assert.deepEqual(res.body.jobs, ["b"]);
      assert.equal(res.body.job.status, "pending");
      // Held for the longest wait (30 s) so that a loaded machine's round trips (seconds under CI load) stay far below it.
      assert.ok(wokeAfter < 15_000, `woken ${wokeAfter} ms after the update (the poll would have held 30 s)`);
      const bounded = Date.now();
      // The longest wait the backend allows (30 s), so a loaded round trip (over 1 s once) cannot pass for a held poll.
      const idle = await call("GET", `/v1/runs/${runId}/runnable?job=b&waitMs=30000`);
      assert.ok(Date.now() - bounded < 15_000, "an actionable job answers at once, not after the wait");
      assert.deepEqual(idle.body.jobs, ["b"]);
    });

    maybe("heartbeats extend the lease; without them another runner takes over and the old owner is told to abort", () =>
      // No sweeper: under load the steps after the takeover outlasted r2's 2.5 s lease, the sweep released the job,
      // and r1's update was refused as "not running" instead of "does not own". The takeover itself needs no sweep.
      withOwnBackend({ leaseMs: LEASE_MS, sweepIntervalMs: 3_600_000 }, async (call) => {
        const claim = (runId: string, jobId: string, runnerId: string) => call("POST", `/v1/runs/${runId}/jobs/${enc(jobId)}/claim`, { runnerId });
        const update = (runId: string, jobId: string, runnerId: string, status: string) => call("POST", `/v1/runs/${runId}/jobs/${enc(jobId)}/update`, { runnerId, status });
        const runId = newRunId();
        assert.equal((await call("POST", "/v1/runs", { plan: planOf({ a: [] }), runId })).status, 201);
        await claim(runId, "a", "r1");
        for (let i = 0; i < 4; i++) {
          await new Promise((r) => setTimeout(r, LEASE_MS / 3));
          const beat = await call("POST", `/v1/runs/${runId}/jobs/a/heartbeat`, { runnerId: "r1" });
          assert.deepEqual(beat.body, { ok: true });
        }
        assert.equal((await claim(runId, "a", "r2")).body.claimed, false, "a heartbeating owner keeps the job");
        assert.equal((await call("POST", `/v1/runs/${runId}/logs/a?append=true&offset=0`, "r1's partial output\n")).status, 200);
        await new Promise((r) => setTimeout(r, LEASE_MS + 150));
        const takeover = await claim(runId, "a", "r2");
        assert.deepEqual([takeover.body.claimed, takeover.body.takeover], [true, true]);
        // The new attempt's log starts empty: r2 appends from 0 and only its output is the job's log;
        // r1, superseded, can no longer write into it.
        assert.equal((await call("POST", `/v1/runs/${runId}/logs/a?append=true&offset=0&runnerId=r2`, "r2 output\n")).status, 200);
        const late = await call("POST", `/v1/runs/${runId}/logs/a?append=true&offset=10&runnerId=r1`, "r1 late\n");
        assert.equal(late.status, 409);
        assert.match(String(late.body.error), /not running on runner r1 \(running on r2\)/);
        assert.equal((await call("GET", `/v1/runs/${runId}/logs/a`)).text, "r2 output\n");
        assert.deepEqual((await call("POST", `/v1/runs/${runId}/jobs/a/heartbeat`, { runnerId: "r1" })).body, { ok: false, abort: true });
        assert.match(String((await update(runId, "a", "r1", "success")).body.error), /does not own/);
        assert.equal((await update(runId, "a", "r2", "success")).status, 200);
      }));

    maybe("the sweeper returns abandoned jobs to pending so they are runnable again", async () => {
      const runId = await create({ a: [] });
      await claim(runId, "a", "dead-runner");
      // The long-poll first wakes when the lease is stale, then when the sweeper has released the job.
      let res = await call<{ jobs: string[]; job: { status: string; lastError: string } }>("GET", `/v1/runs/${runId}/runnable?job=a&waitMs=5000`);
      for (let i = 0; i < 20 && res.body.job.status !== "pending"; i++) {
        await new Promise((r) => setTimeout(r, 50));
        res = await call("GET", `/v1/runs/${runId}/runnable?job=a&waitMs=5000`);
      }
      assert.equal(res.body.job.status, "pending");
      assert.match(res.body.job.lastError, /lease expired \(runner dead-runner/);
      assert.deepEqual(res.body.jobs, ["a"]);
      const again = await claim(runId, "a", "r2");
      assert.deepEqual([again.body.claimed, again.body.takeover], [true, true]);
    });

    maybe("logs: append at offsets (retries deduplicated, gaps refused), replace, size cap, text/plain read-back", async () => {
      const runId = await create({ "web@dev.deploy": [] });
      const path = `/v1/runs/${runId}/logs/${enc("web@dev.deploy")}`;
      assert.equal((await call("GET", path)).status, 404);
      assert.equal((await call("POST", `${path}?append=true&offset=0`, "=== build ===\nok\n")).status, 200);
      assert.equal((await call("POST", `${path}?append=true&offset=0`, "=== build ===\nok\n")).status, 200, "a retry of a landed append");
      const second = await call("POST", `${path}?append=true&offset=17`, "=== test ===\n");
      assert.equal(second.body.bytes, 30);
      assert.equal((await call("POST", `${path}?append=true&offset=99`, "gap")).status, 409);
      const read = await fetch(url + path, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(read.headers.get("content-type"), "text/plain; charset=utf-8");
      assert.equal(await read.text(), "=== build ===\nok\n=== test ===\n");
      const job = (await jobsOf(runId))["web@dev.deploy"] as unknown as { logRef: string };
      assert.equal(job.logRef, `${repositoryIdFor("acme/widgets")}/runs/${runId}/logs/web@dev.deploy.log`);
      assert.equal((await call("POST", path, "replaced")).status, 200);
      assert.equal((await call("GET", path)).text, "replaced");
      assert.equal((await call("POST", `/v1/runs/${runId}/logs/nojob`, "x")).status, 404);
    });

    maybe("logs: appends count bytes, not characters (non-ASCII output keeps appending)", async () => {
      const runId = await create({ a: [] });
      const path = `/v1/runs/${runId}/logs/a`;
      const chunk = "héllo ✓ wörld\n"; // 18 bytes, 14 characters
      let offset = 0;
      for (let i = 1; i <= 4; i++) {
        const res = await call("POST", `${path}?append=true&offset=${offset}`, chunk);
        assert.equal(res.status, 200, `append ${i}: ${JSON.stringify(res.body)}`);
        offset = res.body.bytes as number;
        assert.equal(offset, 18 * i);
      }
      assert.equal((await call("GET", path)).text, chunk.repeat(4));
    });

    maybe("namespaces are isolated: another namespace's run, jobs and logs are 404", async () => {
      const runId = await create({ a: [] });
      await call("POST", `/v1/runs/${runId}/logs/a`, "secret output");
      for (const path of [`/v1/runs/${runId}`, `/v1/runs/${runId}/jobs`, `/v1/runs/${runId}/logs/a`, `/v1/runs/${runId}/runnable`]) {
        assert.equal((await call("GET", path, undefined, otherToken)).status, 404, path);
      }
      assert.equal((await claim(runId, "a", "x")).status, 200);
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/a/claim`, { runnerId: "evil" }, otherToken)).status, 404);
      // The same run ID in the other namespace is a different run.
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ a: [] }, "000000000000"), runId }, otherToken)).status, 201);
    });

    maybe("protocol edges: CORS preflight, health, 404/405, missing auth, percent-encoded and malformed IDs", async () => {
      const pre = await fetch(`${url}/v1/runs`, { method: "OPTIONS" });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get("access-control-allow-origin"), "*");
      assert.deepEqual((await call("GET", "/", undefined, "")).body, { status: "ok", service: "orun-api" });
      assert.equal((await call("GET", "/v2/nothing")).status, 404);
      const wrong = await call("DELETE", "/v1/runs");
      assert.deepEqual([wrong.status, wrong.body.code], [405, "INVALID_REQUEST"]);
      const anon = await call("GET", "/v1/runs/x", undefined, "");
      assert.deepEqual([anon.status, anon.body.code], [401, "UNAUTHORIZED"]);
      const runId = await create({ "foundation@dev.smoke": [] });
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/foundation@dev.smoke/claim`, { runnerId: "raw" })).body.claimed, true);
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/foundation%40dev.smoke/claim`, { runnerId: "enc" })).body.currentStatus, "running");
      assert.equal((await call("GET", `/v1/runs/${runId}/jobs/%E0%A4%A/status`)).status, 400);
    });

    maybe("promotion-gate evidence: a component succeeded in an environment at a revision in some run", async () => {
      const runId = newRunId();
      const plan = { ...planOf({ "api@dev.build": [], "api@dev.test": ["api@dev.build"], "api@stage.build": [] }), revision: REV_1 };
      assert.equal((await call("POST", "/v1/runs", { plan, runId })).status, 201);
      const ask = async (component: string, environment: string, revision = REV_1) =>
        (await call("GET", `/v1/evidence?component=${component}&environment=${environment}&revision=${revision}`)).body;
      await claim(runId, "api@dev.build", "r");
      await update(runId, "api@dev.build", "r", "success");
      assert.deepEqual(await ask("api", "dev"), { satisfied: false }, "one job of api in dev is still pending");
      await claim(runId, "api@dev.test", "r");
      await update(runId, "api@dev.test", "r", "success");
      assert.deepEqual(await ask("api", "dev"), { satisfied: true, runId });
      assert.deepEqual(await ask("api", "dev", REV_2), { satisfied: false }, "another revision");
      assert.deepEqual(await ask("api", "stage"), { satisfied: false });
      assert.deepEqual((await call("GET", `/v1/evidence?component=api&environment=dev&revision=${REV_1}`, undefined, otherToken)).body, { satisfied: false }, "another namespace");
      assert.equal((await call("GET", "/v1/evidence?component=api")).status, 400);
    });

    maybe("a dependency whose runner stopped and that nobody has taken over is named to the jobs waiting for it", async () => {
      const runId = await create({ a: [], b: ["a"] });
      assert.equal((await claim(runId, "a", "gone")).body.claimed, true);
      const waiting = (await claim(runId, "b", "waiter")).body;
      assert.equal(waiting.depsWaiting, true);
      assert.equal(waiting.depsAbandoned, undefined, "a is running: an ordinary wait");
      // The sweeper releases a's lease: its runner stopped heartbeating.
      const ctx = { store: backend.store, settings: { leaseMs: LEASE_MS, maxLongPollMs: 1, longPollRecheckMs: 1, maxLogBytes: 1, maxJsonBytes: 1 }, clock: () => ({ now: new Date(Date.now() + 10 * LEASE_MS), leaseMs: LEASE_MS }) };
      assert.ok((await sweepOnce(ctx, 24 * 3600_000)).released >= 1);
      const abandoned = (await claim(runId, "b", "waiter")).body;
      assert.deepEqual([abandoned.depsWaiting, abandoned.depsAbandoned], [true, ["a"]]);
      assert.equal((await claim(runId, "a", "rescuer")).body.claimed, true);
      assert.equal((await claim(runId, "b", "waiter")).body.depsAbandoned, undefined, "taken over: an ordinary wait again");
    });

    maybe("migrations are versioned and applied once", async () => {
      const { openStore } = await import("../../src/remote/backend/store/index.js");
      const again = await openStore(db!.url);
      await again.close();
      const applied = await listMigrations(db!.url);
      assert.deepEqual(applied, MIGRATIONS.map((m) => m.version));
    });

    maybe("retention deletes runs idle past the retention period, with their jobs and logs — but not their promotion-gate evidence", async () => {
      const runId = await create({ a: [] });
      await call("POST", `/v1/runs/${runId}/logs/a`, "old");
      // A run where web succeeded in qa at a revision (and db failed there): a promotion days later still needs it.
      const gated = newRunId();
      const plan = { ...planOf({ "web@qa.build": [], "web@qa.test": ["web@qa.build"], "db@qa.migrate": [] }), revision: REV_9 };
      assert.equal((await call("POST", "/v1/runs", { plan, runId: gated })).status, 201);
      for (const [job, status] of [["web@qa.build", "success"], ["web@qa.test", "success"], ["db@qa.migrate", "failed"]]) {
        await claim(gated, job!, "r");
        await update(gated, job!, "r", status!);
      }
      const ask = async (component: string) => (await call("GET", `/v1/evidence?component=${component}&environment=qa&revision=${REV_9}`)).body;
      assert.deepEqual(await ask("web"), { satisfied: true, runId: gated });
      const ctx = { store: backend.store, settings: { leaseMs: LEASE_MS, maxLongPollMs: 1, longPollRecheckMs: 1, maxLogBytes: 1, maxJsonBytes: 1 }, clock: () => ({ now: new Date(Date.now() + 60_000), leaseMs: LEASE_MS }) };
      const { deleted } = await sweepOnce(ctx, 30_000);
      assert.ok(deleted >= 1);
      assert.equal((await call("GET", `/v1/runs/${runId}`)).status, 404);
      assert.equal(await backend.store.readLog("acme/widgets", runId, "a"), undefined);
      assert.equal((await call("GET", `/v1/runs/${gated}`)).status, 404);
      const kept = (await ask("web")) as { satisfied: boolean; deletedRun?: { runId: string; recordedAt: string } };
      assert.deepEqual([kept.satisfied, kept.deletedRun?.runId], [true, gated], "the evidence outlives its run (named as a deleted run)");
      assert.deepEqual(await ask("db"), { satisfied: false }, "a component that failed left none");
      assert.deepEqual((await call("GET", `/v1/evidence?component=web&environment=qa&revision=${REV_9}`, undefined, otherToken)).body, { satisfied: false }, "another namespace");
    });
  });
}

describe("backend limits", () => {
  let db: TestDatabase | undefined;
  let backend: TestBackend;
  /** The rate limiter's clock: it moves only when a test moves it, so a slow machine refills nothing meanwhile. */
  let clockMs = Date.parse("2026-01-01T00:00:00Z");
  before(async () => {
    db = await testDatabase("sqlite");
    backend = await startTestBackend(db!.url, { rateLimit: { capacity: 5, refillPerSecond: 0.5, now: () => clockMs }, maxLogBytes: 64 });
  });
  after(async () => {
    await backend?.stop();
    await db?.cleanup();
  });

  it("rate-limits per namespace with Retry-After, without charging rejected credentials", async () => {
    const token = await tokenFor(backend.store, "busy/repo");
    const quiet = await tokenFor(backend.store, "quiet/repo");
    for (let i = 0; i < 10; i++) assert.equal((await api(backend.url, "orun_forged", "GET", "/v1/runs/x")).status, 401);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await api(backend.url, token, "GET", "/v1/runs/x")).status);
    assert.deepEqual(statuses, [404, 404, 404, 404, 404, 429]);
    // A token every 2 s: Retry-After is the whole seconds to the next one, at least 1.
    const limited = await api(backend.url, token, "GET", "/v1/runs/x");
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, "RATE_LIMITED");
    assert.equal(limited.headers.get("retry-after"), "2");
    assert.equal(limited.headers.get("x-ratelimit-remaining"), "0");
    assert.equal((await api(backend.url, quiet, "GET", "/v1/runs/x")).status, 404, "other namespaces are unaffected");
    clockMs += 1_500;
    const sooner = await api(backend.url, token, "GET", "/v1/runs/x");
    assert.deepEqual([sooner.status, sooner.headers.get("retry-after")], [429, "1"], "1.5 s on: three quarters of a token, the rest within a second");
    clockMs += 500;
    assert.equal((await api(backend.url, token, "GET", "/v1/runs/x")).status, 404, "tokens refill");
    assert.equal((await api(backend.url, token, "GET", "/v1/runs/x")).status, 429, "one token in 2 s");
    clockMs += 3_600_000;
    const afterIdle = [];
    for (let i = 0; i < 6; i++) afterIdle.push((await api(backend.url, token, "GET", "/v1/runs/x")).status);
    assert.deepEqual(afterIdle, [404, 404, 404, 404, 404, 429], "an idle hour refills the bucket to its size (the burst), no further");
  });

  it("caps a job's log and a request body", async () => {
    const token = await tokenFor(backend.store, "logs/repo");
    await api(backend.url, token, "POST", "/v1/runs", { plan: planOf({ a: [] }), runId: "r" });
    assert.equal((await api(backend.url, token, "POST", "/v1/runs/r/logs/a?append=true", "x".repeat(60))).status, 200);
    const over = await api(backend.url, token, "POST", "/v1/runs/r/logs/a?append=true", "y".repeat(10));
    assert.deepEqual([over.status, over.body.code], [413, "PAYLOAD_TOO_LARGE"]);
    assert.equal((await api(backend.url, token, "GET", "/v1/runs/r/logs/a")).text, "x".repeat(60), "the stored log is intact");
    clockMs += 10_000; // the bucket (5 requests) refills: what follows is about the cap, not the rate
    assert.equal((await api(backend.url, token, "POST", "/v1/runs/r/logs/a?append=true", "y".repeat(4))).status, 200, "a log of exactly the cap is kept");
    assert.equal((await api(backend.url, token, "POST", "/v1/runs/r/logs/a?append=true", "z")).status, 413, "one byte past the cap is not");
    assert.equal((await api(backend.url, token, "GET", "/v1/runs/r/logs/a")).text, `${"x".repeat(60)}yyyy`);
    assert.equal((await api(backend.url, token, "POST", "/v1/runs/r/logs/a", "z".repeat(65))).status, 413);
  });
});

describe("two backend replicas on one PostgreSQL database", () => {
  let db: TestDatabase | undefined;
  const replicas: TestBackend[] = [];
  before(async () => {
    db = await testDatabase("postgres");
    if (!db) return;
    // Started together: concurrent migrations must not trip over each other.
    // A long re-check period: only LISTEN/NOTIFY can wake the second replica quickly.
    replicas.push(...(await Promise.all([startTestBackend(db.url, { longPollRecheckMs: 60_000 }), startTestBackend(db.url, { longPollRecheckMs: 60_000 })])));
  });
  after(async () => {
    for (const r of replicas) await r.stop();
    await db?.cleanup();
  });

  it("claims stay atomic across replicas and a long-poll on one replica wakes on an update through the other", async (t) => {
    if (!db) return t.skip("PostgreSQL unavailable");
    const [one, two] = replicas;
    const token = await tokenFor(one.store, "acme/replicas");
    await api(one.url, token, "POST", "/v1/runs", { plan: planOf({ a: [], b: ["a"] }), runId: "rep" });
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => api(i % 2 ? two.url : one.url, token, "POST", "/v1/runs/rep/jobs/a/claim", { runnerId: `r${i}` })));
    assert.equal(claims.filter((c) => c.body.claimed === true).length, 1);
    const winner = `r${claims.findIndex((c) => c.body.claimed === true)}`;
    const poll = api<{ jobs: string[] }>(two.url, token, "GET", "/v1/runs/rep/runnable?job=b&waitMs=30000");
    await new Promise((r) => setTimeout(r, 200));
    const updatedAt = Date.now();
    assert.equal((await api(one.url, token, "POST", "/v1/runs/rep/jobs/a/update", { runnerId: winner, status: "success" })).status, 200);
    assert.deepEqual((await poll).body.jobs, ["b"]);
    const woke = Date.now() - updatedAt;
    // The poll holds 30 s and re-checks after 60 s: only NOTIFY answers it well within that, even on a loaded machine.
    assert.ok(woke < 15_000, `replica two woke ${woke} ms after replica one's update (LISTEN/NOTIFY; its re-check is 60 s, the poll's wait 30 s)`);
  });
});
