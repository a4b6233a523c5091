// Edge cases of `orun run` found by review: --dry-run with change flags
// writes no plan, the --background marker does not reach steps, plans the
// spec accepts load (a step without id, concurrency 0), a cycle names the
// plan file, and a lock path that is not a lock file is a clear error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, symlink } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { until } from "../support/wait.js";
import { baseRepo, THREE_ENVS } from "../planner/support.js";
import { GitRepo } from "../planner/changes/git-repo.js";
import { makePlan, removeDir, tempDir, writePlan } from "../runtime/helpers.js";

test("orun run --dry-run with change flags stores no plan and leaves latest alone", async (t) => {
  const repo = GitRepo.create(baseRepo(`${THREE_ENVS}components:\n  - name: api\n    type: svc\n    path: apps/api\n`, { "apps/api/x.txt": "1\n" }));
  t.after(() => repo.remove());
  repo.commit("initial");
  assert.equal((await runOrun(["plan"], { cwd: repo.dir })).code, 0);
  const latest = await readFile(repo.path(".orun/plans/latest.json"), "utf8");
  const dry = await runOrun(["run", "--changed", "--files", "README.md", "--dry-run"], { cwd: repo.dir });
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(await readFile(repo.path(".orun/plans/latest.json"), "utf8"), latest, "latest still the real plan");
  assert.deepEqual(await readdir(repo.path(".orun/executions")).catch(() => []), [], "no execution record");
});

test("a --background run's steps do not inherit its marker: a nested --background run detaches too", async (t) => {
  const dir = await tempDir("orun-cli-edges-");
  t.after(() => removeDir(dir));
  await mkdir(path.join(dir, "nest"));
  await writePlan(path.join(dir, "nest"), makePlan([{ id: "i@dev.j", steps: [{ run: "touch inner.ran" }] }]), "inner.json");
  const orun = `${JSON.stringify(process.execPath)} ${JSON.stringify(ORUN_BIN)}`;
  await writePlan(dir, makePlan([{ id: "o@dev.j", steps: [{ run: `env | grep -c ORUN_BACKGROUND_CHILD || true; cd nest && ${orun} run inner.json --exec-id inner --background` }] }]));
  const outer = await runOrun(["run", "plan.json", "--exec-id", "outer", "--background"], { cwd: dir });
  assert.equal(outer.code, 0, outer.stderr);
  await until(() => existsSync(path.join(dir, "nest/inner.ran")), "the nested background run", 20_000);
  await until(async () => (await readFile(path.join(dir, ".orun/executions/outer/metadata.json"), "utf8").catch(() => "")).includes('"completed"'), "the outer run to finish", 20_000);
  const log = (await runOrun(["logs", "--exec-id", "outer"], { cwd: dir })).stdout;
  assert.match(log, /\n0\n/, "the marker is not in the step's environment");
  assert.match(log, /background run started/);
});

test("an orun run inside a step is a run of its own: it neither resumes the step's execution nor reruns its plan", async (t) => {
  const dir = await tempDir("orun-cli-edges-");
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan([{ id: "i@dev.j", steps: [{ run: 'echo "$ORUN_EXEC_ID" > inner.exec' }] }], { name: "inner" }), "inner.json");
  const orun = `${JSON.stringify(process.execPath)} ${JSON.stringify(ORUN_BIN)}`;
  // In the same workspace: the outer run holds its record's lock, so sharing its exec id would fail the step.
  await writePlan(dir, makePlan([{ id: "o@dev.j", steps: [{ run: `${orun} run inner.json --json > inner.json.out` }] }]));
  const outer = await runOrun(["run", "plan.json", "--exec-id", "outer"], { cwd: dir });
  assert.equal(outer.code, 0, outer.stdout + outer.stderr);
  const innerExec = (await readFile(path.join(dir, "inner.exec"), "utf8")).trim();
  assert.match(innerExec, /^inner-\d{8}-[0-9a-f]{6}$/, "a fresh exec id of the inner plan");
  assert.equal((JSON.parse(await readFile(path.join(dir, "inner.json.out"), "utf8")) as { status: string }).status, "completed");
  // A value the user set (CI pinning the run) is still honoured.
  const pinned = await runOrun(["run", "inner.json"], { cwd: dir, env: { ORUN_EXEC_ID: "pinned", ORUN_JOB_RUN_ID: "abc:other:x@y.z" } });
  assert.equal(pinned.code, 0, pinned.stderr);
  assert.equal((await readFile(path.join(dir, "inner.exec"), "utf8")).trim(), "pinned");
  // Under remote state the run ID the step inherits may hold a colon (no local exec id can): still recognised.
  const remote = await runOrun(["run", "inner.json"], { cwd: dir, env: { ORUN_PLAN_ID: "abc", ORUN_EXEC_ID: "release:42", ORUN_JOB_RUN_ID: "abc:release:42:a@dev.deploy" } });
  assert.equal(remote.code, 0, remote.stderr);
  assert.match((await readFile(path.join(dir, "inner.exec"), "utf8")).trim(), /^inner-\d{8}-[0-9a-f]{6}$/);
});

