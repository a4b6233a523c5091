// Spec 20 §4.6: a resume skips the steps a job completed in an earlier run of the execution, not only its completed
// jobs. Which steps, and under which runners, is decided here, for the run (job-executor.ts) and its dry-run alike.
import type { PlanJob } from "../model/plan.js";
import { orderSteps, phaseOf, stepKeys } from "../model/steps.js";
import type { ExecState, JobState } from "./records/state.js";

/**
 * Why a resume under `runner` runs all the steps of each job it runs again; undefined when it skips those an earlier
 * run completed. Only the local runner's steps share nothing but the job's folder, which outlives the run. A docker
 * step may rely on what an earlier one installed in the job's container, and a github-actions step on what earlier
 * ones wrote to GITHUB_ENV, GITHUB_OUTPUT, GITHUB_PATH or GITHUB_STATE (and on their outcomes, `steps.<id>`): a resume
 * starts a new container, a new job context, and restores none of that. Steps that ran under another runner than
 * this one (`recordedBy`: the job's in state.json) ran elsewhere; a record of an orun before per-job runners says
 * none, and metadata.json names only the execution's last run's, so its steps all run again (as they did then). Under
 * remote state the
 * backend hands out whole jobs (any runner may run one again) and records no steps.
 */
export function whyNoStepSkipped(runner: string, recordedBy: string | undefined, remoteState: boolean): string | undefined {
  if (remoteState) return "under remote state a job runs whole";
  if (runner === "docker") return "the docker runner restores nothing they left for later steps (the job's container is new)";
  if (runner !== "local") return `the ${runner} runner restores nothing they left for later steps (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_PATH)`;
  if (recordedBy !== runner) return recordedBy ? `they ran under the ${recordedBy} runner, this run uses ${runner}` : "the record does not say which runner ran them";
  return undefined;
}

/** Where a resume picks a job up (resumeOf). */
export interface JobResume {
  /** The steps (keys) it does not run again. */
  skipped: Set<string>;
  /** The first step that did not complete, where it picks up; undefined when every step did. */
  from?: string;
  /** Completed pre-phase steps it runs again, since it picks up at a main step. */
  setUpAgain: string[];
}

/**
 * Where a resume picks `job` up, given what the execution recorded of it: at its first step that did not complete.
 * The completed steps before it are skipped; it and every step after it run — completed ones too (they ran after
 * a failure, `onFailure: continue`, or as clean-up, and may depend on the work that now runs again), so a
 * post-phase clean-up always follows the work it cleans up after. When it picks up at a main step the job's
 * pre-phase steps run again too: the first run's post-phase clean-up, which runs after a failure, may have undone
 * their set-up (a started service, a login). Nothing is skipped when nothing is recorded; everything when every
 * step completed (the job ended before it was recorded done).
 */
export function resumeOf(job: PlanJob, recorded: JobState | undefined): JobResume {
  const steps = orderSteps(job.steps);
  const keys = stepKeys(steps);
  const found = recorded ? keys.findIndex((key) => recorded.steps[key] !== "completed") : 0;
  const restart = found < 0 ? keys.length : found;
  const setUpAgain = restart < keys.length && phaseOf(steps[restart]!) === "main" ? keys.slice(0, restart).filter((_, i) => phaseOf(steps[i]!) === "pre") : [];
  return { skipped: new Set(keys.slice(0, restart).filter((key) => !setUpAgain.includes(key))), from: keys[restart], setUpAgain };
}

/**
 * Per job to run, the steps an earlier run of the execution completed that this resume skips (non-empty sets only);
 * none when `noSkipping` says why not (whyNoStepSkipped). Read after prepareResume: `--job X --retry` has cleared X,
 * so all its steps run.
 */
export function resumedSteps(toRun: readonly PlanJob[], state: ExecState, noSkipping: (job: PlanJob) => string | undefined): Map<string, ReadonlySet<string>> {
  const cached = new Map<string, ReadonlySet<string>>();
  for (const job of toRun) {
    if (noSkipping(job) !== undefined) continue;
    const { skipped } = resumeOf(job, state.jobs[job.id]);
    if (skipped.size > 0) cached.set(job.id, skipped);
  }
  return cached;
}
