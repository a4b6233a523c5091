// rev15rec #4: `orun run --background --job <typo>` is refused by the parent (non-zero, no record), and
// `orun logs` of a run that failed before any job ran shows that run's error. Real processes, temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, readJson, recordFile } from "../runtime/helpers.js";
import { processGone, until } from "../support/wait.js";

test("run --background --job naming no job of the plan is refused before a record is made", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "first"], { cwd: dir })).code, 0);
  const typo = await runOrun(["run", "plan.json", "--background", "--job", "api@dev.biuld"], { cwd: dir });
  assert.equal(typo.code, 1, typo.stdout + typo.stderr);
  assert.doesNotMatch(typo.stdout, /background run started/);
  assert.match(typo.stderr, /job not found: api@dev\.biuld/);
  assert.match(typo.stderr, /did you mean api@dev\.build/);
  // No record for the refused start: the latest run is still the one before.
  assert.deepEqual(await readdir(path.join(dir, ".orun/executions")).then((names) => names.filter((n) => n !== "latest")), ["first"]);
  const status = await runOrun(["status"], { cwd: dir });
  assert.match(status.stdout, /Run: first .*State: completed/);
});

test("orun logs of a run that failed before any job ran shows the run's error, not 'no logs yet'", async (t) => {
  // The local runner refuses `uses:` steps in the detached child, before any job runs.
  const dir = await planDir(t, [{ id: "a@dev.one", steps: [{ use: "actions/checkout@v4" }] }]);
  const started = await runOrun(["run", "plan.json", "--background", "--runner", "local", "--exec-id", "bg"], { cwd: dir });
  assert.equal(started.code, 0, started.stdout + started.stderr);
  await until(async () => {
    try {
      return (await readJson<{ status: string }>(recordFile(dir, "bg", "metadata.json"))).status === "failed";
    } catch {
      return false;
    }
  }, "the child to record its failure");
  const pid = Number((await readFile(recordFile(dir, "bg", "pid"), "utf8")).trim());
  await until(() => processGone(pid), "the background child to exit");

  const logs = await runOrun(["logs", "--exec-id", "bg"], { cwd: dir });
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /failed before any job ran/);
  assert.match(logs.stdout, /Error: .*cannot run GitHub Actions steps/);
  assert.doesNotMatch(logs.stdout, /No logs for this run yet/);
  // --follow of the ended run says the same.
  const follow = await runOrun(["logs", "--exec-id", "bg", "--follow"], { cwd: dir, timeoutMs: 15_000 });
  assert.equal(follow.code, 1, `the run failed: ${follow.stderr}`);
  assert.match(follow.stdout, /failed before any job ran\.\n {2}Error: .*cannot run GitHub Actions steps/);
  // --raw keeps stdout for the logs' bytes: the error goes to stderr.
  const raw = await runOrun(["logs", "--exec-id", "bg", "--raw"], { cwd: dir });
  assert.equal(raw.stdout, "");
  assert.match(raw.stderr, /cannot run GitHub Actions steps/);
  // A filter that matches nothing still says so.
  assert.equal((await runOrun(["logs", "--exec-id", "bg", "--job", "zzz"], { cwd: dir })).stdout, "No logs match.\n");
});
