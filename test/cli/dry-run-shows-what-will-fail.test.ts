// camp22 finding 10: `orun run --dry-run` said nothing of what would go wrong. A job whose working directory is
// missing got no note (the run then fails at its first step); a promotion gate read the same whether a success
// at the revision was recorded or not; a plan of 0 jobs passed validate and plan without a word. Now the dry-run
// names a missing folder, judges local gates from the records (writing nothing), and validate/plan warn.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, removeDir, tempDir, writePlan } from "../runtime/helpers.js";
import { GitRepo } from "../planner/changes/git-repo.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

const GATE = { type: "environment-promotion" as const, environment: "dev", component: "api", condition: "success", match: { revision: "source" } };
const executions = async (dir: string) => (await readdir(path.join(dir, ".orun/executions")).catch(() => [] as string[])).filter((name) => name !== "latest").sort();

test("the dry-run judges a local promotion gate from the records: would block before dev's success, satisfied by it after; it writes nothing", async (t) => {
  const repo = GitRepo.create({ "deploy.sh": 'echo "deploying $1"\n', ".gitignore": ".orun/\nplan.json\n" });
  t.after(() => repo.remove());
  const sha = repo.commit("app");
  const dir = repo.dir;
  await writePlan(
    dir,
    makePlan(
      [
        { id: "api@dev.deploy", steps: [{ run: "sh deploy.sh dev" }] },
        { id: "api@prod.deploy", gates: [GATE], steps: [{ run: "sh deploy.sh prod" }] },
      ],
      { revision: sha },
    ),
  );
  const before = await runOrun(["run", "plan.json", "--job", "api@prod.deploy", "--dry-run"], { cwd: dir });
  assert.equal(before.code, 0, before.stderr);
  assert.ok(
    before.stdout.includes(`would block: promotion gate: api must have succeeded in dev at revision ${sha.slice(0, 12)} (no execution recorded here ran all its api jobs in dev at this revision;`),
    before.stdout,
  );
  // Without --job the run's own dev job may provide the evidence first.
  const whole = await runOrun(["run", "plan.json", "--dry-run"], { cwd: dir });
  assert.equal(whole.code, 0, whole.stderr);
  assert.match(whole.stdout, /would block: .* — unless this run's api@dev\.deploy completes first/);
  assert.deepEqual(await executions(dir), [], "the dry-run recorded nothing");

  const dev = await runOrun(["run", "plan.json", "--job", "api@dev.deploy", "--exec-id", "d1"], { cwd: dir });
  assert.equal(dev.code, 0, dev.stdout + dev.stderr);
  const after = await runOrun(["run", "plan.json", "--job", "api@prod.deploy", "--dry-run"], { cwd: dir });
  assert.equal(after.code, 0, after.stderr);
  assert.match(after.stdout, /note {5}gate api in dev: satisfied by d1$/m);
  assert.doesNotMatch(after.stdout, /would block/);
  assert.deepEqual(await executions(dir), ["d1"], "the dry-run recorded nothing");
});

test("the dry-run notes a job whose working directory is missing (a stored plan run elsewhere, a spec.path that is not there)", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  await writePlan(
    dir,
    makePlan([
      { id: "api@dev.build", path: "nowhere", steps: [{ run: "true" }] },
      { id: "web@dev.build", steps: [{ run: "true" }] },
    ]),
  );
  const result = await runOrun(["run", "plan.json", "--dry-run"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  const missing = path.join(dir, "nowhere");
  assert.ok(result.stdout.includes(`note     working directory ${missing} is missing: the run will fail`), result.stdout);
  // The workspace itself exists: no note for the other job.
  assert.equal(result.stdout.split("is missing").length, 2, result.stdout);
});

test("the dry-run of use: steps on the local runner shows its preview, then refuses as the run does (exit 1, --json too)", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan([{ id: "api@dev.build", steps: [{ run: "true" }, { use: "actions/checkout@v4" }] }]));
  const refusal = "the local runner cannot run GitHub Actions steps: job api@dev.build step s2 uses actions/checkout@v4";
  const run = await runOrun(["run", "plan.json", "--runner", "local"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.ok(run.stderr.includes(`✕ ${refusal}`), run.stderr);
  const dry = await runOrun(["run", "plan.json", "--runner", "local", "--dry-run"], { cwd: dir });
  assert.equal(dry.code, 1, dry.stdout + dry.stderr);
  assert.ok(dry.stdout.includes("note     has use: steps — the local runner will refuse them; rerun with --gha or --runner github-actions"), dry.stdout);
  assert.ok(dry.stderr.includes(`✕ the run would refuse: ${refusal} (rerun with --gha or --runner github-actions)`), dry.stderr);
  const json = await runOrun(["run", "plan.json", "--runner", "local", "--dry-run", "--json"], { cwd: dir });
  assert.equal(json.code, 1, json.stdout + json.stderr);
  // One document on stdout: the error, not a summary saying "completed" followed by it.
  assert.ok((JSON.parse(json.stdout) as { error: { message: string } }).error.message.startsWith(`the run would refuse: ${refusal}`), json.stdout);
  assert.deepEqual(await executions(dir), [], "nothing recorded");
});

test("the dry-run notes an invalid timeout with the field it comes from, as the run then fails the step on it", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan([{ id: "api@dev.build", timeout: "banana", steps: [{ run: "true" }, { run: "true", timeout: "1x" }] }]));
  const dry = await runOrun(["run", "plan.json", "--dry-run"], { cwd: dir });
  assert.equal(dry.code, 0, dry.stderr);
  assert.ok(dry.stdout.includes('note     step s1: invalid timeout "banana" (the job\'s timeout): the run will fail the step; step s2: invalid timeout "1x" (its timeout): the run will fail the step'), dry.stdout);
  const run = await runOrun(["run", "plan.json", "--exec-id", "e"], { cwd: dir });
  assert.equal(run.code, 1);
  assert.match(run.stdout, /invalid timeout "banana" for job api@dev.build step s1/);
});

