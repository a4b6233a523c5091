// Versioned schema migrations, applied in order on start by both stores and
// recorded in `schema_migrations`. Never edit a released migration: append a
// new version. Timestamps are ISO-8601 text in both dialects (they sort).
import { canonicalJobId, parseJobId } from "../../../model/plan.js";

/** Runs one statement (`$N` parameters) inside the migration's transaction, returning its rows. */
export type MigrationQuery = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  /** SQL run on PostgreSQL; empty when the migration is done in code only (postgresCode). */
  postgres: string;
  /** Work done in code on PostgreSQL after its SQL, in the same transaction: for what SQL cannot do safely there. */
  postgresCode?: (query: MigrationQuery) => Promise<void>;
}

const TABLES = (blob: string, bool: string) => `
CREATE TABLE runs (
  namespace     TEXT NOT NULL,
  run_id        TEXT NOT NULL,
  status        TEXT NOT NULL,
  plan_checksum TEXT NOT NULL,
  plan_json     TEXT NOT NULL,
  trigger_type  TEXT NOT NULL,
  actor         TEXT,
  dry_run       ${bool} NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  finished_at   TEXT,
  PRIMARY KEY (namespace, run_id)
);
CREATE INDEX runs_updated_at ON runs (updated_at);
CREATE TABLE jobs (
  namespace    TEXT NOT NULL,
  run_id       TEXT NOT NULL,
  job_id       TEXT NOT NULL,
  position     INTEGER NOT NULL,
  component    TEXT NOT NULL,
  deps         TEXT NOT NULL,
  status       TEXT NOT NULL,
  runner_id    TEXT,
  started_at   TEXT,
  finished_at  TEXT,
  heartbeat_at TEXT,
  last_error   TEXT,
  attempts     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (namespace, run_id, job_id)
);
CREATE INDEX jobs_running_heartbeat ON jobs (status, heartbeat_at);
CREATE TABLE logs (
  namespace  TEXT NOT NULL,
  run_id     TEXT NOT NULL,
  job_id     TEXT NOT NULL,
  content    ${blob} NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (namespace, run_id, job_id)
);
CREATE TABLE tokens (
  id          TEXT PRIMARY KEY,
  token_hash  TEXT NOT NULL UNIQUE,
  namespace   TEXT NOT NULL,
  description TEXT,
  created_at  TEXT NOT NULL,
  revoked_at  TEXT
);
`;

const REVISION = `
ALTER TABLE runs ADD COLUMN revision TEXT;
CREATE INDEX runs_revision ON runs (namespace, revision);
`;

const JOBS_BY_STATUS = `CREATE INDEX jobs_run_status ON jobs (namespace, run_id, status);`;

// Namespaces are keyed by the immutable GitHub repository ID (spec 40 §3.2); the
// name is display only and follows renames. Rows written before this migration
// keep their name-keyed namespace: numeric IDs and `local:` names never collide
// with it, so those runs stay with the tokens that created them.
const NAMESPACES = `
CREATE TABLE namespaces (
  namespace_id   TEXT PRIMARY KEY,
  namespace_slug TEXT NOT NULL,
  last_seen_at   TEXT NOT NULL
);
CREATE INDEX namespaces_slug ON namespaces (lower(namespace_slug));
`;

// Each job's log size in bytes, maintained by every log write: run reads,
// appends and long-poll re-checks read it instead of measuring every log
// (which loaded every log in full). Backfilled from the logs stored so far.
const LOG_BYTES = (type: string, backfill: string) => `
ALTER TABLE jobs ADD COLUMN log_bytes ${type} NOT NULL DEFAULT 0;
${backfill};
`;
const LOG_BYTES_SQLITE = LOG_BYTES(
  "INTEGER",
  `UPDATE jobs SET log_bytes = (SELECT length(CAST(l.content AS BLOB)) FROM logs l WHERE l.namespace = jobs.namespace AND l.run_id = jobs.run_id AND l.job_id = jobs.job_id)
   WHERE EXISTS (SELECT 1 FROM logs l WHERE l.namespace = jobs.namespace AND l.run_id = jobs.run_id AND l.job_id = jobs.job_id)`,
);
const LOG_BYTES_POSTGRES = LOG_BYTES(
  "BIGINT",
  "UPDATE jobs j SET log_bytes = octet_length(l.content) FROM logs l WHERE l.namespace = j.namespace AND l.run_id = j.run_id AND l.job_id = j.job_id",
);

