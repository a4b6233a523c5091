// rev29c — 652d0e1: a composition source whose path is a symbolic link to nothing (stat: ENOENT) is said not to
// exist and is offered itself as the fix ("no directory ./comps (…/comps does not exist); did you mean ./comps?").
// Fixed: a link to nothing is said to be one, naming its target; the name as typed is never its own suggestion.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { runOrun } from "../../support/cli.js";
import { baseRepo, cleanupRepos, DEV_API, writeRepo } from "../support.js";

after(cleanupRepos);

test("a composition source that is a dangling link is named as one, not offered as its own did-you-mean", async () => {
  const dir = await writeRepo(baseRepo(DEV_API));
  await fs.rename(path.join(dir, "comps"), path.join(dir, "comps.real"));
  await fs.symlink("./nowhere", path.join(dir, "comps"));
  const run = await runOrun(["validate"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stderr, /composition source local: .*\.\/comps/, run.stderr);
  assert.doesNotMatch(run.stderr, /did you mean \.\/comps\?/, `the path typed is no fix for itself: ${run.stderr}`);
  assert.doesNotMatch(run.stderr, /comps does not exist/, `./comps exists (a link to ./nowhere): ${run.stderr}`);
});
