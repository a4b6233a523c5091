// A run vouches for its plan's revision only when the code its jobs run is that clean commit — judged in the folder the
// jobs run in (--workdir, else each job's folder), not the intent's or the current folder (src/runtime/run-revision.ts).
// A retry of a fixed copy through --workdir from a clean checkout of the broken commit used to record the broken commit
// (a later gated run of it passed), and a clean checkout of the plan's commit named by --workdir from another
// repository's folder used to record nothing. Real git repositories under /tmp, `orun run` processes, local state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, readJson, recordFile, writePlan } from "../runtime/helpers.js";
import { GitRepo, tempDir } from "../planner/changes/git-repo.js";

const BROKEN = 'echo "deploying $1 (broken)"; exit 3\n';
const FIXED = 'echo "deploying $1 (fixed)"\n';
const GATE = { type: "environment-promotion" as const, environment: "dev", component: "api", condition: "success", match: { revision: "source" } };

const gatedPlan = (revision: string, jobPath?: string) =>
  makePlan(
    [
      { id: "api@dev.deploy", ...(jobPath ? { path: jobPath } : {}), steps: [{ run: "sh api/deploy.sh dev" }] },
      { id: "api@prod.deploy", gates: [GATE], steps: [{ run: "sh api/deploy.sh prod" }] },
    ],
    { revision },
  );

function appRepo(t: { after(fn: () => void): void }): { repo: GitRepo; broken: string } {
  const repo = GitRepo.create({ "api/deploy.sh": BROKEN, ".gitignore": ".orun/\nplan*.json\n" });
  t.after(() => repo.remove());
  return { repo, broken: repo.commit("broken") };
}

const revisionOf = async (dir: string, execId: string) => (await readJson<{ revision?: string }>(recordFile(dir, execId, "metadata.json"))).revision;

test("a --retry whose jobs run a fixed copy through --workdir is no evidence for the clean broken commit it started from", async (t) => {
  const { repo, broken } = appRepo(t);
  await writePlan(repo.dir, gatedPlan(broken), "plan.json");
  const failed = await runOrun(["run", "plan.json", "--job", "api@dev.deploy", "--exec-id", "dev"], { cwd: repo.dir });
  assert.equal(failed.code, 1, failed.stderr);

  // A fixed copy outside any repository: the repository stays clean at the broken commit.
  const copy = tempDir("orun-fixed-copy-");
  t.after(() => rmSync(copy, { recursive: true, force: true }));
  mkdirSync(path.join(copy, "api"));
  writeFileSync(path.join(copy, "api/deploy.sh"), FIXED);
  const retried = await runOrun(["run", "plan.json", "--job", "api@dev.deploy", "--retry", "--workdir", copy, "--exec-id", "dev"], { cwd: repo.dir });
  assert.equal(retried.code, 0, retried.stderr);
  const short = broken.slice(0, 12);
  assert.ok(retried.stderr.includes(`warning: the jobs run in ${copy}, which is not in a git repository (nothing shows it holds ${short}), so this run records no promotion evidence for commit ${short}\n`), retried.stderr);
  assert.equal(await revisionOf(repo.dir, "dev"), undefined);

  // The broken commit's production job stays blocked.
  const prod = await runOrun(["run", "plan.json", "--job", "api@prod.deploy", "--exec-id", "prod"], { cwd: repo.dir });
  assert.equal(prod.code, 1, prod.stdout + prod.stderr);
  assert.match(prod.stdout, new RegExp(`promotion gate: api must have succeeded in dev at revision ${short} \\(every api job in dev completed in execution dev, but api@dev\\.deploy succeeded from a tree that was not a clean checkout of this commit \\(uncommitted changes, or another commit; that run warned so\\), which is no evidence for it; run them for this commit first`));
});

