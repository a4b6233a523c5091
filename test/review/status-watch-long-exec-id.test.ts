// rev29c — 8c32cb5 cuts the exec ID in "execution not found: <id>" at 80 characters (store.ts shownRef), but
// `status --watch` (cli/commands/run.ts notYetRecorded) tells "not recorded yet" from that message by matching
// `execution not found: <id>` whole. A valid exec ID of 81-128 characters no longer matches: a watcher started
// before its run fails at once with exit 1 ("execution not found: www…") instead of waiting for it.
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
