// Periodic housekeeping, safe to run on every replica at once: release jobs
// whose runner stopped heartbeating (so a waiting runner takes them over),
// delete runs idle for longer than the retention period (keeping their
// promotion-gate evidence) and prune evidence older than its own, longer,
// retention.
import { releaseExpiredLeases } from "./coordinator.js";
import type { BackendContext } from "./context.js";

export interface SweepOptions {
  intervalMs: number;
  /** Runs nothing happened in for this long (no change, no runner asking about them, no job running) are deleted with their jobs and logs. */
  retentionMs: number;
  /** Promotion-gate evidence kept from deleted runs is pruned once its run last changed this long ago. */
  evidenceRetentionMs?: number;
}

/** Default evidence retention: a promotion of a revision is expected within this long of its success in the gate's environment. */
export const DEFAULT_EVIDENCE_RETENTION_MS = 90 * 24 * 3600_000;

export async function sweepOnce(backend: BackendContext, retentionMs: number, evidenceRetentionMs = DEFAULT_EVIDENCE_RETENTION_MS): Promise<{ released: number; deleted: number; prunedEvidence: number }> {
  const clock = backend.clock();
  const staleBefore = new Date(clock.now.getTime() - clock.leaseMs).toISOString();
  let released = 0;
  for (const { namespace, runId } of await backend.store.runsWithStaleLeases(staleBefore)) {
    released += (await backend.store.mutateRun(namespace, runId, { status: "running" }, (state) => releaseExpiredLeases(state, backend.clock())))?.length ?? 0;
  }
  const deleted = await backend.store.deleteRunsUpdatedBefore(new Date(clock.now.getTime() - retentionMs).toISOString());
  // A gate whose evidence was pruned blocks its job (the safe side): a promotion that late starts from the gate's environment again.
  const prunedEvidence = await backend.store.pruneEvidenceBefore(new Date(clock.now.getTime() - Math.max(evidenceRetentionMs, retentionMs)).toISOString());
  return { released, deleted, prunedEvidence };
}

export function startSweeper(backend: BackendContext, options: SweepOptions, onError: (err: unknown) => void): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepOnce(backend, options.retentionMs, options.evidenceRetentionMs)
      .catch(onError)
      .finally(() => (running = false));
  }, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
