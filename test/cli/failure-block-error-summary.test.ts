// The failure block's `error` line says what stopped the step in spec 20 §6's words (`command exited with code N`,
// `command timed out`, `command canceled`) while state.json keeps the runner's (`step <key>: exit status 3`); a
// timeout's limit goes in the hint.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir, readJson, type StateFile } from "../runtime/helpers.js";
import { until } from "../support/wait.js";

const stateOf = (dir: string, execId: string): Promise<StateFile> => readJson<StateFile>(path.join(dir, ".orun/executions", execId, "state.json"));

for (const runner of ["local", "github-actions"]) {
  test(`failure block (${runner}): exit code, timeout and missing command in the spec's words; the record keeps exit status`, async (t) => {
    const dir = await planDir(t, [
      { id: "a@dev.exit", steps: [{ id: "boom", run: "exit 3" }] },
      { id: "a@dev.slow", steps: [{ id: "hang", run: "sleep 30", timeout: "300ms" }] },
      { id: "a@dev.missing", steps: [{ id: "tool", run: "no-such-tool-orun-test" }] },
      { id: "a@dev.denied", steps: [{ id: "exec", run: "exit 126" }] },
    ]);
    const run = await runOrun(["run", "plan.json", "--exec-id", "words", "--no-fail-fast", "--runner", runner], { cwd: dir });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /step +boom\n +error command exited with code 3\n/, run.stdout);
    assert.match(run.stdout, /step +hang\n +error command timed out\n +hint +the command exceeded its configured timeout of 300ms; increase step\.timeout or job\.timeout if it is expected to take longer\n/, run.stdout);
    assert.match(run.stdout, /step +tool\n +error command exited with code 127\n +hint +a required command is not available in this runner environment\n/, run.stdout);
    assert.match(run.stdout, /step +exec\n +error command exited with code 126\n +hint +permission denied; check executable permissions and access to the target directory\n/, run.stdout);
    assert.doesNotMatch(run.stdout, /error (exit status|timed out after|command timed out after)/, run.stdout);
    const state = await stateOf(dir, "words");
    assert.equal(state.jobs["a@dev.exit"]!.lastError, "step boom: exit status 3");
    assert.match(state.jobs["a@dev.slow"]!.lastError!, /^step hang: (command )?timed out after 300ms$/);
    // --json keeps the recorded words.
    const json = await runOrun(["run", "plan.json", "--exec-id", "words-json", "--no-fail-fast", "--runner", runner, "--job", "a@dev.exit", "--json"], { cwd: dir });
    assert.equal((JSON.parse(json.stdout) as { jobs: { error?: string }[] }).jobs[0]!.error, "step boom: exit status 3");
  });
}

test("failure block: a step stopped by Ctrl-C says `command canceled`; the record keeps `canceled`", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.long", steps: [{ id: "wait", run: "touch started; sleep 30" }] }]);
  // Like a terminal: orun leads its own process group and Ctrl-C signals the whole group.
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "intr"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  await until(() => existsSync(path.join(dir, "started")), "the step to start");
  process.kill(-child.pid!, "SIGINT");
  assert.equal(await exited, 130);
  assert.match(stdout, /step +wait\n +error command canceled\n/, stdout);
  assert.equal((await stateOf(dir, "intr")).jobs["a@dev.long"]!.lastError, "step wait: canceled");
});

test("failure block: its output lines are the failed step's, not what an earlier step or a later post step printed (user29)", async (t) => {
  const dir = await planDir(t, [
    {
      id: "a@dev.deploy",
      steps: [
        { id: "build", run: "echo built fine" },
        { id: "deploy", run: "echo cannot reach the cluster; exit 3" },
        { id: "report", run: "echo a in dev is live", phase: "post" },
      ],
    },
  ]);
  const run = await runOrun(["run", "plan.json", "--exec-id", "tail"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout, /error command exited with code 3\n +│ cannot reach the cluster\n +logs +orun logs/, run.stdout);
  assert.doesNotMatch(run.stdout, /│ (built fine|a in dev is live)/, run.stdout);
});
