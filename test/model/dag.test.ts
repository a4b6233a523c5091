import { test } from "node:test";
import assert from "node:assert/strict";
import { findCycle, findUnknownDependency, indexNodes, orderDag, ReadyQueue, type DependsOn } from "../../src/model/dag.js";

const of =
  (graph: Record<string, string[]>): DependsOn =>
  (id) =>
    graph[id];

/** Deterministic pseudo-random numbers (LCG), so a failure reproduces. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function shuffle<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const pad = (i: number): string => `j${String(i).padStart(6, "0")}`;

test("ReadyQueue pops IDs smallest first in code-unit order (not locale order), duplicates included", () => {
  const queue = new ReadyQueue();
  assert.equal(queue.pop(), undefined);
  const next = random(7);
  const ids = Array.from({ length: 300 }, () => `id${Math.floor(next() * 120)}`).concat(["B", "a", "Z", "é", "e"]);
  for (const id of ids) queue.push(id);
  assert.equal(queue.size, ids.length);
  const popped: string[] = [];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) popped.push(id);
  assert.deepEqual(popped, [...ids].sort());
  assert.deepEqual(popped.slice(0, 3), ["B", "Z", "a"]);
  assert.equal(queue.size, 0);
});

test("orderDag puts dependencies first and takes the smallest ready ID first", () => {
  const { order, unordered } = orderDag(
    ["web@dev.deploy", "api@dev.deploy", "db@dev.deploy", "cache@dev.deploy", "zeta@dev.deploy"],
    of({
      "web@dev.deploy": ["api@dev.deploy"],
      "api@dev.deploy": ["db@dev.deploy"],
      "db@dev.deploy": [],
      "cache@dev.deploy": [],
      "zeta@dev.deploy": [],
    }),
  );
  // zeta is ready from the start but every smaller ID that becomes ready meanwhile goes first.
  assert.deepEqual(order, ["cache@dev.deploy", "db@dev.deploy", "api@dev.deploy", "web@dev.deploy", "zeta@dev.deploy"]);
  assert.deepEqual(unordered, []);
});

test("orderDag's result depends neither on node order nor on dependency order, and is a valid order", () => {
  const next = random(42);
  const graph: Record<string, string[]> = {};
  const ids = Array.from({ length: 200 }, (_, i) => `n${i}`);
  for (const [i, id] of ids.entries()) {
    graph[id] = [];
    for (let k = 0; k < 3 && i > 0; k++) graph[id].push(ids[Math.floor(next() * i)]!);
  }
  const expected = orderDag(ids, of(graph)).order;
  assert.equal(expected.length, ids.length);
  const position = new Map(expected.map((id, i) => [id, i]));
  for (const id of ids) for (const dep of graph[id]!) assert.ok(position.get(dep)! < position.get(id)!, `${dep} before ${id}`);
  for (let seed = 1; seed <= 5; seed++) {
    const shuffled = random(seed);
    const reordered = Object.fromEntries(ids.map((id) => [id, shuffle(graph[id]!, shuffled)]));
    assert.deepEqual(orderDag(shuffle(ids, shuffled), of(reordered)).order, expected);
  }
});

test("a dependency listed twice is released twice: the dependent still runs once, after it", () => {
  const { order, unordered } = orderDag(["b", "a"], of({ a: [], b: ["a", "a"] }));
  assert.deepEqual(order, ["a", "b"]);
  assert.deepEqual(unordered, []);
});

test("nodes waiting for an unknown dependency, on a cycle or behind one stay unordered, in input order", () => {
  const { order, unordered } = orderDag(
    ["z", "ghost-user", "c1", "c2", "behind", "free"],
    of({ z: [], "ghost-user": ["ghost"], c1: ["c2"], c2: ["c1"], behind: ["c1", "z"], free: ["z"] }),
  );
  assert.deepEqual(order, ["z", "free"]);
  assert.deepEqual(unordered, ["ghost-user", "c1", "c2", "behind"]);
});

test("indexNodes reports the second occurrence of a duplicate ID; idOf sees nodes in order", () => {
  const nodes = [{ id: "a" }, { id: "b" }, { id: "a" }, { id: "b" }];
  assert.deepEqual(indexNodes(nodes, (n) => n.id), { duplicate: { id: "a", index: 2 } });
  const ok = indexNodes([{ id: "x" }, { id: "y" }], (n) => n.id);
  assert.ok("byId" in ok);
  assert.deepEqual([...ok.byId.keys()], ["x", "y"]);
  // A caller validating shapes in idOf gets the first problem in node order.
  const seen: number[] = [];
  assert.throws(
    () =>
      indexNodes([{ id: "a" }, { id: "" }, { id: "a" }], (n, i) => {
        seen.push(i);
        if (!n.id) throw new Error(`nodes[${i}].id is empty`);
        return n.id;
      }),
    /nodes\[1\]\.id is empty/,
  );
  assert.deepEqual(seen, [0, 1]);
});

test("findUnknownDependency names the first unknown dependency in node order, then dependency order", () => {
  const nodes = [
    { id: "a", deps: ["b"] },
    { id: "b", deps: ["a", "ghost1", "ghost0"] },
    { id: "c", deps: ["ghost-c"] },
  ];
  const known = new Set(nodes.map((n) => n.id));
  const found = findUnknownDependency(nodes, (n) => n.deps, known);
  assert.deepEqual(found, { node: nodes[1], index: 1, dependency: "ghost1" });
  assert.equal(
    findUnknownDependency(nodes.slice(0, 1), (n) => n.deps, known),
    undefined,
  );
});

test("findCycle: a self-dependency is the cycle [a, a]; an acyclic graph has none", () => {
  assert.deepEqual(findCycle(["a"], of({ a: ["a"] })), ["a", "a"]);
  assert.equal(findCycle(["a", "b", "c"], of({ a: ["b", "c"], b: ["c"], c: [] })), undefined);
});

test("findCycle names only the cycle, in dependsOn direction, from where the search closed it", () => {
  const graph = of({ a: ["b"], b: ["c"], c: ["d"], d: ["b"], e: [] });
  assert.deepEqual(findCycle(["a", "b", "c", "d", "e"], graph), ["b", "c", "d", "b"]);
  // Roots are tried in the given order and dependencies followed in the listed order.
  assert.deepEqual(findCycle(["d"], graph), ["d", "b", "c", "d"]);
  const twoCycles = of({ r: ["y", "x"], x: ["x2"], x2: ["x"], y: ["y2"], y2: ["y"] });
  assert.deepEqual(findCycle(["r"], twoCycles), ["y", "y2", "y"]);
  // Dependencies that are not nodes are skipped, not followed.
  assert.deepEqual(findCycle(["a"], of({ a: ["ghost", "b"], b: ["a"] })), ["a", "b", "a"]);
});

test("findCycle names a 1,000-node cycle completely", () => {
  const graph: Record<string, string[]> = {};
  for (let i = 0; i < 1000; i++) graph[pad(i)] = [pad((i + 1) % 1000)];
  const cycle = findCycle([pad(500)], of(graph))!;
  assert.equal(cycle.length, 1001);
  assert.equal(cycle[0], pad(500));
  assert.equal(cycle[1], pad(501));
  assert.equal(cycle.at(-2), pad(499));
  assert.equal(cycle.at(-1), pad(500));
});

/**
 * The cycle the plan runtime named before the DAG module existed: start at the
 * smallest stuck job, step to its smallest stuck dependency until a job repeats.
 */
