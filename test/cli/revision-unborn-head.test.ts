// A repository with no commit yet (git init, as getting-started begins) gives a
// plan with no source revision, like an uncommitted change does, but nothing
// said so: the first promotion gate then blocked "as warned". Plan now warns;
// the first commit makes the warning go and the revision appear. Outside a
// repository nothing is said (there is nothing to commit to).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { baseRepo, cleanupRepos, DEV_API, git, planned, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const WARNING =
  "⚠ warning: the repository has no commit yet, so the plan records no source revision: its promotion gates block and its runs record no promotion evidence; commit and plan again\n";

test("plan warns that a repository with no commit yet gives no source revision, until the first commit", async () => {
  const dir = await writeRepo(baseRepo(DEV_API));
  const outside = await planned(dir);
  assert.equal(outside.plan.metadata.revision, undefined);
  assert.ok(!outside.stderr.includes("no commit yet"), outside.stderr);

  git(dir, "init", "-q");
  const fresh = await planned(dir);
  assert.equal(fresh.plan.metadata.revision, undefined);
  assert.ok(fresh.stderr.startsWith(WARNING), fresh.stderr);

  git(dir, "add", ".");
  const staged = await planned(dir);
  assert.ok(staged.stderr.startsWith(WARNING), staged.stderr);

  git(dir, "commit", "-qm", "init");
  const committed = await planned(dir);
  assert.equal(committed.plan.metadata.revision, git(dir, "rev-parse", "HEAD"));
  assert.ok(!committed.stderr.includes("warning"), committed.stderr);
});
