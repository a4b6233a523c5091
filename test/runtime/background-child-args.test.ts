// The arguments a `--background` parent gives its child (spec 20 §7.4, conformance case 46): its own arguments minus
// --background/--bg and any --exec-id (either form), with the pinned exec-id appended.
import { test } from "node:test";
import assert from "node:assert/strict";
import { backgroundChildArgs } from "../../src/runtime/background.js";

test("case 46: run --background --exec-id x --verbose → run --verbose --exec-id id", () => {
  assert.deepEqual(backgroundChildArgs(["run", "--background", "--exec-id", "x", "--verbose"], "id"), ["run", "--verbose", "--exec-id", "id"]);
});

test("--bg and --exec-id=x are dropped too; the other arguments keep their order", () => {
  assert.deepEqual(backgroundChildArgs(["run", "plan.json", "--bg", "--exec-id=x", "--job", "api@dev.build", "--retry"], "id"), ["run", "plan.json", "--job", "api@dev.build", "--retry", "--exec-id", "id"]);
  assert.deepEqual(backgroundChildArgs(["run"], "generated-1"), ["run", "--exec-id", "generated-1"]);
});
