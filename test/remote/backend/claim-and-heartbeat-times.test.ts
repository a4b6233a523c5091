// Spec 40 §7 conformance cases 9, 16 and 18, on the backend's own clock: a claim sets runnerId and startedAt ==
// heartbeatAt; an owner's heartbeat moves heartbeatAt to the server's time; another runner claiming 4:59 after the
// last beat (a 5-minute lease) gets nothing, at 6:00 it takes the job over: runnerId replaced, startedAt kept.
// SQLite and PostgreSQL (schema spec31_claim_times).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { api, planOf, startTestBackend, testDatabase, tokenFor, type TestBackend } from "../helpers.js";
import { postgresUrl } from "../../support/postgres.js";

const LEASE_MS = 5 * 60_000;
const T0 = Date.parse("2026-03-01T10:00:00.000Z");

async function spec31Schema(): Promise<{ url: string; cleanup: () => Promise<void> } | undefined> {
  const base = await postgresUrl();
  if (!base) return undefined;
  const url = new URL(base);
  url.searchParams.set("schema", "spec31_claim_times");
  const drop = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query('DROP SCHEMA IF EXISTS "spec31_claim_times" CASCADE');
    } finally {
      await client.end();
    }
  };
  await drop();
  return { url: url.toString(), cleanup: drop };
}

for (const kind of ["sqlite", "postgres"] as const) {
  describe(`claim and heartbeat times on ${kind}`, () => {
    let db: { url: string; cleanup: () => Promise<void> } | undefined;
    let backend: TestBackend;
    let token: string;
    let clockMs = T0;
    before(async () => {
      db = kind === "sqlite" ? await testDatabase("sqlite") : await spec31Schema();
      if (!db) return;
      backend = await startTestBackend(db.url, {
        leaseMs: LEASE_MS,
        sweepIntervalMs: 3_600_000,
        now: () => new Date(clockMs),
        rateLimit: { capacity: 10_000, refillPerSecond: 10_000 },
      });
      token = await tokenFor(backend.store, "acme/widgets");
    });
    after(async () => {
      await backend?.stop();
      await db?.cleanup();
    });

    it("cases 9, 18, 16: claim stamps startedAt = heartbeatAt; a beat moves heartbeatAt; takeover only past the lease, startedAt kept", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const call = (method: string, path: string, body?: unknown) => api(backend.url, token, method, path, body);
      const job = async () => {
        const res = await api<{ jobs: { jobId: string; runnerId: string | null; startedAt: string | null; heartbeatAt: string | null }[] }>(backend.url, token, "GET", "/v1/runs/times/jobs");
        return res.body.jobs.find((j) => j.jobId === "a")!;
      };
      assert.equal((await call("POST", "/v1/runs", { plan: planOf({ a: [] }), runId: "times" })).status, 201);

      const claimed = await call("POST", "/v1/runs/times/jobs/a/claim", { runnerId: "r1" });
      assert.equal(claimed.body.claimed, true);
      let a = await job();
      assert.equal(a.runnerId, "r1");
      assert.equal(a.startedAt, new Date(T0).toISOString());
      assert.equal(a.heartbeatAt, a.startedAt, "case 9: startedAt == heartbeatAt");

      clockMs = T0 + 60_000;
      assert.deepEqual((await call("POST", "/v1/runs/times/jobs/a/heartbeat", { runnerId: "r1" })).body, { ok: true });
      a = await job();
      assert.equal(a.heartbeatAt, new Date(T0 + 60_000).toISOString(), "case 18: heartbeatAt is the server's time");
      assert.equal(a.startedAt, new Date(T0).toISOString());

      clockMs = T0 + 60_000 + 4 * 60_000 + 59_000;
      const early = await call("POST", "/v1/runs/times/jobs/a/claim", { runnerId: "r2" });
      assert.deepEqual([early.body.claimed, early.body.currentStatus], [false, "running"], "4:59 after the beat: still r1's");

      clockMs = T0 + 60_000 + 6 * 60_000;
      const takeover = await call("POST", "/v1/runs/times/jobs/a/claim", { runnerId: "r2" });
      assert.deepEqual([takeover.body.claimed, takeover.body.takeover], [true, true], "6:00 after the beat: taken over");
      a = await job();
      assert.equal(a.runnerId, "r2");
      assert.equal(a.startedAt, new Date(T0).toISOString(), "case 16: startedAt unchanged by the takeover");
      assert.equal(a.heartbeatAt, new Date(clockMs).toISOString());
      assert.deepEqual((await call("POST", "/v1/runs/times/jobs/a/heartbeat", { runnerId: "r1" })).body, { ok: false, abort: true }, "case 17");
    });
  });
}
