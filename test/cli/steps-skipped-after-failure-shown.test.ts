// A main step skipped because an earlier one failed is recorded `skipped` (state.json): `orun run -v` showed no line
// for it (the job went from the failure straight to its post steps), the GitHub Actions groups counted it neither, and
// `status --detailed` showed it as a pending step. Each now says it was skipped, as the record does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

const LOCAL_ENV = { ORUN_REMOTE_STATE: undefined, ORUN_BACKEND_URL: undefined, ORUN_EXEC_ID: undefined, GITHUB_ACTIONS: undefined };
const JOB = {
  id: "a@dev.deploy",
  steps: [{ id: "s1", run: "exit 3" }, { id: "s2", run: "echo never" }, { id: "p", phase: "post" as const, run: "echo cleanup" }],
};

test("a step skipped after a failure gets its line in verbose output, the GitHub Actions groups and status --detailed", async (t) => {
  const dir = await planDir(t, [JOB]);
  const verbose = await runOrun(["run", "plan.json", "-v", "--exec-id", "v1"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(verbose.code, 1, verbose.stdout + verbose.stderr);
  const lines = verbose.stdout.split("\n").map((line) => line.trim());
  const failed = lines.findIndex((line) => line.startsWith("✗ s1"));
  const skipped = lines.indexOf("↷ s2  skipped · not run: step s1 failed");
  const post = lines.findIndex((line) => line.startsWith("● p (3/3)"));
  assert.ok(failed >= 0 && failed < skipped && skipped < post, verbose.stdout);
  assert.doesNotMatch(verbose.stdout, /never/);

  const detailed = await runOrun(["status", "--exec-id", "v1", "--detailed"], { cwd: dir, env: LOCAL_ENV });
  assert.match(detailed.stdout, /^ {8}✗ s1\n {8}○ s2 {2}skipped\n {8}✓ p$/m);
  const json = JSON.parse((await runOrun(["status", "--exec-id", "v1", "--json"], { cwd: dir, env: LOCAL_ENV })).stdout);
  assert.deepEqual(json.state.jobs["a@dev.deploy"].steps, { s1: "failed", s2: "skipped", p: "completed" });

  const gha = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "g1"], { cwd: dir, env: { ...LOCAL_ENV, GITHUB_ACTIONS: "true" } });
  assert.equal(gha.code, 1, gha.stdout + gha.stderr);
  assert.match(gha.stdout, /^ {2}↷ {2}02 s2 {2}skipped$/m);
  assert.match(gha.stdout, /steps {7}1 passed, 1 failed, 1 skipped/);
});
