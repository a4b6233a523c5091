// A run records its results under the plan's revision (the promotion evidence later gates read) only while the
// working tree is that commit: a stored plan run after the tree moved on or was edited (a fix before a resume)
// still runs, and records no revision, saying why (src/runtime/run-revision.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, readJson, recordFile, removeDir, tempDir, writePlan } from "../runtime/helpers.js";
import { computePlanChecksum } from "../../src/plan/checksum.js";

test("a stored plan run from a working tree that is not its revision records no promotion evidence, and says so", async (t) => {
  const dir = await tempDir("orun-run16-evidence-");
  t.after(() => removeDir(dir));
  const git = (...args: string[]): string => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir, encoding: "utf8" }).trim();
  await writeFile(path.join(dir, "build.sh"), "echo built\n");
  git("init", "-q");
  git("add", "build.sh");
  git("commit", "-qm", "one");
  const head = git("rev-parse", "HEAD");
  const plan = makePlan([{ id: "api@staging.deploy", steps: [{ run: "sh build.sh" }] }], { revision: head });
  plan.metadata.checksum = computePlanChecksum(plan);
  await writePlan(dir, plan, ".orun-plan.json");
  const revisionOf = async (execId: string) => (await readJson<{ revision?: string }>(recordFile(dir, execId, "metadata.json"))).revision;

  const clean = await runOrun(["run", ".orun-plan.json", "--exec-id", "clean"], { cwd: dir });
  assert.equal(clean.code, 0, clean.stderr);
  assert.doesNotMatch(clean.stderr, /promotion evidence/);
  assert.equal(await revisionOf("clean"), head, "a run of the plan's own commit is evidence for it");

  await writeFile(path.join(dir, "build.sh"), "echo patched\n");
  const dirty = await runOrun(["run", ".orun-plan.json", "--exec-id", "dirty"], { cwd: dir });
  assert.equal(dirty.code, 0, dirty.stderr);
  assert.match(dirty.stderr, new RegExp(`warning: uncommitted changes to tracked files \\(build\\.sh\\), so this run records no promotion evidence for commit ${head.slice(0, 12)}`));
  assert.equal(await revisionOf("dirty"), undefined);

  git("commit", "-qam", "two");
  const moved = await runOrun(["run", ".orun-plan.json", "--exec-id", "moved"], { cwd: dir });
  assert.equal(moved.code, 0, moved.stderr);
  assert.match(moved.stderr, new RegExp(`warning: the working tree is at [0-9a-f]{12}, not at the plan's revision ${head.slice(0, 12)}, so this run records no promotion evidence`));
  assert.equal(await revisionOf("moved"), undefined);
});
