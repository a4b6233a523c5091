// Per-claim lease secrets over real HTTP, on SQLite and PostgreSQL: a claim that sends a claim key gets a random
// secret, only its SHA-256 is stored, and the holder's heartbeat, result, release and log writes must present it —
// a runner ID alone (shown by `orun status`, easy to guess) is refused with 403 and changes nothing. A takeover
// issues a new secret; a job claimed without one (an older runner) is held by runner ID as before.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { api, backendOnStore, planOf, sql, startTestBackend, testDatabase, tokenFor, type StoreKind } from "../helpers.js";
import { releaseExpiredLeases, type Clock } from "../../../src/remote/backend/coordinator.js";
import { repositoryIdFor } from "../../support/oidc-issuer.js";

const LEASE_MS = 60_000;
const REPO = "acme/lease-secret";
/** A clock one lease ahead: every running job's lease has lapsed. */
const ahead = (): Clock => ({ now: new Date(Date.now() + LEASE_MS + 1000), leaseMs: LEASE_MS });
/** The header the holder's requests carry its secret in (protocol LEASE_HEADER), spelt out: the API's words. */
const LEASE_HEADER = "X-Orun-Lease";
const key = (n: number) => `claim-key-${n}-0123456789abcdef`;

interface JobRow {
  status: string;
  runner_id: string | null;
  heartbeat_at: string | null;
  last_error: string | null;
  log_bytes: number | string;
  attempts: number | string;
  lease_hash: string | null;
  claim_key_hash: string | null;
}

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`lease secrets on ${kind}`, () => {
    // The real sweeper stays out of the way: the tests sweep with a clock of their own.
    const on = backendOnStore(kind, { leaseMs: LEASE_MS, sweepIntervalMs: 3_600_000, rateLimit: { capacity: 10_000, refillPerSecond: 10_000 } }, REPO);
    const ns = repositoryIdFor(REPO);
    let n = 0;
    const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, lease?: string) =>
      api<T>(on.backend.url, on.token, method, path, body, lease === undefined ? {} : { [LEASE_HEADER]: lease });
    const create = async (edges: Record<string, string[]> = { a: [] }) => {
      const runId = `lease-${++n}-${Date.now()}`;
      const res = await call("POST", "/v1/runs", { plan: planOf(edges), runId });
      assert.equal(res.status, 201, res.text);
      return runId;
    };
    const claim = (runId: string, runnerId: string, claimKey?: string, lease?: string) =>
      call("POST", `/v1/runs/${runId}/jobs/a/claim`, claimKey === undefined ? { runnerId } : { runnerId, claimKey }, lease);
    const row = async (runId: string) => (await sql<JobRow>(on.db!.url, "SELECT * FROM jobs WHERE namespace = $1 AND run_id = $2 AND job_id = 'a'", [ns, runId]))[0]!;
    const sweep = (runId: string) => on.backend.store.mutateRun(ns, runId, { status: "running" }, (state) => releaseExpiredLeases(state, ahead()));
    /** What the holder (or a forger naming its runner) may send for job a, each request's answer. */
    const holderCalls = (runId: string, runnerId: string, lease?: string) => ({
      heartbeat: () => call("POST", `/v1/runs/${runId}/jobs/a/heartbeat`, { runnerId }, lease),
      append: () => call("POST", `/v1/runs/${runId}/logs/a?append=true&offset=0&runnerId=${runnerId}`, "=== s ===\nforged output\n", lease),
      replace: () => call("POST", `/v1/runs/${runId}/logs/a`, "replaced whole\n", lease),
      update: () => call("POST", `/v1/runs/${runId}/jobs/a/update`, { runnerId, status: "success" }, lease),
      release: () => call("POST", `/v1/runs/${runId}/jobs/a/release`, { runnerId, reason: "forged" }, lease),
    });

    const maybe = (name: string, fn: () => Promise<void>) => it(name, async (t) => (on.db ? fn() : t.skip("PostgreSQL unavailable")));

    maybe("a claim with a claim key gets a secret; the backend keeps only its SHA-256", async () => {
      const runId = await create();
      const claimed = await claim(runId, "r1", key(1));
      assert.equal(claimed.status, 200, claimed.text);
      const token = String(claimed.body.leaseToken);
      assert.match(token, /^[A-Za-z0-9_-]{43}$/, "a SHA-256, base64url");
      const stored = await row(runId);
      assert.equal(stored.lease_hash, createHash("sha256").update(token).digest("hex"));
      assert.ok(!JSON.stringify(stored).includes(token), "the secret itself is stored nowhere on the job");
      // Nor does any view of the job show it or its hash.
      const views = [await call("GET", `/v1/runs/${runId}/jobs`), await call("GET", `/v1/runs/${runId}/jobs/a/status`)];
      for (const view of views) {
        assert.equal(view.status, 200);
        assert.ok(!view.text.includes(token) && !view.text.includes(stored.lease_hash!), view.text);
      }
      // The same key in a claim of another run, or of another job of this run, gets another secret: it is bound to the job.
      const other = await create();
      assert.notEqual((await claim(other, "r1", key(1))).body.leaseToken, token);
      const two = await create({ a: [], b: [] });
      const [a, b] = [await claim(two, "r1", key(1)), await call("POST", `/v1/runs/${two}/jobs/b/claim`, { runnerId: "r1", claimKey: key(1) })];
      assert.equal(b.status, 200, b.text);
      assert.notEqual(b.body.leaseToken, a.body.leaseToken);
    });

    maybe("a forged runner ID without the secret (or with a wrong one) is refused on every holder endpoint, and changes nothing", async () => {
      const runId = await create();
      const token = String((await claim(runId, "r1", key(2))).body.leaseToken);
      const before = await row(runId);
      for (const forged of [undefined, "not-the-secret", `${token}x`]) {
        for (const [endpoint, send] of Object.entries(holderCalls(runId, "r1", forged))) {
          const res = await send();
          assert.equal(res.status, 403, `${endpoint} with ${forged ?? "no secret"}: ${res.text}`);
          assert.equal(res.body.code, "LEASE_REFUSED", endpoint);
          assert.match(String(res.body.error), /^Job a is held under a lease: this .* (presented no lease secret \(X-Orun-Lease\)|presented a lease secret that is not the job's current lease)/, endpoint);
          assert.match(String(res.body.error), /nothing was changed$/);
        }
      }
      assert.deepEqual(await row(runId), before, "no state changed: status, heartbeat, log bytes, lease");
      assert.equal((await call("GET", `/v1/runs/${runId}/logs/a`)).status, 404, "no log bytes landed");
      assert.deepEqual(await sql(on.db!.url, "SELECT job_id FROM log_chunks WHERE namespace = $1 AND run_id = $2", [ns, runId]), []);
      // A repeated claim by runner ID alone is not the holder's: it is told the job runs on r1, and gets no secret.
      const again = await claim(runId, "r1", key(3));
      assert.deepEqual([again.body.claimed, again.body.currentStatus, again.body.leaseToken], [false, "running", undefined]);
      assert.deepEqual(await row(runId), before);
    });

    maybe("the holder with its secret is accepted on every endpoint", async () => {
      const runId = await create({ a: [], b: [] });
      const token = String((await claim(runId, "r1", key(4))).body.leaseToken);
      const holder = holderCalls(runId, "r1", token);
      assert.deepEqual((await holder.heartbeat()).body, { ok: true });
      const appended = await holder.append();
      assert.equal(appended.status, 200, appended.text);
      assert.equal((await holder.replace()).status, 200);
      assert.equal((await call("GET", `/v1/runs/${runId}/logs/a`)).text, "replaced whole\n");
      const updated = await holder.update();
      assert.equal(updated.status, 200, updated.text);
      // Its repeat (the answer lost) is acknowledged; a forger's "repeat" is not.
      assert.equal((await holder.update()).status, 200);
      assert.equal((await holderCalls(runId, "r1").update()).status, 403);
      assert.equal((await row(runId)).status, "success");
      // Release, on a second job.
      const b = await call("POST", `/v1/runs/${runId}/jobs/b/claim`, { runnerId: "r1", claimKey: key(5) });
      const released = await call("POST", `/v1/runs/${runId}/jobs/b/release`, { runnerId: "r1" }, String(b.body.leaseToken));
      assert.deepEqual([released.status, released.body.status], [200, "pending"], released.text);
    });

    maybe("a takeover issues a new secret: the previous holder is refused even under the same runner ID", async () => {
      const runId = await create();
      const first = String((await claim(runId, "r1", key(6))).body.leaseToken);
      assert.equal((await holderCalls(runId, "r1", first).append()).status, 200);
      assert.deepEqual(await sweep(runId), ["a"]);
      // Runner IDs collide (GitHub matrix legs share one): another runner claims under r1, with no proof of holding it.
      const taken = await claim(runId, "r1", key(7));
      assert.deepEqual([taken.body.claimed, taken.body.takeover], [true, true], taken.text);
      const second = String(taken.body.leaseToken);
      assert.notEqual(second, first);
      const before = await row(runId);
      for (const [endpoint, send] of Object.entries(holderCalls(runId, "r1", first))) {
        const res = await send();
        assert.deepEqual([res.status, res.body.code], [403, "LEASE_REFUSED"], `${endpoint}: ${res.text}`);
        assert.match(String(res.body.error), /not the job's current lease \(it was taken over by another claim\)/);
      }
      assert.deepEqual(await row(runId), before);
      assert.equal(Number(before.log_bytes), 0, "the takeover started the log afresh, and the old holder's append did not land");
      // The new holder works.
      assert.deepEqual((await holderCalls(runId, "r1", second).heartbeat()).body, { ok: true });
      assert.equal((await holderCalls(runId, "r1", second).update()).status, 200);
    });

    maybe("a released holder with its secret gets its job back; without it, the claim is a takeover", async () => {
      const runId = await create();
      const token = String((await claim(runId, "r1", key(8))).body.leaseToken);
      await sweep(runId);
      // Back with its secret: the same lease, no new attempt.
      const back = await claim(runId, "r1", key(9), token);
      assert.deepEqual([back.body.claimed, back.body.takeover, back.body.leaseToken], [true, undefined, undefined], back.text);
      assert.deepEqual((await holderCalls(runId, "r1", token).heartbeat()).body, { ok: true });
      assert.equal(Number((await row(runId)).attempts), 1);
    });

    maybe("a repeated claim with its claim key (the first answer lost) is the same claim, with the same secret", async () => {
      const runId = await create();
      const lost = String((await claim(runId, "r1", key(10))).body.leaseToken);
      const repeat = await claim(runId, "r1", key(10));
      assert.deepEqual([repeat.body.claimed, repeat.body.takeover], [true, undefined], repeat.text);
      const token = String(repeat.body.leaseToken);
      // Derived from the claim's key: whichever copy the backend decides last, the runner holds the job's secret.
      assert.equal(token, lost);
      assert.equal(Number((await row(runId)).attempts), 1, "not a second attempt");
      assert.deepEqual((await holderCalls(runId, "r1", token).heartbeat()).body, { ok: true });
    });

    maybe("a job claimed without a claim key (an older runner) is held by its runner ID, as before", async () => {
      const runId = await create({ a: [], b: [] });
      const claimed = await claim(runId, "old");
      assert.deepEqual([claimed.body.claimed, claimed.body.leaseToken], [true, undefined]);
      assert.equal((await row(runId)).lease_hash, null);
      const old = holderCalls(runId, "old");
      assert.deepEqual((await old.heartbeat()).body, { ok: true });
      assert.equal((await old.append()).status, 200);
      assert.equal((await old.update()).status, 200);
      // An older runner taking over a job a newer one leased holds it by runner ID too.
      const b = await call("POST", `/v1/runs/${runId}/jobs/b/claim`, { runnerId: "new", claimKey: key(11) });
      assert.ok(b.body.leaseToken);
      await sweep(runId);
      const takeover = await call("POST", `/v1/runs/${runId}/jobs/b/claim`, { runnerId: "old" });
      assert.deepEqual([takeover.body.claimed, takeover.body.takeover, takeover.body.leaseToken], [true, true, undefined]);
      assert.equal((await call("POST", `/v1/runs/${runId}/jobs/b/update`, { runnerId: "old", status: "success" })).status, 200);
    });

    maybe("a claim key that is no random key is refused, naming the field", async () => {
      const runId = await create();
      for (const bad of ["short", 42, "has spaces in it, long enough"]) {
        const res = await claim(runId, "r1", bad as string);
        assert.equal(res.status, 400, res.text);
        assert.match(String(res.body.error), /^claimKey must be 16 to 256 base64url characters/);
      }
      assert.equal((await row(runId)).status, "pending");
    });
  });
}

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`lease secrets on a ${kind} database from before them`, () => {
    it("migrates it: a job running under a runner ID alone keeps working, and new claims get secrets", { timeout: 60_000 }, async (t) => {
      const db = await testDatabase(kind);
      if (!db) return t.skip("PostgreSQL unavailable");
      let backend = await startTestBackend(db.url);
      try {
        const token = await tokenFor(backend.store, REPO);
        const call = (method: string, path: string, body?: unknown) => api(backend.url, token, method, path, body);
        assert.equal((await call("POST", "/v1/runs", { plan: planOf({ a: [], b: [] }), runId: "before" })).status, 201);
        assert.equal((await call("POST", "/v1/runs/before/jobs/a/claim", { runnerId: "r-old" })).body.claimed, true);
        await backend.stop();
        // Back to schema 20: the job was claimed by a backend that had no lease columns.
        for (const statement of ["ALTER TABLE jobs DROP COLUMN lease_hash", "ALTER TABLE jobs DROP COLUMN claim_key_hash", "DELETE FROM schema_migrations WHERE version = 21"]) await sql(db.url, statement);
        backend = await startTestBackend(db.url);
        const heartbeat = await call("POST", "/v1/runs/before/jobs/a/heartbeat", { runnerId: "r-old" });
        assert.deepEqual([heartbeat.status, heartbeat.body], [200, { ok: true }], heartbeat.text);
        assert.equal((await call("POST", "/v1/runs/before/logs/a?append=true&offset=0&runnerId=r-old", "x\n")).status, 200);
        assert.equal((await call("POST", "/v1/runs/before/jobs/a/update", { runnerId: "r-old", status: "success" })).status, 200);
        const b = await call("POST", "/v1/runs/before/jobs/b/claim", { runnerId: "r-new", claimKey: key(20) });
        assert.match(String(b.body.leaseToken), /^[A-Za-z0-9_-]{43}$/, b.text);
        assert.equal((await call("POST", "/v1/runs/before/jobs/b/update", { runnerId: "r-new", status: "success" })).status, 403);
      } finally {
        await backend.stop();
        await db.cleanup();
      }
    });
  });
}
