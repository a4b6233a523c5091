// The semantic intent diff (--changed) reads intent.yaml at two revisions and
// copies every alias: a revision whose aliases of aliases multiply is told
// as unreadable (what changed is unknown) at once instead of expanded without bound.
import { test } from "node:test";
import assert from "node:assert/strict";
import { diffIntentText } from "../../../src/planner/changes/intent-diff.js";

test("an intent revision that is an alias bomb is unreadable, decided without expanding it", () => {
  let bomb = "apiVersion: sourceplane.io/v1\nkind: Intent\na: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i < 9; i++) bomb += `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]\n`;
  const plain = "apiVersion: sourceplane.io/v1\nkind: Intent\nmetadata: {name: t}\n";
  const started = Date.now();
  const diff = diffIntentText(bomb, plain);
  assert.ok(Date.now() - started < 5000, "10^9 values are not built");
  assert.equal(diff.unreadable, "base version: its aliases expand to more than 5000000 values");
  // Shared anchors used many times are read as usual.
  let shared = "apiVersion: sourceplane.io/v1\nkind: Intent\nbase: &l {team: core}\ncomponents:\n";
  for (let i = 0; i < 2000; i++) shared += `  - {name: c${i}, type: svc, labels: *l}\n`;
  const same = diffIntentText(shared, shared.replace("c1999", "c2000"));
  assert.equal(same.unreadable, undefined);
  assert.deepEqual(same.components, { added: ["c2000"], modified: [], removed: ["c1999"] });
});
