// Which runner a job is on, as the backend names it, for the lines a waiting or refused runner says: the holder a
// claim's reason names (this backend's `running on runner R`; v2's names none), and the runner that failed a job.
import { deadlineSignal } from "../util/timers.js";
import type { BackendClient } from "./client.js";

/** How long a runner asks which runner failed a job before it names none: the line it adds to must not wait on it. */
const RUNNER_NAME_WAIT_MS = 5_000;

/** The runner a claim's reason names as holding the job (this backend's `running on runner R`), if it names one. */
export function holder(reason: string | undefined): string | undefined {
  return /^running on runner (\S+)$/.exec(reason ?? "")?.[1];
}

/** ` on runner R` when a claim's reason names the runner that holds the job (this backend's `running on runner R`). */
export function runningOn(reason: string | undefined): string {
  const runner = holder(reason);
  return runner ? ` on runner ${runner}` : "";
}

/**
 * The runner that ran `jobId` (one that failed), as the backend records it: a nicety, given RUNNER_NAME_WAIT_MS in all
 * (retries and a backend that never answers included) and ended by `signal`; undefined when not told in time.
 */
export async function recordedRunner(client: BackendClient, runId: string, jobId: string, signal: AbortSignal): Promise<string | undefined> {
  const bound = deadlineSignal(signal, RUNNER_NAME_WAIT_MS);
  return (await client.jobStatus(runId, jobId, { signal: bound.signal, budgetMs: RUNNER_NAME_WAIT_MS }).catch(() => undefined).finally(bound.clear))?.runnerId ?? undefined;
}
