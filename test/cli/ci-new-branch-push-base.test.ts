// A GitHub push that creates its branch carries `before` = forty zeros: there is no earlier commit of the branch to
// compare with. `--changed` (CI auto-detection) and `--from-ci github` with a `scope: changed` binding compare with
// main (spec 10: zero/missing → main) at their merge base, and say so; in a repository without main (its default
// branch is `trunk`), with the default branch the event names (`repository.default_branch`). They used to be refused
// there with a fetch-depth hint that did not apply.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Plan } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { twoAppsRepo } from "../planner/support.js";
import { GitRepo, tempDir } from "../planner/changes/git-repo.js";

const INTENT = `apiVersion: sourceplane.io/v1
kind: Intent
metadata: {name: new-branch}
compositions:
  sources:
    - {name: local, kind: dir, path: ./comps}
discovery:
  roots: [apps]
automation:
  triggerBindings:
    push-any:
      on: {provider: github, event: push, branches: ["*"]}
      plan: {scope: changed, base: before, head: after}
environments:
  dev:
    selectors: {components: ["*"]}
    activation: {triggerRefs: [push-any]}
`;

let repo: GitRepo;
let out: string;
let feature: string;

before(() => {
  out = tempDir("orun-new-branch-out-");
  repo = GitRepo.create();
  repo.git("checkout", "-q", "-b", "trunk");
  repo.commit("v1", twoAppsRepo(INTENT, "echo deploy"));
  repo.git("checkout", "-q", "-b", "feature/new");
  repo.commit("api change", { "apps/api/index.ts": "2\n" });
  feature = repo.commit("api change again", { "apps/api/index.ts": "3\n" });
});
after(() => {
  repo.remove();
  rmSync(out, { recursive: true, force: true });
});

/** A push event creating feature/new; `defaultBranch` as the event's repository names it. */
function pushEvent(defaultBranch: string | undefined): string {
  const file = path.join(out, `push-${defaultBranch ?? "none"}.json`);
  const repository = { full_name: "acme/new-branch", ...(defaultBranch ? { default_branch: defaultBranch } : {}) };
  writeFileSync(file, JSON.stringify({ ref: "refs/heads/feature/new", before: "0".repeat(40), after: feature, repository }));
  return file;
}

async function plan(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; jobs?: string[] }> {
  const file = path.join(out, `plan-${Math.random().toString(36).slice(2)}.json`);
  const r = await runOrun(["plan", ...args, "-o", file], { cwd: repo.dir, env });
  const jobs = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Plan).jobs.map((j) => j.id).sort() : undefined;
  return { code: r.code, stderr: r.stderr, ...(jobs ? { jobs } : {}) };
}

const githubEnv = (event: string): NodeJS.ProcessEnv => ({ GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: "push", GITHUB_EVENT_PATH: event, GITHUB_SHA: feature });

test("--changed on a new branch's push compares with the repository's default branch, and says why", async () => {
  const r = await plan(["--changed", "-e", "dev"], githubEnv(pushEvent("trunk")));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.jobs, ["api@dev.deploy"]);
  assert.match(r.stderr, new RegExp(`^ci: github \\(push\\), base: trunk, head: ${feature}$`, "m"), r.stderr);
  assert.match(r.stderr, /^ci: base trunk: the push created the branch \(its `before` is 000…0\), so the changes are those since it left main; main is not in this checkout, so the repository's default branch trunk$/m, r.stderr);
});

test("--from-ci github with a scope: changed binding on a new branch's push compares with the default branch too", async () => {
  const r = await plan(["--from-ci", "github", "--event-file", pushEvent("trunk")], { GITHUB_ACTIONS: "", GITHUB_EVENT_NAME: "" });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.jobs, ["api@dev.deploy"]);
  assert.match(r.stderr, /^ci: base trunk: the push created the branch/m, r.stderr);
});

test("a new branch's push whose default branch is not in the checkout is refused naming it, why it is the base, and --base", async () => {
  const r = await plan(["--changed", "-e", "dev"], githubEnv(pushEvent("develop")));
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /base ref "develop" does not exist in .* \(the push created the branch \(its `before` is 000…0\), so the changes are those since it left main; main is not in this checkout, so the repository's default branch develop\)/, r.stderr);
  assert.match(r.stderr, /fetch-depth: 0 fetches every branch\), or name the branch to compare with: --base <branch>/, r.stderr);
  // An event naming no default branch: main, and nothing to fall back to.
  const none = await plan(["--changed", "-e", "dev"], githubEnv(pushEvent(undefined)));
  assert.equal(none.code, 1, none.stderr);
  assert.match(none.stderr, /base ref "main" does not exist .*since it left main\)/, none.stderr);
});

test("a new branch's push in a repository that has main compares with main, whatever the event names (spec 10)", async () => {
  // main at the branch's api commits, then a web commit on the branch: from main only web changed, from trunk both.
  repo.git("branch", "main", feature);
  const tip = repo.commit("web change", { "apps/web/index.ts": "2\n" });
  const event = path.join(out, "push-main.json");
  writeFileSync(event, JSON.stringify({ ref: "refs/heads/feature/new", before: "0".repeat(40), after: tip, repository: { default_branch: "trunk" } }));
  const r = await plan(["--changed", "-e", "dev"], { ...githubEnv(event), GITHUB_SHA: tip });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.jobs, ["web@dev.deploy"]);
  assert.match(r.stderr, new RegExp(`^ci: github \\(push\\), base: main, head: ${tip}$`, "m"), r.stderr);
  assert.match(r.stderr, /^ci: base main: the push created the branch \(its `before` is 000…0\), so the changes are those since it left main$/m, r.stderr);
});
