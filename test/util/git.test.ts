import { after, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { GitRepo, tempDir } from "../planner/changes/git-repo.js";
import { gitOutput, headCommit, runGit, type GitResult } from "../../src/util/git.js";

const repo = GitRepo.create({ "a.txt": "a\n" });
const outside = tempDir("orun-no-git-");
after(() => {
  repo.remove();
  rmSync(outside, { recursive: true, force: true });
});

/** runGit with an empty PATH: the lookup uses the child's env, which runGit builds when it is called. */
function withoutGitOnPath(run: () => Promise<GitResult>): Promise<GitResult> {
  const saved = process.env.PATH;
  process.env.PATH = outside;
  try {
    return run();
  } finally {
    process.env.PATH = saved;
  }
}

test("runGit runs git -C <dir> and reports exit status, stdout and stderr", async () => {
  const ok = await runGit(repo.dir, ["rev-parse", "--show-toplevel"]);
  assert.deepEqual({ ok: ok.ok, missing: ok.missing, stdout: ok.stdout.trim() }, { ok: true, missing: false, stdout: repo.dir });
  const failed = await runGit(outside, ["rev-parse", "--show-toplevel"]);
  assert.equal(failed.ok, false);
  assert.equal(failed.missing, false);
  // C locale: the message reads the same on every machine.
  assert.match(failed.stderr, /not a git repository/);
});

test("runGit reports git missing from PATH instead of throwing", async () => {
  const result = await withoutGitOnPath(() => runGit(repo.dir, ["--version"]));
  assert.deepEqual(result, { ok: false, missing: true, stdout: "", stderr: "" });
});

test("gitOutput trims a successful command's output and is undefined on failure", async () => {
  repo.git("config", "orun.test", "  spaced value  ");
  assert.equal(await gitOutput(repo.dir, ["config", "--get", "orun.test"]), "spaced value");
  assert.equal(await gitOutput(repo.dir, ["config", "--get", "orun.absent"]), undefined);
  assert.equal(await gitOutput(outside, ["rev-parse", "HEAD"]), undefined);
});

test("headCommit is HEAD's full SHA, undefined before the first commit or outside a repository", async () => {
  const empty = GitRepo.create();
  try {
    assert.equal(await headCommit(empty.dir), undefined);
    const sha = empty.commit("first", { "f.txt": "1\n" });
    assert.match(sha, /^[0-9a-f]{40}$/);
    assert.equal(await headCommit(empty.dir), sha);
    assert.equal(await headCommit(empty.path()), sha);
  } finally {
    empty.remove();
  }
  assert.equal(await headCommit(outside), undefined);
});
