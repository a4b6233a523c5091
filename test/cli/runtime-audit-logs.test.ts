// Runtime audit: `orun logs` output framing. Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { makePlan, removeDir, tempDir, writePlan } from "../runtime/helpers.js";

test("logs --follow starts each header on its own line and ends with a newline when a step's output does not", async (t) => {
  const dir = await tempDir("orun-audit-rt-");
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan([{ id: "a@dev.one", steps: [{ run: "printf abc" }, { run: "printf def" }] }]));
  const run = await runOrun(["run", "plan.json", "--exec-id", "nl"], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const follow = await runOrun(["logs", "--exec-id", "nl", "--follow"], { cwd: dir });
  assert.equal(follow.code, 0, follow.stderr);
  // A step that had ended when its output was shown has its status in the header, as `orun logs` gives it.
  assert.equal(follow.stdout, "── a@dev.one › s1  (completed)\nabc\n── a@dev.one › s2  (completed)\ndef\n");
  const plain = await runOrun(["logs", "--exec-id", "nl"], { cwd: dir });
  assert.equal(plain.stdout, follow.stdout);
});

test("logs --job takes a fragment of either ID form (api.dev, api@dev, dev.build)", async (t) => {
  const dir = await tempDir("orun-audit-rt-");
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan([{ id: "api@dev.build", steps: [{ run: "echo api" }] }, { id: "web@dev.build", steps: [{ run: "echo web" }] }]));
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "frag"], { cwd: dir })).code, 0);
  const jobsShown = async (job: string): Promise<string[]> =>
    [...(await runOrun(["logs", "--exec-id", "frag", "--job", job], { cwd: dir })).stdout.matchAll(/^── (\S+) ›/gm)].map((m) => m[1]!);
  assert.deepEqual(await jobsShown("api.dev"), ["api@dev.build"]);
  assert.deepEqual(await jobsShown("api@dev"), ["api@dev.build"]);
  assert.deepEqual(await jobsShown("api.dev.build"), ["api@dev.build"]);
  assert.deepEqual(await jobsShown("dev.build"), ["api@dev.build", "web@dev.build"]);
});
