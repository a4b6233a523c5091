// `orun gc` reads each record's state.json once: the search for promotion-gate evidence reads every record's, and
// tells which cannot be read (gc keeps those). It read each record it would remove twice before, first only to see
// whether it parsed: 200 records of a 2,000-job plan took 3.3 s of CPU. Real records (executePlan), fs opens counted.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { writeFile } from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { executePlan } from "../../src/runtime/execute.js";
import { collectGarbage } from "../../src/runtime/gc.js";
import { ExecutionStore } from "../../src/runtime/records/store.js";
import { makePlan, recordFile, removeDir, tempDir } from "./helpers.js";

test("gc reads each record's state.json once, and still keeps one it cannot read", async (t) => {
  const dir = await tempDir("orun-gc-state-once-");
  t.after(() => removeDir(dir));
  const plan = makePlan([{ id: "api@dev.build", steps: [{ run: "true" }] }]);
  for (const execId of ["e1", "e2", "e3"]) {
    const run = await executePlan({ plan, storeDir: dir, workspaceDir: dir, runner: { name: "local", source: "default" }, execId, renderer: { handle: () => undefined, close: () => undefined } });
    assert.equal(run.exitCode, 0);
  }
  await writeFile(recordFile(dir, "e1", "state.json"), "{ torn");

  const opened: string[] = [];
  const open = fs.promises.open;
  fs.promises.open = ((...args: Parameters<typeof open>) => {
    if (String(args[0]).endsWith("state.json")) opened.push(String(args[0]));
    return open(...args);
  }) as typeof open;
  syncBuiltinESMExports();
  t.after(() => {
    fs.promises.open = open;
    syncBuiltinESMExports();
  });
  const result = await collectGarbage(new ExecutionStore(dir), { keep: 0, maxAgeDays: 30, dryRun: true });
  assert.deepEqual(opened.sort(), ["e1", "e2", "e3"].map((id) => recordFile(dir, id, "state.json")));
  assert.deepEqual(result.removed.sort(), ["e2", "e3"]);
  assert.deepEqual([...result.keptForUser.keys()], ["e1"]);
  assert.match(result.keptForUser.get("e1")!.note, /^state unreadable: .*state\.json.*; whether it holds promotion-gate evidence cannot be told/);
});
