// rev15rec #6: `orun status --detailed` lists a job's steps in the order they run (phase, order, declaration),
// as `orun logs` does — not alphabetically; a record without its plan falls back to the steps' keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

test("status --detailed shows steps in run order, as orun logs does; without the record's plan, by key", async (t) => {
  // Declared zpost (post), bmain2 (order 2), cmain1 (order 1), ypre (pre): run ypre, cmain1, bmain2, zpost.
  const dir = await planDir(t, [
    {
      id: "app@dev.build",
      steps: [
        { id: "zpost", run: "echo zpost", phase: "post" },
        { id: "bmain2", run: "echo bmain2", order: 2 },
        { id: "cmain1", run: "echo cmain1", order: 1 },
        { id: "ypre", run: "echo ypre", phase: "pre" },
      ],
    },
  ]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "ord"], { cwd: dir })).code, 0);
  const ran = ["ypre", "cmain1", "bmain2", "zpost"];
  const detailed = await runOrun(["status", "--exec-id", "ord", "--detailed"], { cwd: dir });
  assert.equal(detailed.code, 0, detailed.stderr);
  const listed = [...detailed.stdout.matchAll(/^ {8}✓ (\S+)$/gm)].map((m) => m[1]!);
  assert.deepEqual(listed, ran);
  const logs = await runOrun(["logs", "--exec-id", "ord", "--raw"], { cwd: dir });
  assert.equal(logs.stdout, ran.map((step) => `${step}\n`).join(""), "the same order as orun logs");
  // The record without its plan: the steps' keys, alphabetically.
  await rm(recordFile(dir, "ord", "manifest.json"));
  const bare = await runOrun(["status", "--exec-id", "ord", "--detailed"], { cwd: dir });
  assert.deepEqual([...bare.stdout.matchAll(/^ {8}✓ (\S+)$/gm)].map((m) => m[1]!), ["bmain2", "cmain1", "ypre", "zpost"]);
});
