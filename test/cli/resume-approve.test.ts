// Decision 5: a job whose policies require approval does not run without --approve. A printed or recorded command
// carries --approve only when the user gave it to the run, or on the summary's own labelled line that offers approval
// for a job the run blocked for want of it. Every other command — the one recorded at the start (what `orun status`
// gives for a killed run), the summary's resume line, a second Ctrl-C's advice, a refused --job's suggestion, a skipped
// approval job's recorded reason — is given without it (with a note where it reaches such a job): pasted, it blocks the
// job. sched23 had them all carry --approve, so pasting the resume line of a failed build approved a prod deploy
// nobody was asked about. Real runs of the built CLI on plan files, commands pasted through `sh`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { until } from "../support/wait.js";
import { planDir } from "../runtime/helpers.js";
import { approveLine, inShell, jobStatuses, killedRun, resumeLine, statusAdvice } from "../support/resume-hint.js";

const env = { NO_COLOR: "1", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", ORUN_RUNNER: "", GITHUB_ACTIONS: "" };
const NOTE = "app@prod.deploy requires approval: add --approve to approve it";

/** build, then deploy (requires approval; notes that it ran). build fails until `fixed` exists and waits while `hold` does. */
function approvalPlan(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  return planDir(t, [
    { id: "app@dev.build", steps: [{ id: "main", run: "touch started; while [ -f hold ]; do sleep 0.05; done; test -f fixed" }] },
    { id: "app@prod.deploy", dependsOn: ["app@dev.build"], policies: { requireApproval: "true" }, steps: [{ id: "main", run: "touch deployed" }] },
  ], { name: "approval" }, "orun-resume-approve-");
}

/** Pastes `line` and checks that it ran build but blocked deploy for want of approval; returns the pasted run's output. */
async function pastedBlocksDeploy(t: { after(fn: () => Promise<void>): void }, line: string, dir: string, execId: string): Promise<string> {
  const pasted = await inShell(t, line, dir);
  assert.equal(pasted.code, 1, pasted.output);
  assert.match(pasted.output, /⊘ deploy {2}blocked · policy requireApproval/);
  assert.ok(!existsSync(path.join(dir, "deployed")), pasted.output);
  assert.deepEqual((await jobStatuses(dir, execId)).sort(), ["app@dev.build completed", "app@prod.deploy blocked"]);
  return pasted.output;
}

test("a killed run not given --approve: status's command has none; pasted, it blocks deploy, and only the labelled offer approves it", async (t) => {
  const dir = await approvalPlan(t);
  await writeFile(path.join(dir, "hold"), "");
  await writeFile(path.join(dir, "fixed"), "");
  await killedRun(t, ["plan.json", "--exec-id", "K"], dir, path.join(dir, "started"));
  const advice = await statusAdvice(dir, "K");
  assert.equal(advice, "orun run --exec-id K");
  await rm(path.join(dir, "hold"));
  const output = await pastedBlocksDeploy(t, advice, dir, "K");
  // The pasted run blocked deploy: its summary's resume line still does not approve, the approve line does and says so.
  assert.equal(resumeLine(output), "orun run --exec-id K");
  const offer = approveLine(output);
  assert.equal(offer.blocked, "app@prod.deploy");
  assert.equal(offer.command, "orun run --exec-id K --approve");
  const approved = await inShell(t, offer.command, dir);
  assert.equal(approved.code, 0, approved.output);
  assert.ok(existsSync(path.join(dir, "deployed")), approved.output);
});

test("a killed run given --approve: the command status gives keeps it; pasted, deploy runs", async (t) => {
  const dir = await approvalPlan(t);
  await writeFile(path.join(dir, "hold"), "");
  await writeFile(path.join(dir, "fixed"), "");
  await killedRun(t, ["plan.json", "--exec-id", "A", "--approve"], dir, path.join(dir, "started"));
  const advice = await statusAdvice(dir, "A");
  assert.equal(advice, "orun run --exec-id A --approve");
  await rm(path.join(dir, "hold"));
  const pasted = await inShell(t, advice, dir);
  assert.equal(pasted.code, 0, pasted.output);
  assert.ok(existsSync(path.join(dir, "deployed")), pasted.output);
});

test("the approval job skipped, then outside the run's scope: resume lines and the recorded reason never approve; pasted, deploy is blocked", async (t) => {
  const dir = await approvalPlan(t);
  // build fails: deploy is skipped (not blocked): the line notes that deploy needs approval, and offers none.
  const failed = await runOrun(["run", "plan.json", "--exec-id", "S"], { cwd: dir, env });
  assert.equal(failed.code, 1, failed.stdout);
  assert.equal(resumeLine(failed.stdout), "orun run --exec-id S");
  assert.match(failed.stdout, new RegExp(`^ {10}${NOTE}$`, "m"));
  assert.doesNotMatch(failed.stdout, /--approve\b(?! to approve)/);
  // build retried alone and fixed: deploy is to run again, outside this run's scope, and the line's command reaches it.
  await writeFile(path.join(dir, "fixed"), "");
  const retried = await runOrun(["run", "plan.json", "--exec-id", "S", "--job", "app@dev.build", "--retry"], { cwd: dir, env });
  assert.equal(retried.code, 0, retried.stdout);
  const resume = resumeLine(retried.stdout);
  assert.equal(resume, "orun run --exec-id S");
  assert.match(retried.stdout, new RegExp(`^ {10}${NOTE}$`, "m"));
  // The reopened job's recorded reason (what status prints) names the command without --approve, and says why.
  const status = await runOrun(["status", "--exec-id", "S", "--json"], { cwd: dir, env });
  const reason = (JSON.parse(status.stdout) as { state: { jobs: Record<string, { reason?: string }> } }).state.jobs["app@prod.deploy"]?.reason;
  assert.equal(reason, "skipped earlier; dependency app@dev.build has completed since: resume with orun run --exec-id S to run it (it requires approval: add --approve to approve it)");
  await pastedBlocksDeploy(t, resume, dir, "S");
});

test("a second Ctrl-C names the command the run recorded at its start, without --approve; pasted, deploy is blocked", async (t) => {
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
  assert.equal(advice, "orun run --exec-id C", stderr);
  assert.equal(await statusAdvice(dir, "C"), advice);
  await writeFile(path.join(dir, "fixed"), "");
  await pastedBlocksDeploy(t, advice!, dir, "C");
});

test("--job refused for a dependency that requires approval: the suggestion has no --approve and says so; pasted, the dependency is blocked", async (t) => {
  const dir = await planDir(t, [
    { id: "app@dev.build", policies: { requireApproval: "true" }, steps: [{ id: "main", run: "touch built" }] },
    { id: "app@prod.deploy", dependsOn: ["app@dev.build"], steps: [{ id: "main", run: "touch deployed" }] },
  ], { name: "approval" }, "orun-resume-approve-");
  const refused = await runOrun(["run", "plan.json", "--exec-id", "N", "--job", "app@prod.deploy"], { cwd: dir, env });
  assert.equal(refused.code, 1, refused.stderr);
  const hint = /\(run it first \((app@dev\.build requires approval: add --approve to approve it)\): (orun run .*)\)$/m.exec(refused.stderr);
  assert.ok(hint, refused.stderr);
  assert.equal(hint[2], `orun run ${dir}/plan.json --exec-id N --job app@dev.build`);
  const pasted = await inShell(t, hint[2]!, dir);
  assert.equal(pasted.code, 1, pasted.output);
  assert.match(pasted.output, /⊘ build {2}blocked · policy requireApproval/);
  assert.ok(!existsSync(path.join(dir, "built")), pasted.output);
});

test("the labelled offer names every job its --approve would approve, not only the one this run blocked", async (t) => {
  const dir = await planDir(t, [
    { id: "app@stg.deploy", policies: { requireApproval: "true" }, steps: [{ id: "main", run: "true" }] },
    { id: "app@prod.deploy", dependsOn: ["app@stg.deploy"], policies: { requireApproval: "true" }, steps: [{ id: "main", run: "touch deployed" }] },
  ], { name: "approval" }, "orun-resume-approve-");
  const run = await runOrun(["run", "plan.json", "--exec-id", "M"], { cwd: dir, env });
  assert.equal(run.code, 1, run.stdout);
  assert.equal(resumeLine(run.stdout), "orun run --exec-id M");
  assert.match(run.stdout, /^ {2}approve app@stg\.deploy blocked \(policy requireApproval\); to approve and run it: orun run --exec-id M --approve \(also approves app@prod\.deploy\)$/m);
  const json = JSON.parse((await runOrun(["run", "plan.json", "--exec-id", "M", "--json"], { cwd: dir, env })).stdout) as { resumeCommand?: string; approval?: unknown };
  assert.equal(json.resumeCommand, "orun run --exec-id M");
  assert.deepEqual(json.approval, { blocked: ["app@stg.deploy"], command: "orun run --exec-id M --approve", alsoApproves: ["app@prod.deploy"] });
});
