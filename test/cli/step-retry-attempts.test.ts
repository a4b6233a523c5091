// Spec 20 §9 conformance case 29: a step with `retry: 2` that always fails runs 3 times, announcing attempts 2/3 and
// 3/3; `retry: 0` on the step is no retry count of its own, so the job's `retries: 1` applies (2 attempts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, readLines, recordFile } from "../runtime/helpers.js";

test("case 29: retry 2 always failing → 3 attempts; job retries 1 with step retry 0 → 2 attempts", async (t) => {
  const count = (file: string): string => `n=$(cat ${file} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${file}; echo "attempt $n"; exit 1`;
  const dir = await planDir(t, [
    { id: "a@dev.always", steps: [{ id: "flaky", run: count("a.count"), retry: 2 }] },
    { id: "b@dev.job-level", retries: 1, steps: [{ id: "once", run: count("b.count"), retry: 0 }] },
  ]);
  const run = await runOrun(["run", "plan.json", "--exec-id", "r29"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.deepEqual(await readLines(path.join(dir, "a.count")), ["3"]);
  assert.deepEqual(await readLines(path.join(dir, "b.count")), ["2"]);
  assert.match(run.stdout, /retrying attempt 2\/3/);
  assert.match(run.stdout, /retrying attempt 3\/3/);
  assert.match(run.stdout, /retrying attempt 2\/2/);
  assert.doesNotMatch(run.stdout, /attempt 4\/|attempt 3\/2/);
  // The log ends with the last attempt (orun keeps the earlier ones above it, each after a `↻ retry k/N` marker).
  const log = await readFile(recordFile(dir, "r29", "logs/a@dev.always/flaky.log"), "utf8");
  assert.match(log, /↻ retry 3\/3\nattempt 3\n?$/);
});
