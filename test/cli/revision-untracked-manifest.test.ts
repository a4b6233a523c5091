// A component manifest the plan was compiled from but HEAD does not hold (not
// yet added, or gitignored) leaves the revision out, as an edited tracked file
// does (src/planner/revision.ts): otherwise a staging run of a component that
// exists in no commit recorded promotion evidence for HEAD. Other untracked
// files (a plan written with -o, scratch files) still do not count.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { baseRepo, cleanupRepos, DEV_API, git, planned, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const MANIFEST = `apiVersion: sourceplane.io/v1
kind: Component
metadata:
  name: extra
spec:
  type: svc
`;

test("an untracked or gitignored component manifest leaves the revision out, naming it; a committed one does not", async () => {
  const dir = await writeRepo(baseRepo(DEV_API));
  git(dir, "init", "-q");
  git(dir, "add", ".");
  git(dir, "commit", "-qm", "init");
  const head = git(dir, "rev-parse", "HEAD");
  await fs.writeFile(path.join(dir, "scratch.txt"), "not read by the plan\n");

  await fs.mkdir(path.join(dir, "apps/extra"), { recursive: true });
  await fs.writeFile(path.join(dir, "apps/extra/component.yaml"), MANIFEST);
  const untracked = await planned(dir);
  assert.ok(untracked.plan.jobs.some((job) => job.component === "extra"), "the new component is planned");
  assert.equal(untracked.plan.metadata.revision, undefined);
  assert.match(untracked.stderr, /files the plan was compiled from that are not committed \(apps\/extra\/component\.yaml\), so the plan records no source revision/);

  await fs.writeFile(path.join(dir, ".gitignore"), "apps/extra/\n");
  git(dir, "add", ".gitignore");
  git(dir, "commit", "-qm", "ignore");
  const ignored = await planned(dir);
  assert.equal(ignored.plan.metadata.revision, undefined);
  assert.match(ignored.stderr, /not committed \(apps\/extra\/component\.yaml\)/);

  git(dir, "add", "-f", "apps/extra/component.yaml");
  git(dir, "commit", "-qm", "extra");
  const committed = await planned(dir);
  assert.equal(committed.plan.metadata.revision, git(dir, "rev-parse", "HEAD"));
  assert.notEqual(committed.plan.metadata.revision, head);
  assert.doesNotMatch(committed.stderr, /warning/);
});

test("an intent in a folder the repository does not track yet records no revision", async () => {
  const root = await writeRepo({ "README.md": "repo\n" });
  git(root, "init", "-q");
  git(root, "add", "README.md");
  git(root, "commit", "-qm", "init");
  const dir = path.join(root, "deploy");
  for (const [rel, text] of Object.entries(baseRepo(DEV_API))) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), text);
  }
  const result = await planned(dir);
  assert.equal(result.plan.metadata.revision, undefined);
  assert.match(result.stderr, /not committed \(intent\.yaml\)/);
});
