// `orun run` warns about a step's invalid `${{ }}` once, naming only the jobs it runs: inside a component folder
// (auto-scoped to that component), and on the --changed/trigger path with --component or a folder's scope too. It
// used to name every job of the plan (`4 jobs: api@dev.deploy, …, web@dev.deploy`) there, or warn about a plan the
// run would not run at all.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { twoAppsRepo } from "../planner/support.js";
import { GitRepo } from "../planner/changes/git-repo.js";

const INTENT = `apiVersion: sourceplane.io/v1
kind: Intent
metadata: {name: warn}
compositions:
  sources:
    - {name: local, kind: dir, path: ./comps}
discovery:
  roots: [apps]
environments:
  dev:
    selectors: {components: ["*"]}
  prod:
    selectors: {components: ["*"]}
`;

let repo: GitRepo;
before(() => {
  repo = GitRepo.create();
  repo.commit("v1", twoAppsRepo(INTENT, "echo ${{ github.sha }"));
  repo.git("checkout", "-q", "-b", "feature");
  repo.commit("api change", { "apps/api/index.ts": "2\n" });
});
after(() => repo.remove());

/** The `${{ }}` warnings `orun run <args> --dry-run` printed in `folder`, as the job lists they end with. */
async function expressionWarnings(args: string[], folder = "."): Promise<string[]> {
  const r = await runOrun(["run", ...args, "--dry-run"], { cwd: repo.path(folder) });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stderr
    .split("\n")
    .filter((line) => line.includes('invalid expression "${{ github.sha }"'))
    .map((line) => /\(((?:\d+ )?jobs?:? [^)]*)\)$/.exec(line)?.[1] ?? line);
}

test("inside a component folder: the warning names that component's jobs only", async () => {
  assert.deepEqual(await expressionWarnings([], "apps/api"), ["2 jobs: api@dev.deploy, api@prod.deploy"]);
  assert.deepEqual(await expressionWarnings(["-e", "dev"], "apps/web"), ["job web@dev.deploy"]);
  // --all runs every job: every job is named.
  assert.deepEqual(await expressionWarnings(["--all", "-e", "dev"], "apps/web"), ["2 jobs: api@dev.deploy, web@dev.deploy"]);
  // `orun run <component>` names its scope: not the folder's.
  assert.deepEqual(await expressionWarnings(["api", "-e", "dev"], "apps/web"), ["job api@dev.deploy"]);
});

test("--changed: only the jobs the run runs (--component, -e, the folder's scope); none when it runs none of them", async () => {
  assert.deepEqual(await expressionWarnings(["--changed", "--base", "main"]), ["2 jobs: api@dev.deploy, api@prod.deploy"]);
  assert.deepEqual(await expressionWarnings(["--changed", "--base", "main", "--component", "api", "-e", "prod"]), ["job api@prod.deploy"]);
  // Standing in web, whose folder scopes the run to web: the changed plan has only api's jobs, none of which it runs.
  assert.deepEqual(await expressionWarnings(["--changed", "--base", "main"], "apps/web"), []);
});
