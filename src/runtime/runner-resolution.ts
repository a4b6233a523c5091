// Which runner executes a plan, in the seed's order: --gha, --runner,
// ORUN_RUNNER, GITHUB_ACTIONS=true, a `use:` step in the plan, local; and the
// refusal of a runner that cannot run the plan's `use:` steps.
import type { Plan, PlanJob } from "../model/plan.js";
import { orderSteps, stepKeys } from "../model/steps.js";
import { isUseStep, planHasUseStep, type RunnerName } from "../runners/runner.js";
import { RUNNER_NAMES, runnerHint } from "../runners/registry.js";
import { OrunError } from "../util/errors.js";

export interface RunnerChoice {
  name: RunnerName;
  /** Why this runner was chosen, for dry-run and verbose output. */
  source: "--gha" | "--runner" | "ORUN_RUNNER" | "GITHUB_ACTIONS" | "plan use: step" | "default";
}

export function resolveRunner(options: { gha?: boolean; runner?: string }, env: NodeJS.ProcessEnv, plan: Plan | undefined): RunnerChoice {
  const flag = normalize(options.runner);
  // --gha first, even beside another --runner (the caller warns of that pair).
  if (options.gha) return { name: "github-actions", source: "--gha" };
  if (flag) return { name: checkName(flag, "--runner"), source: "--runner" };
  const fromEnv = normalize(env.ORUN_RUNNER);
  if (fromEnv) return { name: checkName(fromEnv, "ORUN_RUNNER"), source: "ORUN_RUNNER" };
  if ((env.GITHUB_ACTIONS ?? "").trim().toLowerCase() === "true") return { name: "github-actions", source: "GITHUB_ACTIONS" };
  if (plan && planHasUseStep(plan)) return { name: "github-actions", source: "plan use: step" };
  return { name: "local", source: "default" };
}

function normalize(value: string | undefined): string {
  return (value ?? "").trim().toLowerCase();
}

function checkName(name: string, source: string): RunnerName {
  if (!(RUNNER_NAMES as readonly string[]).includes(name)) {
    throw new OrunError(`unsupported runner "${name}" from ${source} (supported: ${[...RUNNER_NAMES].sort().join(", ")}${runnerHint(name)})`);
  }
  return name as RunnerName;
}

/** Only the github-actions runner runs `use:` steps. */
export function runsUseSteps(runner: string): boolean {
  return runner === "github-actions";
}

/**
 * The seed: "If a step contains use:, the local executor fails fast and asks you to rerun with --gha or
 * --runner github-actions" — before any job runs, not when the step is reached after others did their work.
 * A dry-run (`preview`) refuses it too, after its preview, as "the run would refuse".
 */
export function refuseUseSteps(runner: string, jobs: PlanJob[], preview = false): void {
  // Only an offending plan pays for ordering and keying its steps: this runs at every run's start.
  if (runsUseSteps(runner) || !jobs.some((job) => job.steps.some(isUseStep))) return;
  const uses = jobs.flatMap((job) => {
    const ordered = orderSteps(job.steps);
    const keys = stepKeys(ordered);
    return ordered.flatMap((step, i) => (isUseStep(step) ? [{ job: job.id, step: keys[i]!, use: step.use!.trim() }] : []));
  });
  const first = uses[0]!;
  const more = uses.length > 1 ? ` (and ${uses.length - 1} more use: step${uses.length > 2 ? "s" : ""})` : "";
  const refusal = `the ${runner} runner cannot run GitHub Actions steps: job ${first.job} step ${first.step} uses ${first.use}${more}`;
  throw new OrunError(preview ? `the run would refuse: ${refusal}` : refusal, {
    hint: "rerun with --gha or --runner github-actions",
  });
}