// Logs as append-only chunks keyed by the byte offset they start at: an append
// adds (or, while the last chunk is small, extends) one bounded row instead of
// rewriting the job's whole log, and a read from offset N seeks to the chunk
// holding N. Each stored log becomes the chunk at offset 0, byte for byte
// (empty ones too: an empty log still reads as 200 with no bytes).
const LOG_CHUNKS = (blob: string, offset: string, length: string) => `
CREATE TABLE log_chunks (
  namespace   TEXT NOT NULL,
  run_id      TEXT NOT NULL,
  job_id      TEXT NOT NULL,
  byte_offset ${offset} NOT NULL,
  content     ${blob} NOT NULL,
  PRIMARY KEY (namespace, run_id, job_id, byte_offset)
);
INSERT INTO log_chunks (namespace, run_id, job_id, byte_offset, content) SELECT namespace, run_id, job_id, 0, ${length} FROM logs;
DROP TABLE logs;
`;

// Promotion-gate evidence outlives its run: retention deletes idle runs, and a promotion may come days later.
// One row per component and environment that fully succeeded at a revision (the latest such run).
const EVIDENCE = `
CREATE TABLE evidence (
  namespace   TEXT NOT NULL,
  revision    TEXT NOT NULL,
  component   TEXT NOT NULL,
  environment TEXT NOT NULL,
  run_id      TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (namespace, revision, component, environment)
);
`;

// Kept evidence is bounded: rows older than --evidence-retention are pruned by age (recorded_at, the run's last change).
const EVIDENCE_BY_AGE = `CREATE INDEX evidence_recorded_at ON evidence (recorded_at);`;

// Jobs released by the sweeper and not claimed since (pending after an attempt): a claim that waits looks
// for such a job upstream only when the run has one, which this partial index answers in one seek.
const RELEASED_JOBS = `CREATE INDEX jobs_released ON jobs (namespace, run_id) WHERE status = 'pending' AND attempts > 0;`;

// The plan's failFast, sent by the runner that creates the run: a job failing in such a run stops it —
// every job not started yet is skipped, so no runner starts another (runs before it never stop).
const FAIL_FAST = (bool: string, no: string) => `ALTER TABLE runs ADD COLUMN fail_fast ${bool} NOT NULL DEFAULT ${no};`;

// Why a failFast run stopped (`fail-fast after <job> failed`), set once by the failure that stopped it: from then
// on no job starts in it — a job released by the sweeper is not handed to another runner either.
const STOPPED_REASON = `ALTER TABLE runs ADD COLUMN stopped_reason TEXT;`;

// When a runner last asked about the run (a claim, a long-poll for its job): runners waiting for a dependency
// change nothing in the run, yet it is in use — retention judges a run idle by this as well as by updated_at.
const ACTIVE_AT = `ALTER TABLE runs ADD COLUMN active_at TEXT;`;

// Runs still going that a backend from before migration 10 registered for runners that already sent the plan's
// failFast (the plan JSON kept it; the backend ignored it): they stop across runners too.
const FAIL_FAST_FROM_PLAN = (condition: string, yes: string) =>
  `UPDATE runs SET fail_fast = ${yes} WHERE status = 'running' AND stopped_reason IS NULL AND ${condition};`;

/**
 * FAIL_FAST_FROM_PLAN on PostgreSQL, in code: plan_json::jsonb refuses a NUL (\u0000) or a lone surrogate,
 * which a plan's step commands may hold (the backend keeps them as sent), and one such row failed the whole
 * migration — no replica started. JSON.parse reads them; a row that is not JSON at all is left as it is.
 */
async function failFastFromPlanPostgres(query: MigrationQuery): Promise<void> {
  const candidates = await query(
    `SELECT namespace, run_id, plan_json FROM runs WHERE status = 'running' AND stopped_reason IS NULL AND NOT fail_fast AND strpos(plan_json, '"failFast"') > 0`,
  );
  const failFast = candidates.filter((row) => {
    try {
      const plan: unknown = JSON.parse(String(row.plan_json));
      return typeof plan === "object" && plan !== null && (plan as { failFast?: unknown }).failFast === true;
    } catch {
      return false;
    }
  });
  if (failFast.length === 0) return;
  await query(
    `UPDATE runs r SET fail_fast = true FROM unnest($1::text[], $2::text[]) AS k(namespace, run_id) WHERE r.namespace = k.namespace AND r.run_id = k.run_id`,
    [failFast.map((row) => row.namespace), failFast.map((row) => row.run_id)],
  );
}

