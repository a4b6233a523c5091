// Job logs stored as append-only chunks (migration 6): an append adds or
// extends one bounded chunk instead of rewriting the log, a read from an
// offset returns only the bytes from there with the log's size and attempt,
// and a takeover, a replace and retention remove the chunks. Real SQLite files
// and real PostgreSQL schemas, through the store and over HTTP.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { api, backendOnStore, enc, planOf, sql, testDatabase, tokenFor, type StoreKind } from "../helpers.js";
import { MIGRATIONS, MIGRATIONS_TABLE } from "../../../src/remote/backend/store/migrations.js";
import { CHUNK_EXTEND_LIMIT, CHUNK_MAX, planAppend } from "../../../src/remote/backend/store/log-chunks.js";
import { openStore } from "../../../src/remote/backend/store/index.js";
import type { LogWrite } from "../../../src/remote/backend/store/types.js";
import { claimJob, type Clock } from "../../../src/remote/backend/coordinator.js";
import { LOG_ATTEMPT_HEADER, LOG_SIZE_HEADER } from "../../../src/remote/protocol.js";
import { repositoryIdFor } from "../../support/oidc-issuer.js";

const MAX = 1 << 24;
const append = (offset: number, runnerId?: string): LogWrite => ({ mode: "append", maxBytes: MAX, offset, runnerId });
/** Bytes no text decoding survives: NUL, 0xff, half a UTF-8 character. */
const HOSTILE = Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0xe2, 0x9c]);

interface ChunkRow {
  start: number;
  length: number;
}

