// --fail-fast / --no-fail-fast under remote state is refused before orun says anything about a remote run:
// a "remote state: run <id> on <url>" line first would read as though the run had started.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

test("--fail-fast under remote state is refused with no line announcing a remote run", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.x", steps: [{ run: "touch ran" }] }]);
  // Nothing listens on the backend URL: orun must not need it to refuse.
  const env = { ORUN_BACKEND_URL: "http://127.0.0.1:9", ORUN_TOKEN: "t" };
  for (const args of [["--fail-fast", "--remote-state"], ["--no-fail-fast", "--remote-state", "--exec-id", "r1"]]) {
    const refused = await runOrun(["run", "plan.json", ...args], { cwd: dir, env });
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /fail-fast does not apply under remote state/);
    assert.doesNotMatch(refused.stderr, /remote state: run/);
  }
  assert.equal(existsSync(path.join(dir, "ran")), false);
  assert.equal(existsSync(path.join(dir, ".orun")), false);
});
