// `orun status` with no records printed "Start one with: orun run" everywhere; outside a project (no intent.yaml
// in the folder or above, e.g. /tmp) that command fails with "no intent.yaml found". The advice now says where
// `orun run` works, and each command it gives is checked where it is printed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { removeDir, tempDir } from "../runtime/helpers.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

const OUTSIDE =
  "No runs yet.\n\n  No intent.yaml in this folder or any folder above: start one in a project's folder (one holding intent.yaml,\n  or below it) with: orun run — or here, from a plan file, with: orun run <plan.json>\n";

test("outside a project, status (and status --all) says where `orun run` works; the bare command there indeed fails", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  for (const args of [["status"], ["status", "--all"]]) {
    const result = await runOrun(args, { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, OUTSIDE, args.join(" "));
  }
  const bare = await runOrun(["run"], { cwd: dir });
  assert.notEqual(bare.code, 0, "the advice must not be the bare command here");
  assert.match(bare.stderr, /intent\.yaml/);
  // The plan-file form it gives does start a run here.
  const plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "p" }, jobs: [{ id: "a@dev.x", steps: [{ id: "s", run: "true" }] }] };
  await fs.writeFile(path.join(dir, "plan.json"), JSON.stringify(plan));
  const run = await runOrun(["run", "plan.json"], { cwd: dir });
  assert.equal(run.code, 0, run.stderr);
  assert.doesNotMatch((await runOrun(["status"], { cwd: dir })).stdout, /No runs yet/);
});

test("in a project, the advice stays the bare `orun run`, which works there", async (t) => {
  t.after(cleanupRepos);
  const dir = await writeRepo(baseRepo(`environments:\n  dev:\n    selectors: { components: ["*"] }\ncomponents:\n  - {name: api, type: svc}\n`));
  const status = await runOrun(["status"], { cwd: dir });
  assert.equal(status.stdout, "No runs yet.\n\n  Start one with: orun run\n");
  const run = await runOrun(["run", "--dry-run"], { cwd: dir });
  assert.equal(run.code, 0, run.stderr);
});
