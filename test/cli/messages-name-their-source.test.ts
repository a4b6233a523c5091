// Messages that named the wrong input or gave no suggestion (camp22 findings 9
// and 11): a YAML alias error at line 1 instead of the alias's; `describe job`
// and `compositions <type>` with no "did you mean"; `orun plan wbe` blaming a
// --component flag nobody typed; ORUN_PLAN_ID=nope not naming ORUN_PLAN_ID;
// `1 components × 1 envs → 1 jobs`.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, DEV_API, writeRepo } from "../planner/support.js";

after(cleanupRepos);

test("an alias naming no anchor is told at the alias's line", async () => {
  const dir = await writeRepo(
    baseRepo(DEV_API, { "apps/web/component.yaml": "apiVersion: sourceplane.io/v1\nkind: Component\nmetadata:\n  name: web\nspec:\n  type: svc\n  parameters:\n    replicas: *nope\n" }),
  );
  const result = await runOrun(["validate"], { cwd: dir });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /✕ apps\/web\/component\.yaml:8: invalid YAML: Unresolved alias/);
});

test("describe job and compositions suggest the names meant; plan names its component argument; plurals", async () => {
  const dir = await writeRepo(baseRepo(DEV_API));
  const plan = await runOrun(["plan"], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /│ 1 component × 1 env → 1 job\n/);
  const validate = await runOrun(["validate"], { cwd: dir });
  assert.match(validate.stdout, /✓ All validation passed \(1 component, 1 job\)/);

  const job = await runOrun(["describe", "job", "api@dve.deploy"], { cwd: dir });
  assert.equal(job.code, 1, job.stderr);
  assert.match(job.stderr, /job not found: api@dve\.deploy \(did you mean api@dev\.deploy\?\)/);

  const composition = await runOrun(["compositions", "sv"], { cwd: dir });
  assert.equal(composition.code, 1, composition.stderr);
  assert.match(composition.stderr, /composition not found: sv \(did you mean `svc`\?\) \(composition types: svc, tf\)/);

  const positional = await runOrun(["plan", "apx"], { cwd: dir });
  assert.equal(positional.code, 1, positional.stderr);
  assert.match(positional.stderr, /✕ component argument: no component matched "apx"/);
  assert.ok(!positional.stderr.includes("--component"), positional.stderr);
  const flag = await runOrun(["plan", "--component", "apx"], { cwd: dir });
  assert.match(flag.stderr, /✕ --component: no component matched "apx"/);
});

test("a plan named by ORUN_PLAN_ID that does not exist names ORUN_PLAN_ID", async () => {
  const dir = await writeRepo(baseRepo(DEV_API));
  const result = await runOrun(["run", "--dry-run"], { cwd: dir, env: { ORUN_PLAN_ID: "nope" } });
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /^✕ ORUN_PLAN_ID=nope: nope is neither a stored plan nor a component/m);
});
