// What a run's summary says of its jobs: each job's entry, and the earlier result a resumed job keeps when it
// did not run again.
import type { PlanJob } from "../model/plan.js";
import type { JobSummary, RunCounts } from "./events.js";
import type { JobState } from "./records/state.js";

export function summarize(job: PlanJob, status: JobSummary["status"]): JobSummary {
  return { id: job.id, component: job.component, environment: job.environment, name: job.name, status };
}

/** A resumed job's earlier result that stands (it was not run again): its recorded status, and a failure's error. */
export function standingResult(job: PlanJob, recorded: JobState): JobSummary {
  const status = recorded.status === "failed" || recorded.status === "blocked" ? recorded.status : recorded.status === "completed" ? "cached" : "skipped";
  return { ...summarize(job, status), ...(status === "failed" && recorded.lastError ? { error: recorded.lastError } : {}) };
}

/** The summary's counts of its jobs by status. */
export function runCounts(jobs: readonly JobSummary[]): RunCounts {
  return {
    total: jobs.length,
    succeeded: jobs.filter((j) => j.status === "completed").length,
    failed: jobs.filter((j) => j.status === "failed").length,
    skipped: jobs.filter((j) => j.status === "skipped").length,
    blocked: jobs.filter((j) => j.status === "blocked").length,
    cached: jobs.filter((j) => j.status === "cached").length,
    waiting: jobs.filter((j) => j.status === "waiting").length,
    released: jobs.filter((j) => j.status === "released").length,
  };
}
