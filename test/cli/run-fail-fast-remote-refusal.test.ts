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

test("a dry-run and a --background parent refuse the remote-state flag combinations the run refuses, alike", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.x", steps: [{ run: "touch ran" }] }]);
  const env = { ORUN_BACKEND_URL: "http://127.0.0.1:9", ORUN_TOKEN: "t", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "" };
  const cases: { args: string[]; env: Record<string, string>; message: RegExp }[] = [
    { args: ["--no-fail-fast", "--remote-state", "--exec-id", "nff-2", "--job", "a@dev.x"], env, message: /--no-fail-fast does not apply under remote state: remote run nff-2/ },
    { args: ["--remote-state"], env: { ...env, ORUN_BACKEND_URL: "" }, message: /--remote-state requires --backend-url/ },
  ];
  for (const { args, env: caseEnv, message } of cases) {
    const run = await runOrun(["run", "plan.json", ...args], { cwd: dir, env: caseEnv });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, message);
    for (const variant of ["--dry-run", "--background"]) {
      const other = await runOrun(["run", "plan.json", ...args, variant], { cwd: dir, env: caseEnv });
      assert.equal(other.code, run.code, `${variant}: ${other.stdout}${other.stderr}`);
      assert.equal(other.stderr, run.stderr, variant);
      assert.equal(other.stdout, "", variant);
    }
  }
  assert.equal(existsSync(path.join(dir, "ran")), false);
  assert.equal(existsSync(path.join(dir, ".orun")), false);
});
