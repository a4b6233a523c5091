// A plan compiled from a working tree with uncommitted changes to tracked files
// records no source revision (src/planner/revision.ts): it used to record HEAD,
// so a staging run of code that was never committed became promotion evidence
// for HEAD and let production through its gate. Untracked files (a plan
// written with -o) do not count: the same commit still gives the same plan ID.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, DEV_PROD_API, git as gitIn, planned, writeRepo } from "../planner/support.js";

after(cleanupRepos);

async function gitRepo(): Promise<{ dir: string; head: string; git: (...args: string[]) => string }> {
  const dir = await writeRepo(baseRepo(DEV_PROD_API));
  const git = (...args: string[]): string => gitIn(dir, ...args);
  git("init", "-q");
  git("add", "intent.yaml", "comps");
  git("commit", "-qm", "init");
  return { dir, head: git("rev-parse", "HEAD"), git };
}

test("uncommitted changes to tracked files (modified, staged) leave the revision out, with a warning; untracked files do not", async () => {
  const { dir, head, git } = await gitRepo();
  const clean = await planned(dir);
  assert.equal(clean.plan.metadata.revision, head);
  assert.doesNotMatch(clean.stderr, /warning/);
  // Untracked files: a plan written with -o, a scratch file.
  assert.equal((await runOrun(["plan", "-o", "plan.json"], { cwd: dir })).code, 0);
  await fs.writeFile(path.join(dir, "notes.txt"), "scratch\n");
  const untracked = await planned(dir);
  assert.equal(untracked.plan.metadata.revision, head);
  assert.equal(untracked.plan.metadata.checksum, clean.plan.metadata.checksum, "same commit, same plan ID");

  const compositions = path.join(dir, "comps/svc/compositions.yaml");
  await fs.appendFile(compositions, "# edited\n");
  const modified = await planned(dir);
  assert.equal(modified.plan.metadata.revision, undefined);
  assert.notEqual(modified.plan.metadata.checksum, clean.plan.metadata.checksum);
  assert.equal(
    modified.stderr.split("\n")[0],
    `⚠ warning: uncommitted changes to tracked files (comps/svc/compositions.yaml), so the plan records no source revision: its promotion gates block and its runs record no promotion evidence for commit ${head.slice(0, 12)}; commit them and plan again`,
  );
  git("add", "comps");
  assert.equal((await planned(dir)).plan.metadata.revision, undefined, "staged but not committed");
  git("commit", "-qm", "edit");
  assert.equal((await planned(dir)).plan.metadata.revision, git("rev-parse", "HEAD"));
});

test("a dev run from a dirty tree is no evidence for HEAD: prod's promotion gate stays blocked", async () => {
  const { dir, head } = await gitRepo();
  await fs.appendFile(path.join(dir, "intent.yaml"), "# not committed\n");
  const dev = await runOrun(["run", "--env", "dev"], { cwd: dir });
  assert.equal(dev.code, 0, dev.stdout + dev.stderr);
  assert.match(dev.stderr, /uncommitted changes to tracked files \(intent\.yaml\)/);
  await fs.writeFile(path.join(dir, "intent.yaml"), execFileSync("git", ["show", "HEAD:intent.yaml"], { cwd: dir }));
  const prod = await runOrun(["run", "--env", "prod"], { cwd: dir });
  assert.equal(prod.code, 1, prod.stdout + prod.stderr);
  assert.match(prod.stdout, new RegExp(`blocked.*at revision ${head.slice(0, 12)} \\(no execution recorded here ran all its api jobs in dev at this revision; run them for this commit first, e.g. \`orun run --component api --env dev\` in this checkout, then resume this run\\)`));
});

test("orun's state folder committed by mistake: the warning says to stop tracking it, not to commit it again (which brings the warning back)", async () => {
  const { dir, head, git } = await gitRepo();
  assert.equal((await runOrun(["run", "--env", "dev"], { cwd: dir })).code, 0);
  git("add", "-A");
  git("commit", "-qm", "everything, .orun included");
  // The next run rewrites what was committed.
  assert.equal((await runOrun(["run", "--env", "dev"], { cwd: dir })).code, 0);
  const stateOnly = await planned(dir);
  assert.equal(stateOnly.plan.metadata.revision, undefined);
  const now = git("rev-parse", "HEAD").slice(0, 12);
  assert.notEqual(now, head.slice(0, 12));
  assert.match(
    stateOnly.stderr.split("\n")[0]!,
    new RegExp(`^⚠ warning: uncommitted changes to tracked files \\(\\.orun/.*no promotion evidence for commit ${now}; orun's state folder is tracked by git: add \\.orun/ to \\.gitignore, run git rm -r --cached \\.orun and commit, and plan again$`),
  );
  // Code changed too: both pieces of advice.
  await fs.appendFile(path.join(dir, "intent.yaml"), "# edited\n");
  const both = await planned(dir);
  assert.match(both.stderr.split("\n")[0]!, /; orun's state folder is tracked by git: add \.orun\/ to \.gitignore, run git rm -r --cached \.orun and commit; commit the other changes, and plan again$/);
  // Following the advice ends the warning for good.
  await fs.writeFile(path.join(dir, "intent.yaml"), execFileSync("git", ["show", "HEAD:intent.yaml"], { cwd: dir }));
  await fs.appendFile(path.join(dir, ".gitignore"), ".orun/\n");
  git("rm", "-rq", "--cached", ".orun");
  git("add", ".gitignore");
  git("commit", "-qm", "stop tracking .orun");
  assert.equal((await runOrun(["run", "--env", "dev"], { cwd: dir })).code, 0);
  const clean = await planned(dir);
  assert.equal(clean.plan.metadata.revision, git("rev-parse", "HEAD"));
  assert.doesNotMatch(clean.stderr, /warning/);
});

test("a run of a stored plan whose saving changed a committed .orun/ gets the same advice as plan, not just 'no promotion evidence'", async () => {
  const { dir, git } = await gitRepo();
  assert.equal((await runOrun(["plan", "-e", "dev"], { cwd: dir })).code, 0);
  git("add", "-A");
  git("commit", "-qm", "everything, .orun included");
  // Planned from a clean tree (the plan records HEAD); saving it rewrites the committed latest.json.
  const plan = await runOrun(["plan"], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  assert.doesNotMatch(plan.stderr, /warning/);
  const run = await runOrun(["run", "latest", "--exec-id", "r1"], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const head = git("rev-parse", "HEAD").slice(0, 12);
  assert.ok(
    run.stderr.includes(
      `warning: uncommitted changes to tracked files (.orun/plans/latest.json), so this run records no promotion evidence for commit ${head}; orun's state folder is tracked by git: add .orun/ to .gitignore, run git rm -r --cached .orun and commit\n`,
    ),
    run.stderr,
  );
});
