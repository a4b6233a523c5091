// A field of a hand-edited plan file that orun does not know is ignored (plans of other orun versions still load,
// and the checksum covers only the fields it knows), so a misspelt one passed without a word: `"depends_on"` ran the
// job without waiting, `"timout"` set no timeout. One close to a field orun knows (or another tool's name for it,
// `needs`) is now a warning naming file, field and the name meant; the run goes on, the plan and its ID unchanged.
// A field close to none is still ignored silently. Real orun processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { computePlanChecksum } from "../../src/plan/checksum.js";
import { runOrun } from "../support/cli.js";
import { makePlan, planDir } from "../runtime/helpers.js";

const LOCAL_ENV = { ORUN_REMOTE_STATE: undefined, ORUN_BACKEND_URL: undefined, ORUN_EXEC_ID: undefined, GITHUB_ACTIONS: undefined };

test("a hand-edited plan's misspelt field is a did-you-mean warning naming file and field; the run goes on and the plan ID is unchanged", async (t) => {
  const dir = await planDir(t, []);
  const plan = makePlan([
    { id: "a@dev.build", steps: [{ run: "echo built" }] },
    { id: "a@dev.deploy", steps: [{ run: "echo deployed" }] },
  ]);
  plan.metadata = { ...plan.metadata, checksum: computePlanChecksum(plan) };
  const edited = JSON.parse(JSON.stringify(plan)) as Record<string, unknown> & { jobs: Record<string, unknown>[]; execution: Record<string, unknown> };
  edited.execution.concurency = 2;
  edited.jobs[1]!.depends_on = ["a@dev.build"];
  edited.jobs[1]!.timout = "5m";
  edited.jobs[0]!.needs = ["a@dev.deploy"];
  (edited.jobs[1]!.steps as Record<string, unknown>[])[0]!.workingDirectory = "sub";
  // Close to nothing orun knows (a newer orun's field, a note): ignored without a word.
  edited.jobs[0]!["x-reviewed-by"] = "ops";
  const file = path.join(dir, "plan.json");
  const text = `${JSON.stringify(edited, null, 2)}\n`;
  await writeFile(file, text);

  const run = await runOrun(["run", "plan.json"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const warnings = run.stderr.split("\n").filter((line) => line.startsWith("⚠ warning: "));
  assert.deepEqual(warnings, [
    `⚠ warning: ${file} (execution.concurency): unknown field, ignored (did you mean "concurrency"?)`,
    `⚠ warning: ${file} (jobs[0].needs): unknown field, ignored (did you mean "dependsOn"?)`,
    // In the file's order: the edit added its fields after the job's steps.
    `⚠ warning: ${file} (jobs[1].steps[0].workingDirectory): unknown field, ignored (did you mean "working-directory"?)`,
    `⚠ warning: ${file} (jobs[1].depends_on): unknown field, ignored (did you mean "dependsOn"?)`,
    `⚠ warning: ${file} (jobs[1].timout): unknown field, ignored (did you mean "timeout"?)`,
  ]);
  assert.doesNotMatch(run.stderr, /x-reviewed-by/);
  // The plan is the one its checksum names, its file untouched.
  assert.match(run.stdout, new RegExp(`Plan: ${plan.metadata.checksum!.slice("sha256-".length, "sha256-".length + 12)}`));
  assert.equal(await readFile(file, "utf8"), text);

  // describe reads the plan as run does: the same warnings.
  const described = await runOrun(["describe", "plan", "plan.json"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(described.code, 0, described.stdout + described.stderr);
  assert.match(described.stderr, /\(jobs\[1\]\.timout\): unknown field, ignored \(did you mean "timeout"\?\)/);
});

test("a field misspelt the same way in many jobs is said once, with how many more", async (t) => {
  const jobs = Array.from({ length: 30 }, (_, i) => ({ id: `a@dev.j${String(i).padStart(2, "0")}`, steps: [{ run: "true" }] }));
  const dir = await planDir(t, []);
  const plan = makePlan(jobs) as unknown as { jobs: Record<string, unknown>[] };
  for (const job of plan.jobs) job.timout = "1m";
  const file = path.join(dir, "plan.json");
  await writeFile(file, JSON.stringify(plan));
  const run = await runOrun(["run", "plan.json"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const warnings = run.stderr.split("\n").filter((line) => line.startsWith("⚠ warning: "));
  assert.deepEqual(warnings, [`⚠ warning: ${file} (jobs[0].timout): unknown field, ignored (did you mean "timeout"?); 29 more jobs have it`]);
});
