// Words of promotion-gate blocks (src/runtime/gates.ts): a plan compiled from a tree with uncommitted changes was told
// "compile it in a git checkout" (it was one), and after `orun gc --evidence-revisions 0` the block read "for the 0
// newest revisions". A job skipped for its dependencies names its own gate too, when no job of the run can meet it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { TestContext } from "node:test";
import { runOrun } from "../support/cli.js";
import { makePlan, writePlan, type JobSpec } from "../runtime/helpers.js";
import { GitRepo } from "../planner/changes/git-repo.js";

const gate = (environment: string, component = "api") => ({ type: "environment-promotion" as const, environment, component, condition: "success", match: { revision: "source" } });

/** A git repository holding plan.json of `jobs` at its one commit's revision; removed after the test. */
async function gatedRepo(t: TestContext, jobs: JobSpec[], concurrency?: number): Promise<GitRepo> {
  const repo = GitRepo.create({ ".gitignore": ".orun/\nplan.json\n" });
  t.after(() => repo.remove());
  const sha = repo.commit("app");
  await writePlan(repo.dir, makePlan(jobs, { revision: sha, ...(concurrency ? { concurrency } : {}) }));
  return repo;
}

test("gate blocks word a plan without a revision and --evidence-revisions 0 as they are", async (t) => {
  const repo = GitRepo.create({ "deploy.sh": "echo deployed\n", ".gitignore": ".orun/\nplan.json\n" });
  t.after(() => repo.remove());
  const sha = repo.commit("app");
  const dir = repo.dir;
  await writePlan(
    dir,
    makePlan(
      [
        { id: "api@dev.deploy", steps: [{ run: "sh deploy.sh" }] },
        { id: "api@prod.deploy", gates: [gate("dev")], steps: [{ run: "true" }] },
      ],
      { revision: sha },
    ),
  );
  assert.equal((await runOrun(["run", "plan.json", "--job", "api@dev.deploy", "--exec-id", "d1"], { cwd: dir })).code, 0);
  const gc = await runOrun(["gc", "--all", "--evidence-revisions", "0"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stderr);
  const dry = await runOrun(["run", "plan.json", "--job", "api@prod.deploy", "--exec-id", "p", "--dry-run"], { cwd: dir });
  assert.match(dry.stdout, /orun gc removed execution d1, its success at this revision, on \d{4}-\d\d-\d\d: it keeps no success as evidence when run with --evidence-revisions 0;/);

  // A plan that records no revision (compiled from a tree with uncommitted changes, say).
  const noRevision = makePlan([{ id: "api@prod.deploy", gates: [gate("dev")], steps: [{ run: "true" }] }]);
  await writePlan(dir, noRevision);
  const blocked = await runOrun(["run", "plan.json", "--exec-id", "p2", "--dry-run"], { cwd: dir });
  assert.ok(
    blocked.stdout.includes(
      "would block: promotion gate: api must have succeeded in dev for the same revision, but this run vouches for none (the plan records no source revision, as warned when it was compiled: its tree had uncommitted changes, or was not a git checkout with a commit; commit the changes and plan again)",
    ),
    blocked.stdout,
  );
  assert.doesNotMatch(blocked.stdout, /compile it in a git checkout/);
});

test("a run blocked at a gate names every gated job it did not run, not only the first: a dependent's own gate is reported too", async (t) => {
  // examples/platform promoted to staging before dev ran: lib's gate blocked, and api (which depends on lib) was only
  // "skipped · dependency lib@staging.build was blocked", so the user ran lib in dev, resumed, and only then met api's gate.
  const repo = await gatedRepo(t, [
    { id: "lib@staging.build", gates: [gate("dev", "lib")], steps: [{ run: "true" }] },
    { id: "api@staging.build", dependsOn: ["lib@staging.build"], gates: [gate("dev")], steps: [{ run: "true" }] },
  ]);
  const run = await runOrun(["run", "plan.json", "--exec-id", "s1"], { cwd: repo.dir });
  assert.equal(run.code, 1, run.stderr);
  // Sequential output: each job under its "component  ·  environment" header.
  const line = (component: string): string => new RegExp(`${component} {2}· {2}staging\\n\\s+\\S+ build {2}(.*)`).exec(run.stdout)?.[1] ?? "";
  assert.match(line("lib"), /blocked · promotion gate: lib must have succeeded in dev/, run.stdout);
  assert.match(line("api"), /promotion gate: api must have succeeded in dev/, run.stdout);
});

test("a skipped job's own-gate note is not judged while this run's jobs of the gate's environment are still running", async (t) => {
  // rev31b #1: judged the moment the scheduler skipped the job, the note could say the gate blocks while this run's own
  // dev job went on to meet it, and advise running what the run had just run. Only gates no job of the run can meet are
  // judged now, before it starts.
  const journal = ".orun/executions/s1/journal.jsonl";
  // The dev job ends only once the prod job's skip is journaled (bounded, so a run that records it later still ends).
  const waitForSkip = `i=0; until grep -q 'api@prod.deploy' '${journal}' 2>/dev/null || [ $i -ge 600 ]; do i=$((i+1)); sleep 0.05; done`;
  const repo = await gatedRepo(
    t,
    [
      { id: "api@dev.deploy", steps: [{ run: waitForSkip }] },
      { id: "lib@prod.build", steps: [{ run: "exit 1" }] },
      { id: "api@prod.deploy", dependsOn: ["lib@prod.build"], gates: [gate("dev")], steps: [{ run: "true" }] },
    ],
    2,
  );
  const run = await runOrun(["run", "plan.json", "--exec-id", "s1", "--concurrency", "2"], { cwd: repo.dir });
  assert.equal(run.code, 1, run.stderr);
  const state = JSON.parse(await readFile(path.join(repo.dir, ".orun/executions/s1/state.json"), "utf8")) as { jobs: Record<string, { status: string; reason?: string }> };
  assert.equal(state.jobs["api@dev.deploy"]?.status, "completed", run.stdout);
  const reason = state.jobs["api@prod.deploy"]?.reason ?? "";
  assert.match(reason, /dependency lib@prod\.build failed/);
  // api succeeded in dev in this very execution: its gate is met, so no note may say it blocks, or tell to run dev.
  assert.doesNotMatch(reason, /its own promotion gate/, reason);
  assert.doesNotMatch(run.stdout, /its own promotion gate/, run.stdout);
});

test("a gated job skipped for its dependencies is shown before its own dependents, as an ungated one is", async (t) => {
  // rev31b #2: recorded once its gate had been judged (asynchronously), the job came after its ungated dependents.
  const repo = await gatedRepo(t, [
    { id: "lib@prod.build", steps: [{ run: "exit 1" }] },
    { id: "api@prod.deploy", dependsOn: ["lib@prod.build"], gates: [gate("dev")], steps: [{ run: "true" }] },
    { id: "api@prod.smoke", dependsOn: ["api@prod.deploy"], steps: [{ run: "true" }] },
  ]);
  const run = await runOrun(["run", "plan.json", "--exec-id", "o1"], { cwd: repo.dir });
  assert.equal(run.code, 1, run.stderr);
  const deploy = run.stdout.indexOf("deploy  skipped");
  const smoke = run.stdout.indexOf("smoke  skipped");
  assert.ok(deploy >= 0 && smoke >= 0, run.stdout);
  assert.ok(deploy < smoke, `api@prod.smoke (which depends on api@prod.deploy) is shown first:\n${run.stdout}`);
});
