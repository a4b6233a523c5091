// Which jobs a run takes from its plan: `--env` keeps the named
// environments' jobs; `--component X` keeps X's jobs plus, transitively, the
// jobs they depend on within those environments (decision 5: X comes with what
// it needs). That is more than X's component dependencies when an
// environment-barrier promotion makes X's production job wait for every
// component's staging job; a plan compiled for X alone (`orun plan
// --component X`, `orun run X`) holds no other component's staging job to wait
// for. A dependency the environments leave out is not added: its dependents
// wait for it (see the scheduler), so `-e prod` never re-runs dev. Filter values matching no job are warned of.
import { canonicalJobId, type Plan, type PlanJob } from "../model/plan.js";

/** Exact names, or `prefix*`. */
export function matchesAny(patterns: readonly string[], value: string): boolean {
  return patterns.some((pattern) => (pattern.endsWith("*") ? value.startsWith(pattern.slice(0, -1)) : pattern === value));
}

export interface RunScope {
  /** The jobs to run, in the order given. */
  jobs: PlanJob[];
  /** Components whose jobs came along only as dependencies, sorted. */
  addedComponents: string[];
}

export function scopeJobs(jobs: readonly PlanJob[], filters: { components?: readonly string[]; environments?: readonly string[] }): RunScope {
  const pool = filters.environments?.length ? jobs.filter((job) => matchesAny(filters.environments!, job.environment)) : [...jobs];
  if (!filters.components?.length) return { jobs: pool, addedComponents: [] };
  const byId = new Map(pool.map((job) => [canonicalJobId(job.id), job]));
  const named = pool.filter((job) => matchesAny(filters.components!, job.component));
  const taken = new Set(named.map((job) => canonicalJobId(job.id)));
  const queue = [...named];
  while (queue.length > 0) {
    for (const dep of queue.shift()!.dependsOn ?? []) {
      const id = canonicalJobId(dep);
      const job = byId.get(id);
      if (job && !taken.has(id)) {
        taken.add(id);
        queue.push(job);
      }
    }
  }
  const namedComponents = new Set(named.map((job) => job.component));
  const selected = pool.filter((job) => taken.has(canonicalJobId(job.id)));
  return { jobs: selected, addedComponents: [...new Set(selected.map((job) => job.component))].filter((name) => !namedComponents.has(name)).sort() };
}

/** The components whose jobs `scopeJobs` takes, sorted: what a scope banner names. */
export function componentsTaken(jobs: readonly PlanJob[], filters: { components?: readonly string[]; environments?: readonly string[] }): string[] {
  return [...new Set(scopeJobs(jobs, filters).jobs.map((job) => job.component))].sort();
}

/**
 * `--component` / `--env` values the user typed that match no job of the plan, as warnings: a typo would
 * otherwise run nothing and look like success. Not an error: a CI matrix runs one plan per environment, and a
 * plan of what changed may have nothing for some of them.
 */
export function unmatchedFilterWarnings(plan: Plan, filters: { components?: readonly string[]; environments?: readonly string[] }): string[] {
  const check = (flag: string, values: readonly string[] | undefined, of: (job: PlanJob) => string): string[] => {
    const known = [...new Set(plan.jobs.map(of))].sort();
    const unmatched = (values ?? []).filter((value) => !known.some((name) => matchesAny([value], name)));
    return unmatched.length ? [`${flag} ${unmatched.join(", ")} matches no job of the plan (it has ${known.join(", ") || "no jobs"})`] : [];
  };
  return [...check("--component", filters.components, (job) => job.component), ...check("--env", filters.environments, (job) => job.environment)];
}
