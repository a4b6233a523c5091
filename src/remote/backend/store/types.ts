// What the HTTP layer needs from storage. Two implementations: SQLite
// (embedded default) and PostgreSQL (replicas). Every mutation of a run goes
// through `mutateRun`, which loads the run under a lock (a write transaction
// in SQLite, `SELECT … FOR UPDATE` on the run row in PostgreSQL), applies one
// pure coordinator function and writes the changed rows in the same
// transaction — that is what keeps claims atomic across processes.
import { isHeldBy, type JobRecord, type Mutation, type NoEvidenceCause, type MutationScope, type RunRecord, type RunState } from "../coordinator.js";
import { TERMINAL_JOB_STATUSES, type JobStatus } from "../../protocol.js";
import type { LogRange } from "./log-chunks.js";
import { leaseMatches } from "../lease.js";

export type { LogRange } from "./log-chunks.js";

export interface NewRun {
  run: RunRecord;
  jobs: JobRecord[];
  planJson: string;
}

export interface LogWrite {
  mode: "append" | "replace";
  maxBytes: number;
  offset?: number;
  /**
   * The writing runner: the job must be held by it (coordinator isHeldBy), checked
   * inside the write's transaction so a takeover cannot slip in between check and write.
   * Without it, only the job's existence is checked.
   */
  runnerId?: string;
  /** The lease secret the writer presented: a job claimed with a lease takes no write without it (leaseRefused). */
  lease?: string;
  /** The backend requires lease secrets: a job held without one takes no write from its runner either (leaseRequired). */
  requireLease?: boolean;
}

export type LogWriteResult =
  /** `followedAt`: when someone last followed the run's logs (runs.followed_at), read in the write's transaction. */
  | { bytes: number; followedAt?: string }
  | { tooLarge: true; bytes: number }
  | { conflict: true; bytes: number }
  | { notFound: "run" | "job" }
  | { notHeld: true; status: JobStatus; runnerId: string | null }
  /** A job no runner ever claimed that is over (skipped: its upstream failed, or the run stopped): it ran nothing. */
  | { neverRan: true; status: JobStatus }
  | { leaseRefused: true }
  | { leaseRequired: true };

/** A write's result with when the run was last followed, if ever (an accepted or repeated write only). */
export function withFollowedAt(result: LogWriteResult, followedAt: string | null | undefined): LogWriteResult {
  return followedAt && "bytes" in result && !("tooLarge" in result) && !("conflict" in result) ? { bytes: result.bytes, followedAt } : result;
}

/** What a log write needs to know of its job, read under the write's lock. */
export type LogTarget = Pick<JobRecord, "status" | "runnerId" | "logBytes" | "leaseHash" | "attempts">;

/**
 * Shared ownership and append/replace decision of both stores, given the locked job row. An append that
 * ends where the log ends is a repeat of one that landed only if it holds the same bytes: `repeatOf` asks
 * the store to compare them (the store answers `conflict` when they differ).
 */
export function planLogWrite(
  job: LogTarget | undefined,
  length: number,
  options: LogWrite,
): { write: false; result: LogWriteResult; repeatOf?: number } | { write: true; bytes: number } {
  if (!job) return { write: false, result: { notFound: "job" } };
  // Nothing ran, so nothing is its output: a write naming no runner (v2's upload comes from the runner that claimed
  // the job) would be the only log `orun logs` shows for it. A pending job may still be claimed (the claim clears it).
  if (options.runnerId === undefined && job.attempts === 0 && job.runnerId === null && TERMINAL_JOB_STATUSES.includes(job.status)) {
    return { write: false, result: { neverRan: true, status: job.status } };
  }
  // A job claimed with a lease: no write without its secret — an append naming its holder, or a v2-style replace that
  // names no runner (another runner's append is refused as not held, as before).
  const fromHolder = options.runnerId === undefined || options.runnerId === job.runnerId;
  if (job.leaseHash && fromHolder && !leaseMatches(job.leaseHash, options.lease)) {
    return { write: false, result: { leaseRefused: true } };
  }
  if (!job.leaseHash && fromHolder && options.requireLease) return { write: false, result: { leaseRequired: true } };
  if (options.runnerId !== undefined && !isHeldBy(job, options.runnerId)) return { write: false, result: { notHeld: true, status: job.status, runnerId: job.runnerId } };
  const current = job.logBytes;
  if (options.mode === "append" && options.offset !== undefined && options.offset !== current) {
    // Judged by its length alone, another append of the same length at that offset was taken for a repeat and dropped.
    if (options.offset + length === current) return { write: false, result: { bytes: current }, repeatOf: options.offset };
    return { write: false, result: { conflict: true, bytes: current } };
  }
  const bytes = (options.mode === "append" ? current : 0) + length;
  if (bytes > options.maxBytes) return { write: false, result: { tooLarge: true, bytes } };
  return { write: true, bytes };
}

/**
 * Promotion-gate evidence: a live run of this namespace, or one retention deleted — named with the time it
 * last changed, since a later run may reuse its ID.
 */
export type Evidence = { runId: string } | { deletedRunId: string; recordedAt: string };

