// Stage 5: resolve. Turns component `dependsOn` and environment promotion
// into job edges and promotion gates, rejects dangling dependencies and
// cycles (naming the cycle), and orders the jobs topologically.
//
// Promotion (per active environment E, per `promotion.dependsOn` entry F):
//  - F in the plan, satisfy same-plan / same-plan-or-previous-success → edges
//    (same-component: a job waits for its own component's jobs in F;
//    environment-barrier: every job in E waits for every job in F);
//  - F in the plan, satisfy previous-success → a gate (the docs' "always
//    gates"; v2.3 silently emitted nothing here);
//  - F not in the plan, satisfy previous-success / same-plan-or-previous-success → a gate;
//  - F not in the plan, satisfy same-plan → an error.
// A component that never runs in F gets neither edges nor gates from F, except under environment-barrier:
// it then gets a gate for each component of F.
// Gates are evaluated at run time against the recorded evidence (decision 8).
import { findCycle, formatCycle, indexNodes, orderDag } from "../model/dag.js";
import type { PromotionGate } from "../model/plan.js";
import { OrunError, type SourceLocation } from "../util/errors.js";
import type { BoundJob } from "./bind.js";
import type { NormalizedIntent } from "./normalize.js";
import { closestMatch } from "./validate/did-you-mean.js";

export interface ResolvedGraph {
  /** Job IDs in topological order (smallest ready ID first). */
  order: string[];
  /** job ID → sorted, de-duplicated dependencies. */
  dependsOn: Map<string, string[]>;
  gates: Map<string, PromotionGate[]>;
}

export interface ResolveContext {
  normalized: NormalizedIntent;
  /** Environments present in the plan (after filtering). */
  activeEnvironments: readonly string[];
  /**
   * Whether a component applies to an environment at all (before filtering). A gate
   * on an environment the component never runs in could never be satisfied, so none is added.
   */
  appliesIn?: (component: string, environment: string) => boolean;
}

const instanceKey = (component: string, environment: string): string => `${component}@${environment}`;

function groupJobs(jobs: readonly BoundJob[], key: (job: BoundJob) => string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const job of jobs) {
    const k = key(job);
    const list = map.get(k);
    if (list) list.push(job.id);
    else map.set(k, [job.id]);
  }
  return map;
}

function danglingHint(ctx: ResolveContext, component: string, environment: string): string {
  const { normalized } = ctx;
  if (normalized.disabled.has(component)) return `component ${component} is disabled (enabled: false)`;
  const suggest = (word: string, names: Iterable<string>): string => {
    const match = closestMatch(word, names);
    return match === undefined ? "" : `; did you mean \`${match}\`?`;
  };
  if (!normalized.componentsByName.has(component)) return `no component named ${component}${suggest(component, normalized.componentsByName.keys())}`;
  if (!normalized.environmentsByName.has(environment)) return `no environment named ${environment}${suggest(environment, normalized.environmentsByName.keys())}`;
  if (!ctx.activeEnvironments.includes(environment)) return `environment ${environment} is not part of this plan`;
  return `${component} is not planned in environment ${environment}`;
}

function componentEdges(jobs: readonly BoundJob[], ctx: ResolveContext, edges: Map<string, Set<string>>): void {
  const byInstance = groupJobs(jobs, (j) => instanceKey(j.instance.component.name, j.instance.environment.name));
  const seen = new Set<string>();
  for (const job of jobs) {
    const { component, environment } = job.instance;
    const self = instanceKey(component.name, environment.name);
    if (seen.has(self)) continue;
    seen.add(self);
    const own = byInstance.get(self)!;
    for (const dep of component.dependsOn ?? []) {
      const targetEnv = dep.environment || environment.name;
      const targets = byInstance.get(instanceKey(dep.component, targetEnv));
      if (!targets) {
        throw new OrunError(
          `failed to plan jobs: dependency not found: ${component.name}@${environment.name} depends on ${dep.component}@${targetEnv} (${danglingHint(ctx, dep.component, targetEnv)})`,
          // The field at fault: an explicit environment that names no environment, else the component.
          { location: dep.origin?.at(dep.environment && !ctx.normalized.environmentsByName.has(dep.environment) ? "environment" : "component") ?? component.origin?.at("dependsOn") },
        );
      }
      for (const id of own) for (const target of targets) edges.get(id)!.add(target);
    }
  }
}

