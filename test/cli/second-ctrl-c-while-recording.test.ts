// A second Ctrl-C while `orun run` is still making a new execution record stops it at once. It left the record's
// half-made folder (`<id>.<pid>.<hex>.new.tmp`) in .orun/executions and advised "see orun status; orun run --exec-id E
// resumes it" for an execution status could not find. Now the folder goes and the advice says there is nothing to
// resume. The real CLI; a preload holds the making of the record (after its temporary folder is made) until the test
// has sent both signals, and says when the first has reached the process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { until } from "../support/wait.js";
import { planDir } from "../runtime/helpers.js";

const env = { NO_COLOR: "1", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", ORUN_RUNNER: "", GITHUB_ACTIONS: "" };

/** Holds a new record's assembly (the mkdir of `….new.tmp/logs`) while <dir>/hold exists, touching <dir>/assembling; <dir>/signaled on SIGINT. */
const PRELOAD = `
import fs, { existsSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
const dir = process.env.HOLD_DIR;
const mkdir = fs.promises.mkdir;
fs.promises.mkdir = async function (target, ...rest) {
  const made = await mkdir.call(this, target, ...rest);
  if (String(target).endsWith(".new.tmp/logs")) {
    writeFileSync(dir + "/assembling", "");
    while (existsSync(dir + "/hold")) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return made;
};
syncBuiltinESMExports();
process.on("SIGINT", () => writeFileSync(dir + "/signaled", ""));
`;

test("a second Ctrl-C while the record is made: no half-made folder is left, and the advice names no execution to resume", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ id: "main", run: "touch ran" }] }], { name: "recording" }, "orun-second-ctrl-c-");
  await writeFile(path.join(dir, "preload.mjs"), PRELOAD);
  await writeFile(path.join(dir, "hold"), "");
  const child = spawn(process.execPath, ["--import", path.join(dir, "preload.mjs"), ORUN_BIN, "run", "plan.json", "--exec-id", "E"], {
    cwd: dir,
    env: { ...process.env, ...env, HOLD_DIR: dir },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  t.after(() => void child.kill("SIGKILL"));
  await until(() => existsSync(path.join(dir, "assembling")), "the record to be assembling");
  child.kill("SIGINT");
  await until(() => existsSync(path.join(dir, "signaled")), "the first SIGINT to reach orun");
  child.kill("SIGINT");
  assert.equal(await exited, 130, stderr);
  assert.match(stderr, /SIGINT again: stopped at once, before the run's record was made: nothing to resume; run it again/);
  assert.doesNotMatch(stderr, /resumes it/);
  assert.deepEqual(await readdir(path.join(dir, ".orun/executions")), []);
  assert.ok(!existsSync(path.join(dir, "ran")));
  const status = await runOrun(["status", "--exec-id", "E"], { cwd: dir, env });
  assert.match(status.stderr, /execution not found: E/);
});
