// The execution's status when a run ends, which is the record's, not only this run's: the jobs it has not finished
// (failed, blocked or skipped ones, then those still to run), whether that makes it failed or incomplete, and the
// job counts its metadata keeps.
import type { PlanJob } from "../model/plan.js";
import type { RunSummary, UnfinishedJob } from "./events.js";
import type { ExecState } from "./records/state.js";
import type { RunMetadata } from "./records/store.js";

/**
 * Why the execution has not completed: jobs the record holds failed, blocked or skipped (a reason that still stands),
 * then jobs it has still to run. Those are its `pending` jobs (reopened after a retry, interrupted by a crash) and,
 * when `countAbsent`, the plan's jobs it does not hold at all (a scoped run — `--job`, `--component`, `--env`, a
 * working-folder scope — left them out). Failed ones first, each group by ID.
 */
export function unfinishedJobs(state: ExecState, planJobs: readonly PlanJob[], countAbsent: boolean): UnfinishedJob[] {
  const failed: UnfinishedJob[] = [];
  const toRun: UnfinishedJob[] = [];
  const ids = new Set([...Object.keys(state.jobs), ...(countAbsent ? planJobs.map((job) => job.id) : [])]);
  for (const id of ids) {
    const status = state.jobs[id]?.status;
    if (status === "failed" || status === "blocked" || status === "skipped") failed.push({ id, status });
    else if (status === undefined) toRun.push({ id, status: "not run" });
    // Under remote state (not countAbsent) a pending job is another runner's to run, as an absent one is.
    else if (status === "pending" && countAbsent) toRun.push({ id, status: "pending" });
  }
  const byId = (a: UnfinishedJob, b: UnfinishedJob): number => a.id.localeCompare(b.id);
  return [...failed.sort(byId), ...toRun.sort(byId)];
}

/**
 * The record's status at the end of a run: failed while this run or the record has a failure; incomplete when
 * nothing failed but jobs are still to run (a scoped run did what it was asked: not a failure, not the whole plan).
 */
export function executionStatus(runStatus: RunSummary["status"], unfinished: readonly UnfinishedJob[]): NonNullable<RunSummary["executionStatus"]> {
  if (runStatus !== "completed" || unfinished.some((job) => job.status !== "pending" && job.status !== "not run")) return "failed";
  return unfinished.length > 0 ? "incomplete" : "completed";
}

/** The record's job counts, from its state. */
export function jobCounts(state: ExecState): Pick<RunMetadata, "jobDone" | "jobFailed" | "jobSkipped" | "jobBlocked"> {
  const all = Object.values(state.jobs);
  return {
    jobDone: all.filter((j) => j.status === "completed").length,
    jobFailed: all.filter((j) => j.status === "failed").length,
    jobSkipped: all.filter((j) => j.status === "skipped").length,
    jobBlocked: all.filter((j) => j.status === "blocked").length,
  };
}