function promotion(jobs: readonly BoundJob[], ctx: ResolveContext, edges: Map<string, Set<string>>, gates: Map<string, PromotionGate[]>): void {
  const active = new Set(ctx.activeEnvironments);
  const byEnv = groupJobs(jobs, (j) => j.instance.environment.name);
  const byInstance = groupJobs(jobs, (j) => instanceKey(j.instance.component.name, j.instance.environment.name));
  const jobsById = new Map(jobs.map((j) => [j.id, j]));
  for (const envName of [...active].sort()) {
    const env = ctx.normalized.environmentsByName.get(envName);
    if (!env) continue;
    const envJobs = byEnv.get(envName) ?? [];
    for (const dep of env.promotion) {
      const upstreamActive = active.has(dep.environment);
      const edgesWanted = upstreamActive && (dep.satisfy === "same-plan" || dep.satisfy === "same-plan-or-previous-success");
      if (edgesWanted) {
        for (const id of envJobs) {
          const job = jobsById.get(id)!;
          const targets =
            dep.strategy === "environment-barrier"
              ? (byEnv.get(dep.environment) ?? [])
              : (byInstance.get(instanceKey(job.instance.component.name, dep.environment)) ?? []);
          for (const target of targets) edges.get(id)!.add(target);
        }
        continue;
      }
      if (!upstreamActive && dep.satisfy === "same-plan") {
        throw new OrunError(
          `failed to resolve promotion dependencies: environment ${envName} requires same-plan promotion from ${dep.environment}, but ${dep.environment} is not active in this plan`,
          { location: dep.origin?.at("satisfy") },
        );
      }
      const gate = (component: string): PromotionGate => ({
        type: "environment-promotion",
        environment: dep.environment,
        component,
        condition: dep.condition,
        match: { revision: dep.revision },
      });
      for (const id of envJobs) {
        const job = jobsById.get(id)!;
        const own = job.instance.component.name;
        if (!ctx.appliesIn || ctx.appliesIn(own, dep.environment)) {
          gates.get(id)!.push(gate(own));
        } else if (dep.strategy === "environment-barrier") {
          // A barrier makes this job wait for every job of F in one plan; its component has none there, so the
          // gates ask for F's components instead (one gate for its own would never be satisfied, none at all
          // would let it run unchecked).
          for (const component of ctx.normalized.components) if (ctx.appliesIn(component.name, dep.environment)) gates.get(id)!.push(gate(component.name));
        }
      }
    }
  }
}

/**
 * Throws spec 12 §3.2's `cycle detection failed: cycle detected in job dependencies`, with the cycle path
 * added (`a → b → a`, each job depending on the next), located by `locate(first job of the cycle)`.
 */
export function assertAcyclic(dependsOn: ReadonlyMap<string, readonly string[]>, locate?: (id: string) => SourceLocation | undefined): void {
  const cycle = findCycle([...dependsOn.keys()].sort(), (id) => dependsOn.get(id));
  if (cycle) throw new OrunError(`cycle detection failed: cycle detected in job dependencies: ${formatCycle(cycle)}`, { location: locate?.(cycle[0]!) });
}

/** Job IDs in topological order; among ready jobs the lexicographically smallest ID goes first. */
export function topologicalOrder(dependsOn: ReadonlyMap<string, readonly string[]>): string[] {
  const { order, unordered } = orderDag(dependsOn.keys(), (id) => dependsOn.get(id));
  if (unordered.length > 0) throw new OrunError("topological sort failed: possible cycle detected");
  return order;
}

export function resolveGraph(jobs: readonly BoundJob[], ctx: ResolveContext): ResolvedGraph {
  const edges = new Map<string, Set<string>>();
  const gates = new Map<string, PromotionGate[]>();
  const index = indexNodes(jobs, (job) => job.id);
  if ("duplicate" in index) throw new OrunError(`failed to plan jobs: duplicate job ID ${index.duplicate.id}`);
  for (const job of jobs) {
    edges.set(job.id, new Set());
    gates.set(job.id, []);
  }
  componentEdges(jobs, ctx, edges);
  promotion(jobs, ctx, edges, gates);
  const dependsOn = new Map<string, string[]>();
  for (const [id, set] of edges) dependsOn.set(id, [...set].sort());
  const { order, unordered } = orderDag(dependsOn.keys(), (id) => dependsOn.get(id));
  if (unordered.length > 0) {
    // Only a failed ordering pays for the search that names the cycle.
    assertAcyclic(dependsOn, (id) => index.byId.get(id)?.instance.component.origin?.at("dependsOn"));
    throw new OrunError("topological sort failed: possible cycle detected");
  }
  return { order, dependsOn, gates };
}

