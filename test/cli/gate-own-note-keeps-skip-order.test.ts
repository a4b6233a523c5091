// Fixed (rev31b #2): a skipped gated job was recorded once its gate had been judged (asynchronously), after its own
// ungated dependents; its gate is now judged before the run, and the skip told at once, in dependency order.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { makePlan, writePlan } from "../runtime/helpers.js";
import { GitRepo } from "../planner/changes/git-repo.js";

const gate = { type: "environment-promotion" as const, environment: "dev", component: "api", condition: "success", match: { revision: "source" } };

test("a gated job skipped for its dependencies is shown before its own dependents, as an ungated one is", async (t) => {
  const repo = GitRepo.create({ ".gitignore": ".orun/\nplan.json\n" });
  t.after(() => repo.remove());
  const sha = repo.commit("app");
  await writePlan(
    repo.dir,
    makePlan(
      [
        { id: "lib@prod.build", steps: [{ run: "exit 1" }] },
        { id: "api@prod.deploy", dependsOn: ["lib@prod.build"], gates: [gate], steps: [{ run: "true" }] },
        { id: "api@prod.smoke", dependsOn: ["api@prod.deploy"], steps: [{ run: "true" }] },
      ],
      { revision: sha },
    ),
  );
  const run = await runOrun(["run", "plan.json", "--exec-id", "o1"], { cwd: repo.dir });
  assert.equal(run.code, 1, run.stderr);
  const deploy = run.stdout.indexOf("deploy  skipped");
  const smoke = run.stdout.indexOf("smoke  skipped");
  assert.ok(deploy >= 0 && smoke >= 0, run.stdout);
  assert.ok(deploy < smoke, `api@prod.smoke (which depends on api@prod.deploy) is shown first:\n${run.stdout}`);
});
