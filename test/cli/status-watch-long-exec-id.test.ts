// The not-found message cuts an exec ID at 80 characters, so `status --watch` (notYetRecorded) tells "not recorded
// yet" by the ExecutionNotFound class and its whole `ref`, not by the message: a watcher pinned to a valid exec ID of
// 81-128 characters, started before its run, waits for it (rev29c #1). Real processes, temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { until } from "../support/wait.js";

test("status --watch waits for a run whose valid exec ID is longer than 80 characters", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }]);
  const id = `future-${"w".repeat(93)}`; // 100 characters: valid (1-128)
  const watcher = spawn(process.execPath, [ORUN_BIN, "status", "--watch", "--interval", "200ms", "--exec-id", id], {
    cwd: dir,
    env: { ...process.env, ORUN_NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.after(() => void watcher.kill("SIGKILL"));
  let stdout = "";
  let stderr = "";
  watcher.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  watcher.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => watcher.on("close", resolve));
  await until(() => stdout.includes("Waiting for run") || watcher.exitCode !== null, "the watcher to start waiting");
  assert.equal(watcher.exitCode, null, `the watcher ended instead of waiting: ${stdout}${stderr}`);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  assert.equal(await exited, 0, stdout + stderr);
});
