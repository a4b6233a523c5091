// Newcomer audit (fuprun15): local `orun status` and `orun logs` follow ORUN_EXEC_ID as `orun run` does (an
// explicit --exec-id still wins), so a CI job that pins its run reads that run back, not whatever ran last.
// Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

test("status and logs read the run ORUN_EXEC_ID names; --exec-id wins; a missing one names the variable", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ id: "say", run: 'echo "run $ORUN_EXEC_ID"' }] }]);
  for (const id of ["rs1", "rs2"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  const pinned = { ORUN_EXEC_ID: "rs1" };
  const status = await runOrun(["status"], { cwd: dir, env: pinned });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Run: rs1 /);
  const json = await runOrun(["status", "--json"], { cwd: dir, env: pinned });
  assert.equal((JSON.parse(json.stdout) as { execID: string }).execID, "rs1");
  const logs = await runOrun(["logs", "--raw"], { cwd: dir, env: pinned });
  assert.equal(logs.stdout, "run rs1\n");
  // A prefix is enough, as with --exec-id.
  assert.equal((await runOrun(["logs", "--raw"], { cwd: dir, env: { ORUN_EXEC_ID: "rs" } })).code, 1, "rs matches two runs");
  // The flag wins over the variable.
  assert.match((await runOrun(["status", "--exec-id", "rs2"], { cwd: dir, env: pinned })).stdout, /Run: rs2 /);
  assert.equal((await runOrun(["logs", "--raw", "--exec-id", "rs2"], { cwd: dir, env: pinned })).stdout, "run rs2\n");
  // Unset or empty: the latest.
  assert.match((await runOrun(["status"], { cwd: dir, env: { ORUN_EXEC_ID: "" } })).stdout, /Run: rs2 /);
  // --all lists every run whatever the variable says (it is no --exec-id to refuse).
  const all = await runOrun(["status", "--all"], { cwd: dir, env: pinned });
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /rs1[\s\S]*rs2|rs2[\s\S]*rs1/);
  for (const command of ["status", "logs"]) {
    const missing = await runOrun([command], { cwd: dir, env: { ORUN_EXEC_ID: "rs9" } });
    assert.equal(missing.code, 1, command);
    assert.equal(missing.stderr, "✕ ORUN_EXEC_ID: execution not found: rs9 (unset it to read the latest run, or pass --exec-id)\n");
  }
});

test("inside a step, the ORUN_EXEC_ID orun gave it is no pin: status and logs there read their own folder's latest run", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ id: "say", run: "echo here" }] }]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "mine"], { cwd: dir })).code, 0);
  // What a step of run `outer` (plan p1) sees: its IDs, and ORUN_JOB_RUN_ID naming the same pair.
  const step = { ORUN_PLAN_ID: "p1", ORUN_EXEC_ID: "outer", ORUN_JOB_RUN_ID: "p1:outer:x@dev.y" };
  const status = await runOrun(["status"], { cwd: dir, env: step });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Run: mine /);
  assert.equal((await runOrun(["logs", "--raw"], { cwd: dir, env: step })).stdout, "here\n");
});
