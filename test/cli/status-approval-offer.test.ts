// `orun status` of an execution whose run blocked a job for want of --approve (a policy's requireApproval) offers
// the same `approve …` line as the run's summary, and `--json` its `approval` field; the command, pasted through
// `sh`, approves and runs the job. Once the job has run, status offers nothing more.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { approveLine, inShell } from "../support/resume-hint.js";

const env = { NO_COLOR: "1", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", ORUN_RUNNER: "", GITHUB_ACTIONS: "" };

function approvalPlan(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  return planDir(t, [
    { id: "app@dev.build", steps: [{ id: "main", run: "true" }] },
    { id: "app@prod.deploy", dependsOn: ["app@dev.build"], policies: { requireApproval: "true" }, steps: [{ id: "main", run: "touch deployed" }] },
  ], { name: "approval" }, "orun-status-approval-");
}

test("status offers the approve line the run printed, in text and --json; pasted, it approves and runs the job", async (t) => {
  const dir = await approvalPlan(t);
  const run = await runOrun(["run", "plan.json", "--exec-id", "A"], { cwd: dir, env });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const offered = /^ {2}approve .*$/m.exec(run.stdout)?.[0];
  assert.ok(offered, run.stdout);

  const status = await runOrun(["status", "--exec-id", "A"], { cwd: dir, env });
  assert.equal(status.code, 0, status.stderr);
  assert.ok(status.stdout.split("\n").includes(offered), `${offered}\nnot in:\n${status.stdout}`);
  const offer = approveLine(status.stdout);
  assert.equal(offer.blocked, "app@prod.deploy");

  const runJson = JSON.parse((await runOrun(["run", "plan.json", "--exec-id", "B", "--json"], { cwd: dir, env })).stdout) as { approval?: unknown };
  const json = JSON.parse((await runOrun(["status", "--exec-id", "B", "--json"], { cwd: dir, env })).stdout) as { approval?: unknown };
  assert.ok(runJson.approval, "run --json offers approval");
  assert.deepEqual(json.approval, runJson.approval);

  const approved = await inShell(t, offer.command, dir);
  assert.equal(approved.code, 0, approved.output);
  assert.ok(existsSync(path.join(dir, "deployed")), approved.output);
  const after = await runOrun(["status", "--exec-id", "A"], { cwd: dir, env });
  assert.doesNotMatch(after.stdout, /approve/, after.stdout);
  assert.equal((JSON.parse((await runOrun(["status", "--exec-id", "A", "--json"], { cwd: dir, env })).stdout) as { approval?: unknown }).approval, undefined);
});

test("a --job run of the same record that blocks nothing keeps the offer while the job is still blocked", async (t) => {
  const dir = await approvalPlan(t);
  const run = await runOrun(["run", "plan.json", "--exec-id", "P1"], { cwd: dir, env });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const offered = /^ {2}approve .*$/m.exec(run.stdout)?.[0];
  assert.ok(offered, run.stdout);
  const again = await runOrun(["run", "--exec-id", "P1", "--job", "app@dev.build"], { cwd: dir, env });
  assert.equal(again.code, 0, again.stdout + again.stderr);

  const status = await runOrun(["status", "--exec-id", "P1"], { cwd: dir, env });
  assert.match(status.stdout, /app@prod\.deploy.*blocked|blocked.*app@prod\.deploy/, status.stdout);
  assert.ok(status.stdout.split("\n").includes(offered), `${offered}\nnot in:\n${status.stdout}`);
  const json = JSON.parse((await runOrun(["status", "--exec-id", "P1", "--json"], { cwd: dir, env })).stdout) as { approval?: { blocked: string[] } };
  assert.deepEqual(json.approval?.blocked, ["app@prod.deploy"]);
});
