// Newcomer audit (fuprun15): `orun status` shows durations at the precision its records keep (whole seconds,
// RFC 3339): a sub-second job reads `<1s`, never a made-up `0.0s`. Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

test("status durations are whole seconds as the record keeps them: <1s, 1m5s; the record's format is unchanged", async (t) => {
  const dir = await planDir(t, [
    { id: "api@dev.build", steps: [{ run: "true" }] },
    { id: "api@dev.test", steps: [{ run: "true" }] },
  ]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "d1"], { cwd: dir })).code, 0);
  const state = JSON.parse(await readFile(recordFile(dir, "d1", "state.json"), "utf8")) as { jobs: Record<string, { startedAt: string; finishedAt: string }> };
  for (const job of Object.values(state.jobs)) {
    assert.match(job.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(job.finishedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
  // One job as a fast one and one as a slow one would have been recorded (a real sub-second job may straddle a second).
  state.jobs["api@dev.build"] = { ...state.jobs["api@dev.build"]!, startedAt: "2026-01-01T10:00:00Z", finishedAt: "2026-01-01T10:00:00Z" };
  state.jobs["api@dev.test"] = { ...state.jobs["api@dev.test"]!, startedAt: "2026-01-01T10:00:00Z", finishedAt: "2026-01-01T10:01:05Z" };
  await writeFile(recordFile(dir, "d1", "state.json"), JSON.stringify(state));
  const status = await runOrun(["status"], { cwd: dir });
  assert.equal(status.code, 0, status.stderr);
  assert.doesNotMatch(status.stdout, /\d\.\ds/);
  assert.match(status.stdout, /✓ build {2}<1s\n/);
  assert.match(status.stdout, /✓ test {2}1m5s\n/);
  assert.match(status.stdout, /Duration: (<1s|1s)\n/);
});
