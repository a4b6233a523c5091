// Spec 20 §1 step 14: a plan with no jobs → `✓ no jobs to run`, exit 0, no execution record. Its --json summary names
// the plan as a run of a plan with jobs does: its short ID (a hand-written plan without metadata.checksum included,
// whose ID is the canonical checksum's prefix, as every run records it), not "".
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, planDir } from "../runtime/helpers.js";
import { planChecksum } from "../../src/runtime/graph.js";

test("a plan with no jobs: ✓ no jobs to run, exit 0, nothing recorded; --json and --dry-run --json give the plan's ID", async (t) => {
  const dir = await planDir(t, [], { name: "empty" });
  const expectedId = planChecksum(makePlan([], { name: "empty" })).slice("sha256-".length, "sha256-".length + 12);
  const run = await runOrun(["run", "plan.json"], { cwd: dir });
  assert.deepEqual([run.code, run.stdout, run.stderr], [0, "✓ no jobs to run\n", ""]);
  assert.equal(existsSync(path.join(dir, ".orun/executions")), false, "no record for a run of nothing");
  for (const flags of [["--json"], ["--dry-run", "--json"]]) {
    const json = await runOrun(["run", "plan.json", ...flags], { cwd: dir });
    assert.equal(json.code, 0, json.stderr);
    const summary = JSON.parse(json.stdout) as { planId: string; planName: string; status: string; dryRun: boolean; counts: { total: number } };
    assert.deepEqual([summary.planId, summary.planName, summary.status, summary.dryRun, summary.counts.total], [expectedId, "empty", "completed", flags.includes("--dry-run"), 0], json.stdout);
  }
});