describe("where an append's bytes go (planAppend)", () => {
  const bytes = (n: number) => Buffer.alloc(n, 0x61);
  const shape = (writes: ReturnType<typeof planAppend>) => writes.map((w) => [w.op, w.start, w.content.length]);

  it("extends a small last chunk, starts a new one past the limit, and splits a large append into bounded chunks", () => {
    assert.deepEqual(shape(planAppend({ start: 100 }, 150, bytes(10))), [["extend", 100, 10]]);
    assert.deepEqual(shape(planAppend({ start: 100 }, 110, bytes(CHUNK_EXTEND_LIMIT - 10))), [["extend", 100, CHUNK_EXTEND_LIMIT - 10]], "up to the limit exactly");
    assert.deepEqual(shape(planAppend({ start: 100 }, 100 + CHUNK_EXTEND_LIMIT, bytes(1))), [["insert", 100 + CHUNK_EXTEND_LIMIT, 1]]);
    assert.deepEqual(shape(planAppend(undefined, 0, bytes(2 * CHUNK_MAX + 1))), [
      ["insert", 0, CHUNK_MAX],
      ["insert", CHUNK_MAX, CHUNK_MAX],
      ["insert", 2 * CHUNK_MAX, 1],
    ]);
  });

  it("fills an empty last chunk first (no second chunk at its offset); an empty append writes nothing unless the log has no chunk", () => {
    assert.deepEqual(shape(planAppend({ start: 7 }, 7, bytes(CHUNK_MAX + 5))), [
      ["extend", 7, CHUNK_MAX],
      ["insert", 7 + CHUNK_MAX, 5],
    ]);
    assert.deepEqual(shape(planAppend({ start: 7 }, 9, bytes(0))), []);
    assert.deepEqual(shape(planAppend(undefined, 0, bytes(0))), [["insert", 0, 0]]);
  });
});

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`chunked job logs on ${kind}`, () => {
    const on = backendOnStore(kind, { rateLimit: { capacity: 10_000, refillPerSecond: 10_000 }, maxLogBytes: MAX, sweepIntervalMs: 3_600_000 }, "acme/chunks");
    let n = 0;
    const ns = repositoryIdFor("acme/chunks");
    const length = kind === "sqlite" ? "length(content)" : "octet_length(content)";
    const chunks = async (runId: string, jobId: string) =>
      (
        await sql<{ start: number | string; length: number | string }>(
          on.db!.url,
          `SELECT byte_offset AS start, ${length} AS length FROM log_chunks WHERE namespace = $1 AND run_id = $2 AND job_id = $3 ORDER BY byte_offset`,
          [ns, runId, jobId],
        )
      ).map((r): ChunkRow => ({ start: Number(r.start), length: Number(r.length) }));
    const create = async (edges: Record<string, string[]> = { a: [], b: [] }) => {
      const runId = `chunks-${++n}`;
      const res = await api(on.backend.url, on.token, "POST", "/v1/runs", { plan: planOf(edges), runId });
      assert.equal(res.status, 201, res.text);
      return runId;
    };
    /** A raw GET of a log (bytes, not text). */
    const getLog = async (runId: string, jobId: string, query = "") => {
      const res = await fetch(`${on.backend.url}/v1/runs/${runId}/logs/${enc(jobId)}${query}`, { headers: { Authorization: `Bearer ${on.token}` } });
      return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
    };
    const post = (runId: string, jobId: string, query: string, body: Buffer) =>
      fetch(`${on.backend.url}/v1/runs/${runId}/logs/${enc(jobId)}${query}`, { method: "POST", headers: { Authorization: `Bearer ${on.token}` }, body: new Uint8Array(body) });

    const maybe = (name: string, fn: () => Promise<void>) => it(name, async (t) => (on.db ? fn() : t.skip("PostgreSQL unavailable")));

    maybe("appends land byte for byte and in order, as contiguous bounded chunks; a later append never rewrites an earlier chunk", async () => {
      const runId = await create();
      const pieces = [
        randomBytes(CHUNK_EXTEND_LIMIT + 4000), // over the limit: a chunk of its own
        HOSTILE,
        Buffer.from("héllo ✓ wörld 🚀\n"),
        ...Array.from({ length: 200 }, (_, i) => Buffer.from(`line ${i} ${"x".repeat(i % 97)}\n`)), // a line at a time: extends small chunks
        randomBytes(3 * CHUNK_EXTEND_LIMIT),
        randomBytes(2 * CHUNK_MAX + 123), // split into chunks of at most CHUNK_MAX
        Buffer.alloc(0),
        HOSTILE,
      ];
      let expected = Buffer.alloc(0);
      let firstChunkVersion: string | undefined;
      for (const [i, piece] of pieces.entries()) {
        const viaHttp = i % 2 === 0;
        if (viaHttp) {
          const res = await post(runId, "a", `?append=true&offset=${expected.length}`, piece);
          assert.equal(res.status, 200, await res.text());
        } else {
          assert.deepEqual(await on.backend.store.writeLog(ns, runId, "a", piece, append(expected.length)), { bytes: expected.length + piece.length });
        }
        expected = Buffer.concat([expected, piece]);
        if (i === 0 && kind === "postgres") firstChunkVersion = (await sql<{ v: string }>(on.db!.url, "SELECT xmin::text AS v FROM log_chunks WHERE run_id = $1 AND byte_offset = 0", [runId]))[0]?.v;
      }
      assert.ok((await on.backend.store.readLog(ns, runId, "a"))!.equals(expected), "the store reads the exact bytes");
      const whole = await getLog(runId, "a");
      assert.equal(whole.status, 200);
      assert.ok(whole.body.equals(expected), "GET returns the exact bytes");
      assert.equal(whole.headers.get(LOG_SIZE_HEADER), null, "without ?offset= the answer is v2's");

      const rows = await chunks(runId, "a");
      assert.ok(rows.length > 2 && rows.length < 30, `a handful of chunks, not one per append or one in all: ${rows.length}`);
      let end = 0;
      for (const row of rows) {
        assert.equal(row.start, end, "chunks are contiguous");
        assert.ok(row.length > 0 && row.length <= CHUNK_MAX, `chunk at ${row.start} is bounded: ${row.length}`);
        end += row.length;
      }
      assert.equal(end, expected.length);
      assert.equal((await on.backend.store.getRun(ns, runId))?.jobs.find((j) => j.jobId === "a")?.logBytes, expected.length, "jobs.log_bytes stays exact");
      if (firstChunkVersion !== undefined) {
        const now = (await sql<{ v: string }>(on.db!.url, "SELECT xmin::text AS v FROM log_chunks WHERE run_id = $1 AND byte_offset = 0", [runId]))[0]?.v;
        assert.equal(now, firstChunkVersion, "the first chunk's row version is untouched by later appends");
      }
    });

    maybe("an offset-checked retry is acknowledged without writing twice; a gap or a mismatched offset is refused", async () => {
      const runId = await create();
      const one = Buffer.from("one ✓\n");
      const two = randomBytes(CHUNK_EXTEND_LIMIT + 1);
      for (let attempt = 0; attempt < 3; attempt++) assert.equal(((await (await post(runId, "a", "?append=true&offset=0", one)).json()) as { bytes: number }).bytes, one.length);
      for (let attempt = 0; attempt < 3; attempt++) {
        assert.deepEqual(await on.backend.store.writeLog(ns, runId, "a", two, append(one.length)), { bytes: one.length + two.length });
      }
      assert.equal((await post(runId, "a", `?append=true&offset=${one.length + two.length + 5}`, one)).status, 409, "a gap");
      assert.equal((await post(runId, "a", "?append=true&offset=2", one)).status, 409, "an offset that does not line up with the log");
      assert.ok((await on.backend.store.readLog(ns, runId, "a"))!.equals(Buffer.concat([one, two])));
      assert.deepEqual(await chunks(runId, "a"), [
        { start: 0, length: one.length },
        { start: one.length, length: two.length },
      ]);
      // A replace starts the log over as one chunk; an empty log still reads as 200 with no bytes (v2).
      assert.equal((await post(runId, "a", "", Buffer.from("replaced"))).status, 200);
      assert.deepEqual(await chunks(runId, "a"), [{ start: 0, length: 8 }]);
      assert.equal((await post(runId, "b", "", Buffer.alloc(0))).status, 200);
      const empty = await getLog(runId, "b");
      assert.equal(empty.status, 200);
      assert.equal(empty.body.length, 0);
      assert.deepEqual(await on.backend.store.writeLog(ns, runId, "b", Buffer.from("after"), append(0)), { bytes: 5 });
      assert.equal((await on.backend.store.readLog(ns, runId, "b"))?.toString(), "after");
    });

    maybe("?offset=N returns the bytes from N (empty at or past the end) with the log's size and attempt; bad offsets are 400, unknown runs and jobs 404", async () => {
      const runId = await create();
      assert.equal((await api(on.backend.url, on.token, "POST", `/v1/runs/${runId}/jobs/a/claim`, { runnerId: "r1" })).body.claimed, true);
      const pieces = [randomBytes(20_000), randomBytes(20_000), Buffer.from("tail\n"), HOSTILE];
      let log = Buffer.alloc(0);
      for (const piece of pieces) {
        assert.deepEqual(await on.backend.store.writeLog(ns, runId, "a", piece, append(log.length, "r1")), { bytes: log.length + piece.length });
        log = Buffer.concat([log, piece]);
      }
      assert.deepEqual((await chunks(runId, "a")).map((c) => c.start), [0, 20_000, 40_000], "reads below cross chunk boundaries");
      for (const offset of [0, 1, 19_999, 20_000, 20_001, 39_999, 40_000, 40_003, log.length - 1, log.length, log.length + 1, log.length + 1_000_000]) {
        const res = await getLog(runId, "a", `?offset=${offset}`);
        assert.equal(res.status, 200, `offset ${offset}`);
        assert.ok(res.body.equals(log.subarray(Math.min(offset, log.length))), `the bytes from ${offset}`);
        assert.equal(res.headers.get(LOG_SIZE_HEADER), String(log.length));
        assert.equal(res.headers.get(LOG_ATTEMPT_HEADER), "1");
        assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
        const range = await on.backend.store.readLogFrom(ns, runId, "a", offset);
        assert.ok("content" in range && range.content.equals(res.body), `the store agrees at ${offset}`);
      }
      const jobs = (await api<{ jobs: { jobId: string; logBytes: number; attempts: number }[] }>(on.backend.url, on.token, "GET", `/v1/runs/${runId}/jobs`)).body.jobs;
      assert.deepEqual(jobs.map((j) => [j.jobId, j.logBytes, j.attempts]), [["a", log.length, 1], ["b", 0, 0]], "the job listing carries each log's size");
      for (const bad of ["-1", "1.5", "abc", "", "1e3"]) assert.equal((await getLog(runId, "a", `?offset=${bad}`)).status, 400, `offset=${bad}`);
      const unlogged = await getLog(runId, "b", "?offset=0");
      assert.deepEqual([unlogged.status, unlogged.body.length, unlogged.headers.get(LOG_SIZE_HEADER), unlogged.headers.get(LOG_ATTEMPT_HEADER)], [200, 0, "0", "0"]);
      assert.equal((await getLog(runId, "b")).status, 404, "without ?offset= a missing log is 404, as in v2");
      const noJob = await api(on.backend.url, on.token, "GET", `/v1/runs/${runId}/logs/nojob?offset=0`);
      assert.deepEqual([noJob.status, noJob.body.error], [404, "Job not found"]);
      const noRun = await api(on.backend.url, on.token, "GET", `/v1/runs/norun/logs/a?offset=0`);
      assert.deepEqual([noRun.status, noRun.body.error], [404, "Run not found"]);
      const other = await tokenFor(on.backend.store, "acme/other");
      assert.equal((await api(on.backend.url, other, "GET", `/v1/runs/${runId}/logs/a?offset=0`)).status, 404, "another namespace cannot read it");
    });

    maybe("an append answers followed: false until someone reads the run's logs from an offset, then true (runners flush faster)", async () => {
      const runId = await create();
      const followed = async (offset: number) => ((await (await post(runId, "a", `?append=true&offset=${offset}`, Buffer.from("x\n"))).json()) as { followed: unknown }).followed;
      assert.equal(await followed(0), false, "nobody follows yet");
      assert.equal((await getLog(runId, "a")).status, 200);
      assert.equal(await followed(2), false, "a whole-log read is no follower's");
      assert.equal((await getLog(runId, "b", "?offset=0")).status, 200);
      assert.equal(await followed(4), true, "a ranged read of any of the run's jobs marks it followed");
    });

    maybe("a takeover deletes the job's chunks in the claim's transaction; the new attempt's log starts at 0 under the next attempt number", async () => {
      const runId = await create();
      assert.equal((await api(on.backend.url, on.token, "POST", `/v1/runs/${runId}/jobs/a/claim`, { runnerId: "r1" })).body.claimed, true);
      let offset = 0;
      for (const piece of [randomBytes(CHUNK_EXTEND_LIMIT + 1), Buffer.from("r1 partial\n")]) offset = ((await on.backend.store.writeLog(ns, runId, "a", piece, append(offset, "r1"))) as { bytes: number }).bytes;
      assert.equal((await chunks(runId, "a")).length, 2);
      const expired: Clock = { now: new Date(Date.now() + 3_600_000), leaseMs: 1 };
      const takeover = await on.backend.store.mutateRun(ns, runId, { jobIds: ["a"], deps: true }, (s) => claimJob(s, "a", "r2", expired));
      assert.equal(takeover?.takeover, true);
      assert.deepEqual(await chunks(runId, "a"), [], "no chunk of the previous attempt is left");
      const restarted = await getLog(runId, "a", `?offset=${offset}`);
      assert.deepEqual([restarted.status, restarted.body.length, restarted.headers.get(LOG_SIZE_HEADER), restarted.headers.get(LOG_ATTEMPT_HEADER)], [200, 0, "0", "2"]);
      assert.equal((await on.backend.store.writeLog(ns, runId, "a", Buffer.from("late r1\n"), append(offset, "r1")) as { notHeld?: true }).notHeld, true);
      // The run's log was read by offset above (followed): the answer says since when, besides the size.
      const r2 = await on.backend.store.writeLog(ns, runId, "a", Buffer.from("r2 output\n"), append(0, "r2"));
      assert.equal((r2 as { bytes: number }).bytes, 10, JSON.stringify(r2));
      assert.equal((await getLog(runId, "a")).body.toString(), "r2 output\n");
      assert.deepEqual(await chunks(runId, "a"), [{ start: 0, length: 10 }]);
    });

    maybe("retention deletes an expired run's log chunks with the run, and no other run's", async () => {
      const old = await create();
      const kept = await create();
      for (const runId of [old, kept]) {
        let offset = 0;
        for (const piece of [randomBytes(CHUNK_EXTEND_LIMIT + 1), randomBytes(CHUNK_EXTEND_LIMIT + 1)]) {
          offset = ((await on.backend.store.writeLog(ns, runId, "a", piece, append(offset))) as { bytes: number }).bytes;
        }
      }
      await sql(on.db!.url, "UPDATE runs SET updated_at = $1 WHERE namespace = $2 AND run_id = $3", ["2000-01-01T00:00:00.000Z", ns, old]);
      assert.equal(await on.backend.store.deleteRunsUpdatedBefore("2001-01-01T00:00:00.000Z"), 1);
      const left = await sql<{ run_id: string }>(on.db!.url, "SELECT DISTINCT run_id FROM log_chunks WHERE run_id IN ($1, $2)", [old, kept]);
      assert.deepEqual(left.map((r) => r.run_id), [kept]);
      assert.equal((await chunks(kept, "a")).length, 2);
    });

    maybe("migration 6 moves logs written in the old one-row layout into chunks, byte for byte, and drops the old table", async () => {
      const old = await testDatabase(kind);
      assert.ok(old);
      try {
        const dialect = kind === "sqlite" ? "sqlite" : "postgres";
        await sql(old.url, MIGRATIONS_TABLE);
        for (const m of MIGRATIONS.filter((x) => x.version <= 5)) {
          for (const statement of m[dialect].split(/;\s*\n/).map((x) => x.trim()).filter(Boolean)) await sql(old.url, statement);
          await sql(old.url, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [m.version, m.name, "2026-01-01T00:00:00.000Z"]);
        }
        await sql(
          old.url,
          "INSERT INTO runs (namespace, run_id, status, plan_checksum, plan_json, trigger_type, actor, dry_run, created_at, updated_at) VALUES ('ns', 'r', 'running', 'c', '{}', 'ci', NULL, $1, 't', 't')",
          [kind === "sqlite" ? 0 : false],
        );
        const logA = Buffer.concat([randomBytes(50_000), HOSTILE, Buffer.from("✓ done\n")]);
        const logs: Record<string, Buffer | undefined> = { a: logA, b: Buffer.alloc(0), c: undefined };
        for (const [position, job] of ["a", "b", "c"].entries()) {
          await sql(old.url, "INSERT INTO jobs (namespace, run_id, job_id, position, component, deps, status, attempts, log_bytes) VALUES ('ns', 'r', $1, $2, 'c', '[]', 'running', 1, $3)", [
            job, position, logs[job]?.length ?? 0,
          ]);
          if (logs[job]) await sql(old.url, "INSERT INTO logs (namespace, run_id, job_id, content, updated_at) VALUES ('ns', 'r', $1, $2, 't')", [job, logs[job]]);
        }
        const store = await openStore(old.url);
        try {
          assert.ok((await store.readLog("ns", "r", "a"))!.equals(logA), "the old log reads byte for byte");
          const tail = await store.readLogFrom("ns", "r", "a", 49_999);
          assert.ok("content" in tail && tail.content.equals(logA.subarray(49_999)) && tail.size === logA.length && tail.attempt === 1);
          assert.equal((await store.readLog("ns", "r", "b"))?.length, 0, "an empty log stays an (empty) log");
          assert.equal(await store.readLog("ns", "r", "c"), undefined);
          assert.deepEqual(await store.writeLog("ns", "r", "a", Buffer.from("more\n"), append(logA.length)), { bytes: logA.length + 5 });
          assert.ok((await store.readLog("ns", "r", "a"))!.equals(Buffer.concat([logA, Buffer.from("more\n")])), "appends continue after the migrated bytes");
        } finally {
          await store.close();
        }
        const applied = await sql<{ version: number }>(old.url, "SELECT version FROM schema_migrations ORDER BY version");
        assert.deepEqual(applied.map((r) => Number(r.version)), MIGRATIONS.map((m) => m.version), "every later migration applied too");
        const oldTable =
          kind === "sqlite"
            ? await sql(old.url, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'logs'")
            : await sql(old.url, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'logs'");
        assert.deepEqual(oldTable, [], "the one-row-per-log table is gone");
      } finally {
        await old.cleanup();
      }
    });
  });
}
