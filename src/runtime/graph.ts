// The job graph of a plan: canonical IDs, validation (unknown dependencies,
// cycles) and a deterministic topological order (smallest ready ID first).
import { runChecksum } from "../plan/checksum.js";
import { findCycle, findUnknownDependency, formatCycle, indexNodes, orderDag } from "../model/dag.js";
import { canonicalJobId, type Plan, type PlanJob } from "../model/plan.js";
import { OrunError } from "../util/errors.js";

/** A copy of the plan with every job ID and dependency in canonical `component@env.job` form. */
export function canonicalizePlan(plan: Plan): Plan {
  if (!Array.isArray(plan.jobs)) throw new OrunError("plan has no jobs array", { location: { field: "jobs" } });
  return {
    ...plan,
    jobs: plan.jobs.map((job, index) => {
      if (typeof job?.id !== "string" || job.id.trim() === "") throw new OrunError("job has no id", { location: { field: `jobs[${index}].id` } });
      if (!Array.isArray(job.steps)) throw new OrunError(`job ${job.id} has no steps array`, { location: { field: `jobs[${index}].steps` } });
      return { ...job, id: canonicalJobId(job.id), dependsOn: (job.dependsOn ?? []).map(canonicalJobId) };
    }),
  };
}

/** Jobs in topological order (smallest ready ID first); throws on duplicate IDs, unknown dependencies and cycles (naming the cycle). */
export function orderJobs(jobs: readonly PlanJob[]): PlanJob[] {
  const index = indexNodes(jobs, (job) => job.id);
  if ("duplicate" in index) throw new OrunError(`duplicate job id ${index.duplicate.id}`, { location: { field: "jobs" } });
  const { byId } = index;
  const unknown = findUnknownDependency(jobs, (job) => job.dependsOn ?? [], byId);
  if (unknown) throw new OrunError(`job ${unknown.node.id} depends on unknown job ${unknown.dependency}`, { location: { field: `jobs.${unknown.node.id}.dependsOn` } });
  const { order, unordered } = orderDag(byId.keys(), (id) => byId.get(id)?.dependsOn ?? []);
  if (unordered.length > 0) throw new OrunError(`cycle detected in plan jobs: ${formatCycle(nameCycle(byId, unordered))}`);
  return order.map((id) => byId.get(id)!);
}

/**
 * The jobs `target` needs run first: its dependencies, theirs and so on, that are not `done`, in `ordered`'s
 * (topological) order. A done job's own dependencies are not needed again.
 */
export function missingDependencies(target: PlanJob, ordered: readonly PlanJob[], done: ReadonlySet<string>): PlanJob[] {
  const byId = new Map(ordered.map((job) => [job.id, job]));
  const needed = new Set<string>();
  const visit = (id: string): void => {
    if (done.has(id) || needed.has(id)) return;
    needed.add(id);
    for (const dep of byId.get(id)?.dependsOn ?? []) visit(dep);
  };
  for (const dep of target.dependsOn ?? []) visit(dep);
  return ordered.filter((job) => needed.has(job.id));
}

/**
 * The cycle met walking from the smallest stuck job to its smallest stuck
 * dependency, each job depending on the next (as the planner and plan files tell a cycle).
 */
function nameCycle(byId: ReadonlyMap<string, PlanJob>, unordered: readonly string[]): string[] {
  const stuck = new Set(unordered);
  return findCycle([...unordered].sort(), (id) => (stuck.has(id) ? (byId.get(id)!.dependsOn ?? []).filter((dep) => stuck.has(dep)).sort() : undefined))!;
}

/**
 * `sha256-<hex>` the run records: the plan's own checksum once verified against
 * its content (plan files are verified when loaded), or the canonical one for
 * hand-written plans that lack it. A checksum that does not match is refused.
 */
export function planChecksum(plan: Plan): string {
  return runChecksum(plan);
}
