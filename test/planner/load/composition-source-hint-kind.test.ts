// rev29c — 652d0e1: the did-you-mean for a missing composition source folder is any entry of its parent folder
// close to or containing the name typed, files too. A dir source `./comps` beside a file `comps.yaml` (the folder
// renamed) is told `did you mean ./comps.yaml?` — which the next run refuses: "path is not a directory".
// Fixed: a dir source is offered folders only, an archive source files only.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { runOrun } from "../../support/cli.js";
import { baseRepo, cleanupRepos, DEV_API, writeRepo } from "../support.js";

after(cleanupRepos);

test("a missing dir source is not offered a file as the folder it was meant as", async () => {
  const dir = await writeRepo(baseRepo(DEV_API));
  await fs.rename(path.join(dir, "comps"), path.join(dir, "packages"));
  await fs.writeFile(path.join(dir, "comps.yaml"), "");
  const run = await runOrun(["validate"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stderr, /composition source local: no directory \.\/comps/, run.stderr);
  assert.doesNotMatch(run.stderr, /did you mean \.\/comps\.yaml\?/, `comps.yaml is a file, no directory: ${run.stderr}`);
});
