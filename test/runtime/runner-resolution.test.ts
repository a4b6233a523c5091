// Runner resolution in seed 000's order (--gha, --runner, ORUN_RUNNER, GITHUB_ACTIONS=true, a `use:` step, local):
// spec 20 §9 conformance cases 3 and 4, where an earlier source must beat a later one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveRunner } from "../../src/runtime/runner-resolution.js";
import { makePlan } from "./helpers.js";

const plain = makePlan([{ id: "api@dev.build", steps: [{ run: "true" }] }]);
const withUse = makePlan([{ id: "api@dev.helm", steps: [{ id: "setup-helm", use: "azure/setup-helm@v4.3.0" }] }]);

test("case 3: no flag or env → local; ORUN_RUNNER=docker beats GITHUB_ACTIONS=true; --runner github-actions beats ORUN_RUNNER=docker", () => {
  assert.deepEqual(resolveRunner({}, {}, plain), { name: "local", source: "default" });
  assert.deepEqual(resolveRunner({}, { ORUN_RUNNER: "docker", GITHUB_ACTIONS: "true" }, plain), { name: "docker", source: "ORUN_RUNNER" });
  assert.deepEqual(resolveRunner({ runner: "github-actions" }, { ORUN_RUNNER: "docker" }, plain), { name: "github-actions", source: "--runner" });
  // normalize = trim + lower-case, for the flag, ORUN_RUNNER and GITHUB_ACTIONS alike.
  assert.deepEqual(resolveRunner({ runner: " Docker " }, {}, plain), { name: "docker", source: "--runner" });
  assert.deepEqual(resolveRunner({}, { GITHUB_ACTIONS: "TRUE" }, plain), { name: "github-actions", source: "GITHUB_ACTIONS" });
});

test("case 4: a use: step auto-selects github-actions only when nothing earlier chose: --runner local and ORUN_RUNNER=docker keep theirs", () => {
  assert.deepEqual(resolveRunner({}, {}, withUse), { name: "github-actions", source: "plan use: step" });
  assert.deepEqual(resolveRunner({ runner: "local" }, {}, withUse), { name: "local", source: "--runner" });
  assert.deepEqual(resolveRunner({}, { ORUN_RUNNER: "docker" }, withUse), { name: "docker", source: "ORUN_RUNNER" });
  // A blank `use:` is no Actions step.
  assert.deepEqual(resolveRunner({}, {}, makePlan([{ id: "api@dev.x", steps: [{ use: "  ", run: "true" }] }])), { name: "local", source: "default" });
});
