// Runtime audit: `--job` names one job explicitly — the working folder's implicit component scope does not
// hide it, and an explicit filter that excludes it says so. Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT, runOrun } from "../support/cli.js";
import { makePlan, removeDir, tempDir, writePlan } from "../runtime/helpers.js";

test("--job from inside a component folder runs a job of another component (the folder's scope is implicit)", async (t) => {
  const dir = await tempDir("orun-audit-rt-");
  t.after(() => removeDir(dir));
  await cp(path.join(PROJECT_ROOT, "examples/platform"), dir, { recursive: true });
  const api = path.join(dir, "services/api");
  const lib = await runOrun(["run", "--exec-id", "sel", "--job", "shared-lib@dev.build"], { cwd: api });
  assert.equal(lib.code, 0, lib.stdout + lib.stderr);
  const worker = await runOrun(["run", "--exec-id", "sel", "--job", "worker@dev.build"], { cwd: api });
  assert.equal(worker.code, 0, worker.stdout + worker.stderr);
  assert.doesNotMatch(worker.stderr, /auto-scoped/);
  assert.match(worker.stdout, /1 succeeded/);
});

test("--job excluded by an explicit --component/--env says which filter excludes it", async (t) => {
  const dir = await tempDir("orun-audit-rt-");
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan([{ id: "a@dev.one", steps: [{ run: "true" }] }, { id: "b@dev.two", steps: [{ run: "true" }] }]));
  const refused = await runOrun(["run", "plan.json", "--component", "a", "--job", "b.dev.two"], { cwd: dir });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /job b@dev\.two is not among the jobs selected by --component a/);
  const unknown = await runOrun(["run", "plan.json", "--job", "c@dev.one"], { cwd: dir });
  assert.match(unknown.stderr, /job not found: c@dev\.one/);
});
