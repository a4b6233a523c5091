// Runtime audit: step environment layering (spec 20 §5, later wins): the run's ORUN_* variables, job env,
// the job's identity, step env. Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, readLines, removeDir, tempDir, writePlan } from "../runtime/helpers.js";

test("job env cannot relabel a job's identity variables; step env still can", async (t) => {
  const dir = await tempDir("orun-audit-rt-");
  t.after(() => removeDir(dir));
  const identity = { ORUN_JOB_ID: "job-env", ORUN_COMPONENT: "job-env", ORUN_ENVIRONMENT: "job-env", ORUN_JOB_RUN_ID: "job-env", ORUN_JOB_UID: "job-env" };
  await writePlan(
    dir,
    makePlan([
      { id: "api@dev.one", uid: "job_one", env: { ...identity, N: "3" }, steps: [{ run: "env | grep -E '^(ORUN_|N=)' | sort > one.env" }] },
      { id: "api@dev.two", env: identity, steps: [{ env: { ORUN_COMPONENT: "step-env" }, run: "env | grep -E '^ORUN_' | sort > two.env" }] },
    ]),
  );
  const result = await runOrun(["run", "plan.json", "--exec-id", "envs"], { cwd: dir });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const read = async (file: string): Promise<Record<string, string>> =>
    Object.fromEntries((await readLines(path.join(dir, file))).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
  const one = await read("one.env");
  assert.equal(one.ORUN_JOB_ID, "api@dev.one");
  assert.equal(one.ORUN_COMPONENT, "api");
  assert.equal(one.ORUN_ENVIRONMENT, "dev");
  assert.match(one.ORUN_JOB_RUN_ID ?? "", /^[0-9a-f]{12}:envs:api@dev\.one$/);
  assert.equal(one.ORUN_JOB_UID, "job_one");
  assert.equal(one.N, "3");
  const two = await read("two.env");
  assert.equal(two.ORUN_COMPONENT, "step-env", "a step's own env wins");
  assert.equal(two.ORUN_JOB_ID, "api@dev.two");
  assert.equal(two.ORUN_JOB_UID, "job-env", "without a uid there is nothing to override it with");
});