/**
 * No evidence, though a live run at the revision has every job of the component in the environment succeeded: one of
 * them is no evidence (WITHHELD_SQL), and its recorded cause and reason (null for results from before migration 20).
 */
export interface WithheldEvidence {
  withheld: { runId: string; jobId: string; cause: NoEvidenceCause | null; reason: string | null };
}

/** The row WITHHELD_SQL reads. */
export interface WithheldRow {
  run_id: string;
  job_id: string;
  no_evidence_cause: string | null;
  no_evidence_reason: string | null;
}

export interface TokenRecord {
  id: string;
  namespace: string;
  description: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** A namespace seen in a GitHub Actions OIDC token: its repository ID and the latest name it came with. */
export interface NamespaceRecord {
  id: string;
  slug: string;
  lastSeenAt: string;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** Applies pending migrations (idempotent, safe with concurrent replicas). */
  migrate(): Promise<void>;
  /** Inserts the run unless (namespace, runId) exists; returns the existing run's record then. */
  createRun(input: NewRun): Promise<{ created: true } | { created: false; existing: RunRecord }>;
  /** The run and its jobs (only those `scope` names, when given) from one snapshot, without locking it. */
  getRun(namespace: string, runId: string, scope?: MutationScope): Promise<RunState | undefined>;
  /** Makes the run failFast (a run registered before the plan payload said so, joined by a runner that does). */
  enableFailFast(namespace: string, runId: string): Promise<void>;
  /**
   * Runs `fn` on the locked run with the jobs `scope` names, writes the jobs
   * it changed, deletes the logs it clears (`clearLogs`) and re-derives the
   * run's status from all its jobs, in one transaction. Undefined when the run
   * does not exist.
   */
  mutateRun<T>(namespace: string, runId: string, scope: MutationScope, fn: (state: RunState) => Mutation<T>): Promise<T | undefined>;
  /** Runs that have a running job whose heartbeat is older than `before` (candidates for the sweeper). */
  runsWithStaleLeases(before: string): Promise<{ namespace: string; runId: string }[]>;
  /**
   * A runner asked about the run at `at` (a claim, a long-poll): recorded unless a time after `staleBefore`
   * already is, so a busy run costs one write per while. Retention keeps a run runners are waiting in.
   */
  recordActivity(namespace: string, runId: string, at: string, staleBefore: string): Promise<void>;
  /**
   * Someone follows the run's logs (a ranged read) at `at`: recorded unless a time after `staleBefore` already is.
   * Kept in the store, not a replica's memory, so every replica's append answers tell runners (writeLog's followedAt).
   */
  markFollowed(namespace: string, runId: string, at: string, staleBefore: string): Promise<void>;
  /**
   * Deletes runs (with jobs and logs) last updated and last asked about by a runner before `before`, none of
   * whose jobs is running; returns how many.
   */
  deleteRunsUpdatedBefore(before: string): Promise<number>;
  /**
   * A run at `revision` where every job of `component` in `environment` succeeded (promotion-gate evidence):
   * a live run, else the evidence kept from a run retention deleted.
   */
  componentSucceededAt(namespace: string, revision: string, component: string, environment: string): Promise<Evidence | WithheldEvidence | undefined>;
  /** Deletes kept evidence recorded before `before` (the evidence retention); returns how many rows. */
  pruneEvidenceBefore(before: string): Promise<number>;

  /**
   * Appends to (or replaces) a job's log, refusing to grow it beyond maxBytes.
   * An append may name the offset it expects to write at: a retried append
   * that already landed is then acknowledged without writing it twice, and a
   * gap is refused (`conflict`). With `runnerId`, a job not held by that runner
   * is refused (`notHeld`) under the same lock as claims, so the check and
   * the write are one step.
   */
  writeLog(namespace: string, runId: string, jobId: string, content: Buffer, options: LogWrite): Promise<LogWriteResult>;
  /** The whole log; undefined when the job has none (never written, or cleared by a takeover). */
  readLog(namespace: string, runId: string, jobId: string): Promise<Buffer | undefined>;
  /**
   * The log's bytes from `offset` on (none when `offset` is at or past its end), with its size and the
   * job's attempt, all from one snapshot, so a follower can tell a grown log from a restarted one.
   * A job without a log reads as size 0.
   */
  readLogFrom(namespace: string, runId: string, jobId: string, offset: number): Promise<LogRange | { notFound: "run" | "job" }>;

  /** Records (or refreshes) the name a namespace was last seen with. */
  recordNamespace(record: NamespaceRecord): Promise<void>;
  namespaceById(id: string): Promise<NamespaceRecord | undefined>;
  /** Namespaces last seen with this name, case-insensitively, most recent first (a name can pass between repositories). */
  namespacesBySlug(slug: string): Promise<NamespaceRecord[]>;

  insertToken(token: TokenRecord & { hash: string }): Promise<void>;
  findTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  revokeToken(id: string, at: string): Promise<boolean>;
  listTokens(): Promise<TokenRecord[]>;

  /** Subscribes to "run changed" events, including changes made by other replicas where the store can tell. */
  /** `jobIds`: the jobs the change touched (undefined: the run as a whole, or too many to name). */
  onRunChanged(listener: (namespace: string, runId: string, jobIds?: readonly string[]) => void): () => void;
  close(): Promise<void>;
}
