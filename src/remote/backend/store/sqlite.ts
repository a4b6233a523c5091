// Embedded default store: one SQLite file (WAL) through better-sqlite3.
// better-sqlite3 is synchronous, so a mutation is one `BEGIN IMMEDIATE`
// transaction with no await inside: atomic against this process's other
// requests and, through SQLite's write lock, against other processes.
import { EventEmitter } from "node:events";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { nextRunRecord, pendingUpstream, type JobRecord, type Mutation, type MutationScope, type RunState } from "../coordinator.js";
import type { JobStatus } from "../../protocol.js";
import { EVIDENCE_SQL, EXPIRED_RUN, EXPIRING_JOBS_SQL, HAS_RELEASED_SQL, KEEP_EVIDENCE_SQL, KEPT_EVIDENCE_SQL, MIGRATIONS, PRUNE_EVIDENCE_SQL, MIGRATIONS_TABLE, MARK_FOLLOWED_SQL, RECORD_ACTIVITY_SQL, REOPEN_RUN_SQL, RETRY_WAITS_SQL, STOP_RUN_SQL, TALLY_SQL, WITHHELD_SQL, checkSchemaNotNewer, evidenceOf, type ExpiringJob } from "./migrations.js";
import { RUN_COLUMNS, RUN_STATE_COLUMNS, jobFromRow, namespaceFromRow, runFromRow, withheldFromRow, type JobRow, type NamespaceRow, type RunRow } from "./rows.js";
import { planAppend } from "./log-chunks.js";
import { planLogWrite, withFollowedAt, type LogWriteResult, type NewRun, type Store, type WithheldRow, type TokenRecord } from "./types.js";

