// The IDs a remote runner shows and hands its steps. A runner that joins its run as the run's plan (its own plan
// differs only in metadata.revision: a fix committed before the retry) gives its steps the run's plan ID, so one job
// of one run has one ORUN_JOB_RUN_ID on every runner. Its header names the remote run, which its hints name too, and
// the local record it keeps of its part, which `orun status`/`orun logs` read without remote state.
// Real processes: `orun backend serve` on loopback (SQLite) and `orun run --remote-state` runners in a git repository
// whose steps write the variables they see to a file.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import type { GitRepo } from "../planner/changes/git-repo.js";
import { servedBackend } from "./backend-process-bed.js";
import { CHECK_COMPOSITION, libAppIntent, shRepo } from "./lib-app-repo.js";
import { spawnOrun } from "./processes.js";

/** A step that appends what it sees to ids.txt (ignored by git: the tree stays clean), then exits `code`. */
const check = (code: number): string => `echo "$ORUN_JOB_ID $ORUN_PLAN_ID $ORUN_JOB_RUN_ID $ORUN_EXEC_ID" >> ../ids.txt; echo "check exits ${code}"; exit ${code}\n`;

/** The run header's second line: `  Plan: P  ·  Run: R (remote)  ·  Local record: L  ·  Target: J`. */
const HEADER = /^ {2}Plan: ([0-9a-f]{12}) {2}· {2}Run: (\S+) \(remote\) {2}· {2}Local record: (\S+) {2}· {2}Target: (\S+)$/m;

describe("the IDs of a remote run on its runners", () => {
  let repo: GitRepo;
  const served = servedBackend("sqlite");
  const orun = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnOrun(args, { cwd: repo.dir, env: served.env(env) }).done;
  const runner = (args: string[], runId: string) => orun(["run", ...args], { ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: runId });
  /** What each step wrote, one `[job, ORUN_PLAN_ID, ORUN_JOB_RUN_ID, ORUN_EXEC_ID]` a line. */
  const seen = async (): Promise<string[][]> => (await fs.readFile(repo.path("ids.txt"), "utf8")).trim().split("\n").map((line) => line.split(" "));

  before(() => {
    repo = shRepo(libAppIntent("ids"), CHECK_COMPOSITION, {
      "lib/check.sh": check(3),
      "app/check.sh": check(0),
      ".gitignore": ".orun/\nids.txt\n",
    });
    repo.commit("initial, lib broken");
  });
  after(() => repo?.remove());

  it("the header names the remote run, as the hints do, and the local record that status and logs read without remote state", async () => {
    const failed = await runner(["--job", "lib@dev.check"], "head-1");
    assert.equal(failed.code, 1, failed.output);
    const header = HEADER.exec(failed.output);
    assert.ok(header, failed.output);
    const [, plan, runId, record, target] = header;
    assert.equal(runId, "head-1");
    assert.equal(target, "lib@dev.check");
    assert.match(record!, /^head-1\.[0-9a-f]{6}$/);
    // The hints name the run the header names; the record is this runner's own, on disk.
    assert.match(failed.output, /\n {2}status {2}orun status --exec-id head-1 --remote-state --backend-url \S+\n {2}logs {4}orun logs --exec-id head-1 --remote-state --backend-url \S+\n/);
    assert.match(failed.output, /logs {2}orun logs --exec-id head-1 --remote-state --backend-url \S+ --job lib@dev\.check\n/);
    await fs.access(repo.path(`.orun/executions/${record}/state.json`));

    // Without remote state, the record's ID reads this runner's part, step by step.
    const local = await orun(["status", "--exec-id", record!, "--detailed"]);
    assert.equal(local.code, 0, local.output);
    assert.match(local.output, new RegExp(`Plan: ${plan} {2}· {2}Run: ${record!.replace(".", "\\.")} {2}· {2}State: failed`), local.output);
    assert.match(local.output, /\n {8}✗ main\n/, local.output);
    const logs = await orun(["logs", "--exec-id", record!]);
    assert.match(logs.output, /check exits 3/, logs.output);
    // With it, the run's ID reads the run from the backend.
    const remote = await orun(["status", "--exec-id", runId!, "--remote-state"]);
    assert.match(remote.output, new RegExp(`Plan: ${plan} · Run: head-1 · State: failed`), remote.output);
  });

  it("a runner that joined the run as the run's plan gives its steps that plan's ID: one job, one ORUN_JOB_RUN_ID on every runner", async () => {
    await fs.rm(repo.path("ids.txt"), { force: true });
    const failed = await runner(["--job", "lib@dev.check"], "ids-1");
    assert.equal(failed.code, 1, failed.output);
    const runPlan = HEADER.exec(failed.output)![1]!;

    // The fix, committed: this checkout's plan differs from the run's in its revision alone.
    repo.commit("fix lib", { "lib/check.sh": check(0) });
    const retried = await runner(["--job", "lib@dev.check", "--retry"], "ids-1");
    assert.equal(retried.code, 0, retried.output);
    const ownPlan = /this runner's plan ([0-9a-f]{12}) differs from it only in metadata\.revision/.exec(retried.output)?.[1];
    assert.ok(ownPlan, retried.output);
    assert.notEqual(ownPlan, runPlan);
    assert.equal(HEADER.exec(retried.output)?.[1], runPlan, retried.output);
    const dependent = await runner(["--job", "app@dev.check"], "ids-1");
    assert.equal(dependent.code, 0, dependent.output);

    assert.deepEqual(await seen(), [
      ["lib@dev.check", runPlan, `${runPlan}:ids-1:lib@dev.check`, "ids-1"],
      ["lib@dev.check", runPlan, `${runPlan}:ids-1:lib@dev.check`, "ids-1"],
      ["app@dev.check", runPlan, `${runPlan}:ids-1:app@dev.check`, "ids-1"],
    ]);
  });
});
