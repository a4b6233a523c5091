// Local actions (`use: ./path`): relative to the repository root (the run's workspace), not to the step's
// working directory. A plan check, not a runner's: the github-actions runner (at the step), `run --dry-run`
// and `validate`/`plan` all say a missing one in these words, and none of them has to load another's code. The
// runner's error carries the root as data (StepResult.localActionRoot), which the run's hint names.
import { statSync } from "node:fs";
import path from "node:path";
import type { PlanJob } from "../model/plan.js";
import { orderSteps, stepKeys } from "../model/steps.js";

/** Whether a `use:` value names a local action (`./path`, `../path` or `.`), as the runner's parser reads it. */
export function isLocalActionUse(use: string): boolean {
  const value = use.trim();
  return value.startsWith("./") || value.startsWith("../") || value === ".";
}

/** The error for a local action whose folder is missing; names the folder and the root it is relative to. */
export function localActionMissing(uses: string, dir: string, root: string): string {
  return `local action ${uses}: ${dir} does not exist (local actions are relative to the repository root ${root})`;
}

/** What the runner throws for a missing local action: `root` travels with the step's result to the run's hint. */
export class LocalActionMissingError extends Error {
  constructor(
    uses: string,
    dir: string,
    readonly root: string,
  ) {
    super(localActionMissing(uses, dir, root));
  }
}

export interface MissingLocalAction {
  job: string;
  step: string;
  use: string;
  dir: string;
  /** localActionMissing()'s text. */
  message: string;
}

/** A job-level `use: ./path` step, with the folder it names under the root. */
export interface LocalActionStep {
  job: string;
  /** The step's key (as `orun logs --step` takes it). */
  step: string;
  use: string;
  dir: string;
}

/**
 * The job-level `use: ./path` steps of `jobs`, in step order, with the folder each names under `root`. A value with
 * `${{ }}` is left to its step (it may name an earlier step's output), as are references that leave the root.
 */
export function localActionSteps(jobs: PlanJob[], root: string): LocalActionStep[] {
  const base = path.resolve(root);
  const found: LocalActionStep[] = [];
  for (const job of jobs) {
    const ordered = orderSteps(job.steps);
    const keys = stepKeys(ordered);
    ordered.forEach((step, i) => {
      const use = (step.use ?? "").trim();
      if (use === "" || (step.run ?? "").trim() !== "" || use.includes("${{") || !isLocalActionUse(use)) return;
      const dir = path.resolve(base, use);
      const rel = path.relative(base, dir);
      if (rel.startsWith("..") || path.isAbsolute(rel)) return;
      found.push({ job: job.id, step: keys[i]!, use, dir });
    });
  }
  return found;
}

/**
 * The job-level `use: ./path` steps of `jobs` whose folder is not under `root`. A value with `${{ }}` is left to
 * its step (it may name an earlier step's output), as are references that leave the root: the run reports those
 * itself. The actions a composite calls are brokenLocalActions()'s (runners/github-actions/local-action-check.ts).
 */
export function missingLocalActions(jobs: PlanJob[], root: string): MissingLocalAction[] {
  const base = path.resolve(root);
  return localActionSteps(jobs, base)
    .filter((found) => !isDirectory(found.dir))
    .map((found) => ({ ...found, message: localActionMissing(found.use, found.dir, base) }));
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
