// Aliases are resolved from one walk of the document, not by the yaml library's
// per-alias search of everything before it: that was O(n²), so a 700 kB file of
// 200,000 aliases (or an intent whose thousands of components share
// `<<: *defaults`) hung `orun plan` instead of being read or refused. The search
// is counted here (a hang cannot be timed out inside one process); the CLI
// test test/cli/plan-yaml-alias-scale.test.ts runs a big file end to end.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Alias, parseDocument } from "yaml";
import { diffIntentText } from "../../../src/planner/changes/intent-diff.js";
import { expandedValues, lineAt, parseYamlText } from "../../../src/planner/load/yaml.js";

function manyAliases(items: number): string {
  let text = "defaults: &d {team: core, tier: web}\nname: &n api\nitems:\n";
  for (let i = 0; i < items; i++) text += `  - {<<: *d, owner: *n}\n`;
  return text;
}

/** Runs `fn` counting calls of the library's whole-document alias search. */
function librarySearches<T>(fn: () => T): { result: T; searches: number } {
  const original = Object.getOwnPropertyDescriptor(Alias.prototype, "resolve")!;
  let searches = 0;
  Object.defineProperty(Alias.prototype, "resolve", {
    ...original,
    value(this: Alias, ...args: unknown[]) {
      searches++;
      return (original.value as (...a: unknown[]) => unknown).apply(this, args);
    },
  });
  try {
    return { result: fn(), searches };
  } finally {
    Object.defineProperty(Alias.prototype, "resolve", original);
  }
}

test("reading a document with thousands of aliases (merge keys among them) never runs the library's per-alias search", () => {
  const items = 1_000;
  const { result: docs, searches } = librarySearches(() => parseYamlText(manyAliases(items), "big.yaml", "/big.yaml"));
  assert.equal(searches, 0);
  const value = docs[0]!.value as { items: Record<string, unknown>[] };
  assert.equal(value.items.length, items);
  assert.deepEqual(value.items[0], { team: "core", tier: "web", owner: "api" });
  assert.deepEqual(value.items.at(-1), { team: "core", tier: "web", owner: "api" });
  assert.equal(lineAt(docs[0]!, ["items", items - 1, "owner"]), items + 3);
});

test("the --changed intent diff reads an intent with thousands of aliases without the per-alias search", () => {
  const head = `apiVersion: sourceplane.io/v1\nkind: Intent\n${manyAliases(1_000)}`;
  const { result: diff, searches } = librarySearches(() => diffIntentText(head, head.replace("tier: web", "tier: api")));
  assert.equal(searches, 0);
  assert.equal(diff.unreadable, undefined);
  assert.deepEqual(diff.changedSections, ["defaults", "items"]);
});

test("an alias names the last anchor before it, as the yaml library resolves it; one inside its own anchor is circular", () => {
  const text = "m1: &m1 {p: 1}\nm2: &m2 {p: 2, q: 3}\na: &x {v: 1}\nb: [*x]\nc: &x [2]\nd: *x\ne: {<<: [*m1, *m2]}\n";
  assert.deepEqual(parseYamlText(text, "t.yaml", "/t.yaml")[0]!.value, {
    m1: { p: 1 },
    m2: { p: 2, q: 3 },
    a: { v: 1 },
    b: [{ v: 1 }],
    c: [2],
    d: [2],
    e: { p: 1, q: 3 },
  });
  // The root map, keys a, c, d, {v: 1} (3), [2] (2), and d's alias: [2] again (2), not a's map (3).
  assert.equal(expandedValues(parseDocument("a: &x {v: 1}\nc: &x [2]\nd: *x\n")), 1 + 1 + 3 + 1 + 2 + 1 + 2);
  assert.equal(expandedValues(parseDocument("a: &x [1, *x]\n")), Infinity);
  assert.throws(() => parseYamlText("a: &x [1, *x]\n", "t.yaml", "/t.yaml"), /t\.yaml:1: a\[1\]: an alias refers to a node that contains it/);
});
