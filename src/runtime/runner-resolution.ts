// Which runner executes a plan, in the seed's order: --gha, --runner,
// ORUN_RUNNER, GITHUB_ACTIONS=true, a `use:` step in the plan, local.
import type { Plan } from "../model/plan.js";
import { planHasUseStep, type RunnerName } from "../runners/runner.js";
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
