// The job graph of a plan: canonical IDs, validation (unknown dependencies,
// cycles) and a deterministic topological order (smallest ready ID first).
import { computePlanChecksum } from "../plan/checksum.js";
import { canonicalJobId, type Plan, type PlanJob } from "../model/plan.js";
import { OrunError } from "../util/errors.js";
import { MinHeap } from "./min-heap.js";

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

/** Kahn's algorithm over all jobs; throws on duplicate IDs, unknown dependencies and cycles (naming the cycle). */
export function orderJobs(jobs: readonly PlanJob[]): PlanJob[] {
  const byId = new Map<string, PlanJob>();
  for (const job of jobs) {
    if (byId.has(job.id)) throw new OrunError(`duplicate job id ${job.id}`, { location: { field: "jobs" } });
    byId.set(job.id, job);
  }
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const job of jobs) {
    const deps = new Set(job.dependsOn ?? []);
    indegree.set(job.id, deps.size);
    for (const dep of deps) {
      if (!byId.has(dep)) throw new OrunError(`job ${job.id} depends on unknown job ${dep}`, { location: { field: `jobs.${job.id}.dependsOn` } });
      let list = dependents.get(dep);
      if (!list) dependents.set(dep, (list = []));
      list.push(job.id);
    }
  }
  const ready = new MinHeap<string>((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [id, degree] of indegree) if (degree === 0) ready.push(id);
  const ordered: PlanJob[] = [];
  while (ready.size > 0) {
    const id = ready.pop()!;
    ordered.push(byId.get(id)!);
    for (const next of dependents.get(id) ?? []) {
      const left = indegree.get(next)! - 1;
      indegree.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  if (ordered.length !== jobs.length) throw new OrunError(`cycle detected in plan jobs: ${findCycle(jobs, indegree).join(" → ")}`);
  return ordered;
}

function findCycle(jobs: readonly PlanJob[], indegree: Map<string, number>): string[] {
  const remaining = new Map(jobs.filter((job) => indegree.get(job.id)! > 0).map((job) => [job.id, job]));
  const start = [...remaining.keys()].sort()[0]!;
  const path: string[] = [];
  const seen = new Map<string, number>();
  let current = start;
  while (!seen.has(current)) {
    seen.set(current, path.length);
    path.push(current);
    current = (remaining.get(current)!.dependsOn ?? []).filter((dep) => remaining.has(dep)).sort()[0]!;
  }
  return [...path.slice(seen.get(current)!), current].reverse();
}

/** `sha256-<hex>`: the plan's own checksum, or the canonical one for hand-written plans that lack it. */
export function planChecksum(plan: Plan): string {
  return plan.metadata?.checksum || computePlanChecksum({ ...plan, metadata: plan.metadata ?? { name: "" } });
}
