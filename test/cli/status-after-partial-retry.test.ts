// `orun run --job X --retry` that completes X closes the record as its jobs stand, not as that one job went: while
// another job of the execution is still failed, `orun status` (text, --json, --all) says failed, and `orun logs`
// marks that job's log failed; once every job has completed, completed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

test("status after a partial --job --retry says what the record holds: failed while another job is failed", async (t) => {
  const dir = await planDir(
    t,
    [
      { id: "a@dev.build", steps: [{ id: "check", run: "echo a-out; test -f fixed-a" }] },
      { id: "b@dev.build", steps: [{ id: "check", run: "echo b-out; test -f fixed-b" }] },
    ],
    { concurrency: 2, failFast: false },
  );
  const orun = (...args: string[]) => runOrun(args, { cwd: dir });
  const state = async (): Promise<string> => /State: (\S+)/.exec((await orun("status")).stdout)?.[1] ?? "?";
  const meta = async (): Promise<{ status: string; jobDone: number; jobFailed: number }> =>
    (JSON.parse((await orun("status", "--json")).stdout) as { meta: { status: string; jobDone: number; jobFailed: number } }).meta;

  assert.equal((await orun("run", "plan.json", "--exec-id", "x")).code, 1);
  assert.equal(await state(), "failed");

  await writeFile(path.join(dir, "fixed-a"), "");
  const retried = await orun("run", "plan.json", "--exec-id", "x", "--job", "a@dev.build", "--retry");
  assert.equal(retried.code, 0, retried.stdout + retried.stderr);
  // The run did what it was asked, and says the execution it belongs to is still failed, and how to go on.
  assert.match(retried.stdout, /✓ Done in .*\n {2}1 succeeded\n {2}! execution x is still failed: b@dev\.build \(failed\)\n/);
  assert.match(retried.stdout, /resume {2}orun run --exec-id x\n/);
  assert.equal(await state(), "failed", "b is still failed in the record");
  assert.deepEqual(await meta(), { ...(await meta()), status: "failed", jobDone: 1, jobFailed: 1 });
  assert.match((await orun("status", "--all")).stdout, /✗ x\s+failed\s/);
  const logs = (await orun("logs")).stdout;
  assert.match(logs, /a@dev\.build › check {2}\(completed\)/);
  assert.match(logs, /b@dev\.build › check {2}\(failed\)/);
  const failedLogs = (await orun("logs", "--failed")).stdout;
  assert.match(failedLogs, /b-out/);
  assert.doesNotMatch(failedLogs, /a-out/);

  await writeFile(path.join(dir, "fixed-b"), "");
  const last = await orun("run", "plan.json", "--exec-id", "x", "--job", "b@dev.build", "--retry", "--json");
  assert.equal(last.code, 0, last.stdout + last.stderr);
  const summary = JSON.parse(last.stdout) as { status: string; executionStatus: string; unfinished?: unknown };
  assert.deepEqual([summary.status, summary.executionStatus, summary.unfinished], ["completed", "completed", undefined]);
  assert.equal(await state(), "completed");
  assert.equal((await meta()).status, "completed");
  assert.match((await orun("status", "--all")).stdout, /✓ x\s+completed\s/);
});
