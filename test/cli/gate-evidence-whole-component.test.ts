// A local promotion gate needs every job of the component in the source environment that the evidence record's plan
// (manifest.json) holds to have completed, as the backend judges a run (spec decision 8): a `--job` run of one of
// api's two dev jobs used to satisfy prod's gate, the other never having run (src/runtime/gate-evidence.ts). A block
// says what was found (a partial run, a failed job, a success at another revision, a record without its plan) and the
// local command that produces the evidence; a resume that vouches for no revision names the commit to check out.
// Real git repositories under /tmp and `orun run` processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { makePlan, recordFile, writePlan } from "../runtime/helpers.js";
import { GitRepo } from "../planner/changes/git-repo.js";

const GATE = { type: "environment-promotion" as const, environment: "dev", component: "api", condition: "success", match: { revision: "source" } };

function twoJobRepo(t: { after(fn: () => void): void }): { repo: GitRepo; sha: string } {
  const repo = GitRepo.create({ "deploy.sh": 'echo "$1"; exit "${DEPLOY_EXIT:-0}"\n', ".gitignore": ".orun/\nplan.json\n" });
  t.after(() => repo.remove());
  return { repo, sha: repo.commit("app") };
}

// api has two jobs in dev; prod's deploy is gated on api in dev.
const plan = (revision: string, prodPolicies?: Record<string, string>) =>
  makePlan(
    [
      { id: "api@dev.migrate", steps: [{ run: "sh deploy.sh migrate" }] },
      { id: "api@dev.deploy", dependsOn: ["api@dev.migrate"], steps: [{ run: "sh deploy.sh deploy" }] },
      { id: "api@prod.deploy", gates: [GATE], ...(prodPolicies ? { policies: prodPolicies } : {}), steps: [{ run: "sh deploy.sh prod" }] },
    ],
    { revision },
  );

const ADVICE = "run them for this commit first, e.g. `orun run --component api --env dev` in this checkout, then resume this run)";

test("a run of only some of the component's jobs in the source environment is no evidence; the block names the jobs it did not run", async (t) => {
  const { repo, sha } = twoJobRepo(t);
  const dir = repo.dir;
  const short = sha.slice(0, 12);
  await writePlan(dir, plan(sha));
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runOrun(["run", "plan.json", ...args], { cwd: dir, env });

  assert.equal((await run(["--job", "api@dev.migrate", "--exec-id", "partial"])).code, 0);
  const dry = await run(["--job", "api@prod.deploy", "--dry-run"]);
  assert.ok(dry.stdout.includes(`would block: promotion gate: api must have succeeded in dev at revision ${short} (execution partial ran only 1 of its 2 api jobs in dev (not api@dev.deploy); ${ADVICE}`), dry.stdout);
  const blocked = await run(["--job", "api@prod.deploy", "--exec-id", "p1"]);
  assert.equal(blocked.code, 1, blocked.stdout + blocked.stderr);
  assert.doesNotMatch(blocked.stdout, /✓ deploy/);
  assert.ok(blocked.stdout.includes(`(execution partial ran only 1 of its 2 api jobs in dev (not api@dev.deploy); ${ADVICE}`), blocked.stdout);

  // Nor does gc keep it as evidence.
  const gc = await runOrun(["gc", "--all", "--dry-run"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, /^ {2}Would remove partial$/m);
  assert.doesNotMatch(gc.stdout, /kept/);

  // A run of both whose first fails: named as such.
  assert.equal((await run(["--component", "api", "--env", "dev", "--exec-id", "failed"], { DEPLOY_EXIT: "3" })).code, 1);
  const afterFailure = await run(["--job", "api@prod.deploy", "--exec-id", "p2"]);
  assert.equal(afterFailure.code, 1);
  // Both records are named; their order follows their start times, which share a second when the runs are quick.
  assert.ok(afterFailure.stdout.includes("api@dev.migrate failed in execution failed; "), afterFailure.stdout);
  assert.ok(afterFailure.stdout.includes("execution partial ran only 1 of its 2 api jobs in dev (not api@dev.deploy); "), afterFailure.stdout);

  // The advice, followed, produces the evidence.
  assert.equal((await run(["--component", "api", "--env", "dev", "--exec-id", "whole"])).code, 0);
  const passed = await run(["--job", "api@prod.deploy", "--exec-id", "p3"]);
  assert.equal(passed.code, 0, passed.stdout + passed.stderr);
  assert.match(passed.stdout, /✓ deploy/);
});

test("a record whose manifest.json is gone is no evidence, and the block says so", async (t) => {
  const { repo, sha } = twoJobRepo(t);
  const dir = repo.dir;
  await writePlan(dir, plan(sha));
  assert.equal((await runOrun(["run", "plan.json", "--component", "api", "--env", "dev", "--exec-id", "dev"], { cwd: dir })).code, 0);
  await rm(recordFile(dir, "dev", "manifest.json"));
  const blocked = await runOrun(["run", "plan.json", "--job", "api@prod.deploy", "--exec-id", "prod"], { cwd: dir });
  assert.equal(blocked.code, 1, blocked.stdout + blocked.stderr);
  assert.ok(blocked.stdout.includes("(execution dev keeps no readable plan (manifest.json), so which api jobs it had to run is unknown and it is no evidence; run them"), blocked.stdout);
});

test("a success at another revision only is named; a resume after a new commit names the commit to check out", async (t) => {
  const { repo, sha } = twoJobRepo(t);
  const dir = repo.dir;
  await writePlan(dir, plan(sha, { requireApproval: "true" }));
  assert.equal((await runOrun(["run", "plan.json", "--component", "api", "--env", "dev", "--exec-id", "dev1"], { cwd: dir })).code, 0);
  // Blocked for want of --approve at the first commit, resumed with it after the next.
  const unapproved = await runOrun(["run", "plan.json", "--job", "api@prod.deploy", "--exec-id", "rel"], { cwd: dir });
  assert.equal(unapproved.code, 1, unapproved.stdout);
  const second = repo.commit("next", { "notes.txt": "x\n" });
  const resumed = await runOrun(["run", "plan.json", "--job", "api@prod.deploy", "--exec-id", "rel", "--approve"], { cwd: dir });
  assert.equal(resumed.code, 1, resumed.stdout + resumed.stderr);
  assert.ok(
    resumed.stdout.includes(
      `promotion gate: api must have succeeded in dev at the plan's revision ${sha.slice(0, 12)}, but this run vouches for none: the jobs' tree is not a clean checkout of that commit (as warned); check it out (\`git checkout ${sha}\`, edits committed or set aside) and resume`,
    ),
    resumed.stdout,
  );
  repo.git("checkout", "-q", "--detach", sha);
  const atPlanCommit = await runOrun(["run", "plan.json", "--job", "api@prod.deploy", "--exec-id", "rel", "--approve"], { cwd: dir });
  assert.equal(atPlanCommit.code, 0, atPlanCommit.stdout + atPlanCommit.stderr);
  repo.git("checkout", "-q", "main");

  // The new commit's plan: dev succeeded at the first commit only.
  await writePlan(dir, plan(second, { requireApproval: "true" }));
  const other = await runOrun(["run", "plan.json", "--job", "api@prod.deploy", "--approve", "--exec-id", "rel2"], { cwd: dir });
  assert.equal(other.code, 1, other.stdout + other.stderr);
  assert.ok(
    other.stdout.includes(`at revision ${second.slice(0, 12)} (no execution recorded here ran all its api jobs in dev at this revision; execution dev1 did, at revision ${sha.slice(0, 12)} only; ${ADVICE}`),
    other.stdout,
  );
});