// The keys of each job's log sections in run order (a JSON array, as the plan payload's stepKeys): readers of a
// job's log take `=== <key> ===` for a header only when it names a step after the current one, so a step printing
// such a line is not split off. Runs registered before (or by v2 runners) have none: readers judge as before.
const JOB_STEPS = `ALTER TABLE jobs ADD COLUMN steps TEXT;`;

// When someone last followed the run's logs (a ranged read), kept in the store so that every replica's append
// answers say so: a follower on one replica speeds up the uploads of a runner talking to another.
const FOLLOWED_AT = `ALTER TABLE runs ADD COLUMN followed_at TEXT;`;

// The CI workflow run attempt a job's state belongs to (coordinator JobRecord.runAttempt): a later attempt of the
// same workflow run (GitHub's "Re-run failed jobs") may claim a job an earlier one failed.
const RUN_ATTEMPT = `
ALTER TABLE jobs ADD COLUMN ci_run_id TEXT;
ALTER TABLE jobs ADD COLUMN run_attempt INTEGER;
`;

// How many times a failed job was reopened in its run (coordinator JobRecord.retries), kept apart from the
// workflow attempt: a `--retry` without OIDC must not take up GitHub's attempt numbers.
const RETRIES = `ALTER TABLE jobs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;`;

// A later workflow attempt's wait for the retry of a failed job (coordinator RunRecord.retryWaits: JSON, by failed
// job): the attempt and its first claim's time, so every job behind one failure, on any leg and replica, waits one
// grace.
const RETRY_WAITS = `ALTER TABLE runs ADD COLUMN retry_waits TEXT;`;

// A job whose last result a runner reported from other code than the run's revision (coordinator JobRecord.noEvidence):
// a retry after a fix. Its success is no promotion evidence for the run (EVIDENCE_SQL, evidenceOf).
const NO_EVIDENCE = (bool: string, no: string) => `ALTER TABLE jobs ADD COLUMN no_evidence ${bool} NOT NULL DEFAULT ${no};`;

// Why a job's result is no evidence (coordinator JobRecord.noEvidenceCause/noEvidenceReason): `other-code` (the runner
// ran another revision), `other-checkout` (none: moved on, edits), `oidc-commit` (its OIDC token does not vouch for
// the revision) or `other-code-and-oidc-commit` (protocol NO_EVIDENCE_CAUSES), and the reason in
// words, bounded and printable ASCII. Jobs marked no_evidence before keep NULL: their cause was not recorded.
const NO_EVIDENCE_REASON = `
ALTER TABLE jobs ADD COLUMN no_evidence_cause TEXT;
ALTER TABLE jobs ADD COLUMN no_evidence_reason TEXT;
`;

