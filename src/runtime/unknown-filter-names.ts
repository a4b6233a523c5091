// `orun run --component X` / `-e X` where X names no component or environment of the intent at all: a typo,
// refused before a record is made (it recorded an empty execution that became `latest`). A name the intent
// knows but this plan has no job for stays a warning (unmatchedFilterWarnings): a CI matrix leg may run a
// changed-only plan for a component or environment it has nothing to do for, and its record is what
// `orun status --exec-id` waits for.
import type { Plan } from "../model/plan.js";
import { matchesAny } from "./run-scope.js";

export interface FilterNames {
  components: readonly string[];
  environments: readonly string[];
}

/**
 * Throws `no component matched "X"` (or environment), with a did-you-mean and the names the intent has, for the
 * first filter value that matches neither a job of the plan nor anything the intent declares. Without an intent
 * (a plan file run elsewhere), or one that cannot be loaded, nothing tells a typo from a name this plan left out.
 */
export async function refuseUnknownFilterNames(plan: Plan, filters: FilterNames, intent: { cwd: string; intentRoot?: string; intentPath?: string; configDir?: string }): Promise<void> {
  const unmatched = (values: readonly string[], of: (job: Plan["jobs"][number]) => string): string[] =>
    values.filter((value) => !plan.jobs.some((job) => matchesAny([value], of(job))));
  const components = unmatched(filters.components, (job) => job.component);
  const environments = unmatched(filters.environments, (job) => job.environment);
  if (intent.intentRoot === undefined || (components.length === 0 && environments.length === 0)) return;
  const { loadWorkspace } = await import("../planner/load/index.js");
  const workspace = await loadWorkspace({ cwd: intent.cwd, intentPath: intent.intentPath, configDir: intent.configDir }).catch(() => undefined);
  if (!workspace) return;
  const { noMatch } = await import("../planner/filter.js");
  const known = (names: Iterable<string>, of: (job: Plan["jobs"][number]) => string): string[] => [...new Set([...names, ...plan.jobs.map(of)])];
  const componentNames = known(workspace.components.map((component) => component.name), (job) => job.component);
  const environmentNames = known(Object.keys(workspace.intent.environments), (job) => job.environment);
  for (const value of components) if (!componentNames.some((name) => matchesAny([value], name))) throw noMatch("component", value, componentNames, "--component");
  for (const value of environments) if (!environmentNames.some((name) => matchesAny([value], name))) throw noMatch("environment", value, environmentNames, "--env");
}
