import { after, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { gitToplevel } from "../../../src/planner/changes/git.js";
import { GitRepo, tempDir } from "./git-repo.js";

const repo = GitRepo.create({ "sub/a.txt": "a\n" });
const noGit = tempDir("orun-no-git-");
after(() => {
  repo.remove();
  rmSync(noGit, { recursive: true, force: true });
});

test("gitToplevel resolves the repository root from a subfolder", async () => {
  assert.equal(await gitToplevel(repo.path("sub")), repo.dir);
});

test("change detection without git on PATH fails with a clear error, not an empty change set", async () => {
  const saved = process.env.PATH;
  process.env.PATH = noGit;
  let pending: Promise<string>;
  try {
    // The child's PATH is taken when git is started, synchronously inside the call.
    pending = gitToplevel(repo.dir);
  } finally {
    process.env.PATH = saved;
  }
  await assert.rejects(pending, { name: "OrunError", message: "change detection needs git, but `git` was not found on PATH" });
});