/** SHA-256 (hex) of the lease secret and of the claim key a job's holder claimed it with; NULL: claimed without (older runners). */
const LEASE_HASH = `
ALTER TABLE jobs ADD COLUMN lease_hash TEXT;
ALTER TABLE jobs ADD COLUMN claim_key_hash TEXT;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "runs, jobs, logs and tokens", sqlite: TABLES("BLOB", "INTEGER"), postgres: TABLES("BYTEA", "BOOLEAN") },
  { version: 2, name: "runs.revision: promotion-gate evidence by source revision", sqlite: REVISION, postgres: REVISION },
  { version: 3, name: "jobs by run and status: O(log n) run-status tally", sqlite: JOBS_BY_STATUS, postgres: JOBS_BY_STATUS },
  { version: 4, name: "namespaces: repository ID → latest repository name", sqlite: NAMESPACES, postgres: NAMESPACES },
  { version: 5, name: "jobs.log_bytes: each log's size kept, not measured on every read", sqlite: LOG_BYTES_SQLITE, postgres: LOG_BYTES_POSTGRES },
  {
    version: 6,
    name: "log_chunks: logs appended chunk by chunk and read from an offset, not rewritten whole",
    sqlite: LOG_CHUNKS("BLOB", "INTEGER", "CAST(content AS BLOB)"),
    postgres: LOG_CHUNKS("BYTEA", "BIGINT", "content"),
  },
  { version: 7, name: "evidence: promotion-gate evidence kept when retention deletes its run", sqlite: EVIDENCE, postgres: EVIDENCE },
  { version: 8, name: "evidence by age: kept evidence pruned after the evidence retention", sqlite: EVIDENCE_BY_AGE, postgres: EVIDENCE_BY_AGE },
  { version: 9, name: "released jobs: a waiting claim names abandoned jobs upstream only when the run has some", sqlite: RELEASED_JOBS, postgres: RELEASED_JOBS },
  { version: 10, name: "runs.fail_fast: a failure stops the whole run across runners", sqlite: FAIL_FAST("INTEGER", "0"), postgres: FAIL_FAST("BOOLEAN", "false") },
  { version: 11, name: "runs.stopped_reason: a stopped run starts no job, nor hands one on", sqlite: STOPPED_REASON, postgres: STOPPED_REASON },
  { version: 12, name: "runs.active_at: runners waiting in a run keep it from retention", sqlite: ACTIVE_AT, postgres: ACTIVE_AT },
  {
    version: 13,
    name: "runs.fail_fast from the plan JSON of runs registered before migration 10",
    sqlite: FAIL_FAST_FROM_PLAN("fail_fast = 0 AND json_valid(plan_json) AND json_extract(plan_json, '$.failFast') = 1", "1"),
    postgres: "",
    postgresCode: failFastFromPlanPostgres,
  },
  { version: 14, name: "jobs.steps: log sections told from step output by the job's step order", sqlite: JOB_STEPS, postgres: JOB_STEPS },
  { version: 15, name: "runs.followed_at: a follower on one replica is seen by every replica", sqlite: FOLLOWED_AT, postgres: FOLLOWED_AT },
  { version: 16, name: "jobs.ci_run_id, jobs.run_attempt: a re-run attempt of a CI workflow run retries the jobs it failed", sqlite: RUN_ATTEMPT, postgres: RUN_ATTEMPT },
  { version: 17, name: "jobs.retries: the retries of a job in its run, apart from the workflow attempt", sqlite: RETRIES, postgres: RETRIES },
  { version: 18, name: "runs.retry_waits: a re-run attempt waits for a failed job's retry one grace, whatever its jobs behind it", sqlite: RETRY_WAITS, postgres: RETRY_WAITS },
  { version: 19, name: "jobs.no_evidence: a job run from other code than its run's revision is no promotion evidence", sqlite: NO_EVIDENCE("INTEGER", "0"), postgres: NO_EVIDENCE("BOOLEAN", "false") },
  { version: 20, name: "jobs.no_evidence_cause, jobs.no_evidence_reason: why a job's success is no promotion evidence", sqlite: NO_EVIDENCE_REASON, postgres: NO_EVIDENCE_REASON },
  { version: 21, name: "jobs.lease_hash, jobs.claim_key_hash: a job's holder proves it with its claim's lease secret, not its runner ID", sqlite: LEASE_HASH, postgres: LEASE_HASH },
];

/** Records that someone followed run $3 of namespace $2 at $1, unless a time after $4 already is (one write per while). */
export const MARK_FOLLOWED_SQL = `UPDATE runs SET followed_at = $1 WHERE namespace = $2 AND run_id = $3 AND (followed_at IS NULL OR followed_at < $4)`;

/**
 * Runs `r` that retention deletes, given $1, its cut-off: not updated since, and no runner has asked about
 * them since (active_at: runners waiting for a dependency change nothing) — unless a job of theirs is
 * running. A running job's runner is alive (the sweeper releases a silent one after its lease), and a lease
 * longer than the retention would let a run go between two heartbeats while its job runs.
 */
export const EXPIRED_RUN = `r.updated_at < $1 AND (r.active_at IS NULL OR r.active_at < $1) AND NOT EXISTS (SELECT 1 FROM jobs x WHERE x.namespace = r.namespace AND x.run_id = r.run_id AND x.status = 'running')`;

/** Records that a runner asked about run $3 of namespace $2 at $1, unless that was recorded after $4 already (one write per while). */
export const RECORD_ACTIVITY_SQL = `UPDATE runs SET active_at = $1 WHERE namespace = $2 AND run_id = $3 AND (active_at IS NULL OR active_at < $4)`;

/** Jobs of runs about to be deleted (EXPIRED_RUN), runs with a revision only. */
export const EXPIRING_JOBS_SQL = `
SELECT r.namespace, r.run_id, r.revision, r.updated_at, j.job_id, j.status, j.no_evidence FROM runs r
JOIN jobs j ON j.namespace = r.namespace AND j.run_id = r.run_id
WHERE ${EXPIRED_RUN} AND r.revision IS NOT NULL`;

/** Evidence kept from a deleted run: $1 namespace, $2 revision, $3 component, $4 environment. */
export const KEPT_EVIDENCE_SQL = `SELECT run_id, recorded_at FROM evidence WHERE namespace = $1 AND revision = $2 AND component = $3 AND environment = $4`;

/** Does run $2 of namespace $1 have a job released by the sweeper and not claimed since (see RELEASED_JOBS)? */
export const HAS_RELEASED_SQL = `SELECT 1 AS one FROM jobs WHERE namespace = $1 AND run_id = $2 AND status = 'pending' AND attempts > 0 LIMIT 1`;

/** Records why ($1) run $3 of namespace $2 stopped, unless it already had. */
export const STOP_RUN_SQL = `UPDATE runs SET stopped_reason = $1 WHERE namespace = $2 AND run_id = $3 AND stopped_reason IS NULL`;

/** Clears the stop of run $2 of namespace $1: a retry reopened it (Mutation.reopenRun). */
export const REOPEN_RUN_SQL = `UPDATE runs SET stopped_reason = NULL WHERE namespace = $1 AND run_id = $2`;

/** Writes the run's retry waits (Mutation.retryWaits), JSON. */
export const RETRY_WAITS_SQL = `UPDATE runs SET retry_waits = $1 WHERE namespace = $2 AND run_id = $3`;

/** Prunes kept evidence recorded before $1 (the evidence retention's cut-off). */
export const PRUNE_EVIDENCE_SQL = `DELETE FROM evidence WHERE recorded_at < $1`;

const KEEP_EVIDENCE_CONFLICT = `
ON CONFLICT (namespace, revision, component, environment) DO UPDATE SET run_id = excluded.run_id, recorded_at = excluded.recorded_at
WHERE excluded.recorded_at > evidence.recorded_at OR (excluded.recorded_at = evidence.recorded_at AND excluded.run_id > evidence.run_id)`;

/** Records (or moves to a later run) one piece of evidence: $1–$4 as above, $5 run, $6 the run's last update. */
export const KEEP_EVIDENCE_SQL = `
INSERT INTO evidence (namespace, revision, component, environment, run_id, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)${KEEP_EVIDENCE_CONFLICT}`;

/** KEEP_EVIDENCE_SQL for many rows in one statement (PostgreSQL): $1–$6 are arrays of the six columns, keys distinct. */
export const KEEP_EVIDENCE_BULK_SQL = `
INSERT INTO evidence (namespace, revision, component, environment, run_id, recorded_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])${KEEP_EVIDENCE_CONFLICT}`;

export interface ExpiringJob {
  namespace: string;
  run_id: string;
  revision: string;
  updated_at: string;
  job_id: string;
  status: string;
  /** The job ran other code than the run's revision (migration 19): 0/1 on SQLite, a boolean on PostgreSQL. */
  no_evidence: number | boolean;
}

export type EvidenceRow = [namespace: string, revision: string, component: string, environment: string, runId: string, recordedAt: string];

/**
 * The evidence in runs about to be deleted: per run, each component and environment all of whose jobs
 * succeeded at the run's revision, as EVIDENCE_SQL judges a live run (job IDs in the `component@environment.job` form only); then
 * one row per namespace, revision, component and environment — the latest run's — for KEEP_EVIDENCE_SQL.
 */
export function evidenceOf(jobs: readonly ExpiringJob[]): EvidenceRow[] {
  const groups = new Map<string, { row: EvidenceRow; ok: boolean }>();
  for (const job of jobs) {
    const parts = job.job_id.includes("@") && canonicalJobId(job.job_id) === job.job_id ? parseJobId(job.job_id) : undefined;
    if (!parts) continue;
    const key = JSON.stringify([job.namespace, job.run_id, parts.component, parts.environment]);
    const group = groups.get(key) ?? { row: [job.namespace, job.revision, parts.component, parts.environment, job.run_id, job.updated_at], ok: true };
    group.ok &&= job.status === "success" && !job.no_evidence;
    groups.set(key, group);
  }
  const latest = new Map<string, EvidenceRow>();
  for (const { row, ok } of groups.values()) {
    if (!ok) continue;
    const key = JSON.stringify(row.slice(0, 4));
    const kept = latest.get(key);
    // The later run wins; equal times are settled by run ID, so the choice never depends on row order.
    if (!kept || row[5] > kept[5] || (row[5] === kept[5] && row[4] > kept[4])) latest.set(key, row);
  }
  return [...latest.values()];
}

/**
 * Refuses a database a newer backend has migrated further than this one knows: its writes would
 * follow a schema it was not written for (replicas are upgraded together, never downgraded).
 */
export function checkSchemaNotNewer(applied: Iterable<number>): void {
  const known = Math.max(...MIGRATIONS.map((m) => m.version));
  const unknown = [...applied].filter((v) => v > known).sort((a, b) => a - b);
  if (unknown.length > 0) {
    throw new Error(`its schema is at version ${unknown[unknown.length - 1]}, newer than this orun backend knows (${known}): run the orun version that migrated it, or a newer one`);
  }
}

export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`;

