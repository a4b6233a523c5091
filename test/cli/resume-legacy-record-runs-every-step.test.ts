// rev29: a resume skips a job's completed steps only when they ran under the same runner (resumed-steps.ts
// whyNoStepSkipped). A state.json from an orun before per-job `runner` (f67a349) holds no runner per job, and the
// resume then takes metadata.json's `runner` — the runner of the execution's *last* run — for every job: the exact
// gap f67a349 closed for new records. A record an older orun left (a's steps under github-actions, then b alone
// under the local runner), resumed locally after an upgrade, skips a's step that ran under github-actions. The
// record cannot say who ran it: whyNoStepSkipped has the words for that ("the record does not say which runner ran
// them"), and older orun never skipped steps, so running them all again loses nothing. Real orun processes; the
// legacy record is the same one with its per-job `runner` fields removed, as an older orun wrote it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, readLines } from "../runtime/helpers.js";

test("a local resume of a record without per-job runners runs again the steps another runner completed", async (t) => {
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
  const first = await runOrun(["run", "plan.json", "--exec-id", "E", "--runner", "github-actions"], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  const other = await runOrun(["run", "plan.json", "--exec-id", "E", "--runner", "local", "--job", "app@dev.b", "--retry"], { cwd: dir });
  assert.equal(other.code, 0, other.stdout + other.stderr);

  // The record as an orun before per-job runners wrote it: no `runner` in state.json's jobs.
  const records = path.join(dir, ".orun", "executions", "E");
  const stateFile = path.join(records, "state.json");
  const state = JSON.parse(await readFile(stateFile, "utf8")) as { jobs: Record<string, { runner?: string }> };
  assert.equal(state.jobs["app@dev.a"]?.runner, "github-actions", `a ran under github-actions: ${JSON.stringify(state.jobs)}`);
  for (const job of Object.values(state.jobs)) delete job.runner;
  await writeFile(stateFile, JSON.stringify(state, null, 2));
  assert.ok((await readdir(records)).includes("metadata.json"));

  await writeFile(path.join(dir, "fixed"), "");
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "E", "--runner", "local"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.equal((await readLines(path.join(dir, "runs-one"))).length, 2, `\`one\` ran under github-actions; the record does not say so, so it runs again:\n${resumed.stdout}`);
});
