// GitHub's job-level keys a plan written for this runner may carry beside orun's own (the plan format keeps
// keys it does not know). `defaults.run` (shell, working-directory) is honoured; keys that would change where
// or whether the job runs and that orun cannot honour are refused, naming the job, before anything runs —
// never silently ignored (a job meant to run in a container, or only on main, must not run on the host anyway).
import type { PlanJob } from "../../model/plan.js";
import { OrunError } from "../../util/errors.js";

/** `jobs.<id>.defaults.run` as GitHub has it: for the job's `run:` steps that set none themselves. */
export interface RunDefaults {
  shell?: string;
  workingDirectory?: string;
}

const REFUSED: Record<string, string> = {
  container: "orun runs a job's steps on the host, not in a job container; use a docker:// step or a docker container action for the containerised work",
  services: "orun starts no service containers; start them in a step (docker run) and stop them in an if: always() step",
  strategy: "orun runs one job per plan job, with no matrix; a plan lists each variant as its own job",
  if: "orun does not evaluate a job-level if:; leave the job out of the plan, or put the condition on its steps",
  "timeout-minutes": "set the job's timeout (a duration such as 30m) instead",
  "continue-on-error": "set onFailure: continue on the steps that may fail instead",
};

/**
 * Values of those keys that change nothing on GitHub either: no job container (`container: ""`, what
 * `container: ${{ matrix.container }}` gives a variant without one), no services, a job-level `if:` that holds,
 * failures not continued — accepted as written.
 */
function isNoOp(key: string, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  const text = typeof value === "string" ? value.trim().replace(/^\$\{\{\s*(.*?)\s*\}\}$/s, "$1").trim().toLowerCase() : undefined;
  switch (key) {
    case "container":
      return value === false || text === "";
    case "services":
    case "strategy":
      return isRecord(value) && Object.keys(value).length === 0;
    case "if":
      return value === true || text === "true";
    case "continue-on-error":
      return value === false || text === "false";
    default:
      return false;
  }
}

/**
 * The job's `defaults.run`; throws an OrunError naming the job and key for GitHub job keys orun cannot honour
 * (and `source`, the plan they come from, when given: `plan plan.json`).
 */
export function jobRunDefaults(job: PlanJob, source?: string): RunDefaults {
  const loose = job as PlanJob & Record<string, unknown>;
  const where = source ? ` (in ${source})` : "";
  for (const [key, why] of Object.entries(REFUSED)) {
    if (Object.prototype.hasOwnProperty.call(loose, key) && !isNoOp(key, loose[key])) {
      throw new OrunError(`job ${job.id}: "${key}" is not supported by the github-actions runner: ${why}${where}`);
    }
  }
  const defaults = loose.defaults;
  if (defaults === undefined || defaults === null) return {};
  const field = (name: string): string => `job ${job.id}: "defaults${name}"`;
  if (!isRecord(defaults)) throw new OrunError(`${field("")} must be an object with a run: entry${where}`);
  for (const key of Object.keys(defaults)) if (key !== "run") throw new OrunError(`${field(`.${key}`)} is not a GitHub job default (only defaults.run is)${where}`);
  const run = defaults.run;
  if (run === undefined || run === null) return {};
  if (!isRecord(run)) throw new OrunError(`${field(".run")} must be an object (shell, working-directory)${where}`);
  const result: RunDefaults = {};
  for (const [key, value] of Object.entries(run)) {
    if (key !== "shell" && key !== "working-directory") throw new OrunError(`${field(`.run.${key}`)} is not a run default (only shell and working-directory are)${where}`);
    if (typeof value !== "string" || value.trim() === "") throw new OrunError(`${field(`.run.${key}`)} must be a non-empty string${where}`);
    if (key === "shell") result.shell = value;
    else result.workingDirectory = value;
  }
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