/**
 * A run at `revision` in which every job of component $3 in one environment
 * (job IDs starting `component@environment.`) succeeded, none of them run from
 * other code than the run's revision (jobs.no_evidence). Parameters:
 * $1 namespace, $2 revision, $3/$5 the ID prefix, $4/$6 its length.
 */
export const EVIDENCE_SQL = `
SELECT r.run_id FROM runs r
WHERE r.namespace = $1 AND r.revision = $2
  AND EXISTS (SELECT 1 FROM jobs j WHERE j.namespace = r.namespace AND j.run_id = r.run_id AND substr(j.job_id, 1, $4) = $3)
  AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.namespace = r.namespace AND j.run_id = r.run_id AND substr(j.job_id, 1, $6) = $5 AND (j.status <> 'success' OR j.no_evidence))
ORDER BY r.updated_at DESC LIMIT 1`;

/**
 * When no run is evidence (EVIDENCE_SQL): the latest run at the revision whose jobs of the component in the
 * environment all succeeded, one of them from other code (jobs.no_evidence), and that job's recorded cause — what the
 * promotion gate tells. Parameters as EVIDENCE_SQL's $1–$4.
 * Every unmet gate asks it, so it reads only the runs at the revision (runs_revision) and, per run, its jobs by run
 * (scalar subqueries with LIMIT, which neither store turns into a join): with the job's conditions in a join, SQLite
 * walked every successful job of every namespace and PostgreSQL scanned the whole jobs table. The CASE looks for the
 * no-evidence job only in a run without a failed one (PostgreSQL would otherwise run the costlier lookup first).
 */
