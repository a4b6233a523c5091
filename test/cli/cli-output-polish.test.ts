// Small output defects found by user testing (campaign 20), each through the real CLI on real files:
// - warnings take the spec's shape for where they come from: the run's, the record store's and the remote
//   settings' read `warning: …` (spec 20 §13), the planner's `⚠ warning: …` (spec 10 §3.5);
// - a missing working directory gets a hint naming it (it said a path was not found *from* it);
// - `orun plan --long` without `--view dag` is refused (it was silently ignored);
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { copyExample } from "../support/examples.js";
import { planDir, removeDir, tempDir } from "../runtime/helpers.js";

const LOCAL_ENV = { ORUN_REMOTE_STATE: undefined, ORUN_BACKEND_URL: undefined, ORUN_EXEC_ID: undefined, GITHUB_ACTIONS: undefined };

/** The stderr lines that speak of a warning. */
const warningLines = (stderr: string): string[] => stderr.split("\n").filter((line) => /warning/i.test(line));

test("warnings on stderr have the spec's shape: `warning: <message>` from a run (spec 20), `⚠ warning: <message>` from the planner (spec 10)", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.x", steps: [{ run: "true" }] }]);
  // A real directory where the `latest` link goes (the record store warns), a --component naming nothing (the run
  // command warns) and --backend-url with remote state off (the remote settings warn).
  await mkdir(path.join(dir, ".orun/executions/latest"), { recursive: true });
  const run = await runOrun(["run", "plan.json", "--exec-id", "w1", "--component", "a", "--component", "zzz", "--backend-url", "http://127.0.0.1:9"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(run.code, 0, run.stderr);
  const lines = warningLines(run.stderr);
  assert.equal(lines.length, 3, run.stderr);
  for (const line of lines) assert.match(line, /^warning: \S/, run.stderr);
  assert.ok(lines.some((line) => line.startsWith("warning: --component zzz matches no job of the plan")), run.stderr);
  assert.ok(lines.some((line) => line.startsWith("warning: --backend-url is ignored")), run.stderr);
  assert.ok(lines.some((line) => line.includes("latest is a directory, so it was not repointed")), run.stderr);

  // The planner's warnings share it.
  const repo = await tempDir("orun-polish-");
  t.after(() => removeDir(repo));
  await copyExample("platform", repo);
  const plan = await runOrun(["plan", "--name", "kept", "-o", "out.json"], { cwd: repo });
  assert.equal(plan.code, 0, plan.stderr);
  assert.equal(warningLines(plan.stderr).length, 1, plan.stderr);
  assert.match(plan.stderr, /^⚠ warning: --name kept is not stored with -o/m);
});

test("a missing working directory: the hint says the working directory is missing and names it", async (t) => {
  const dir = await planDir(t, [
    { id: "a@dev.x", path: "gone", steps: [{ run: "true" }] },
    { id: "b@dev.y", steps: [{ run: "true", "working-directory": "nowhere" }] },
  ]);
  for (const runner of ["local", "github-actions"]) {
    const run = await runOrun(["run", "plan.json", "--no-fail-fast", "--runner", runner], { cwd: dir });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    for (const missing of [path.join(dir, "gone"), path.join(dir, "nowhere")]) {
      assert.ok(run.stdout.includes(`hint  the working directory ${missing} is missing; check the job's path and the step's working-directory, or set --workdir\n`), `${runner}: ${run.stdout}`);
    }
    assert.doesNotMatch(run.stdout, /a file or path was not found from the step's working directory/, runner);
  }
});

test("orun plan --long without --view dag is refused naming the flag; with --view dag or dag:long it lists run commands", async (t) => {
  const dir = await tempDir("orun-polish-");
  t.after(() => removeDir(dir));
  await copyExample("platform", dir);
  for (const args of [["--long"], ["--long", "--view", "dependencies"], ["--long", "-v", "component=api"], ["--long", "--name", "never"]]) {
    const refused = await runOrun(["plan", ...args], { cwd: dir });
    assert.equal(refused.code, 1, args.join(" "));
    assert.equal(refused.stderr, "✕ --long: applies to --view dag only (it adds each step's run: command to the dag view); add --view dag\n", args.join(" "));
    assert.equal(refused.stdout, "", args.join(" "));
  }
  assert.ok(!existsSync(path.join(dir, ".orun/plans/never.json")), "a refused plan stores nothing");
  for (const view of ["dag", "dag:long"]) {
    const shown = await runOrun(["plan", "--long", "--view", view], { cwd: dir });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /run: /, view);
  }
});
