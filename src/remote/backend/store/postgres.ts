// PostgreSQL store for several backend replicas. A mutation locks the run row
// (`SELECT … FOR UPDATE`) inside a transaction, so claims on one run are
// serialised across every replica; `pg_notify` (delivered on commit) wakes
// long-polling runners connected to any replica.
import { EventEmitter } from "node:events";
import pg from "pg";
import { OrunError } from "../../../util/errors.js";
import { printable } from "../../../util/printable.js";
import { nextRunRecord, pendingUpstream, type JobRecord, type Mutation, type MutationScope, type RunState } from "../coordinator.js";
import type { JobStatus } from "../../protocol.js";
import { EVIDENCE_SQL, EXPIRED_RUN, EXPIRING_JOBS_SQL, HAS_RELEASED_SQL, KEEP_EVIDENCE_BULK_SQL, KEPT_EVIDENCE_SQL, MIGRATIONS, PRUNE_EVIDENCE_SQL, MIGRATIONS_TABLE, MARK_FOLLOWED_SQL, RECORD_ACTIVITY_SQL, REOPEN_RUN_SQL, RETRY_WAITS_SQL, STOP_RUN_SQL, TALLY_SQL, WITHHELD_SQL, checkSchemaNotNewer, evidenceOf, type ExpiringJob } from "./migrations.js";
import { RUN_COLUMNS, RUN_STATE_COLUMNS, jobFromRow, namespaceFromRow, runFromRow, withheldFromRow, type JobRow, type NamespaceRow, type RunRow } from "./rows.js";
import { jobParams, tokenFromRow } from "./sqlite.js";
import { planAppend } from "./log-chunks.js";
import { planLogWrite, withFollowedAt, type LogWriteResult, type NewRun, type Store, type WithheldRow } from "./types.js";

const CHANNEL = "orun_run_changed";
/** Serialises migrations of concurrently starting replicas. */
const MIGRATION_LOCK = 7_242_001;

/**
 * A job's log chunks from the one holding byte $4 (the last starting at or before it) on, the first
 * cut at $4: $1 namespace, $2 run, $3 job, $4 offset. Callers add ORDER BY byte_offset.
 */
const CHUNKS_FROM = `
SELECT byte_offset, CASE WHEN byte_offset < $4::bigint THEN substr(content, ($4::bigint - byte_offset + 1)::int) ELSE content END AS content
FROM log_chunks WHERE namespace = $1 AND run_id = $2 AND job_id = $3
  AND byte_offset >= coalesce((SELECT max(m.byte_offset) FROM log_chunks m WHERE m.namespace = $1 AND m.run_id = $2 AND m.job_id = $3 AND m.byte_offset <= $4::bigint), 0)`;

export interface PostgresStoreOptions {
  /** Schema to use (created if missing); tests give each test its own. */
  schema?: string;
  maxConnections?: number;
}

