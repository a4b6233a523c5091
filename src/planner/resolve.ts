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
// A component that never runs in F gets neither edges nor gates from F.
// Gates are evaluated at run time against the recorded evidence (decision 8).
import type { PromotionGate } from "../model/plan.js";
import { OrunError, type SourceLocation } from "../util/errors.js";
import type { BoundJob } from "./bind.js";
import type { NormalizedIntent } from "./normalize.js";

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
  if (!normalized.componentsByName.has(component)) return `no component named ${component}`;
  if (!normalized.environmentsByName.has(environment)) return `no environment named ${environment}`;
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
          { location: dep.origin?.at("component") ?? component.origin?.at("dependsOn") },
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
      for (const id of envJobs) {
        const job = jobsById.get(id)!;
        if (ctx.appliesIn && !ctx.appliesIn(job.instance.component.name, dep.environment)) continue;
        gates.get(id)!.push({
          type: "environment-promotion",
          environment: dep.environment,
          component: job.instance.component.name,
          condition: dep.condition,
          match: { revision: dep.revision },
        });
      }
    }
  }
}

/** DFS over sorted IDs; throws with the cycle path (`a → b → a`), located by `locate(first job of the cycle)`. */
export function assertAcyclic(dependsOn: ReadonlyMap<string, readonly string[]>, locate?: (id: string) => SourceLocation | undefined): void {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (root: string): void => {
    // Iterative DFS so very deep chains cannot overflow the call stack.
    const frames: { id: string; next: number }[] = [{ id: root, next: 0 }];
    state.set(root, 1);
    stack.push(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const deps = dependsOn.get(frame.id) ?? [];
      if (frame.next >= deps.length) {
        frames.pop();
        stack.pop();
        state.set(frame.id, 2);
        continue;
      }
      const dep = deps[frame.next++]!;
      const s = state.get(dep);
      if (s === 1) {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep];
        throw new OrunError(`cycle detected in job dependencies: ${cycle.join(" → ")}`, { location: locate?.(dep) });
      }
      if (s === undefined && dependsOn.has(dep)) {
        state.set(dep, 1);
        stack.push(dep);
        frames.push({ id: dep, next: 0 });
      }
    }
  };
  for (const id of [...dependsOn.keys()].sort()) if (!state.has(id)) visit(id);
}

/** Binary min-heap of strings (code-unit order; job IDs are compared the same way everywhere). */
class MinHeap {
  private items: string[] = [];
  get size(): number {
    return this.items.length;
  }
  push(value: string): void {
    const a = this.items;
    a.push(value);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= value) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = value;
  }
  pop(): string {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const child = r < a.length && a[r]! < a[l]! ? r : l;
        if (a[child]! >= last) break;
        a[i] = a[child]!;
        i = child;
      }
      a[i] = last;
    }
    return top;
  }
}

/** Kahn's algorithm; among ready jobs the lexicographically smallest ID goes first. */
export function topologicalOrder(dependsOn: ReadonlyMap<string, readonly string[]>): string[] {
  const inDegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [id, deps] of dependsOn) {
    inDegree.set(id, deps.length);
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list) list.push(id);
      else dependents.set(dep, [id]);
    }
  }
  const ready = new MinHeap();
  for (const [id, degree] of inDegree) if (degree === 0) ready.push(id);
  const order: string[] = [];
  while (ready.size > 0) {
    const id = ready.pop();
    order.push(id);
    for (const dependent of dependents.get(id) ?? []) {
      const left = inDegree.get(dependent)! - 1;
      inDegree.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  if (order.length !== dependsOn.size) throw new OrunError("topological sort failed: possible cycle detected");
  return order;
}

export function resolveGraph(jobs: readonly BoundJob[], ctx: ResolveContext): ResolvedGraph {
  const edges = new Map<string, Set<string>>();
  const gates = new Map<string, PromotionGate[]>();
  for (const job of jobs) {
    if (edges.has(job.id)) throw new OrunError(`failed to plan jobs: duplicate job ID ${job.id}`);
    edges.set(job.id, new Set());
    gates.set(job.id, []);
  }
  componentEdges(jobs, ctx, edges);
  promotion(jobs, ctx, edges, gates);
  const dependsOn = new Map<string, string[]>();
  for (const [id, set] of edges) dependsOn.set(id, [...set].sort());
  const byId = new Map(jobs.map((j) => [j.id, j]));
  assertAcyclic(dependsOn, (id) => byId.get(id)?.instance.component.origin?.at("dependsOn"));
  return { order: topologicalOrder(dependsOn), dependsOn, gates };
}

