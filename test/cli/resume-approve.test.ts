// A resume command carries --approve whenever, pasted without it, it would block a job whose policy requires approval
// (decision 5): not only when this run blocked one. Before, the command recorded at a run's start (what `orun status`
// gives for a killed run) never carried it, nor did the summary's when the approval job was skipped (its dependency
// failed) or lay outside the run's scope (a `--job X --retry` that completed X): pasted, each blocked the job again.
// Real runs of the built CLI on plan files, commands pasted through `sh`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { until } from "../support/wait.js";
import { planDir } from "../runtime/helpers.js";
import { inShell, jobStatuses, killedRun, resumeLine, statusAdvice } from "../support/resume-hint.js";

const env = { NO_COLOR: "1", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", ORUN_RUNNER: "", GITHUB_ACTIONS: "" };

/** build, then deploy (requires approval; notes that it ran). build fails until `fixed` exists and waits while `hold` does. */
function approvalPlan(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  return planDir(t, [
    { id: "app@dev.build", steps: [{ id: "main", run: "touch started; while [ -f hold ]; do sleep 0.05; done; test -f fixed" }] },
    { id: "app@prod.deploy", dependsOn: ["app@dev.build"], policies: { requireApproval: "true" }, steps: [{ id: "main", run: "touch deployed" }] },
  ], { name: "approval" }, "orun-resume-approve-");
}

test("a killed run whose scope holds a job requiring approval: the command status gives carries --approve; pasted, the job runs", async (t) => {
  const dir = await approvalPlan(t);
  await writeFile(path.join(dir, "hold"), "");
  await writeFile(path.join(dir, "fixed"), "");
  await killedRun(t, ["plan.json", "--exec-id", "K"], dir, path.join(dir, "started"));
  const advice = await statusAdvice(dir, "K");
  assert.match(advice, / --approve\b/);
  await rm(path.join(dir, "hold"));
  const pasted = await inShell(t, advice, dir);
  assert.equal(pasted.code, 0, pasted.output);
  assert.ok(existsSync(path.join(dir, "deployed")), pasted.output);
  assert.deepEqual((await jobStatuses(dir, "K")).sort(), ["app@dev.build completed", "app@prod.deploy completed"]);
});

test("the approval job skipped, then outside the run's scope: each resume line carries --approve; pasted, the job runs", async (t) => {
  const dir = await approvalPlan(t);
  // build fails: deploy is skipped (not blocked), and a resume reaches it.
  const failed = await runOrun(["run", "plan.json", "--exec-id", "S"], { cwd: dir, env });
  assert.equal(failed.code, 1, failed.stdout);
  assert.match(resumeLine(failed.stdout), / --approve\b/);
  // build retried alone and fixed: deploy is to run again, outside this run's scope, and the line's command reaches it.
  await writeFile(path.join(dir, "fixed"), "");
  const retried = await runOrun(["run", "plan.json", "--exec-id", "S", "--job", "app@dev.build", "--retry"], { cwd: dir, env });
  assert.equal(retried.code, 0, retried.stdout);
  const resume = resumeLine(retried.stdout);
  assert.doesNotMatch(resume, /--job/);
  assert.match(resume, / --approve\b/);
  const pasted = await inShell(t, resume, dir);
  assert.equal(pasted.code, 0, pasted.output);
  assert.ok(existsSync(path.join(dir, "deployed")), pasted.output);

  // Once deploy has completed, nothing is to block: a failed run of build alone does not gain --approve.
  await rm(path.join(dir, "fixed"));
  const again = await runOrun(["run", "plan.json", "--exec-id", "S", "--job", "app@dev.build", "--retry"], { cwd: dir, env });
  assert.equal(again.code, 1, again.stdout);
  assert.doesNotMatch(resumeLine(again.stdout), /--approve/);
});

test("a second Ctrl-C names the command the run recorded at its start, --approve included; pasted, the job runs", async (t) => {
  const dir = await planDir(t, [
    // Outlives SIGTERM and says it got one (the first Ctrl-C reached orun, which stops its steps), until fixed.
    { id: "app@dev.build", steps: [{ id: "main", run: "test -f fixed && exit 0; trap '' INT; trap 'touch stopping' TERM; touch started; while :; do sleep 0.05; done" }] },
    { id: "app@prod.deploy", dependsOn: ["app@dev.build"], policies: { requireApproval: "true" }, steps: [{ id: "main", run: "touch deployed" }] },
  ], { name: "approval" }, "orun-resume-approve-");
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "C"], { cwd: dir, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  t.after(() => void child.kill("SIGKILL"));
  await until(() => existsSync(path.join(dir, "started")), "the step to start");
  child.kill("SIGINT");
  await until(() => existsSync(path.join(dir, "stopping")), "orun to stop the step");
  child.kill("SIGINT");
  assert.equal(await exited, 130, stderr);
  const advice = /\(see orun status; (.*) resumes it\)\n/.exec(stderr)?.[1];
  assert.equal(advice, "orun run --exec-id C --approve", stderr);
  assert.equal(await statusAdvice(dir, "C"), advice);
  await writeFile(path.join(dir, "fixed"), "");
  const pasted = await inShell(t, advice!, dir);
  assert.equal(pasted.code, 0, pasted.output);
  assert.ok(existsSync(path.join(dir, "deployed")), pasted.output);
});

test("--job refused for a dependency not completed that requires approval: the command it suggests carries --approve; pasted, it runs", async (t) => {
  const dir = await planDir(t, [
    { id: "app@dev.build", policies: { requireApproval: "true" }, steps: [{ id: "main", run: "touch built" }] },
    { id: "app@prod.deploy", dependsOn: ["app@dev.build"], steps: [{ id: "main", run: "touch deployed" }] },
  ], { name: "approval" }, "orun-resume-approve-");
  const refused = await runOrun(["run", "plan.json", "--exec-id", "N", "--job", "app@prod.deploy"], { cwd: dir, env });
  assert.equal(refused.code, 1, refused.stderr);
  const suggested = /run them first, e\.g\. (orun run .*)\)$/m.exec(refused.stderr)?.[1];
  assert.equal(suggested, `orun run ${dir}/plan.json --exec-id N --approve --job app@dev.build`, refused.stderr);
  const pasted = await inShell(t, suggested!, dir);
  assert.equal(pasted.code, 0, pasted.output);
  assert.ok(existsSync(path.join(dir, "built")), pasted.output);
});
