// rev28b: a resume skips a job's completed steps only when they ran under the local runner (resumed-steps.ts
// whyNoStepSkipped) — but it asks which runner ran them of metadata.json's `runner`, the runner of the execution's
// *last* run, not of the run that ran those steps. A run in between that did not run the job (here `--job b --retry`
// under the local runner) makes steps that ran under github-actions (or docker: in a container that is gone) pass for
// local ones: the next local resume skips them. Real orun processes; steps count their runs in files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, readLines } from "../runtime/helpers.js";

test("a local resume runs again the steps a github-actions run completed, though a local run of another job came between", async (t) => {
  const dir = await planDir(t, [
    {
      id: "app@dev.a",
      steps: [
        { id: "one", run: "echo one >> runs-one" },
        { id: "two", run: "echo two >> runs-two; [ -f fixed ] || exit 3" },
      ],
    },
    { id: "app@dev.b", steps: [{ id: "only", run: "echo b >> runs-b" }] },
  ]);
  // Under github-actions: a's `one` completes, its `two` fails; b completes.
  const first = await runOrun(["run", "plan.json", "--exec-id", "E", "--runner", "github-actions"], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  // b alone again, under the local runner: a does not run.
  const other = await runOrun(["run", "plan.json", "--exec-id", "E", "--runner", "local", "--job", "app@dev.b", "--retry"], { cwd: dir });
  assert.equal(other.code, 0, other.stdout + other.stderr);

  // The preview of a local resume: `one` ran under github-actions, so a runs all its steps.
  const preview = await runOrun(["run", "plan.json", "--exec-id", "E", "--runner", "local", "--dry-run"], { cwd: dir });
  assert.equal(preview.code, 0, preview.stdout + preview.stderr);
  assert.doesNotMatch(preview.stdout, /resumes at step two/, preview.stdout);

  await writeFile(path.join(dir, "fixed"), "");
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "E", "--runner", "local"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.equal((await readLines(path.join(dir, "runs-one"))).length, 2, "`one` ran again under the local runner");
});