test("the dry-run names a job path or working-directory outside the workspace (spec 20 §3.6 honours them), where the run then runs", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const ws = path.join(dir, "ws");
  await writePlan(
    dir,
    makePlan([
      { id: "a@dev.up", path: "..", steps: [{ run: "pwd > \"$0.pwd\"" }] },
      { id: "b@dev.abs", path: dir, steps: [{ run: "true" }] },
      { id: "c@dev.wd", steps: [{ run: "true", "working-directory": "../.." }] },
      { id: "d@dev.in", path: "sub/..", steps: [{ run: "true", "working-directory": "." }] },
    ]),
  );
  const { mkdir, rename } = await import("node:fs/promises");
  await mkdir(ws);
  await rename(path.join(dir, "plan.json"), path.join(ws, "plan.json"));
  const dry = await runOrun(["run", "plan.json", "--dry-run"], { cwd: ws });
  assert.equal(dry.code, 0, dry.stderr);
  assert.ok(dry.stdout.includes(`note     job path ".." runs outside the workspace, in ${dir}`), dry.stdout);
  assert.ok(dry.stdout.includes(`note     job path "${dir}" runs outside the workspace, in ${dir}`), dry.stdout);
  assert.ok(dry.stdout.includes(`note     step s1: working-directory "../.." runs outside the workspace, in ${path.dirname(dir)}`), dry.stdout);
  assert.equal(dry.stdout.split("outside the workspace").length, 4, "none for the job that stays inside");
  const run = await runOrun(["run", "plan.json", "-v"], { cwd: ws });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.stdout.includes(`cwd ${dir}\n`), run.stdout);
});

test("validate and plan warn about a plan of no jobs, naming the discovery roots that held no component", async (t) => {
  const repo = await writeRepo(baseRepo(`discovery:\n  roots: [platform]\nenvironments:\n  dev:\n    selectors:\n      components: ["*"]\n`, { "platform/README.md": "" }));
  t.after(() => cleanupRepos());
  for (const command of ["validate", "plan"]) {
    const result = await runOrun([command], { cwd: repo });
    assert.equal(result.code, 0, `${command}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, /the plan has no jobs: intent\.yaml declares no components and discovery\.roots \(platform\) hold no component\.yaml/, command);
  }
});
