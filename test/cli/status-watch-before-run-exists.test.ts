// rev15rec #9: `orun status --watch` on a pinned exec ID that has no record yet waits for that run (a CI watcher
// started just before its run failed at once with "execution not found"). Real processes, temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { until } from "../support/wait.js";

test("status --watch with ORUN_EXEC_ID naming no record yet waits for exactly that run and ends with it", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }]);
  const watcher = spawn(process.execPath, [ORUN_BIN, "status", "--watch", "--interval", "200ms"], {
    cwd: dir,
    env: { ...process.env, ORUN_EXEC_ID: "future", ORUN_NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.after(() => void watcher.kill("SIGKILL"));
  let stdout = "";
  let stderr = "";
  watcher.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  watcher.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => watcher.on("close", resolve));
  await until(() => stdout.includes("Waiting for run future...") || watcher.exitCode !== null, "the watcher to start waiting");
  assert.equal(watcher.exitCode, null, `the watcher ended instead of waiting: ${stdout}${stderr}`);

  // A run whose ID merely starts with the awaited one is not it.
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "future-x"], { cwd: dir })).code, 0);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "future"], { cwd: dir })).code, 0);
  const code = await exited;
  assert.equal(code, 0, stdout + stderr);
  assert.match(stdout, /Run: future .*State: completed/);
  assert.doesNotMatch(stdout, /future-x/);
  assert.equal(stderr, "");
});

test("without --watch a pinned ID with no record still fails at once, naming it; --watch with an invalid ID is refused", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }]);
  const once = await runOrun(["status", "--exec-id", "future"], { cwd: dir });
  assert.equal(once.code, 1);
  assert.match(once.stderr, /execution not found: future/);
  const hostile = await runOrun(["status", "--watch", "--exec-id", "../x"], { cwd: dir, timeoutMs: 10_000 });
  assert.equal(hostile.code, 1);
  assert.match(hostile.stderr, /execution not found: \.\.\/x/);
});
