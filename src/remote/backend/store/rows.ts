// Row ↔ record mapping shared by the SQLite and PostgreSQL stores.
import type { JobRecord, NoEvidenceCause, RetryWait, RunRecord } from "../coordinator.js";
import { knownNoEvidenceCause } from "../../protocol.js";
import type { NamespaceRecord, WithheldEvidence, WithheldRow } from "./types.js";
import type { JobStatus, RunStatus } from "../../protocol.js";

export interface RunRow {
  namespace: string;
  run_id: string;
  status: string;
  plan_checksum: string;
  trigger_type: string;
  actor: string | null;
  dry_run: number | boolean;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  revision: string | null;
  fail_fast: number | boolean;
  stopped_reason: string | null;
  /** Migration 18 (JSON); read with RUN_STATE_COLUMNS only. */
  retry_waits?: string | null;
}

export interface JobRow {
  job_id: string;
  position: number;
  component: string;
  deps: string;
  status: string;
  runner_id: string | null;
  started_at: string | null;
  finished_at: string | null;
  heartbeat_at: string | null;
  last_error: string | null;
  attempts: number;
  log_bytes: number | string | null;
  /** JSON array (migration 14); null for runs registered without step keys. */
  steps?: string | null;
  /** Migration 16. */
  ci_run_id?: string | null;
  run_attempt?: number | string | null;
  /** Migration 17. */
  retries?: number | string | null;
  /** Migration 19: 0/1 on SQLite, a boolean on PostgreSQL. */
  no_evidence?: number | boolean | null;
  /** Migration 20: null when not recorded. */
  no_evidence_cause?: string | null;
  no_evidence_reason?: string | null;
  /** Migration 21: null for jobs claimed without a lease. */
  lease_hash?: string | null;
  claim_key_hash?: string | null;
}

export const RUN_COLUMNS = "namespace, run_id, status, plan_checksum, trigger_type, actor, dry_run, created_at, updated_at, finished_at, revision, fail_fast, stopped_reason";
/** What a run's state is read with: its columns (RUN_COLUMNS, which creating it writes) and its retry waits. */
export const RUN_STATE_COLUMNS = `${RUN_COLUMNS}, retry_waits`;

export function runFromRow(row: RunRow): RunRecord {
  return {
    namespace: row.namespace,
    runId: row.run_id,
    status: row.status as RunStatus,
    planChecksum: row.plan_checksum,
    triggerType: row.trigger_type,
    actor: row.actor,
    dryRun: Boolean(row.dry_run),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    revision: row.revision ?? null,
    failFast: Boolean(row.fail_fast),
    stoppedReason: row.stopped_reason ?? null,
    ...(row.retry_waits ? { retryWaits: JSON.parse(row.retry_waits) as Record<string, RetryWait> } : {}),
  };
}

export function jobFromRow(row: JobRow): JobRecord {
  return {
    jobId: row.job_id,
    position: Number(row.position),
    component: row.component,
    deps: JSON.parse(row.deps) as string[],
    status: row.status as JobStatus,
    runnerId: row.runner_id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    heartbeatAt: row.heartbeat_at,
    lastError: row.last_error,
    attempts: Number(row.attempts),
    logBytes: Number(row.log_bytes ?? 0),
    steps: row.steps ? (JSON.parse(row.steps) as string[]) : null,
    ciRunId: row.ci_run_id ?? null,
    runAttempt: row.run_attempt == null ? null : Number(row.run_attempt),
    retries: Number(row.retries ?? 0),
    noEvidence: Boolean(row.no_evidence),
    noEvidenceCause: noEvidenceCause(row.no_evidence_cause),
    noEvidenceReason: row.no_evidence_reason ?? null,
    leaseHash: row.lease_hash ?? null,
    claimKeyHash: row.claim_key_hash ?? null,
  };
}

/** A stored cause this backend knows; another (a newer backend's) reads as not recorded. */
export function noEvidenceCause(value: string | null | undefined): NoEvidenceCause | null {
  return knownNoEvidenceCause(value);
}

export interface NamespaceRow {
  namespace_id: string;
  namespace_slug: string;
  last_seen_at: string;
}

export function namespaceFromRow(row: NamespaceRow): NamespaceRecord {
  return { id: row.namespace_id, slug: row.namespace_slug, lastSeenAt: row.last_seen_at };
}

export function withheldFromRow(row: WithheldRow): WithheldEvidence {
  return { withheld: { runId: row.run_id, jobId: row.job_id, cause: noEvidenceCause(row.no_evidence_cause), reason: row.no_evidence_reason ?? null } };
}
