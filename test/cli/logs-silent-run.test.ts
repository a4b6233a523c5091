// `orun logs` on a finished run whose steps printed nothing says so, instead of "No logs for this run yet",
// which promised logs that never come. Real runs of the built CLI.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

test("orun logs of a finished, silent run says no step printed output (not 'yet')", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.quiet", steps: [{ run: "true" }, { run: ": nothing" }] }], {}, "orun-logs-silent-");
  const run = await runOrun(["run", "plan.json", "--exec-id", "silent"], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);

  const logs = await runOrun(["logs", "--exec-id", "silent"], { cwd: dir });
  assert.equal(logs.code, 0, logs.stdout + logs.stderr);
  assert.equal(logs.stdout, "No logs for this run: it completed and no step printed any output.\n");

  // --raw keeps stdout for log bytes only.
  const raw = await runOrun(["logs", "--raw"], { cwd: dir });
  assert.equal(raw.code, 0, raw.stdout + raw.stderr);
  assert.equal(raw.stdout, "");
  assert.match(raw.stderr, /no step printed any output/);

  // A job the plan does not hold is an error naming it (was "No logs match." and exit 0).
  const filtered = await runOrun(["logs", "--exec-id", "silent", "--job", "nope"], { cwd: dir });
  assert.equal(filtered.code, 1, filtered.stdout);
  assert.match(filtered.stderr, /job not found in execution silent: nope/);
});