test("plans the spec accepts load: a step without id (keyed by its name), execution.concurrency 0 (one at a time)", async (t) => {
  const dir = await tempDir("orun-cli-edges-");
  t.after(() => removeDir(dir));
  const plan = makePlan([{ id: "a@dev.j", steps: [{ run: "true" }] }]);
  delete (plan.jobs[0]!.steps[0] as { id?: string }).id;
  plan.jobs[0]!.steps[0]!.name = "build";
  plan.execution.concurrency = 0;
  delete plan.metadata.checksum;
  await writePlan(dir, plan);
  const result = await runOrun(["run", "plan.json", "--exec-id", "e", "--json"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  const state = JSON.parse(await readFile(path.join(dir, ".orun/executions/e/state.json"), "utf8")) as { jobs: Record<string, { steps: Record<string, string> }> };
  assert.deepEqual(state.jobs["a@dev.j"]!.steps, { build: "completed" });
  assert.equal((JSON.parse(result.stdout) as { concurrency: number }).concurrency, 1);
});

test("a dependency cycle names the plan file and field; nothing is recorded", async (t) => {
  const dir = await tempDir("orun-cli-edges-");
  t.after(() => removeDir(dir));
  const plan = makePlan([{ id: "a@dev.j", dependsOn: ["a@dev.j"], steps: [{ run: "true" }] }]);
  delete plan.metadata.checksum;
  await writePlan(dir, plan);
  const result = await runOrun(["run", "plan.json"], { cwd: dir });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /plan\.json \(jobs\): invalid plan: cycle detected in plan jobs: a@dev\.j → a@dev\.j/);
  assert.ok(!existsSync(path.join(dir, ".orun/executions")));
});

test("a lock path that is a directory or a dangling symlink is a clear error naming it, at once", async (t) => {
  const dir = await tempDir("orun-cli-edges-");
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan([{ id: "a@dev.j", steps: [{ run: "true" }] }]));
  await mkdir(path.join(dir, ".orun/executions/d/.lock"), { recursive: true });
  await mkdir(path.join(dir, ".orun/executions/s"), { recursive: true });
  await symlink("/nonexistent/orun-lock", path.join(dir, ".orun/executions/s/.lock"));
  // Both at once, so they start under the same load: the directory's run is the reference for orun's start and end.
  const timed = async (execId: string) => {
    const started = Date.now();
    const result = await runOrun(["run", "plan.json", "--exec-id", execId], { cwd: dir });
    return { ...result, ms: Date.now() - started };
  };
  const [asDir, dangling] = await Promise.all([timed("d"), timed("s")]);
  assert.equal(asDir.code, 1);
  assert.match(asDir.stderr, /executions\/d\/\.lock.*the execution lock is a directory, not a lock file/);
  assert.equal(dangling.code, 1);
  assert.match(dangling.stderr, /the execution lock is a symbolic link, not a lock file/);
  // Spinning until the lock's 15 s acquire deadline would take that much longer than the reference.
  assert.ok(dangling.ms - asDir.ms < 10_000, `no spinning until a deadline: ${dangling.ms} ms, the directory's ${asDir.ms} ms`);
});
