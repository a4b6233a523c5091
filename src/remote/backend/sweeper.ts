// Periodic housekeeping, safe to run on every replica at once: release jobs
// whose runner stopped heartbeating (so a waiting runner takes them over) and
// delete runs idle for longer than the retention period.
import { releaseExpiredLeases } from "./coordinator.js";
import type { BackendContext } from "./context.js";

export interface SweepOptions {
  intervalMs: number;
  /** Runs not updated for this long are deleted with their jobs and logs. */
  retentionMs: number;
}

export async function sweepOnce(backend: BackendContext, retentionMs: number): Promise<{ released: number; deleted: number }> {
  const clock = backend.clock();
  const staleBefore = new Date(clock.now.getTime() - clock.leaseMs).toISOString();
  let released = 0;
  for (const { namespace, runId } of await backend.store.runsWithStaleLeases(staleBefore)) {
    released += (await backend.store.mutateRun(namespace, runId, { status: "running" }, (state) => releaseExpiredLeases(state, backend.clock())))?.length ?? 0;
  }
  const deleted = await backend.store.deleteRunsUpdatedBefore(new Date(clock.now.getTime() - retentionMs).toISOString());
  return { released, deleted };
}

export function startSweeper(backend: BackendContext, options: SweepOptions, onError: (err: unknown) => void): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepOnce(backend, options.retentionMs)
      .catch(onError)
      .finally(() => (running = false));
  }, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
