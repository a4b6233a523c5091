// `orun status` of a record whose state.json holds a job its plan (manifest.json) lacks — an edited state.json, or
// one copied from another execution: the job is named as not in the plan, never counted as the plan's ("3 in plan"
// for a 2-job plan, 100% with a job of the plan still to run). Real processes, real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

const JOBS = [
  { id: "app@dev.build", steps: [{ run: "true" }] },
  { id: "app@dev.deploy", steps: [{ run: "true" }] },
];

test("status names a job state.json holds that the plan lacks, and counts only the plan's jobs", async (t) => {
  const dir = await planDir(t, JOBS, { name: "ghosts" }, "orun-not-in-plan-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "G", "--job", "app@dev.build"], { cwd: dir })).code, 0);
  const file = recordFile(dir, "G", "state.json");
  const state = JSON.parse(await readFile(file, "utf8")) as { jobs: Record<string, unknown> };
  state.jobs["ghost@dev.j"] = { status: "completed", steps: {} };
  await writeFile(file, JSON.stringify(state));

  const status = await runOrun(["status", "--exec-id", "G"], { cwd: dir });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Jobs: ✓ 1 completed .*○ 1 not run {2}\(2 in plan\)/);
  assert.match(status.stdout, /Progress: .* 50%/);
  assert.match(status.stdout, /! its state.json holds a job its plan \(manifest.json\) does not: ghost@dev.j; not counted or listed/);
  assert.doesNotMatch(status.stdout, /ghost {2}·/, "not listed among the plan's jobs");

  const json = JSON.parse((await runOrun(["status", "--exec-id", "G", "--json"], { cwd: dir })).stdout) as { notInPlan?: string[] };
  assert.deepEqual(json.notInPlan, ["ghost@dev.j"]);
  const all = await runOrun(["status", "--all"], { cwd: dir });
  assert.match(all.stdout, /G .* 1 succeeded · 0 failed · 1 to run/);
});

test("status --all judges each record by its own manifest.json, though the records of one plan share one as a rule", async (t) => {
  const dir = await planDir(t, JOBS, { name: "ghosts" }, "orun-not-in-plan-");
  for (const id of ["A", "B", "C"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  // B's plan edited to lack a job its state.json holds; A and C keep the plan as run.
  const manifest = recordFile(dir, "B", "manifest.json");
  const plan = JSON.parse(await readFile(manifest, "utf8")) as { jobs: { id: string }[] };
  plan.jobs = plan.jobs.filter((job) => job.id !== "app@dev.deploy");
  await writeFile(manifest, JSON.stringify(plan));

  const all = await runOrun(["status", "--all"], { cwd: dir });
  assert.equal(all.code, 0, all.stderr);
  for (const id of ["A", "C"]) assert.match(all.stdout, new RegExp(`^✓ ${id} .* 2 succeeded · 0 failed`, "m"));
  assert.match(all.stdout, /^✓ B .* 1 succeeded · 0 failed/m);
  const rows = JSON.parse((await runOrun(["status", "--all", "--json"], { cwd: dir })).stdout) as { execID: string; notInPlan?: string[] }[];
  assert.deepEqual(Object.fromEntries(rows.map((row) => [row.execID, row.notInPlan ?? []])), { A: [], B: ["app@dev.deploy"], C: [] });
});
