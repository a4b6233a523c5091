// A promotion gate vouches for the code that runs. Resuming an execution after editing or committing a fix runs
// the recorded plan (src/runtime/resume-plan.ts), but the tree is no longer the plan's commit: its gated jobs must
// not pass on evidence recorded for that commit, or production would run code that never ran in dev.
// The built CLI in a real git repository.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, readJson, recordFile, removeDir, tempDir, writePlan, type StateFile } from "../runtime/helpers.js";

test("a resume after changing the code does not pass a promotion gate on the evidence of the plan's commit", async (t) => {
  const dir = await tempDir("orun-resume-gate-change-");
  t.after(() => removeDir(dir));
  const git = (...args: string[]): string => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir, encoding: "utf8" }).trim();
  await writeFile(path.join(dir, "deploy.sh"), 'echo "deploying $1" >> deploys.log; [ "$1" = dev ]\n');
  await writeFile(path.join(dir, ".gitignore"), ".orun/\nplan.json\ndeploys.log\n");
  git("init", "-q");
  git("add", ".");
  git("commit", "-qm", "one");
  const revision = git("rev-parse", "HEAD");
  const gate = { type: "environment-promotion" as const, environment: "dev", component: "api", condition: "success", match: { revision: "source" } };
  await writePlan(
    dir,
    makePlan(
      [
        { id: "api@dev.deploy", steps: [{ run: "sh deploy.sh dev" }] },
        { id: "api@prod.deploy", gates: [gate], steps: [{ run: "sh deploy.sh prod" }] },
      ],
      { revision },
    ),
  );

  const dev = await runOrun(["run", "plan.json", "--exec-id", "d1", "--job", "api@dev.deploy"], { cwd: dir });
  assert.equal(dev.code, 0, dev.stdout + dev.stderr);
  // At the plan's commit the gate passes on dev's success; the deploy itself fails.
  const prod = await runOrun(["run", "plan.json", "--exec-id", "p1", "--job", "api@prod.deploy"], { cwd: dir });
  assert.equal(prod.code, 1, prod.stdout + prod.stderr);
  assert.equal((await readJson<StateFile>(recordFile(dir, "p1", "state.json"))).jobs["api@prod.deploy"]?.status, "failed");

  // An uncommitted "fix", then a resume: the gate blocks, and the edited script does not run in prod.
  await writeFile(path.join(dir, "deploy.sh"), 'echo "deploying $1 (edited)" >> deploys.log\n');
  const edited = await runOrun(["run", "plan.json", "--exec-id", "p1"], { cwd: dir });
  assert.equal(edited.code, 1, edited.stdout + edited.stderr);
  assert.match(edited.stdout + edited.stderr, /promotion gate/);
  assert.equal((await readJson<StateFile>(recordFile(dir, "p1", "state.json"))).jobs["api@prod.deploy"]?.status, "blocked");

  // Committed, the same: the tree is a commit dev never ran at.
  git("commit", "-qam", "fix");
  const committed = await runOrun(["run", "plan.json", "--exec-id", "p1"], { cwd: dir });
  assert.equal(committed.code, 1, committed.stdout + committed.stderr);
  assert.equal((await readJson<StateFile>(recordFile(dir, "p1", "state.json"))).jobs["api@prod.deploy"]?.status, "blocked");
  // The resumes ran p1's dev job (not run in p1 before), with the edited script; never prod.
  const deploys = (await readFile(path.join(dir, "deploys.log"), "utf8")).split("\n").filter(Boolean);
  assert.deepEqual(deploys.filter((line) => line.includes("prod")), ["deploying prod"]);
});
