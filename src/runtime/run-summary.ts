// What a run's summary says of its jobs: each job's entry, and the earlier result a resumed job keeps when it
// did not run again.
import type { PlanJob } from "../model/plan.js";
import type { JobSummary } from "./events.js";
import type { JobState } from "./records/state.js";

export function summarize(job: PlanJob, status: JobSummary["status"]): JobSummary {
  return { id: job.id, component: job.component, environment: job.environment, name: job.name, status };
}

/** A resumed job's earlier result that stands (it was not run again): its recorded status, and a failure's error. */
export function standingResult(job: PlanJob, recorded: JobState): JobSummary {
  const status = recorded.status === "failed" || recorded.status === "blocked" ? recorded.status : recorded.status === "completed" ? "cached" : "skipped";
  return { ...summarize(job, status), ...(status === "failed" && recorded.lastError ? { error: recorded.lastError } : {}) };
}
