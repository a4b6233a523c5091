// metadata.revision is covered by the checksum: promotion gates require evidence
// for it and a run records evidence under it, so a plan whose revision was edited
// must not pass as the plan its ID names. Older plans (whose checksum left the
// revision out) still load, without the revision nothing vouches for.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { encodeGoJson } from "../../src/plan/canonical-json.js";
import { checksumPayload, computePlanChecksum, jobUid, stampPlan } from "../../src/plan/checksum.js";
import { encodePlanJson, unrevisedHashedPlanShape } from "../../src/plan/format.js";
import { loadPlanFile } from "../../src/plan/store.js";
import { planChecksum } from "../../src/runtime/graph.js";
import { createHash } from "node:crypto";
import { goldenPlan } from "./golden.js";

const REVISION = "0123456789abcdef0123456789abcdef01234567";
const OTHER = "fedcba9876543210fedcba9876543210fedcba98";

let dir = "";
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "orun-revision-"));
});
after(() => rm(dir, { recursive: true, force: true }));

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

function withRevision(revision: string | undefined) {
  const plan = goldenPlan();
  if (revision) plan.metadata.revision = revision;
  return plan;
}

test("the revision is part of the checksum; a plan without one hashes as before", () => {
  const none = withRevision(undefined);
  assert.doesNotMatch(checksumPayload(none), /"metadata":\{[^}]*"revision"/);
  assert.ok(checksumPayload(none).startsWith('{"apiVersion":"orun.io/v1","kind":"Plan","metadata":{"name":"demo"},'));
  const a = computePlanChecksum(withRevision(REVISION));
  const b = computePlanChecksum(withRevision(OTHER));
  assert.notEqual(a, computePlanChecksum(none));
  assert.notEqual(a, b);
  assert.ok(checksumPayload(withRevision(REVISION)).includes(`"revision":"${REVISION}"`));
});

test("a stored plan whose revision was edited is refused for running, naming the file and field", async () => {
  const stamped = stampPlan(withRevision(REVISION));
  const file = await write("edited.json", encodePlanJson({ ...stamped, metadata: { ...stamped.metadata, revision: OTHER } }));
  await assert.rejects(loadPlanFile(file, { verifyChecksum: true }), (err: Error) => {
    assert.ok(err.message.includes(`${file} (metadata.checksum): plan content does not match its checksum`), err.message);
    return true;
  });
  // The unedited plan runs with its revision.
  const good = await loadPlanFile(await write("good.json", encodePlanJson(stamped)), { verifyChecksum: true });
  assert.equal(good.metadata.revision, REVISION);
  assert.equal(planChecksum(good), stamped.metadata.checksum);
});

test("a plan an earlier orun wrote (checksum without the revision) loads, its revision dropped with a warning", async () => {
  const plan = withRevision(REVISION);
  const digest = createHash("sha256").update(encodeGoJson(plan, unrevisedHashedPlanShape)).digest("hex");
  plan.metadata.checksum = `sha256-${digest}`;
  for (const job of plan.jobs) job.uid = jobUid(digest, job.id);
  const file = await write("older.json", encodePlanJson(plan));
  const warnings: string[] = [];
  const loaded = await loadPlanFile(file, { verifyChecksum: true, warn: (m) => warnings.push(m) });
  assert.equal(loaded.metadata.revision, undefined, "nothing vouches for the revision");
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0]!.startsWith(`${file}: metadata.revision 0123456789ab is not covered by the plan's checksum`), warnings[0]);
  assert.match(warnings[0]!, /promotion gates block.*orun plan/);
  // What is left hashes, by today's rule, to the checksum it records: the run keeps the plan's ID.
  assert.equal(planChecksum(loaded), plan.metadata.checksum);

  // Such a plan with its revision edited still loads the same way (the edit changes nothing it trusts) …
  const edited = await write("older-edited.json", encodePlanJson({ ...plan, metadata: { ...plan.metadata, revision: OTHER } }));
  const again = await loadPlanFile(edited, { verifyChecksum: true, warn: () => {} });
  assert.equal(again.metadata.revision, undefined);
  // … and one without a revision loads silently.
  const bare = withRevision(undefined);
  const stamped = stampPlan(bare);
  const quiet: string[] = [];
  await loadPlanFile(await write("bare.json", encodePlanJson(stamped)), { verifyChecksum: true, warn: (m) => quiet.push(m) });
  assert.deepEqual(quiet, []);
});
