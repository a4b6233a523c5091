// Records audit (round 2): ORUN_PLAN_ID set to nothing is refused like an empty plan argument — in CI it is
// an unset output (`ORUN_PLAN_ID: ${{ needs.plan.outputs.id }}`), and reading it as unset ran a fresh plan
// of the whole intent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { removeDir, tempDir } from "../runtime/helpers.js";
import { copyExample } from "../support/examples.js";

test("ORUN_PLAN_ID set but empty is refused like an empty plan argument; unset, or beside an explicit plan, it is not in the way", async (t) => {
  const dir = await tempDir("orun-rec14-planid-");
  t.after(() => removeDir(dir));
  await copyExample("platform", dir);

  for (const value of ["", "  "]) {
    const refused = await runOrun(["run", "--dry-run", "--all"], { cwd: dir, env: { ORUN_PLAN_ID: value } });
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /ORUN_PLAN_ID is set but empty/);
    assert.doesNotMatch(refused.stdout, /Dry run|jobs/i, "no preview of a fresh plan");
  }
  const empty = await runOrun(["run", "", "--dry-run"], { cwd: dir });
  assert.match(empty.stderr, /argument is empty/, "the rule it follows");

  const unset = await runOrun(["run", "--dry-run", "--all"], { cwd: dir, env: { ORUN_PLAN_ID: undefined } });
  assert.equal(unset.code, 0, unset.stderr);
  assert.ok(existsSync(path.join(dir, ".orun/plans")) === false, "a dry run saves no plan");
  const named = await runOrun(["run", "api", "--dry-run"], { cwd: dir, env: { ORUN_PLAN_ID: "" } });
  assert.equal(named.code, 0, named.stderr);
});
