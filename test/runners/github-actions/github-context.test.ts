import { after, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import path from "node:path";
import { githubUrls, readRepoInfo, repositoryFromRemote } from "../../../src/runners/github-actions/github-context.js";
import { GitRepo, tempDir } from "../../planner/changes/git-repo.js";

const repo = GitRepo.create();
const sha = repo.commit("first", { "a.txt": "a\n" });
repo.git("remote", "add", "origin", "git@github.com:acme/widgets.git");
repo.git("checkout", "-q", "-b", "feature/x");
const plain = tempDir("orun-no-repo-");
after(() => {
  repo.remove();
  rmSync(plain, { recursive: true, force: true });
});

test("readRepoInfo derives repository, branch ref and SHA from the checkout", async () => {
  assert.deepEqual(await readRepoInfo(repo.dir, {}), { repository: "acme/widgets", owner: "acme", ref: "refs/heads/feature/x", sha });
});

test("values a real GitHub runner sets win over the checkout", async () => {
  const env = { GITHUB_REPOSITORY: "org/real", GITHUB_REF: "refs/tags/v1", GITHUB_SHA: "f".repeat(40) };
  assert.deepEqual(await readRepoInfo(repo.dir, env), { repository: "org/real", owner: "org", ref: "refs/tags/v1", sha: "f".repeat(40) });
});

test("a detached HEAD or a folder outside git falls back to stable placeholders", async () => {
  const detached = GitRepo.create();
  try {
    const head = detached.commit("one", { "b.txt": "b\n" });
    detached.git("checkout", "-q", "--detach", head);
    assert.deepEqual(await readRepoInfo(detached.dir, {}), { repository: `local/${path.basename(detached.dir)}`, owner: "local", ref: "refs/heads/main", sha: head });
  } finally {
    detached.remove();
  }
  assert.deepEqual(await readRepoInfo(plain, {}), { repository: `local/${path.basename(plain)}`, owner: "local", ref: "refs/heads/main", sha: "0".repeat(40) });
});

test("reads the repository from a remote URL with a trailing slash, and the GraphQL URL beside an enterprise server's API", () => {
  for (const url of ["https://github.com/acme/widgets/", "https://github.com/acme/widgets.git", "git@github.com:acme/widgets.git"]) assert.equal(repositoryFromRemote(url), "acme/widgets", url);
  assert.equal(repositoryFromRemote("https://gitlab.com/acme/widgets"), undefined);
  assert.deepEqual(githubUrls({ GITHUB_SERVER_URL: "https://ghe.example", GITHUB_API_URL: "https://ghe.example/api/v3/" }), {
    server_url: "https://ghe.example",
    api_url: "https://ghe.example/api/v3",
    graphql_url: "https://ghe.example/api/graphql",
  });
});
