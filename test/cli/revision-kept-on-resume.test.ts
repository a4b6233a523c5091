// An execution started by an orun whose plan checksum did not cover metadata.revision recorded the plan's revision
// in metadata.json. The plan now loads without its revision (nothing vouches for it), but resuming that execution
// must keep the revision the record already holds: its successes are the promotion evidence a later gate reads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { computePlanChecksum } from "../../src/plan/checksum.js";
import { makePlan, readJson, recordFile, removeDir, tempDir, writePlan } from "../runtime/helpers.js";

test("resuming an execution an older orun started keeps the revision it recorded (the old plan's revision is otherwise dropped)", async (t) => {
  const dir = await tempDir("orun-rev16-resume-");
  t.after(() => removeDir(dir));
  const revision = "0123456789abcdef0123456789abcdef01234567";
  const plan = makePlan([{ id: "api@staging.deploy", steps: [{ run: "test -f ok" }] }]);
  // The older rule: the checksum of the plan without its revision.
  plan.metadata.checksum = computePlanChecksum(plan);
  plan.metadata.revision = revision;
  await writePlan(dir, plan);

  const first = await runOrun(["run", "plan.json", "--exec-id", "old"], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  assert.match(first.stderr, /metadata\.revision 0123456789ab is not covered by the plan's checksum/);
  // As the older orun wrote it: the revision beside the checksum it ran.
  const metaFile = recordFile(dir, "old", "metadata.json");
  const meta = JSON.parse(await readFile(metaFile, "utf8")) as Record<string, unknown>;
  assert.equal(meta.revision, undefined, "this orun records no revision it cannot vouch for");
  await writeFile(metaFile, JSON.stringify({ ...meta, revision }, null, 2));

  await writeFile(path.join(dir, "ok"), "");
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "old"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  const after = await readJson<{ revision?: string; status: string }>(metaFile);
  assert.equal(after.status, "completed");
  assert.equal(after.revision, revision, "the resumed execution keeps its recorded revision");

  // A fresh execution of the same plan still records none.
  await runOrun(["run", "plan.json", "--exec-id", "new"], { cwd: dir });
  assert.equal((await readJson<{ revision?: string }>(recordFile(dir, "new", "metadata.json"))).revision, undefined);
});
