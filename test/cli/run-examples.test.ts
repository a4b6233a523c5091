// `orun run` on real repositories: our bundled example (copied to a temp dir:
// running writes build artefacts) and the shared v2.3 fixtures (read in
// place, dry-run only: nothing may be written there).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { FIXTURES_DIR, runOrun } from "../support/cli.js";
import { makePlan, readJson, removeDir, tempDir, writePlan, type StateFile } from "../runtime/helpers.js";
import { copyExample } from "../support/examples.js";

test("the bundled example plans and runs end to end with the local runner", async (t) => {
  const dir = await tempDir("orun-example-");
  t.after(() => removeDir(dir));
  await copyExample("platform", dir);
  const result = await runOrun(["run", "--exec-id", "demo"], { cwd: dir });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /✓ Done in/);
  const state = await readJson<StateFile>(path.join(dir, ".orun/executions/demo/state.json"));
  const jobs = Object.values(state.jobs);
  assert.ok(jobs.length > 0);
  assert.ok(jobs.every((job) => job.status === "completed"));
  assert.ok(existsSync(path.join(dir, ".orun/plans/latest.json")), "the fresh plan is saved");
  const status = await runOrun(["status"], { cwd: dir });
  assert.match(status.stdout, /State: completed/);
});

test("dry-run of the v2.3 multi-environment fixture previews every job and writes nothing", { skip: !existsSync(FIXTURES_DIR) && "shared fixtures absent" }, async () => {
  const before = await readdir(FIXTURES_DIR);
  const result = await runOrun(["run", "--dry-run", "--all"], { cwd: FIXTURES_DIR, env: { GITHUB_ACTIONS: "", ORUN_RUNNER: "" } });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /dry-run: nothing will be executed/);
  assert.match(result.stdout, /Runner: {4}github-actions \(plan use: step\)/);
  assert.match(result.stdout, /blocked without --approve/);
  const jobs = result.stdout.match(/^ {2}\d+\. \S+@\S+\.\S+$/gm) ?? [];
  assert.ok(jobs.length >= 10, `jobs previewed: ${jobs.length}`);
  assert.deepEqual(await readdir(FIXTURES_DIR), before);
});

test("a large plan (helper-process spawns) runs every job once, dependents after their dependencies", async (t) => {
  const dir = await tempDir("orun-big-");
  t.after(() => removeDir(dir));
  const jobs = Array.from({ length: 40 }, (_, i) => ({
    id: `c${i % 4}@dev.j${String(i).padStart(2, "0")}`,
    dependsOn: i >= 4 ? [`c${(i - 4) % 4}@dev.j${String(i - 4).padStart(2, "0")}`] : [],
    steps: [{ run: `${i >= 4 ? `test -f done-${i - 4} || exit 8; ` : ""}touch done-${i}; echo ${i} >> runs` }],
  }));
  await writePlan(dir, makePlan(jobs, { concurrency: 8 }));
  const result = await runOrun(["run", "plan.json", "--exec-id", "big"], { cwd: dir });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const runs = (await import("node:fs/promises").then((fs) => fs.readFile(path.join(dir, "runs"), "utf8"))).trim().split("\n");
  assert.equal(runs.length, 40);
  assert.equal(new Set(runs).size, 40);
});
