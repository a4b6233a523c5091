// A wide run at high concurrency through the real CLI: every job starts
// before any finishes (proved with files, not timing), and Node prints no
// listener-leak warning although each running step listens for Ctrl-C.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, readJson, removeDir, tempDir, writePlan, type StateFile } from "../runtime/helpers.js";

test("30 jobs at concurrency 30 all run at once, with no MaxListenersExceededWarning", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const JOBS = 30;
  // Each job marks itself started, then waits (up to 20 s) until every job has started.
  const script = `touch started.$ORUN_JOB_ID; i=0; while [ "$(ls started.* | wc -l)" -lt ${JOBS} ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; [ "$(ls started.* | wc -l)" -ge ${JOBS} ]`;
  const jobs = Array.from({ length: JOBS }, (_, i) => ({ id: `c@e.j${String(i).padStart(2, "0")}`, steps: [{ run: script }] }));
  await writePlan(dir, makePlan(jobs, { concurrency: JOBS }));
  const result = await runOrun(["run", "plan.json", "--exec-id", "wide", "--json"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.doesNotMatch(result.stderr, /MaxListenersExceeded|memory leak/);
  const state = await readJson<StateFile>(path.join(dir, ".orun/executions/wide/state.json"));
  assert.equal(Object.values(state.jobs).filter((job) => job.status === "completed").length, JOBS);
});
