import { test } from "node:test";
import assert from "node:assert/strict";
import { assertAcyclic, topologicalOrder } from "../../src/planner/resolve.js";
import { splitList } from "../../src/planner/filter.js";
import { suggestName as suggest } from "../../src/planner/validate/did-you-mean.js";
import { matchesPattern } from "../../src/planner/expand.js";

function graph(entries: [string, string[]][]): Map<string, string[]> {
  return new Map(entries);
}

function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

test("Kahn order takes the lexicographically smallest ready job first", () => {
  const g = graph([
    ["web@dev.deploy", ["api@dev.deploy"]],
    ["api@dev.deploy", ["db@dev.deploy"]],
    ["db@dev.deploy", []],
    ["cache@dev.deploy", []],
    ["zeta@dev.deploy", []],
  ]);
  assert.deepEqual(topologicalOrder(g), ["cache@dev.deploy", "db@dev.deploy", "api@dev.deploy", "web@dev.deploy", "zeta@dev.deploy"]);
});

test("the order does not depend on the order jobs were inserted", () => {
  const entries: [string, string[]][] = [];
  for (let i = 0; i < 60; i++) entries.push([`c${i}@e.j`, i > 2 ? [`c${i % 7}@e.j`, `c${(i * 3) % i}@e.j`].filter((d) => d !== `c${i}@e.j`) : []]);
  const expected = topologicalOrder(graph(entries));
  for (let seed = 1; seed < 6; seed++) assert.deepEqual(topologicalOrder(graph(shuffled(entries, seed))), expected);
  // and it is a valid topological order
  const position = new Map(expected.map((id, i) => [id, i]));
  for (const [id, deps] of entries) for (const dep of deps) assert.ok(position.get(dep)! < position.get(id)!, `${dep} before ${id}`);
});

test("a cycle is reported with its path", () => {
  const g = graph([
    ["a@dev.build", ["b@dev.build"]],
    ["b@dev.build", ["c@dev.build"]],
    ["c@dev.build", ["a@dev.build"]],
    ["d@dev.build", []],
  ]);
  assert.throws(() => assertAcyclic(g), { message: "cycle detection failed: cycle detected in job dependencies: a@dev.build → b@dev.build → c@dev.build → a@dev.build" });
});

test("a self-dependency is a cycle", () => {
  assert.throws(() => assertAcyclic(graph([["a@dev.x", ["a@dev.x"]]])), /cycle detected in job dependencies: a@dev.x → a@dev.x/);
});

test("a cycle reached from an acyclic prefix names only the cycle", () => {
  const g = graph([
    ["a@e.j", ["b@e.j"]],
    ["b@e.j", ["c@e.j"]],
    ["c@e.j", ["b@e.j"]],
  ]);
  assert.throws(() => assertAcyclic(g), { message: "cycle detection failed: cycle detected in job dependencies: b@e.j → c@e.j → b@e.j" });
});

test("very long dependency chains neither overflow the stack nor slow down", () => {
  const entries: [string, string[]][] = [];
  for (let i = 0; i < 50_000; i++) entries.push([`c${String(i).padStart(6, "0")}@e.j`, i === 0 ? [] : [`c${String(i - 1).padStart(6, "0")}@e.j`]]);
  const g = graph(entries);
  assertAcyclic(g);
  const order = topologicalOrder(g);
  assert.equal(order.length, 50_000);
  assert.equal(order[0], "c000000@e.j");
  assert.equal(order.at(-1), "c049999@e.j");
});

test("did-you-mean suggestions: closest name within max(2, len/2) edits, case-insensitive", () => {
  assert.equal(suggest("prd", ["dev", "prod"]), "prod");
  assert.equal(suggest("wbe", ["api", "web"]), "web");
  assert.equal(suggest("WEB", ["api", "web"]), "web");
  assert.equal(suggest("zzzzzz", ["api", "web"]), undefined);
});

test("patterns: * matches all, prefix* a prefix, else exact; comma lists split and trim", () => {
  assert.ok(matchesPattern("*", "anything"));
  assert.ok(matchesPattern("api-*", "api-1"));
  assert.ok(!matchesPattern("api-*", "web"));
  assert.ok(matchesPattern("web", "web"));
  assert.ok(!matchesPattern("web", "web-2"));
  assert.deepEqual(splitList(["dev, prod", "", " qa "]), ["dev", "prod", "qa"]);
});
