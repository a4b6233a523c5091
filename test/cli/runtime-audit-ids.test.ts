// Runtime audit: exec IDs orun's own temporary names would hide (spec 20 §4.1: the exec-id is a folder
// name under .orun/executions/). Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, type JobSpec, planDir } from "../runtime/helpers.js";

const setup = (t: { after(fn: () => Promise<void>): void }, jobs: JobSpec[], options: Parameters<typeof makePlan>[1] = {}): Promise<string> =>
  planDir(t, jobs, options, "orun-audit-rt-");

test("exec IDs that collide with orun's temporary names (*.tmp) are refused up front", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.one", steps: [{ run: "echo a" }] }]);
  for (const id of ["run.tmp", "x.1.deadbeef.gc.tmp", "latest.123.tmp"]) {
    const refused = await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir });
    assert.equal(refused.code, 1, `${id} accepted`);
    assert.match(refused.stderr, /invalid exec id/);
    const viaEnv = await runOrun(["run", "plan.json"], { cwd: dir, env: { ORUN_EXEC_ID: id } });
    assert.equal(viaEnv.code, 1, `${id} accepted from ORUN_EXEC_ID`);
  }
  assert.equal(existsSync(path.join(dir, ".orun/executions")), false);
});