export function openSqliteStore(file: string): Store {
  if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 10000");
  const events = new EventEmitter();
  events.setMaxListeners(0);

  const selectRun = () => db.prepare<[string, string], RunRow>(`SELECT ${RUN_STATE_COLUMNS} FROM runs WHERE namespace = ? AND run_id = ?`);
  const selectJobs = () => db.prepare<[string, string], JobRow>(`SELECT j.* FROM jobs j WHERE j.namespace = ? AND j.run_id = ? ORDER BY j.position`);
  let stmts: ReturnType<typeof prepare> | undefined;
  const prepare = () => ({
    run: selectRun(),
    jobs: selectJobs(),
    updateJob: db.prepare(
      `UPDATE jobs SET status = @status, runner_id = @runnerId, started_at = @startedAt, finished_at = @finishedAt, heartbeat_at = @heartbeatAt, last_error = @lastError, attempts = @attempts,
         ci_run_id = @ciRunId, run_attempt = @runAttempt, retries = @retries, no_evidence = @noEvidence,
         no_evidence_cause = @noEvidenceCause, no_evidence_reason = @noEvidenceReason, lease_hash = @leaseHash, claim_key_hash = @claimKeyHash
       WHERE namespace = @namespace AND run_id = @runId AND job_id = @jobId`,
    ),
    updateRun: db.prepare(`UPDATE runs SET status = @status, updated_at = @updatedAt, finished_at = @finishedAt WHERE namespace = @namespace AND run_id = @runId`),
    jobsById: db.prepare<[string, string, string], JobRow>(
      `SELECT j.* FROM jobs j WHERE j.namespace = ? AND j.run_id = ? AND j.job_id IN (SELECT value FROM json_each(?)) ORDER BY j.position`,
    ),
    jobsByStatus: db.prepare<[string, string, string], JobRow>(`SELECT j.* FROM jobs j WHERE j.namespace = ? AND j.run_id = ? AND j.status = ? ORDER BY j.position`),
    runFollowed: db.prepare<[string, string], { followed_at: string | null }>("SELECT followed_at FROM runs WHERE namespace = ? AND run_id = ?"),
    logTarget: db.prepare<[string, string, string], { status: JobStatus; runner_id: string | null; log_bytes: number; lease_hash: string | null; attempts: number }>(
      "SELECT status, runner_id, log_bytes, lease_hash, attempts FROM jobs WHERE namespace = ? AND run_id = ? AND job_id = ?",
    ),
    clearLog: db.prepare<[string, string, string]>("DELETE FROM log_chunks WHERE namespace = ? AND run_id = ? AND job_id = ?"),
    insertChunk: db.prepare<[string, string, string, number, Buffer]>("INSERT INTO log_chunks (namespace, run_id, job_id, byte_offset, content) VALUES (?, ?, ?, ?, ?)"),
    // `||` yields TEXT in SQLite; the bytes are kept as they are and cast back to BLOB.
    extendChunk: db.prepare<[Buffer, string, string, string, number]>(
      "UPDATE log_chunks SET content = CAST(content || ? AS BLOB) WHERE namespace = ? AND run_id = ? AND job_id = ? AND byte_offset = ?",
    ),
    tailChunk: db.prepare<[string, string, string], { start: number | null }>("SELECT max(byte_offset) AS start FROM log_chunks WHERE namespace = ? AND run_id = ? AND job_id = ?"),
    setLogBytes: db.prepare<[number, string, string, string]>("UPDATE jobs SET log_bytes = ? WHERE namespace = ? AND run_id = ? AND job_id = ?"),
    logState: db.prepare<[string, string, string], { attempts: number; log_bytes: number }>("SELECT attempts, log_bytes FROM jobs WHERE namespace = ? AND run_id = ? AND job_id = ?"),
    // From the chunk holding byte @from (the last one starting at or before it) on, the first cut at @from.
    chunksFrom: db.prepare<{ ns: string; run: string; job: string; from: number }, { content: Buffer }>(
      `SELECT CASE WHEN byte_offset < @from THEN substr(content, @from - byte_offset + 1) ELSE content END AS content
       FROM log_chunks WHERE namespace = @ns AND run_id = @run AND job_id = @job
         AND byte_offset >= coalesce((SELECT max(byte_offset) FROM log_chunks WHERE namespace = @ns AND run_id = @run AND job_id = @job AND byte_offset <= @from), 0)
       ORDER BY byte_offset`,
    ),
    clearLogBytes: db.prepare<[string, string, string]>("UPDATE jobs SET log_bytes = 0 WHERE namespace = ? AND run_id = ? AND job_id = ?"),
    hasReleased: db.prepare<[string, string], { one: number }>(positional(HAS_RELEASED_SQL)),
    tally: db.prepare<{ ns: string; run: string }, { unfinished: number; failed: number }>(TALLY_SQL.replace(/\$1/g, "@ns").replace(/\$2/g, "@run")),
  });
  const s = () => (stmts ??= prepare());

  const load = (namespace: string, runId: string): RunState | undefined => {
    const row = s().run.get(namespace, runId);
    if (!row) return undefined;
    return { run: runFromRow(row), jobs: s().jobs.all(namespace, runId).map(jobFromRow) };
  };

  const loadScope = (namespace: string, runId: string, scope: MutationScope): JobRecord[] => {
    if (scope === "all") return s().jobs.all(namespace, runId).map(jobFromRow);
    if ("status" in scope) return s().jobsByStatus.all(namespace, runId, scope.status).map(jobFromRow);
    const jobs = s().jobsById.all(namespace, runId, JSON.stringify(scope.jobIds)).map(jobFromRow);
    if (!scope.deps) return jobs;
    const have = new Set(jobs.map((j) => j.jobId));
    const deps = [...new Set(jobs.flatMap((j) => j.deps))].filter((d) => !have.has(d));
    const loaded = deps.length ? [...jobs, ...s().jobsById.all(namespace, runId, JSON.stringify(deps)).map(jobFromRow)] : jobs;
    if (!scope.upstream || !s().hasReleased.get(namespace, runId)) return loaded;
    // One query per level, through pending dependencies only.
    let level = loaded.filter((j) => !have.has(j.jobId));
    for (const job of loaded) have.add(job.jobId);
    for (let ids = pendingUpstream(level, have); ids.length > 0; ids = pendingUpstream(level, have)) {
      level = s().jobsById.all(namespace, runId, JSON.stringify(ids)).map(jobFromRow);
      for (const job of level) have.add(job.jobId);
      for (const id of ids) have.add(id);
      loaded.push(...level);
    }
    return loaded;
  };

  const store: Store = {
    kind: "sqlite",
    async migrate() {
      db.exec(MIGRATIONS_TABLE);
      db.transaction(() => {
        const applied = new Set(db.prepare<[], { version: number }>("SELECT version FROM schema_migrations").all().map((r) => r.version));
        checkSchemaNotNewer(applied);
        for (const m of MIGRATIONS) {
          if (applied.has(m.version)) continue;
          db.exec(m.sqlite);
          db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, new Date().toISOString());
        }
      }).immediate();
    },

    async createRun({ run, jobs, planJson }: NewRun) {
      const result = db.transaction(() => {
        const existing = s().run.get(run.namespace, run.runId);
        if (existing) return { created: false as const, existing: runFromRow(existing) };
        db.prepare(`INSERT INTO runs (${RUN_COLUMNS}, plan_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
          run.namespace, run.runId, run.status, run.planChecksum, run.triggerType, run.actor, run.dryRun ? 1 : 0, run.createdAt, run.updatedAt, run.finishedAt, run.revision, run.failFast ? 1 : 0, run.stoppedReason ?? null, planJson,
        );
        const insert = db.prepare(`INSERT INTO jobs (namespace, run_id, job_id, position, component, deps, status, attempts, steps) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)`);
        for (const job of jobs) insert.run(run.namespace, run.runId, job.jobId, job.position, job.component, JSON.stringify(job.deps), job.status, job.steps ? JSON.stringify(job.steps) : null);
        return { created: true as const };
      }).immediate();
      if (result.created) events.emit("changed", run.namespace, run.runId);
      return result;
    },

    async getRun(namespace, runId, scope) {
      if (scope === undefined) return load(namespace, runId);
      // One read transaction: the run and its jobs from one snapshot.
      return db.transaction(() => {
        const row = s().run.get(namespace, runId);
        return row ? { run: runFromRow(row), jobs: loadScope(namespace, runId, scope) } : undefined;
      })();
    },

    async enableFailFast(namespace, runId) {
      db.prepare("UPDATE runs SET fail_fast = 1 WHERE namespace = ? AND run_id = ?").run(namespace, runId);
    },

    async mutateRun<T>(namespace: string, runId: string, scope: MutationScope, fn: (state: RunState) => Mutation<T>) {
      const outcome = db.transaction(() => {
        const row = s().run.get(namespace, runId);
        if (!row) return undefined;
        const run = runFromRow(row);
        const mutation = fn({ run, jobs: loadScope(namespace, runId, scope) });
        for (const job of mutation.changedJobs) s().updateJob.run(jobParams(namespace, runId, job));
        if (mutation.stopRun) db.prepare(positional(STOP_RUN_SQL)).run(mutation.stopRun, namespace, runId);
        if (mutation.reopenRun) db.prepare(positional(REOPEN_RUN_SQL)).run(namespace, runId);
        if (mutation.retryWaits) db.prepare(positional(RETRY_WAITS_SQL)).run(JSON.stringify(mutation.retryWaits), namespace, runId);
        for (const jobId of mutation.clearLogs ?? []) {
          s().clearLog.run(namespace, runId, jobId);
          s().clearLogBytes.run(namespace, runId, jobId);
        }
        if (mutation.changedJobs.length > 0) {
          const tally = s().tally.get({ ns: namespace, run: runId });
          const next = nextRunRecord(run, { unfinished: Boolean(tally?.unfinished), failed: Boolean(tally?.failed) }, new Date());
          s().updateRun.run({ namespace, runId, status: next.status, updatedAt: next.updatedAt, finishedAt: next.finishedAt });
        }
        return mutation;
      }).immediate();
      if (!outcome) return undefined;
      if (outcome.changedJobs.length > 0) events.emit("changed", namespace, runId, outcome.changedJobs.map((j) => j.jobId));
      return outcome.result;
    },

    async runsWithStaleLeases(before) {
      return db
        .prepare<[string], { namespace: string; run_id: string }>("SELECT DISTINCT namespace, run_id FROM jobs WHERE status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < ?)")
        .all(before)
        .map((r) => ({ namespace: r.namespace, runId: r.run_id }));
    },

    async deleteRunsUpdatedBefore(before) {
      return db.transaction(() => {
        // Their promotion-gate evidence stays (see migration 7).
        // The cut-off is used more than once: bound by name.
        const named = (text: string) => text.replace(/\$1\b/g, "@before");
        const keep = db.prepare(positional(KEEP_EVIDENCE_SQL));
        for (const row of evidenceOf(db.prepare<[{ before: string }], ExpiringJob>(named(EXPIRING_JOBS_SQL)).all({ before }))) keep.run(...row);
        // The same runs for each statement: the write transaction keeps other writers out.
        const where = `SELECT namespace, run_id FROM runs r WHERE ${named(EXPIRED_RUN)}`;
        db.prepare(`DELETE FROM log_chunks WHERE (namespace, run_id) IN (${where})`).run({ before });
        db.prepare(`DELETE FROM jobs WHERE (namespace, run_id) IN (${where})`).run({ before });
        return db.prepare(`DELETE FROM runs WHERE (namespace, run_id) IN (${where})`).run({ before }).changes;
      }).immediate();
    },

    async recordActivity(namespace, runId, at, staleBefore) {
      db.prepare(positional(RECORD_ACTIVITY_SQL)).run(at, namespace, runId, staleBefore);
    },

    async markFollowed(namespace, runId, at, staleBefore) {
      db.prepare(positional(MARK_FOLLOWED_SQL)).run(at, namespace, runId, staleBefore);
    },

    async componentSucceededAt(namespace, revision, component, environment) {
      const prefix = `${component}@${environment}.`;
      const params: unknown[] = [namespace, revision, prefix, prefix.length, prefix, prefix.length];
      const row = db.prepare<unknown[], { run_id: string }>(positional(EVIDENCE_SQL)).get(...inTextOrder(EVIDENCE_SQL, params));
      if (row) return { runId: row.run_id };
      // From a run retention has deleted.
      const kept = db.prepare<unknown[], { run_id: string; recorded_at: string }>(positional(KEPT_EVIDENCE_SQL)).get(namespace, revision, component, environment);
      if (kept) return { deletedRunId: kept.run_id, recordedAt: kept.recorded_at };
      const withheld = db.prepare<unknown[], WithheldRow>(positional(WITHHELD_SQL)).get(...inTextOrder(WITHHELD_SQL, params));
      return withheld && withheldFromRow(withheld);
    },

    async pruneEvidenceBefore(before) {
      return db.prepare(positional(PRUNE_EVIDENCE_SQL)).run(before).changes;
    },

    async writeLog(namespace, runId, jobId, content, options) {
      // The size comes from jobs.log_bytes (kept by every write), never from measuring the log.
      return db.transaction((): LogWriteResult => {
        // Inside the write transaction: no claim (takeover) can land between the ownership check and the write.
        const run = s().runFollowed.get(namespace, runId);
        if (!run) return { notFound: "run" };
        const job = s().logTarget.get(namespace, runId, jobId);
        const plan = planLogWrite(job && { status: job.status, runnerId: job.runner_id, logBytes: job.log_bytes, leaseHash: job.lease_hash, attempts: job.attempts }, content.length, options);
        if (!plan.write && plan.repeatOf !== undefined) {
          const stored = Buffer.concat(s().chunksFrom.all({ ns: namespace, run: runId, job: jobId, from: plan.repeatOf }).map((c) => c.content));
          return stored.equals(content) ? withFollowedAt(plan.result, run.followed_at) : { conflict: true, bytes: Number(job!.log_bytes) };
        }
        if (!plan.write) return withFollowedAt(plan.result, run.followed_at);
        const { bytes } = plan;
        if (options.mode === "replace") s().clearLog.run(namespace, runId, jobId);
        const last = options.mode === "append" ? s().tailChunk.get(namespace, runId, jobId)?.start : null;
        for (const w of planAppend(last == null ? undefined : { start: Number(last) }, bytes - content.length, content)) {
          if (w.op === "insert") s().insertChunk.run(namespace, runId, jobId, w.start, w.content);
          else s().extendChunk.run(w.content, namespace, runId, jobId, w.start);
        }
        s().setLogBytes.run(bytes, namespace, runId, jobId);
        return withFollowedAt({ bytes }, run.followed_at);
      }).immediate();
    },

    async readLog(namespace, runId, jobId) {
      const chunks = s().chunksFrom.all({ ns: namespace, run: runId, job: jobId, from: 0 });
      return chunks.length ? Buffer.concat(chunks.map((c) => c.content)) : undefined;
    },

    async readLogFrom(namespace, runId, jobId, offset) {
      // One read transaction: the size, the attempt and the bytes come from the same snapshot.
      return db.transaction(() => {
        const job = s().logState.get(namespace, runId, jobId);
        if (!job) return { notFound: s().run.get(namespace, runId) ? ("job" as const) : ("run" as const) };
        const size = Number(job.log_bytes);
        const chunks = offset < size ? s().chunksFrom.all({ ns: namespace, run: runId, job: jobId, from: offset }) : [];
        return { content: Buffer.concat(chunks.map((c) => c.content)), size, attempt: Number(job.attempts) };
      })();
    },

    async recordNamespace({ id, slug, lastSeenAt }) {
      db.prepare(
        `INSERT INTO namespaces (namespace_id, namespace_slug, last_seen_at) VALUES (?, ?, ?)
         ON CONFLICT (namespace_id) DO UPDATE SET namespace_slug = excluded.namespace_slug, last_seen_at = excluded.last_seen_at`,
      ).run(id, slug, lastSeenAt);
    },
    async namespaceById(id) {
      const row = db.prepare<[string], NamespaceRow>("SELECT namespace_id, namespace_slug, last_seen_at FROM namespaces WHERE namespace_id = ?").get(id);
      return row ? namespaceFromRow(row) : undefined;
    },
    async namespacesBySlug(slug) {
      return db
        .prepare<[string], NamespaceRow>("SELECT namespace_id, namespace_slug, last_seen_at FROM namespaces WHERE lower(namespace_slug) = lower(?) ORDER BY last_seen_at DESC")
        .all(slug)
        .map(namespaceFromRow);
    },

    async insertToken(token) {
      db.prepare("INSERT INTO tokens (id, token_hash, namespace, description, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)").run(
        token.id, token.hash, token.namespace, token.description, token.createdAt, token.revokedAt,
      );
    },
    async findTokenByHash(hash) {
      const row = db.prepare<[string], TokenRow>("SELECT id, namespace, description, created_at, revoked_at FROM tokens WHERE token_hash = ?").get(hash);
      return row ? tokenFromRow(row) : undefined;
    },
    async revokeToken(id, at) {
      return db.prepare("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(at, id).changes > 0;
    },
    async listTokens() {
      return db.prepare<[], TokenRow>("SELECT id, namespace, description, created_at, revoked_at FROM tokens ORDER BY created_at").all().map(tokenFromRow);
    },

    onRunChanged(listener) {
      events.on("changed", listener);
      return () => events.off("changed", listener);
    },
    async close() {
      db.close();
    },
  };
  return store;
}

export function jobParams(namespace: string, runId: string, job: JobRecord) {
  const { jobId, status, runnerId, startedAt, finishedAt, heartbeatAt, lastError, attempts } = job;
  return {
    namespace,
    runId,
    jobId,
    status,
    runnerId,
    startedAt,
    finishedAt,
    heartbeatAt,
    lastError,
    attempts,
    ciRunId: job.ciRunId ?? null,
    runAttempt: job.runAttempt ?? null,
    retries: job.retries ?? 0,
    // 0/1: SQLite binds no booleans (the PostgreSQL store passes a boolean).
    noEvidence: job.noEvidence ? 1 : 0,
    noEvidenceCause: job.noEvidence ? (job.noEvidenceCause ?? null) : null,
    noEvidenceReason: job.noEvidence ? (job.noEvidenceReason ?? null) : null,
    leaseHash: job.leaseHash ?? null,
    claimKeyHash: job.claimKeyHash ?? null,
  };
}

interface TokenRow {
  id: string;
  namespace: string;
  description: string | null;
  created_at: string;
  revoked_at: string | null;
}

export function tokenFromRow(row: TokenRow): TokenRecord {
  return { id: row.id, namespace: row.namespace, description: row.description, createdAt: row.created_at, revokedAt: row.revoked_at };
}

/** SQL written with PostgreSQL's $1…$N, each used once and in order, for SQLite's `?`. */
function positional(text: string): string {
  return text.replace(/\$\d+/g, "?");
}

/** `params` ($1, $2, … of a query written with PostgreSQL's $N) in the order SQLite binds its `?`: the text's. */
function inTextOrder(text: string, params: readonly unknown[]): unknown[] {
  return [...text.matchAll(/\$(\d+)/g)].map((m) => params[Number(m[1]) - 1]);
}
