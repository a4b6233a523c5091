// The semantic intent diff (--changed) reads numbers as the planner does (yaml.v3, spec 10 §1.10; rev27b): `010` is 8
// and `1_000` is 1000 there, so `10` → `010` changes what is planned and `1000` → `1_000` does not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { diffIntentText } from "../../../src/planner/changes/intent-diff.js";

const intent = (replicas: string): string =>
  `apiVersion: sourceplane.io/v1\nkind: Intent\ncomponents:\n  - name: api\n    type: svc\n    parameters:\n      replicas: ${replicas}\n`;

test("a component whose parameter changes value under yaml.v3 (10 → 010, 644 → 0644) is modified", () => {
  assert.deepEqual(diffIntentText(intent("10"), intent("010")).components.modified, ["api"]);
  assert.deepEqual(diffIntentText(intent("0644"), intent("644")).components.modified, ["api"]);
});

test("a number spelled another way with the same yaml.v3 value (1000 → 1_000, 8 → 010) is no change", () => {
  assert.deepEqual(diffIntentText(intent("1000"), intent("1_000")).components.modified, []);
  assert.deepEqual(diffIntentText(intent("8"), intent("010")).components.modified, []);
});
