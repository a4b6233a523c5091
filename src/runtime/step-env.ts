// The environment orun declares for a step (runners add the host env
// underneath when they want it), later wins (spec 20 §5): the run's ORUN_*
// variables, job env, the job's identity (ORUN_JOB_*, ORUN_COMPONENT,
// ORUN_ENVIRONMENT: an environment- or job-wide env block cannot mislabel
// jobs), then step env — a step may still override any of them.
import type { PlanJob, PlanStep } from "../model/plan.js";
import { RUNNER_CONTEXT, type RunnerName } from "../runners/runner.js";

export interface RuntimeIds {
  runner: RunnerName;
  planId: string;
  /** The local execution record. */
  execId: string;
  /** The run several runners share under remote state (the ID the user pinned): what steps see as ORUN_EXEC_ID. */
  runId?: string;
}

/**
 * A null-prototype object: any variable name is an ordinary key. On a plain object `env["__proto__"] = v`
 * sets the prototype instead (a string is ignored), and the variable was lost.
 */
export function envRecord(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

export function stepEnv(ids: RuntimeIds, job: PlanJob, step: PlanStep): Record<string, string> {
  const execId = ids.runId ?? ids.execId;
  const env = envRecord();
  env.ORUN_CONTEXT = RUNNER_CONTEXT[ids.runner];
  env.ORUN_RUNNER = ids.runner;
  env.ORUN_PLAN_ID = ids.planId;
  env.ORUN_EXEC_ID = execId;
  for (const [key, value] of Object.entries(job.env ?? {})) env[key] = stringify(value);
  env.ORUN_JOB_ID = job.id;
  env.ORUN_JOB_RUN_ID = `${ids.planId}:${execId}:${job.id}`;
  env.ORUN_COMPONENT = job.component;
  env.ORUN_ENVIRONMENT = job.environment;
  if (job.uid) env.ORUN_JOB_UID = job.uid;
  for (const [key, value] of Object.entries(step.env ?? {})) env[key] = stringify(value);
  return env;
}

function stringify(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * An `orun run` inside a step is a run of its own, not a resume of the run it is part of: the step's
 * ORUN_EXEC_ID and ORUN_PLAN_ID came from that run (ORUN_JOB_RUN_ID, which only orun sets, names the same
 * ones), so they are removed from `env`. Values a user set (a CI workflow pinning ORUN_EXEC_ID) stay.
 */
export function dropInheritedRunIds(env: NodeJS.ProcessEnv): void {
  const jobRunId = env.ORUN_JOB_RUN_ID;
  if (!jobRunId) return;
  // `<plan>:<exec>:<job>`; a remote run ID may itself hold a colon, so the pair is matched whole.
  const { ORUN_PLAN_ID: planId, ORUN_EXEC_ID: execId } = env;
  if (planId !== undefined && execId !== undefined && jobRunId.startsWith(`${planId}:${execId}:`)) {
    delete env.ORUN_EXEC_ID;
    delete env.ORUN_PLAN_ID;
  }
}
