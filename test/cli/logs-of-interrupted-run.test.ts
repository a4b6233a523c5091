// Round 16 runtime audit: `orun logs` of a run killed outright before any step printed said "No logs for this
// run yet." (and `--follow` ended silently): no logs will come, the run is over. They now say it was interrupted
// and how to resume it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { until } from "../support/wait.js";

test("logs and logs --follow of a run SIGKILLed before any output say it was interrupted, not 'yet'", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.quiet", steps: [{ id: "s", run: "touch started; sleep 30" }] }]);
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "k"], { cwd: dir, stdio: "ignore" });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  await until(() => existsSync(path.join(dir, "started")), "the step to start");
  child.kill("SIGKILL");
  await exited;
  const expected = /^No logs for this run: it was interrupted before any step printed output \(resume it with orun run --exec-id k\)\.\n$/;
  const logs = await runOrun(["logs", "--exec-id", "k"], { cwd: dir });
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, expected);
  const follow = await runOrun(["logs", "--exec-id", "k", "--follow"], { cwd: dir, timeoutMs: 20_000 });
  assert.equal(follow.code, 1, `the run was interrupted: ${follow.stderr}`);
  assert.match(follow.stdout, expected);
  // --raw keeps stdout for the logs' bytes: the note goes to stderr.
  const raw = await runOrun(["logs", "--exec-id", "k", "--raw"], { cwd: dir });
  assert.equal(raw.stdout, "");
  assert.match(raw.stderr, /interrupted before any step printed output/);
});
