// `orun logs --remote-state --job/--step`: the filter checked against the run's jobs as the backend lists them (their
// step keys, status and lastError), as a local record's are (runtime/logs-scope.ts): a job or step the run does not
// have is an error naming it with what it may have meant, not "No logs match." and exit 0.
import { jobIdFragments } from "../model/plan.js";
import { checkScope, type LogScope, type ScopeMatch } from "../runtime/logs-scope.js";
import { printable } from "../util/printable.js";
import type { LogFilter } from "../runtime/logs.js";
import type { JobView } from "./protocol.js";
import { oneLine } from "./status-view.js";

/** As the remote listing matches: a job whose ID holds either ID form of `--job`; a step whose key holds `--step` (StepFilter). */
export const REMOTE_MATCH: ScopeMatch = {
  job: (id, wanted) => jobIdFragments(wanted).some((needle) => id.includes(needle)),
  step: (keys, step) => keys.some((key) => key.includes(step)),
};

/**
 * The jobs of the run `filter` selects, with each one's status and the backend's reason (lastError's first line),
 * or an error for a name that selects none. A `--step` is taken as given for jobs whose runners sent no step keys
 * (v2 runners, runs registered before backend migration 14). Undefined without `--job` or `--step`.
 */
export function checkRemoteLogFilter(runId: string, jobs: readonly JobView[], filter: LogFilter): LogScope | undefined {
  if ((!filter.job && !filter.step) || jobs.length === 0) return undefined;
  const known = jobs.map((job) => ({
    id: job.jobId,
    status: job.status,
    ...(job.steps ? { steps: job.steps } : {}),
    ...(job.lastError ? { reason: oneLine(job.lastError) } : {}),
  }));
  return checkScope(known, filter, `remote run ${printable(runId)}`, REMOTE_MATCH);
}
