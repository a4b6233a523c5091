// ORUN_PLAN_ID is read as the plan-or-component argument is (spec 20 §4: argument, else --plan, else
// ORUN_PLAN_ID; a stored plan, a plan file, else a component). So a component name there plans that
// component, as the spec says, but it did so in silence, though in CI the variable is meant to carry a
// plan's ID: a notice now names the variable and what it was taken as. A stored plan's ID gets no notice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { removeDir } from "../runtime/helpers.js";
import { baseRepo, writeRepo } from "../planner/support.js";

const BODY = `environments:
  dev:
    selectors: { components: ["*"] }
components:
  - {name: api, type: svc}
  - {name: web, type: svc}
`;

test("ORUN_PLAN_ID naming a component plans that component, with a notice naming the variable", async (t) => {
  const dir = await writeRepo(baseRepo(BODY));
  t.after(() => removeDir(dir));
  const run = await runOrun(["run", "--dry-run"], { cwd: dir, env: { ORUN_PLAN_ID: "api" } });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.stderr.includes("notice: ORUN_PLAN_ID=api names no stored plan or plan file, but a component: running a fresh plan of component api\n"), run.stderr);
  assert.match(run.stdout, /api@dev\.deploy/);
  assert.doesNotMatch(run.stdout, /web@dev\.deploy/);

  const plan = await runOrun(["plan", "--name", "mine"], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  const stored = await runOrun(["run", "--dry-run"], { cwd: dir, env: { ORUN_PLAN_ID: "mine" } });
  assert.equal(stored.code, 0, stored.stderr);
  assert.doesNotMatch(stored.stderr, /notice: ORUN_PLAN_ID/);
  const argument = await runOrun(["run", "api", "--dry-run"], { cwd: dir });
  assert.doesNotMatch(argument.stderr, /notice: ORUN_PLAN_ID/);
});

test("ORUN_PLAN_ID naming nothing is refused naming the variable", async (t) => {
  const repo = await writeRepo(baseRepo(BODY));
  t.after(() => removeDir(repo));
  const run = await runOrun(["run", "--dry-run"], { cwd: repo, env: { ORUN_PLAN_ID: "nope" } });
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stderr, /^✕ ORUN_PLAN_ID=nope: nope is neither a stored plan nor a component/);
});
