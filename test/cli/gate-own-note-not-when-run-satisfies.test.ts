// Fixed (rev31b #1): a job skipped for its dependencies had its own promotion gate judged the moment the scheduler
// skipped it, while this run's own jobs of the gate's environment could still succeed and meet it; the record kept
// advice to run what the run had just run. Now only gates that need no job of this run are judged, before it starts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, writePlan } from "../runtime/helpers.js";
import { GitRepo } from "../planner/changes/git-repo.js";

const gate = (environment: string, component: string) => ({ type: "environment-promotion" as const, environment, component, condition: "success", match: { revision: "source" } });

test("a skipped job's own-gate note is not judged while this run's jobs of the gate's environment are still running", async (t) => {
  const repo = GitRepo.create({ ".gitignore": ".orun/\nplan.json\n" });
  t.after(() => repo.remove());
  const sha = repo.commit("app");
  const journal = path.join(repo.dir, ".orun/executions/s1/journal.jsonl");
  // The dev job ends only once the prod job's skip is journaled (bounded, so a run that records it later still ends).
  const waitForSkip = `i=0; until grep -q 'api@prod.deploy' '${journal}' 2>/dev/null || [ $i -ge 600 ]; do i=$((i+1)); sleep 0.05; done`;
  await writePlan(
    repo.dir,
    makePlan(
      [
        { id: "api@dev.deploy", steps: [{ run: waitForSkip }] },
        { id: "lib@prod.build", steps: [{ run: "exit 1" }] },
        { id: "api@prod.deploy", dependsOn: ["lib@prod.build"], gates: [gate("dev", "api")], steps: [{ run: "true" }] },
      ],
      { revision: sha, concurrency: 2 },
    ),
  );
  const run = await runOrun(["run", "plan.json", "--exec-id", "s1", "--concurrency", "2"], { cwd: repo.dir });
  assert.equal(run.code, 1, run.stderr);
  const state = JSON.parse(await readFile(path.join(repo.dir, ".orun/executions/s1/state.json"), "utf8")) as { jobs: Record<string, { status: string; reason?: string }> };
  assert.equal(state.jobs["api@dev.deploy"]?.status, "completed", run.stdout);
  const reason = state.jobs["api@prod.deploy"]?.reason ?? "";
  assert.match(reason, /dependency lib@prod\.build failed/);
  // api succeeded in dev in this very execution: its gate is met, so no note may say it blocks, or tell to run dev.
  assert.doesNotMatch(reason, /its own promotion gate/, reason);
  assert.doesNotMatch(run.stdout, /its own promotion gate/, run.stdout);
});
