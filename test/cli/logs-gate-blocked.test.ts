// `orun logs` of a run none of whose jobs started (a promotion gate blocked one, its dependent skipped) said "it failed
// and no step printed any output", and `--failed` "No logs match.": no step ran at all. Both now say so and name the
// blocked and skipped jobs with their reasons, as `orun status` does. A real git repository and `orun` processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { makePlan, writePlan } from "../runtime/helpers.js";
import { GitRepo } from "../planner/changes/git-repo.js";

const GATE = { type: "environment-promotion" as const, environment: "dev", component: "api", condition: "success", match: { revision: "source" } };

test("orun logs (and --failed) of a gate-blocked run says no step ran and names the blocked job and why", async (t) => {
  const repo = GitRepo.create({ ".gitignore": ".orun/\nplan.json\n" });
  t.after(() => repo.remove());
  const sha = repo.commit("app");
  const dir = repo.dir;
  await writePlan(
    dir,
    makePlan(
      [
        { id: "api@dev.deploy", steps: [{ run: "echo dev" }] },
        { id: "api@prod.deploy", gates: [GATE], steps: [{ run: "echo prod" }] },
        { id: "web@prod.deploy", dependsOn: ["api@prod.deploy"], steps: [{ run: "echo web" }] },
      ],
      { revision: sha },
    ),
  );
  const run = await runOrun(["run", "plan.json", "--env", "prod", "--exec-id", "blk"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const expected = [
    "No logs for this run: no step ran.",
    `  api@prod.deploy  blocked · promotion gate: api must have succeeded in dev at revision ${sha.slice(0, 12)} (no execution recorded here ran all its api jobs in dev at this revision; run them for this commit first, e.g. \`orun run --component api --env dev\` in this checkout, then resume this run)`,
    "  web@prod.deploy  skipped · dependency api@prod.deploy was blocked",
    "",
  ].join("\n");
  for (const args of [[], ["--failed"]]) {
    const logs = await runOrun(["logs", "--exec-id", "blk", ...args], { cwd: dir });
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, expected, args.join(" "));
  }
});