function walkCycle(stuck: ReadonlySet<string>, dependsOn: DependsOn): string[] {
  const path: string[] = [];
  const seen = new Map<string, number>();
  let current = [...stuck].sort()[0]!;
  while (!seen.has(current)) {
    seen.set(current, path.length);
    path.push(current);
    current = dependsOn(current)!.filter((dep) => stuck.has(dep)).sort()[0]!;
  }
  return [...path.slice(seen.get(current)!), current];
}

test("with sorted roots and dependencies, findCycle meets the same cycle as the smallest-first walk", () => {
  for (let seed = 1; seed <= 200; seed++) {
    const next = random(seed);
    const size = 3 + Math.floor(next() * 12);
    const ids = Array.from({ length: size }, (_, i) => `n${String.fromCharCode(97 + i)}`);
    const graph: Record<string, string[]> = {};
    for (const id of ids) graph[id] = ids.filter(() => next() < 0.2);
    const { unordered } = orderDag(ids, of(graph));
    if (unordered.length === 0) {
      assert.equal(findCycle(ids, of(graph)), undefined);
      continue;
    }
    const stuck = new Set(unordered);
    const sortedStuckDeps: DependsOn = (id) => (stuck.has(id) ? graph[id]!.filter((d) => stuck.has(d)).sort() : undefined);
    const expected = walkCycle(stuck, of(graph));
    assert.deepEqual(findCycle([...unordered].sort(), sortedStuckDeps), expected, `seed ${seed}`);
    // Searching the whole graph (sorted roots, sorted dependencies) meets the same cycle.
    assert.deepEqual(
      findCycle([...ids].sort(), (id) => [...graph[id]!].sort()),
      expected,
      `seed ${seed} (whole graph)`,
    );
  }
});

test("a 100,000-node chain and ring: ordered and searched without overflowing the stack", () => {
  const n = 100_000;
  const graph: Record<string, string[]> = {};
  for (let i = 0; i < n; i++) graph[pad(i)] = i === 0 ? [] : [pad(i - 1)];
  const ids = Object.keys(graph);
  const { order, unordered } = orderDag([...ids].reverse(), of(graph));
  assert.equal(order.length, n);
  assert.equal(order[0], pad(0));
  assert.equal(order.at(-1), pad(n - 1));
  assert.deepEqual(unordered, []);
  // Depth-first from the far end walks the whole chain.
  assert.equal(findCycle([pad(n - 1)], of(graph)), undefined);
  graph[pad(0)] = [pad(n - 1)];
  const cycle = findCycle([pad(n - 1)], of(graph))!;
  assert.equal(cycle.length, n + 1);
  assert.equal(cycle[1], pad(n - 2));
  assert.equal(orderDag(ids, of(graph)).unordered.length, n);
});
