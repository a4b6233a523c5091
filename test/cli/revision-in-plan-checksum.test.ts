// The built CLI: a plan's metadata.revision is covered by its checksum. Promotion
// gates require evidence for that revision, and a run records evidence under
// it, so `orun run` refuses a stored plan whose revision was edited.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Plan } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, DEV_PROD_API, writeRepo } from "../planner/support.js";

after(cleanupRepos);

async function gitRepo(): Promise<{ dir: string; head: string }> {
  const dir = await writeRepo(baseRepo(DEV_PROD_API));
  const git = (...args: string[]): string => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir, encoding: "utf8" }).trim();
  git("init", "-q");
  git("add", "intent.yaml", "comps");
  git("commit", "-qm", "init");
  return { dir, head: git("rev-parse", "HEAD") };
}

test("the checksum covers the revision: two commits give two plan IDs, and the same commit the same one", async () => {
  const { dir, head } = await gitRepo();
  const first = await runOrun(["plan", "-o", "a.json"], { cwd: dir });
  assert.equal(first.code, 0, first.stderr);
  const again = await runOrun(["plan", "-o", "b.json"], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  const a = JSON.parse(await fs.readFile(path.join(dir, "a.json"), "utf8")) as Plan;
  const b = JSON.parse(await fs.readFile(path.join(dir, "b.json"), "utf8")) as Plan;
  assert.equal(a.metadata.revision, head);
  assert.equal(a.metadata.checksum, b.metadata.checksum, "same inputs, same commit: same checksum");
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "next"], { cwd: dir });
  const next = await runOrun(["plan", "-o", "c.json"], { cwd: dir });
  assert.equal(next.code, 0, next.stderr);
  const c = JSON.parse(await fs.readFile(path.join(dir, "c.json"), "utf8")) as Plan;
  assert.notEqual(c.metadata.revision, head);
  assert.notEqual(c.metadata.checksum, a.metadata.checksum, "another revision is another plan");
});

test("orun run refuses a stored plan whose revision was edited, and records nothing", async () => {
  const { dir, head } = await gitRepo();
  const planned = await runOrun(["plan", "--env", "prod"], { cwd: dir });
  assert.equal(planned.code, 0, planned.stderr);
  const id = /│ plan: ([0-9a-f]{12})\n/.exec(planned.stdout)![1]!;
  const file = path.join(dir, ".orun", "plans", `${id}.json`);
  const text = await fs.readFile(file, "utf8");
  const plan = JSON.parse(text) as Plan;
  assert.equal(plan.metadata.revision, head);
  assert.equal(plan.jobs[0]!.gates?.[0]?.environment, "dev", "the prod job is gated on dev");
  // Claim a revision whose dev run succeeded (say): the gate would look for evidence there.
  await fs.writeFile(file, text.replace(`"revision": "${head}"`, `"revision": "${"f".repeat(40)}"`));
  const run = await runOrun(["run", id, "--dry-run"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stderr, /metadata\.checksum.*plan content does not match its checksum/);
  await assert.rejects(fs.readdir(path.join(dir, ".orun", "executions", "latest")), "no execution recorded");
});
