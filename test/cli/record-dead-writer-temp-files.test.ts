// rev15rec #8: the temporary files a writer killed mid-write leaves inside a record (state.json.<pid>.<hex>.tmp,
// metadata.json.<pid>.<hex>.tmp) are removed when a run next takes the record's lock; a live writer's stay.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, writeFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";
import { deadPid, liveSleeper } from "../support/wait.js";

test("resuming a record removes the temporary files of writers that died mid-write, keeping a live writer's and other files", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "tmps"], { cwd: dir })).code, 0);
  const dead = await deadPid();
  const live = await liveSleeper(t);
  const left = [`state.json.${dead}.0a1b2c3d.tmp`, `metadata.json.${dead}.deadbeef.tmp`, `.lock.${dead}.12345678.tmp`];
  const kept = [`pid.${live.pid}.cafef00d.tmp`, "notes.tmp", "state.json.x.0a1b2c3d.tmp"];
  for (const name of [...left, ...kept]) await writeFile(recordFile(dir, "tmps", name), "{half");
  // gc does not look inside a record it keeps.
  assert.equal((await runOrun(["gc"], { cwd: dir })).code, 0);
  for (const name of left) assert.ok((await readdir(recordFile(dir, "tmps", ""))).includes(name), `${name} is there before the resume`);

  const resumed = await runOrun(["run", "plan.json", "--exec-id", "tmps"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stderr);
  const names = await readdir(recordFile(dir, "tmps", ""));
  for (const name of left) assert.ok(!names.includes(name), `${name} was swept`);
  for (const name of kept) assert.ok(names.includes(name), `${name} stays`);
});
