// Resuming a record an older orun wrote: its results carry no revision, so the resume stamps each with the record's
// (metadata.revision, result-revision.ts). The stamps reach state.json with the record's first awaited writes, and
// before metadata.json names the resume's revision. Before, a timer wrote them unawaited while the run was still
// being set up (during the resume-command look-up, say): a write nothing waited for, racing the run's own writes of
// state.json, and landing even when the run was then refused. The whole runtime (executePlan), real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { executePlan } from "../../src/runtime/execute.js";
import type { Plan } from "../../src/model/plan.js";
import { makePlan, readJson, recordFile, removeDir, tempDir } from "./helpers.js";

const REVISION = "0123456789abcdef0123456789abcdef01234567";

const run = (dir: string, plan: Plan, resumeCommand?: () => Promise<never[]>): Promise<{ exitCode: number }> =>
  executePlan({
    plan,
    storeDir: dir,
    workspaceDir: dir,
    runner: { name: "local", source: "default" },
    execId: "old",
    renderer: { handle: () => undefined, close: () => undefined },
    warn: () => undefined,
    // The shortest interval: a timed write of the stamps would start at the first turn of the event loop.
    stateWriteIntervalMs: 0,
    ...(resumeCommand ? { resumeCommand } : {}),
  });

test("a resume's stamps of an older orun's results are written with the record's awaited writes, none before them", async (t) => {
  const dir = await tempDir("orun-resume-stamps-");
  t.after(() => removeDir(dir));
  const plan = makePlan([{ id: "api@dev.deploy", steps: [{ run: "true" }] }, { id: "api@prod.deploy", steps: [{ run: `test -f '${dir}/go'` }] }], { revision: REVISION });
  assert.equal((await run(dir, plan)).exitCode, 1);

  // As an older orun left it: no revision on the results, the run's in metadata.json.
  const stateFile = recordFile(dir, "old", "state.json");
  const older = (await readFile(stateFile, "utf8")).replace(/,\n\s*"revision": "[^"]*"/g, "");
  await writeFile(stateFile, older);
  assert.doesNotMatch(older, /"revision"/);
  const metaFile = recordFile(dir, "old", "metadata.json");
  assert.equal((await readJson<{ revision?: string }>(metaFile)).revision, REVISION);

  await writeFile(`${dir}/go`, "");
  let seenDuringSetUp: string | undefined;
  const resumed = await run(dir, plan, async () => {
    // Asked after the stamping, before the record's first writes. A timed write, due at once, would land meanwhile:
    // given a second (far longer than writing a small file takes) to show, the file must stay as it was.
    const deadline = Date.now() + 1000;
    while (Date.now() < deadline && (await readFile(stateFile, "utf8")) === older) await new Promise((resolve) => setTimeout(resolve, 5));
    seenDuringSetUp = await readFile(stateFile, "utf8");
    return [];
  });
  assert.equal(seenDuringSetUp, older, "state.json was written before the run's awaited writes");
  assert.equal(resumed.exitCode, 0);

  // The stamps and the resume's results are all on file; the record still vouches for the one revision.
  const state = await readJson<{ jobs: Record<string, { status: string; revision?: string }> }>(stateFile);
  assert.deepEqual(state.jobs["api@dev.deploy"], { ...state.jobs["api@dev.deploy"], status: "completed", revision: REVISION });
  assert.deepEqual([state.jobs["api@prod.deploy"]?.status, state.jobs["api@prod.deploy"]?.revision], ["completed", REVISION]);
  assert.equal((await readJson<{ revision?: string }>(metaFile)).revision, REVISION);
});