/** A schema name the store may quote into `SET search_path` and a notification channel. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Store {
  const schema = options.schema ?? new URL(url).searchParams.get("schema") ?? undefined;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new OrunError(`invalid PostgreSQL ?schema= "${printable(schema)}": use 1 to 63 ASCII letters, digits and underscores, not starting with a digit`);
  }
  const { connection, jitOff } = sessionConfig(url, schema);
  const prepareSession = async (client: pg.ClientBase) => {
    // Quoted: unquoted, search_path folds MySchema to myschema, which CREATE SCHEMA "MySchema" did not make.
    if (schema) await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    if (jitOff) await turnJitOff(client);
  };
  const pool = new pg.Pool({ ...connection, Client: ClientWithOwnOptions as unknown as new () => pg.ClientBase, max: options.maxConnections ?? 10, onConnect: prepareSession });
  // An idle client erroring (e.g. the server restarted) must not crash the backend.
  pool.on("error", () => undefined);
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let listener: pg.Client | undefined;
  let closed = false;
  /** migrate() opened the first listener: later failures to listen are retried, not thrown. */
  let started = false;
  let listenFailures = 0;

  const channel = schema ? `${CHANNEL}_${schema}`.slice(0, 63) : CHANNEL;

  /**
   * Keeps one connection LISTENing. When it drops (the database restarted or was unreachable), it is
   * re-opened with back-off for as long as it takes: without it, long-polls would only wake at their
   * slow re-check. The first connection's failure is start-up's (migrate) to report.
   */
  async function listen(): Promise<void> {
    if (closed) return;
    const client = new ClientWithOwnOptions(connection);
    let lost = false;
    const reconnect = () => {
      if (lost || closed) return;
      lost = true;
      if (listener === client) listener = undefined;
      void client.end().catch(() => undefined);
      setTimeout(() => void listen().catch(() => undefined), Math.min(250 * 2 ** listenFailures++, 5_000)).unref();
    };
    client.on("error", reconnect);
    client.on("end", reconnect);
    client.on("notification", (msg) => {
      const [namespace, runId, jobIds] = JSON.parse(msg.payload ?? "[]") as [string, string, string[] | undefined];
      if (namespace && runId) events.emit("changed", namespace, runId, jobIds);
    });
    try {
      await client.connect();
      await prepareSession(client);
      await client.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (err) {
      if (!started) {
        lost = true; // ends this connection without the reconnect loop: start-up reports the error
        await client.end().catch(() => undefined);
        throw err;
      }
      reconnect();
      return;
    }
    if (closed) {
      lost = true;
      await client.end();
      return;
    }
    listener = client;
    listenFailures = 0;
  }

  async function tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Tells every replica the run changed, naming the jobs while they fit in a notification (8,000 bytes). */
  const notify = (client: pg.PoolClient, namespace: string, runId: string, jobIds?: string[]) => {
    const named = jobIds && JSON.stringify([namespace, runId, jobIds]);
    return client.query("SELECT pg_notify($1, $2)", [channel, named && Buffer.byteLength(named) <= 7_000 ? named : JSON.stringify([namespace, runId])]);
  };

  async function loadState(client: pg.ClientBase, namespace: string, runId: string, lock: boolean): Promise<RunState | undefined> {
    const run = await client.query<RunRow>(`SELECT ${RUN_STATE_COLUMNS} FROM runs WHERE namespace = $1 AND run_id = $2${lock ? " FOR UPDATE" : ""}`, [namespace, runId]);
    if (run.rowCount === 0) return undefined;
    const jobs = await client.query<JobRow>("SELECT j.* FROM jobs j WHERE j.namespace = $1 AND j.run_id = $2 ORDER BY j.position", [namespace, runId]);
    return { run: runFromRow(run.rows[0]), jobs: jobs.rows.map(jobFromRow) };
  }

  async function loadScope(c: pg.ClientBase, namespace: string, runId: string, scope: MutationScope): Promise<JobRecord[]> {
    const base = "SELECT j.* FROM jobs j WHERE j.namespace = $1 AND j.run_id = $2";
    if (scope === "all") return (await c.query<JobRow>(`${base} ORDER BY j.position`, [namespace, runId])).rows.map(jobFromRow);
    if ("status" in scope) return (await c.query<JobRow>(`${base} AND j.status = $3 ORDER BY j.position`, [namespace, runId, scope.status])).rows.map(jobFromRow);
    const byIds = async (ids: string[]) => (await c.query<JobRow>(`${base} AND j.job_id = ANY($3::text[]) ORDER BY j.position`, [namespace, runId, ids])).rows.map(jobFromRow);
    const jobs = await byIds(scope.jobIds);
    if (!scope.deps) return jobs;
    const have = new Set(jobs.map((j) => j.jobId));
    const deps = [...new Set(jobs.flatMap((j) => j.deps))].filter((d) => !have.has(d));
    const loaded = deps.length ? [...jobs, ...(await byIds(deps))] : jobs;
    if (!scope.upstream || (await c.query(HAS_RELEASED_SQL, [namespace, runId])).rowCount === 0) return loaded;
    // One query per level, through pending dependencies only.
    let level = loaded.filter((j) => !have.has(j.jobId));
    for (const job of loaded) have.add(job.jobId);
    for (let ids = pendingUpstream(level, have); ids.length > 0; ids = pendingUpstream(level, have)) {
      level = await byIds(ids);
      for (const id of [...ids, ...level.map((j) => j.jobId)]) have.add(id);
      loaded.push(...level);
    }
    return loaded;
  }

  const store: Store = {
    kind: "postgres",
    async migrate() {
      await tx(async (c) => {
        if (schema) {
          await c.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
          await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
        } else {
          await c.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
        }
        await c.query(MIGRATIONS_TABLE);
        const applied = new Set((await c.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => Number(r.version)));
        checkSchemaNotNewer(applied);
        for (const m of MIGRATIONS) {
          if (applied.has(m.version)) continue;
          if (m.postgres) await c.query(m.postgres);
          if (m.postgresCode) await m.postgresCode(async (text, params) => (await c.query<Record<string, unknown>>(text, params)).rows);
          await c.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [m.version, m.name, new Date().toISOString()]);
        }
      });
      if (!listener) await listen();
      started = true;
    },

    async createRun({ run, jobs, planJson }: NewRun) {
      return tx(async (c) => {
        const inserted = await c.query(
          `INSERT INTO runs (${RUN_COLUMNS}, plan_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (namespace, run_id) DO NOTHING`,
          [run.namespace, run.runId, run.status, run.planChecksum, run.triggerType, run.actor, run.dryRun, run.createdAt, run.updatedAt, run.finishedAt, run.revision, run.failFast ?? false, run.stoppedReason ?? null, planJson],
        );
        if (inserted.rowCount === 0) {
          const existing = await c.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE namespace = $1 AND run_id = $2`, [run.namespace, run.runId]);
          return { created: false as const, existing: runFromRow(existing.rows[0]) };
        }
        await c.query(
          `INSERT INTO jobs (namespace, run_id, job_id, position, component, deps, status, attempts, steps)
           SELECT $1, $2, j.job_id, j.position, j.component, j.deps, 'pending', 0, j.steps
           FROM unnest($3::text[], $4::int[], $5::text[], $6::text[], $7::text[]) AS j(job_id, position, component, deps, steps)`,
          [
            run.namespace,
            run.runId,
            jobs.map((j) => j.jobId),
            jobs.map((j) => j.position),
            jobs.map((j) => j.component),
            jobs.map((j) => JSON.stringify(j.deps)),
            jobs.map((j) => (j.steps ? JSON.stringify(j.steps) : null)),
          ],
        );
        await notify(c, run.namespace, run.runId);
        return { created: true as const };
      });
    },

    async getRun(namespace, runId, scope) {
      const client = await pool.connect();
      try {
        // One snapshot for the run and its jobs.
        await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        let state: RunState | undefined;
        if (scope === undefined) state = await loadState(client, namespace, runId, false);
        else {
          const run = await client.query<RunRow>(`SELECT ${RUN_STATE_COLUMNS} FROM runs WHERE namespace = $1 AND run_id = $2`, [namespace, runId]);
          state = run.rowCount === 0 ? undefined : { run: runFromRow(run.rows[0]), jobs: await loadScope(client, namespace, runId, scope) };
        }
        await client.query("COMMIT");
        return state;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },

    async enableFailFast(namespace, runId) {
      await query("UPDATE runs SET fail_fast = true WHERE namespace = $1 AND run_id = $2", [namespace, runId]);
    },

    async mutateRun<T>(namespace: string, runId: string, scope: MutationScope, fn: (state: RunState) => Mutation<T>) {
      return tx(async (c) => {
        // The run row's lock serialises every mutation of this run across replicas.
        const runRow = await c.query<RunRow>(`SELECT ${RUN_STATE_COLUMNS} FROM runs WHERE namespace = $1 AND run_id = $2 FOR UPDATE`, [namespace, runId]);
        if (runRow.rowCount === 0) return undefined;
        const run = runFromRow(runRow.rows[0]);
        const mutation = fn({ run, jobs: await loadScope(c, namespace, runId, scope) });
        for (const job of mutation.changedJobs) {
          const p = jobParams(namespace, runId, job);
          await c.query(
            `UPDATE jobs SET status = $4, runner_id = $5, started_at = $6, finished_at = $7, heartbeat_at = $8, last_error = $9, attempts = $10, ci_run_id = $11, run_attempt = $12, retries = $13,
               no_evidence = $14, no_evidence_cause = $15, no_evidence_reason = $16, lease_hash = $17, claim_key_hash = $18
             WHERE namespace = $1 AND run_id = $2 AND job_id = $3`,
            [p.namespace, p.runId, p.jobId, p.status, p.runnerId, p.startedAt, p.finishedAt, p.heartbeatAt, p.lastError, p.attempts, p.ciRunId, p.runAttempt, p.retries, p.noEvidence === 1, p.noEvidenceCause, p.noEvidenceReason, p.leaseHash, p.claimKeyHash],
          );
        }
        if (mutation.stopRun) await c.query(STOP_RUN_SQL, [mutation.stopRun, namespace, runId]);
        if (mutation.reopenRun) await c.query(REOPEN_RUN_SQL, [namespace, runId]);
        if (mutation.retryWaits) await c.query(RETRY_WAITS_SQL, [JSON.stringify(mutation.retryWaits), namespace, runId]);
        for (const jobId of mutation.clearLogs ?? []) {
          await c.query("DELETE FROM log_chunks WHERE namespace = $1 AND run_id = $2 AND job_id = $3", [namespace, runId, jobId]);
          await c.query("UPDATE jobs SET log_bytes = 0 WHERE namespace = $1 AND run_id = $2 AND job_id = $3", [namespace, runId, jobId]);
        }
        if (mutation.changedJobs.length > 0) {
          const tally = (await c.query<{ unfinished: boolean; failed: boolean }>(TALLY_SQL, [namespace, runId])).rows[0];
          const next = nextRunRecord(run, { unfinished: tally.unfinished, failed: tally.failed }, new Date());
          await c.query("UPDATE runs SET status = $3, updated_at = $4, finished_at = $5 WHERE namespace = $1 AND run_id = $2", [namespace, runId, next.status, next.updatedAt, next.finishedAt]);
          await notify(c, namespace, runId, mutation.changedJobs.map((j) => j.jobId));
        }
        return mutation.result;
      });
    },

    async runsWithStaleLeases(before) {
      const rows = await query<{ namespace: string; run_id: string }>(
        "SELECT DISTINCT namespace, run_id FROM jobs WHERE status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $1)",
        [before],
      );
      return rows.map((r) => ({ namespace: r.namespace, runId: r.run_id }));
    },

    async deleteRunsUpdatedBefore(before) {
      return tx(async (c) => {
        // The expired runs' rows are locked first, as every mutation locks its run before its jobs: a run
        // touched meanwhile no longer qualifies once its lock is released and is kept whole (deleting its
        // jobs first left a touched run without them). Ordered, so sweeping replicas cannot deadlock.
        const expired = await c.query<{ namespace: string; run_id: string }>(
          `SELECT namespace, run_id FROM runs r WHERE ${EXPIRED_RUN} ORDER BY namespace, run_id FOR UPDATE`,
          [before],
        );
        if (expired.rows.length === 0) return 0;
        // Their promotion-gate evidence stays (see migration 7).
        const evidence = evidenceOf((await c.query<ExpiringJob>(EXPIRING_JOBS_SQL, [before])).rows);
        if (evidence.length > 0) await c.query(KEEP_EVIDENCE_BULK_SQL, [0, 1, 2, 3, 4, 5].map((i) => evidence.map((row) => row[i])));
        const keys = [expired.rows.map((r) => r.namespace), expired.rows.map((r) => r.run_id)];
        const these = "(namespace, run_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))";
        await c.query(`DELETE FROM log_chunks WHERE ${these}`, keys);
        await c.query(`DELETE FROM jobs WHERE ${these}`, keys);
        return (await c.query(`DELETE FROM runs WHERE ${these}`, keys)).rowCount ?? 0;
      });
    },

    async recordActivity(namespace, runId, at, staleBefore) {
      await query(RECORD_ACTIVITY_SQL, [at, namespace, runId, staleBefore]);
    },

    async markFollowed(namespace, runId, at, staleBefore) {
      await query(MARK_FOLLOWED_SQL, [at, namespace, runId, staleBefore]);
    },

    async componentSucceededAt(namespace, revision, component, environment) {
      const prefix = `${component}@${environment}.`;
      const rows = await query<{ run_id: string }>(EVIDENCE_SQL, [namespace, revision, prefix, prefix.length, prefix, prefix.length]);
      if (rows[0]) return { runId: rows[0].run_id };
      // From a run retention has deleted.
      const kept = (await query<{ run_id: string; recorded_at: string }>(KEPT_EVIDENCE_SQL, [namespace, revision, component, environment]))[0];
      if (kept) return { deletedRunId: kept.run_id, recordedAt: kept.recorded_at };
      const withheld = (await query<WithheldRow>(WITHHELD_SQL, [namespace, revision, prefix, prefix.length]))[0];
      return withheld && withheldFromRow(withheld);
    },

    async pruneEvidenceBefore(before) {
      return (await pool.query(PRUNE_EVIDENCE_SQL, [before])).rowCount ?? 0;
    },

    async writeLog(namespace, runId, jobId, content, options) {
      return tx(async (c): Promise<LogWriteResult> => {
        // The run row's lock (the one claims take) serialises this write with concurrent appends and with a
        // takeover, so the ownership check and the write are one step.
        const run = await c.query<{ followed_at: string | null }>("SELECT followed_at FROM runs WHERE namespace = $1 AND run_id = $2 FOR UPDATE", [namespace, runId]);
        if (run.rowCount === 0) return { notFound: "run" };
        const followedAt = run.rows[0]!.followed_at;
        // jobs.log_bytes is kept by every write: octet_length() would detoast (read) the whole log.
        const cur = await c.query<{ status: JobStatus; runner_id: string | null; n: string; lease_hash: string | null; attempts: number }>(
          "SELECT status, runner_id, log_bytes AS n, lease_hash, attempts FROM jobs WHERE namespace = $1 AND run_id = $2 AND job_id = $3",
          [namespace, runId, jobId],
        );
        const job = cur.rows[0];
        const plan = planLogWrite(job && { status: job.status, runnerId: job.runner_id, logBytes: Number(job.n), leaseHash: job.lease_hash, attempts: Number(job.attempts) }, content.length, options);
        if (!plan.write && plan.repeatOf !== undefined) {
          const stored = Buffer.concat((await c.query<{ content: Buffer }>(`${CHUNKS_FROM} ORDER BY byte_offset`, [namespace, runId, jobId, plan.repeatOf])).rows.map((r) => r.content));
          return stored.equals(content) ? withFollowedAt(plan.result, followedAt) : { conflict: true, bytes: Number(job!.n) };
        }
        if (!plan.write) return withFollowedAt(plan.result, followedAt);
        const { bytes } = plan;
        const key = [namespace, runId, jobId];
        let last: string | null = null;
        if (options.mode === "replace") await c.query("DELETE FROM log_chunks WHERE namespace = $1 AND run_id = $2 AND job_id = $3", key);
        else last = (await c.query<{ start: string | null }>("SELECT max(byte_offset) AS start FROM log_chunks WHERE namespace = $1 AND run_id = $2 AND job_id = $3", key)).rows[0]?.start ?? null;
        const writes = planAppend(last === null ? undefined : { start: Number(last) }, bytes - content.length, content);
        for (const w of writes.filter((x) => x.op === "extend")) {
          await c.query("UPDATE log_chunks SET content = content || $5 WHERE namespace = $1 AND run_id = $2 AND job_id = $3 AND byte_offset = $4", [...key, w.start, w.content]);
        }
        const inserts = writes.filter((x) => x.op === "insert");
        if (inserts.length > 0) {
          await c.query(
            "INSERT INTO log_chunks (namespace, run_id, job_id, byte_offset, content) SELECT $1, $2, $3, o, c FROM unnest($4::bigint[], $5::bytea[]) AS t(o, c)",
            [...key, inserts.map((w) => w.start), inserts.map((w) => w.content)],
          );
        }
        await c.query("UPDATE jobs SET log_bytes = $4 WHERE namespace = $1 AND run_id = $2 AND job_id = $3", [...key, bytes]);
        return withFollowedAt({ bytes }, followedAt);
      });
    },

    async readLog(namespace, runId, jobId) {
      const rows = await query<{ content: Buffer }>(`${CHUNKS_FROM} ORDER BY byte_offset`, [namespace, runId, jobId, 0]);
      return rows.length ? Buffer.concat(rows.map((r) => r.content)) : undefined;
    },

    async readLogFrom(namespace, runId, jobId, offset) {
      // One statement, one snapshot: the size, the attempt and the bytes agree.
      const rows = await query<{ attempts: number; log_bytes: string; content: Buffer | null }>(
        `SELECT j.attempts, j.log_bytes, c.content FROM jobs j
         LEFT JOIN LATERAL (${CHUNKS_FROM} AND $4::bigint < j.log_bytes) c ON true
         WHERE j.namespace = $1 AND j.run_id = $2 AND j.job_id = $3 ORDER BY c.byte_offset`,
        [namespace, runId, jobId, offset],
      );
      if (rows.length === 0) {
        const run = await query("SELECT 1 FROM runs WHERE namespace = $1 AND run_id = $2", [namespace, runId]);
        return { notFound: run.length ? "job" : "run" };
      }
      const content = Buffer.concat(rows.flatMap((r) => (r.content ? [r.content] : [])));
      return { content, size: Number(rows[0].log_bytes), attempt: Number(rows[0].attempts) };
    },

    async recordNamespace({ id, slug, lastSeenAt }) {
      await query(
        `INSERT INTO namespaces (namespace_id, namespace_slug, last_seen_at) VALUES ($1, $2, $3)
         ON CONFLICT (namespace_id) DO UPDATE SET namespace_slug = excluded.namespace_slug, last_seen_at = excluded.last_seen_at`,
        [id, slug, lastSeenAt],
      );
    },
    async namespaceById(id) {
      const rows = await query<NamespaceRow>("SELECT namespace_id, namespace_slug, last_seen_at FROM namespaces WHERE namespace_id = $1", [id]);
      return rows[0] ? namespaceFromRow(rows[0]) : undefined;
    },
    async namespacesBySlug(slug) {
      const rows = await query<NamespaceRow>("SELECT namespace_id, namespace_slug, last_seen_at FROM namespaces WHERE lower(namespace_slug) = lower($1) ORDER BY last_seen_at DESC", [slug]);
      return rows.map(namespaceFromRow);
    },

    async insertToken(token) {
      await query("INSERT INTO tokens (id, token_hash, namespace, description, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)", [
        token.id, token.hash, token.namespace, token.description, token.createdAt, token.revokedAt,
      ]);
    },
    async findTokenByHash(hash) {
      const rows = await query<TokenRowPg>("SELECT id, namespace, description, created_at, revoked_at FROM tokens WHERE token_hash = $1", [hash]);
      return rows[0] ? tokenFromRow(rows[0]) : undefined;
    },
    async revokeToken(id, at) {
      const res = await pool.query("UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id", [id, at]);
      return res.rows.length > 0;
    },
    async listTokens() {
      return (await query<TokenRowPg>("SELECT id, namespace, description, created_at, revoked_at FROM tokens ORDER BY created_at")).map(tokenFromRow);
    },

    onRunChanged(fn) {
      events.on("changed", fn);
      return () => events.off("changed", fn);
    },
    async close() {
      closed = true;
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };

  async function query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await pool.query<R>(text, values)).rows;
  }
  return store;
}

interface TokenRowPg {
  id: string;
  namespace: string;
  description: string | null;
  created_at: string;
  revoked_at: string | null;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** How the store's sessions connect, and whether each turns JIT off once connected. */
interface SessionConfig {
  connection: { connectionString: string; options: string | undefined };
  jitOff: boolean;
}

/**
 * The URL without `schema` and `options`, with startup options carrying only the URL's own `options` (the last one,
 * as libpq reads it) or, when the URL has no `options` at all, PGOPTIONS: an empty `?options=` is no options, as
 * libpq reads it, so PGOPTIONS is then ignored as it is for a non-empty one. Neither the schema nor JIT travels as a
 * startup option: poolers (PgBouncer) refuse startup parameters they do not know, so each session is prepared once
 * open (`SET search_path`, and `turnJitOff` unless the options sent set `jit` themselves).
 */
function sessionConfig(url: string, schema: string | undefined): SessionConfig {
  const u = new URL(url);
  const fromUrl = u.searchParams.getAll("options").at(-1);
  const given = fromUrl ?? process.env.PGOPTIONS;
  if (schema && given && /(?:^|\s)(?:-c\s*|--)search[-_]path=/i.test(given)) {
    const source = fromUrl !== undefined ? "the URL's ?options=" : "PGOPTIONS";
    throw new OrunError(`PostgreSQL ?schema=${schema} and a search_path in ${source} ("${printable(given)}") both choose the schema: keep one of them`);
  }
  u.searchParams.delete("schema");
  u.searchParams.delete("options");
  return { connection: { connectionString: u.toString(), options: given || undefined }, jitOff: !/(?:^|\s)(?:-c\s*|--)jit=/i.test(given ?? "") };
}

/**
 * A client that sends the startup options sessionConfig chose, and only those: node-postgres reads PGOPTIONS
 * whenever its `options` is empty, which sent PGOPTIONS for a URL whose empty `?options=` had said none.
 */
class ClientWithOwnOptions extends pg.Client {
  constructor(config: SessionConfig["connection"]) {
    super(config);
    (this as unknown as { connectionParameters: { options?: string } }).connectionParameters.options = config.options;
  }
}

/**
 * Sessions run with JIT off: the backend's queries are short OLTP reads and writes, and JIT compiled a promotion
 * gate's evidence query at a revision of 500 runs for ~100 ms when it ran in ~2 ms. A server without the setting
 * (PostgreSQL before 11, some compatible servers) refuses it as unrecognized; that alone is ignored.
 */
async function turnJitOff(client: pg.ClientBase): Promise<void> {
  try {
    await client.query("SET jit = off");
  } catch (err) {
    const { code, message } = err as { code?: string; message?: string };
    if (code !== "42704" && !/unrecognized configuration parameter/i.test(message ?? "")) throw err;
  }
}