test("a fixed copy git does not track, inside the clean repository, is no evidence either (--workdir or a job's path)", async (t) => {
  const { repo, broken } = appRepo(t);
  repo.write({ "hotfix/api/deploy.sh": FIXED });
  const short = broken.slice(0, 12);
  await writePlan(repo.dir, gatedPlan(broken), "plan.json");
  const viaWorkdir = await runOrun(["run", "plan.json", "--job", "api@dev.deploy", "--workdir", "hotfix", "--exec-id", "workdir"], { cwd: repo.dir });
  assert.equal(viaWorkdir.code, 0, viaWorkdir.stderr);
  assert.ok(viaWorkdir.stderr.includes(`warning: the jobs run in ${repo.path("hotfix")}, a folder git does not track (${short} holds nothing there), so this run records no promotion evidence for commit ${short}\n`), viaWorkdir.stderr);
  assert.equal(await revisionOf(repo.dir, "workdir"), undefined);

  await writePlan(repo.dir, gatedPlan(broken, "hotfix"), "plan-path.json");
  const viaPath = await runOrun(["run", "plan-path.json", "--job", "api@dev.deploy", "--exec-id", "path"], { cwd: repo.dir });
  assert.equal(viaPath.code, 0, viaPath.stderr);
  assert.match(viaPath.stderr, /a folder git does not track/);
  assert.equal(await revisionOf(repo.dir, "path"), undefined);

  // The plan's jobs in the tracked tree vouch for it (and ran the broken code).
  rmSync(repo.path("hotfix"), { recursive: true });
  const tracked = await runOrun(["run", "plan.json", "--job", "api@dev.deploy", "--exec-id", "tracked"], { cwd: repo.dir });
  assert.equal(tracked.code, 1, "the broken commit's code ran");
  assert.doesNotMatch(tracked.stderr, /promotion evidence/);
  assert.equal(await revisionOf(repo.dir, "tracked"), broken);
});

test("a gated job whose --workdir holds other code is blocked, even from a clean checkout of a tested commit", async (t) => {
  const { repo } = appRepo(t);
  const tested = repo.commit("fixed", { "api/deploy.sh": FIXED });
  await writePlan(repo.dir, gatedPlan(tested), "plan.json");
  const dev = await runOrun(["run", "plan.json", "--job", "api@dev.deploy", "--exec-id", "dev"], { cwd: repo.dir });
  assert.equal(dev.code, 0, dev.stderr);
  assert.equal(await revisionOf(repo.dir, "dev"), tested);

  const other = GitRepo.create({ "api/deploy.sh": 'echo "deploying $1 (UNTESTED)"\n' });
  t.after(() => other.remove());
  const untested = other.commit("untested");
  const prod = await runOrun(["run", "plan.json", "--job", "api@prod.deploy", "--workdir", other.dir, "--exec-id", "prod"], { cwd: repo.dir });
  assert.equal(prod.code, 1, prod.stdout + prod.stderr);
  assert.doesNotMatch(prod.stdout + prod.stderr, /UNTESTED/);
  assert.ok(
    prod.stderr.includes(`warning: the working tree ${other.dir} (where the jobs run) is at ${untested.slice(0, 12)}, not at the plan's revision ${tested.slice(0, 12)}, so this run records no promotion evidence`),
    prod.stderr,
  );
  assert.ok(prod.stdout.includes(`promotion gate: api must have succeeded in dev at the plan's revision ${tested.slice(0, 12)}, but this run vouches for none: the jobs' tree is not a clean checkout of that commit (as warned); check it out (\`git checkout ${tested}\``), prod.stdout);
});

test("a clean checkout of the plan's commit named by --workdir vouches for it, started from another repository's folder", async (t) => {
  const { repo } = appRepo(t);
  const sound = repo.commit("fixed", { "api/deploy.sh": FIXED });
  const ops = GitRepo.create({ "README.md": "ops\n", ".gitignore": ".orun/\nplan*.json\n" });
  t.after(() => ops.remove());
  ops.commit("ops");
  await writePlan(ops.dir, gatedPlan(sound), "plan.json");
  const dev = await runOrun(["run", "plan.json", "--job", "api@dev.deploy", "--workdir", repo.dir, "--exec-id", "dev"], { cwd: ops.dir });
  assert.equal(dev.code, 0, dev.stderr);
  assert.doesNotMatch(dev.stderr, /promotion evidence/);
  assert.equal(await revisionOf(ops.dir, "dev"), sound);
  const prod = await runOrun(["run", "plan.json", "--job", "api@prod.deploy", "--workdir", repo.dir, "--exec-id", "prod", "--verbose"], { cwd: ops.dir });
  assert.equal(prod.code, 0, prod.stdout + prod.stderr);
  assert.match(prod.stdout, /deploying prod \(fixed\)/);
});
