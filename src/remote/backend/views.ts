// Record → wire shape conversions (one Run shape everywhere, decision 9).
import type { JobView, RunView } from "../protocol.js";
import type { JobRecord, RunState } from "./coordinator.js";

/** `namespaceSlug` is the caller's name for the run's namespace (they are always the same namespace). */
export function runView(state: RunState, namespaceSlug: string): RunView {
  const count = (status: JobRecord["status"]) => state.jobs.filter((j) => j.status === status).length;
  const { run } = state;
  return {
    runId: run.runId,
    namespace: { namespaceId: run.namespace, namespaceSlug },
    status: run.status,
    planChecksum: run.planChecksum,
    triggerType: run.triggerType,
    actor: run.actor,
    dryRun: run.dryRun,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    finishedAt: run.finishedAt,
    jobTotal: state.jobs.length,
    jobDone: count("success"),
    jobFailed: count("failed"),
    jobSkipped: count("skipped"),
    jobRunning: count("running"),
    ...(run.stoppedReason ? { stoppedReason: run.stoppedReason } : {}),
    ...(run.revision ? { revision: run.revision } : {}),
  };
}

export function logKey(namespace: string, runId: string, jobId: string): string {
  return `${namespace}/runs/${runId}/logs/${jobId}.log`;
}

/** `leaseMs`: the backend's lease, which dates a running job's lease end (JobView.leaseExpiresAt). */
export function jobView(namespace: string, runId: string, job: JobRecord, leaseMs?: number): JobView {
  const beat = job.heartbeatAt ?? job.startedAt;
  return {
    jobId: job.jobId,
    component: job.component,
    status: job.status,
    deps: job.deps,
    // A released (pending) job keeps its last runner internally (coordinator releaseExpiredLeases), but nobody runs it.
    runnerId: job.status === "pending" ? null : job.runnerId,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    lastError: job.lastError,
    heartbeatAt: job.heartbeatAt,
    ...(job.status === "running" && leaseMs !== undefined && beat ? { leaseExpiresAt: new Date(Date.parse(beat) + leaseMs).toISOString() } : {}),
    ...(job.status === "running" && !job.leaseHash ? { noLeaseSecret: true as const } : {}),
    attempts: job.attempts,
    logRef: job.logBytes > 0 ? logKey(namespace, runId, job.jobId) : null,
    logBytes: job.logBytes,
    ...(job.steps ? { steps: job.steps } : {}),
    ...(job.runAttempt ? { runAttempt: job.runAttempt } : {}),
    ...(job.retries ? { retries: job.retries } : {}),
    ...(job.status === "success" && job.noEvidence ? { noEvidence: { cause: job.noEvidenceCause ?? null, reason: job.noEvidenceReason ?? null } } : {}),
  };
}
