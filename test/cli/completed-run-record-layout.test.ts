// Spec 20 §4.2 and §9 conformance case 34: a completed run leaves executions/latest → its folder, manifest.json (the
// plan it ran), state.json, metadata.json (status completed, trigger cli, startedAt ≤ finishedAt, the plan's short
// ID) and a log for each step that printed something, none for a silent step.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, readJson, recordFile, type StateFile } from "../runtime/helpers.js";
import type { RunMetadata } from "../../src/runtime/records/store.js";
import type { Plan } from "../../src/model/plan.js";

test("case 34: a completed run's record: latest link, manifest, state, metadata (completed, cli, finishedAt) and logs of steps with output only", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ id: "talk", run: "echo hello" }, { id: "quiet", run: "true" }] }], { name: "layout" });
  const run = await runOrun(["run", "plan.json", "--exec-id", "done-1"], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const executions = path.join(dir, ".orun/executions");
  assert.equal(await readlink(path.join(executions, "latest")), "done-1");
  assert.deepEqual((await readdir(path.join(executions, "done-1"))).filter((name) => !name.startsWith(".")).sort(), ["logs", "manifest.json", "metadata.json", "state.json"]);

  const manifest = await readJson<Plan>(recordFile(dir, "done-1", "manifest.json"));
  assert.deepEqual(manifest.jobs.map((job) => job.id), ["api@dev.build"]);
  const state = await readJson<StateFile>(recordFile(dir, "done-1", "state.json"));
  assert.equal(state.execId, "done-1");
  assert.match(state.planChecksum, /^sha256-[0-9a-f]{64}$/);
  assert.equal(state.jobs["api@dev.build"]!.status, "completed");
  assert.deepEqual(state.jobs["api@dev.build"]!.steps, { talk: "completed", quiet: "completed" });

  const meta = await readJson<RunMetadata>(recordFile(dir, "done-1", "metadata.json"));
  assert.equal(meta.execId, "done-1");
  assert.equal(meta.status, "completed");
  assert.equal(meta.trigger, "cli");
  assert.equal(meta.planName, "layout");
  assert.equal(meta.planId, state.planChecksum.slice("sha256-".length, "sha256-".length + 12));
  assert.equal(meta.dryRun, false);
  assert.deepEqual([meta.jobTotal, meta.jobDone, meta.jobFailed], [1, 1, 0]);
  assert.ok(meta.finishedAt, "finishedAt set");
  assert.ok(Date.parse(meta.startedAt) <= Date.parse(meta.finishedAt), `${meta.startedAt} ≤ ${meta.finishedAt}`);

  assert.deepEqual(await readdir(recordFile(dir, "done-1", "logs/api@dev.build")), ["talk.log"], "no log for the silent step");
});
