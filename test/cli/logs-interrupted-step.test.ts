// `orun logs` (and `orun logs --local`) of a run SIGKILLed mid-step showed the step it was running as `(running)`,
// while `orun status` said the run and its job were interrupted: nothing runs that step any more. The header now
// says `(interrupted)`, as status does; while the run is alive it still says `(running)`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";
import { signalIfAlive, until } from "../support/wait.js";

test("logs of a run killed mid-step show that step interrupted, as status does; running while the run lives", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.quiet", steps: [{ id: "s", run: "echo $$ > step.pid; echo hello; exec sleep 30" }] }]);
  t.after(() => {
    if (existsSync(path.join(dir, "step.pid"))) signalIfAlive(Number(readFileSync(path.join(dir, "step.pid"), "utf8")), "SIGKILL");
  });
  const run = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "k"], { cwd: dir, stdio: "ignore" });
  const exited = new Promise((resolve) => run.once("exit", resolve));
  t.after(() => run.kill("SIGKILL"));
  const log = recordFile(dir, "k", "logs/a@dev.quiet/s.log");
  await until(() => existsSync(log) && readFileSync(log, "utf8").includes("hello"), "the step's output");
  const alive = await runOrun(["logs", "--exec-id", "k"], { cwd: dir });
  assert.equal(alive.stdout, "── a@dev.quiet › s  (running)\nhello\n", alive.stderr);

  run.kill("SIGKILL");
  await exited;
  const status = await runOrun(["status", "--exec-id", "k"], { cwd: dir });
  assert.match(status.stdout, /State: interrupted[\s\S]*! quiet {2}interrupted/);
  for (const args of [["logs", "--exec-id", "k"], ["logs", "--local", "--exec-id", "k"], ["logs", "--exec-id", "k", "--job", "quiet", "--step", "s"]]) {
    const logs = await runOrun(args, { cwd: dir });
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, "── a@dev.quiet › s  (interrupted)\nhello\n", `orun ${args.join(" ")}`);
  }
});
