// Records audit (round 2): a generated exec ID never resumes an existing record. IDs are
// <plan name>-<date>-<3 random bytes>, so plans run often under one name meet an earlier record's ID now
// and then; resuming it skipped every job that record had completed and reported success. The collision
// is forced by making the first 3 random bytes orun asks for name an existing record.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, planDir, readLines, recordFile, type StateFile } from "../runtime/helpers.js";
import { planChecksum } from "../../src/runtime/graph.js";

/** Preloaded: the first randomBytes(3) is aabbcc (node:crypto's ES module exports follow the patched function). */
async function collidingRandom(dir: string): Promise<NodeJS.ProcessEnv> {
  const file = path.join(dir, "collide.cjs");
  await writeFile(
    file,
    `const crypto = require("node:crypto"); const real = crypto.randomBytes; let forced = false;
crypto.randomBytes = function (size, ...rest) { if (size === 3 && !forced) { forced = true; return Buffer.from("aabbcc", "hex"); } return real.call(this, size, ...rest); };
require("node:module").syncBuiltinESMExports();\n`,
  );
  return { NODE_OPTIONS: `--require ${file}` };
}

function today(): string {
  const now = new Date();
  return `${now.getFullYear()}${String(now.getMonth() + 1).padStart(2, "0")}${String(now.getDate()).padStart(2, "0")}`;
}

for (const background of [false, true]) {
  test(`a generated exec ID that names an existing record gets another${background ? " (--background)" : ""}: the jobs run, the old record is untouched`, async (t) => {
    const jobs = [{ id: "app@prod.deploy", steps: [{ run: "echo deployed >> deploys.txt" }] }];
    const dir = await planDir(t, jobs, { name: "collide" }, "orun-rec14-");
    // Yesterday's record that a fresh ID of today's would name: the same plan, its deploy completed.
    const taken = `collide-${today()}-aabbcc`;
    const state: StateFile = { execId: taken, planChecksum: planChecksum(makePlan(jobs, { name: "collide" })), jobs: { "app@prod.deploy": { status: "completed", steps: { s1: "completed" } } } };
    await mkdir(path.dirname(recordFile(dir, taken, "state.json")), { recursive: true });
    await writeFile(recordFile(dir, taken, "state.json"), JSON.stringify(state));
    const env = await collidingRandom(dir);
    const run = await runOrun(["run", "plan.json", ...(background ? ["--background"] : [])], { cwd: dir, env });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.doesNotMatch(run.stdout, /aabbcc/);
    if (background) {
      const id = /exec-id: (\S+)/.exec(run.stdout)![1]!;
      const watch = await runOrun(["status", "--exec-id", id, "--watch", "--interval", "200ms"], { cwd: dir, timeoutMs: 20_000 });
      assert.equal(watch.code, 0, watch.stdout);
    }
    assert.deepEqual(await readLines(path.join(dir, "deploys.txt")), ["deployed"], "the deploy ran");
    assert.deepEqual((await readdir(recordFile(dir, taken, ""))).sort(), ["state.json"], "the existing record was not touched");
  });
}