export const WITHHELD_SQL = `
SELECT w.run_id, j.job_id, j.no_evidence_cause, j.no_evidence_reason FROM (
  SELECT c.namespace, c.run_id, c.job_id FROM (
    SELECT r.namespace, r.run_id, r.updated_at, CASE
      WHEN (SELECT 1 FROM jobs x WHERE x.namespace = r.namespace AND x.run_id = r.run_id AND substr(x.job_id, 1, $4) = $3 AND x.status <> 'success' LIMIT 1) IS NULL
      THEN (SELECT y.job_id FROM jobs y WHERE y.namespace = r.namespace AND y.run_id = r.run_id
        AND substr(y.job_id, 1, $4) = $3 AND y.status = 'success' AND y.no_evidence ORDER BY y.position LIMIT 1)
    END AS job_id FROM runs r
    WHERE r.namespace = $1 AND r.revision = $2
  ) c WHERE c.job_id IS NOT NULL ORDER BY c.updated_at DESC, c.run_id DESC LIMIT 1
) w JOIN jobs j ON j.namespace = w.namespace AND j.run_id = w.run_id AND j.job_id = w.job_id`;

/** The run-status tally (see coordinator JobTally): two index seeks. $1 namespace, $2 run. */
export const TALLY_SQL = `
SELECT
  EXISTS (SELECT 1 FROM jobs WHERE namespace = $1 AND run_id = $2 AND status IN ('pending', 'running')) AS unfinished,
  EXISTS (SELECT 1 FROM jobs WHERE namespace = $1 AND run_id = $2 AND status IN ('failed', 'skipped')) AS failed`;
