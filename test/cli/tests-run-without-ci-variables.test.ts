// When the suite itself runs inside GitHub Actions, the CI's own variables (GITHUB_ACTIONS, GITHUB_*, RUNNER_*,
// ACTIONS_*, CI) must not reach the tests: GITHUB_ACTIONS=true switches every orun they start to the github-actions
// runner and the ::group:: presenter. scripts/run-tests.mjs and runOrun both drop them; a test passes its own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT, runOrun } from "../support/cli.js";
import { planDir, removeDir, tempDir } from "../runtime/helpers.js";

const CI_ENV = {
  CI: "true",
  GITHUB_ACTIONS: "true",
  GITHUB_EVENT_NAME: "push",
  GITHUB_STEP_SUMMARY: "/nonexistent/summary.md",
  RUNNER_TEMP: "/nonexistent/runner-temp",
  ACTIONS_ID_TOKEN_REQUEST_URL: "http://127.0.0.1:9/token",
};

test("scripts/run-tests.mjs runs the tests without the CI's variables it was started with", async (t) => {
  const dir = await tempDir("orun-harness-env-");
  t.after(() => removeDir(dir));
  const probe = path.join(dir, "env-probe.test.mjs");
  await writeFile(
    probe,
    `import { test } from "node:test";\nimport assert from "node:assert/strict";\n` +
      `test("no CI variables", () => {\n` +
      `  assert.deepEqual(Object.keys(process.env).filter((k) => /^(CI|GITHUB_|RUNNER_|ACTIONS_)/.test(k)), []);\n` +
      `  assert.equal(process.env.ORUN_HARNESS_PROBE, "kept");\n});\n`,
  );
  // Without NODE_TEST_CONTEXT: node --test set it for this file, and a nested `node --test` seeing it runs nothing.
  const { NODE_TEST_CONTEXT: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, ["scripts/run-tests.mjs", probe], {
    cwd: PROJECT_ROOT,
    env: { ...env, ...CI_ENV, ORUN_HARNESS_PROBE: "kept" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, out);
  assert.match(out, /\n1 passed, 0 failed\n$/, out);
});

test("runOrun does not hand this process's GITHUB_ACTIONS to orun (text output), but a test's own env still reaches it", async (t) => {
  const saved = { ...process.env };
  Object.assign(process.env, CI_ENV);
  t.after(() => {
    for (const name of Object.keys(CI_ENV)) delete process.env[name];
    Object.assign(process.env, saved);
  });
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ id: "say", run: "echo said; echo \"gha=${GITHUB_ACTIONS:-unset}\"" }] }]);
  const plain = await runOrun(["run", "plan.json", "--exec-id", "plain", "--verbose"], { cwd: dir });
  assert.equal(plain.code, 0, plain.stdout + plain.stderr);
  assert.doesNotMatch(plain.stdout, /::group::/, plain.stdout);
  assert.match(plain.stdout, /│ said\n/, plain.stdout);
  assert.match(plain.stdout, /gha=unset/, plain.stdout);
  const gha = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "gha"], { cwd: dir, env: { GITHUB_ACTIONS: "true" } });
  assert.equal(gha.code, 0, gha.stdout + gha.stderr);
  assert.match(gha.stdout, /^::group::✓ {2}01 say /m, gha.stdout);
});
