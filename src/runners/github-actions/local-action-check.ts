// `validate` and `plan` read the local actions (`use: ./path`) a plan's jobs call, as the runner will: an
// action.yml that is not YAML, names an unsupported `runs.using`, has a composite step whose `if:` does not parse
// or a `run:` step without `shell:` is reported with its file:line: field before any job runs. Warnings, as for a
// missing local action (src/plan/local-actions.ts): the plan does not know its runner, and an earlier step may
// still check out or rewrite the folder before the step that uses it.
import { stat } from "node:fs/promises";
import type { PlanJob } from "../../model/plan.js";
import { localActionSteps } from "../../plan/local-actions.js";
import { errorMessage } from "../../util/errors.js";
import { loadActionMetadata } from "./action-metadata.js";

export interface BrokenLocalAction {
  /** The first job and step that call it. */
  job: string;
  step: string;
  /** How many other steps call the same action. */
  others: number;
  /** The loader's error: `<file>:<line>: <field>: <what>`. */
  message: string;
}

/**
 * The job-level local actions of `jobs` that exist under `root` but would not load, one entry per action folder.
 * Missing folders are missingLocalActions()'s; values with `${{ }}` and the actions a composite calls are left to
 * the run, as there.
 */
export async function brokenLocalActions(jobs: PlanJob[], root: string): Promise<BrokenLocalAction[]> {
  const byDir = new Map<string, { job: string; step: string; others: number }>();
  for (const { job, step, dir } of localActionSteps(jobs, root)) {
    const seen = byDir.get(dir);
    if (seen) seen.others++;
    else byDir.set(dir, { job, step, others: 0 });
  }
  const broken: BrokenLocalAction[] = [];
  for (const [dir, caller] of byDir) {
    if (!(await stat(dir).catch(() => undefined))?.isDirectory()) continue;
    try {
      await loadActionMetadata(dir);
    } catch (err) {
      broken.push({ ...caller, message: errorMessage(err) });
    }
  }
  return broken;
}
