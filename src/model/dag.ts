// Dependency graphs of string IDs (plan jobs, backend run jobs): the one home
// of "order a DAG deterministically, find and name a cycle, report duplicate
// IDs and unknown dependencies". Pure functions with no I/O and no error
// wording: each caller phrases its own message and location (planner: the
// source YAML line; plan files: the field; backend: an HTTP 400 text).
//
// IDs compare by UTF-16 code units (`<`), never by locale, so every machine
// computes the same order. Nothing here recurses: a 100,000-job chain cannot
// overflow the call stack.

/** A node's dependencies, or undefined when `id` is not a node of the graph. */
export type DependsOn = (id: string) => readonly string[] | undefined;

/** Ready IDs, smallest first: a binary min-heap specialised to strings (the hot path of Kahn and the scheduler). */
export class ReadyQueue {
  private readonly items: string[] = [];

  get size(): number {
    return this.items.length;
  }

  push(id: string): void {
    const a = this.items;
    a.push(id);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= id) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = id;
  }

  /** The smallest ID, or undefined when empty. */
  pop(): string | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
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

export interface DuplicateId {
  id: string;
  /** Position of the second occurrence. */
  index: number;
}

/**
 * Nodes by ID, or the first ID that occurs twice. `idOf` is called once per
 * node in order, so a caller may validate each node's shape there (throwing
 * its own error) and keep "first problem in file order" reporting.
 */
export function indexNodes<N>(nodes: readonly N[], idOf: (node: N, index: number) => string): { byId: Map<string, N> } | { duplicate: DuplicateId } {
  const byId = new Map<string, N>();
  for (let index = 0; index < nodes.length; index++) {
    const node = nodes[index]!;
    const id = idOf(node, index);
    if (byId.has(id)) return { duplicate: { id, index } };
    byId.set(id, node);
  }
  return { byId };
}

export interface UnknownDependency<N> {
  node: N;
  index: number;
  dependency: string;
}

/**
 * The first dependency (nodes in order, then each node's dependencies in
 * order) that names no node. `dependsOnOf` is called once per node in order,
 * like `idOf` in indexNodes.
 */
export function findUnknownDependency<N>(
  nodes: readonly N[],
  dependsOnOf: (node: N, index: number) => readonly string[],
  known: { has(id: string): boolean },
): UnknownDependency<N> | undefined {
  for (let index = 0; index < nodes.length; index++) {
    const node = nodes[index]!;
    for (const dependency of dependsOnOf(node, index)) if (!known.has(dependency)) return { node, index, dependency };
  }
  return undefined;
}

export interface DagOrder {
  /** Dependencies first; whenever several nodes are ready, the smallest ID goes first. */
  order: string[];
  /**
   * Nodes that never became ready, in input order: on a cycle, behind one, or
   * waiting for a dependency that is not a node. Empty for a valid DAG.
   */
  unordered: string[];
}

/**
 * Kahn's algorithm over distinct `ids`. The result does not depend on the
 * order of `ids` or of each node's dependencies; a dependency listed twice
 * counts twice and is released twice, so duplicates are harmless.
 */
export function orderDag(ids: Iterable<string>, dependsOn: DependsOn): DagOrder {
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const ready = new ReadyQueue();
  for (const id of ids) {
    const deps = dependsOn(id) ?? [];
    waiting.set(id, deps.length);
    if (deps.length === 0) ready.push(id);
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list) list.push(id);
      else dependents.set(dep, [id]);
    }
  }
  const order: string[] = [];
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    order.push(id);
    const released = dependents.get(id);
    if (!released) continue;
    for (const dependent of released) {
      const left = waiting.get(dependent)! - 1;
      waiting.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  const unordered: string[] = [];
  if (order.length < waiting.size) for (const [id, left] of waiting) if (left > 0) unordered.push(id);
  return { order, unordered };
}

/**
 * The first dependency cycle a depth-first search meets: roots tried in the
 * given order, each node's dependencies followed in the order `dependsOn`
 * lists them, dependencies that are not nodes skipped. Returned as the path
 * `[x, …, x]` in which each ID depends on the next, from the node where the
 * search closed the loop back to it (`[a, a]` for a self-dependency);
 * undefined when nothing reachable from the roots is cyclic.
 *
 * With sorted roots and sorted dependencies this is also the cycle met by
 * starting at the smallest unordered node and always stepping to its smallest
 * unordered dependency (see orderDag).
 */
export function findCycle(roots: Iterable<string>, dependsOn: DependsOn): string[] | undefined {
  // Position on the current path while a node is being explored; DONE once all it reaches is acyclic.
  const DONE = -1;
  const state = new Map<string, number>();
  const path: { id: string; deps: readonly string[]; next: number }[] = [];
  for (const root of roots) {
    if (state.has(root)) continue;
    state.set(root, 0);
    path.push({ id: root, deps: dependsOn(root) ?? [], next: 0 });
    while (path.length > 0) {
      const frame = path[path.length - 1]!;
      if (frame.next >= frame.deps.length) {
        path.pop();
        state.set(frame.id, DONE);
        continue;
      }
      const dep = frame.deps[frame.next++]!;
      const position = state.get(dep);
      if (position === undefined) {
        const deps = dependsOn(dep);
        if (deps === undefined) continue;
        state.set(dep, path.length);
        path.push({ id: dep, deps, next: 0 });
      } else if (position !== DONE) {
        return [...path.slice(position).map((f) => f.id), dep];
      }
    }
  }
  return undefined;
}

/**
 * A cycle as `a → b → a` for a message; a long one (thousands of jobs in a
 * chain closed by one edge) keeps its first and last steps and says how many
 * were left out, rather than a message of hundreds of kilobytes.
 */
export function formatCycle(cycle: readonly string[], max = 12): string {
  // Leaving out a single job would say "… 1 more …" where its name fits.
  if (cycle.length <= max + 1) return cycle.join(" → ");
  const head = cycle.slice(0, Math.ceil(max / 2));
  const tail = cycle.slice(cycle.length - Math.floor(max / 2));
  return [...head, `… ${cycle.length - head.length - tail.length} more …`, ...tail].join(" → ");
}
