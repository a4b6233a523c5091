// Resuming an execution an older orun started: its plan's checksum does not cover metadata.revision, so the plan
// loads without it (with a warning), but the record keeps the revision that run was for. A promotion gate checked
// in the resume is for that revision — the record's — not for "no revision", which blocked the job.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { computePlanChecksum } from "../../src/plan/checksum.js";
import { makePlan, readJson, recordFile, removeDir, tempDir, writePlan, type StateFile } from "../runtime/helpers.js";

test("a gate checked while resuming an older orun's execution uses the revision the record kept", async (t) => {
  const dir = await tempDir("orun-resume-gate-");
  t.after(() => removeDir(dir));
  const revision = "0123456789abcdef0123456789abcdef01234567";
  const gate = { type: "environment-promotion" as const, environment: "dev", component: "api", condition: "success", match: { revision: "source" } };
  const plan = makePlan([
    { id: "api@dev.deploy", steps: [{ run: "true" }] },
    { id: "api@prod.deploy", gates: [gate], steps: [{ run: "echo promoted > promoted" }] },
  ]);
  // The older rule: the checksum of the plan without its revision.
  plan.metadata.checksum = computePlanChecksum(plan);
  plan.metadata.revision = revision;
  await writePlan(dir, plan);

  // The older orun's run: dev completed, prod not yet run (an older orun's run stopped there), the revision recorded.
  const first = await runOrun(["run", "plan.json", "--exec-id", "old", "--job", "api@dev.deploy"], { cwd: dir });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const metaFile = recordFile(dir, "old", "metadata.json");
  const meta = JSON.parse(await readFile(metaFile, "utf8")) as Record<string, unknown>;
  await writeFile(metaFile, JSON.stringify({ ...meta, revision }, null, 2));
  // Nor did an older orun record on each result the revision its run vouched for (this one: none, the plan's is ignored).
  const stateFile = recordFile(dir, "old", "state.json");
  await writeFile(stateFile, (await readFile(stateFile, "utf8")).replace(/,\n\s*"revision": "none"/g, ""));
  assert.doesNotMatch(await readFile(stateFile, "utf8"), /"revision"/);

  const resumed = await runOrun(["run", "plan.json", "--exec-id", "old"], { cwd: dir });
  assert.match(resumed.stderr, /metadata\.revision 0123456789ab is not covered by the plan's checksum/);
  assert.doesNotMatch(resumed.stdout + resumed.stderr, /promotion gate:/, "not blocked");
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  const state = await readJson<StateFile>(recordFile(dir, "old", "state.json"));
  assert.equal(state.jobs["api@prod.deploy"]?.status, "completed", "the gate found dev's success for the record's revision");
  assert.equal(await readFile(`${dir}/promoted`, "utf8"), "promoted\n");
  assert.equal((await readJson<{ revision?: string }>(metaFile)).revision, revision);

  // A fresh execution of that plan has no revision to go by: its gate still blocks.
  const fresh = await runOrun(["run", "plan.json", "--exec-id", "new", "--job", "api@prod.deploy"], { cwd: dir });
  assert.equal(fresh.code, 1, fresh.stdout + fresh.stderr);
  assert.equal((await readJson<StateFile>(recordFile(dir, "new", "state.json"))).jobs["api@prod.deploy"]?.status, "blocked");
});
