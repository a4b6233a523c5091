// Inside GitHub Actions the groups view and `run --json` each kept their own reader of what a run's steps mask, and
// they could learn different values from one run (mask29): a step's attempt that failed with an unfinished
// `::add-mask::tok3n-a` line, retried and printing `bc`, masked `tok3n-a` in the groups view (and in the step's log,
// which breaks the line before the retry) but `tok3n-abc` in `run --json`, whose summary then showed `tok3n-a` in a
// job's error; and a step whose runner hands its output back whole (not streamed) masked nothing for `run --json`.
// Now both views read the run's events with one reader (run-masks.ts). Real runs of the built CLI; GitHub's reading of
// the groups view's stdout is test/support/gha-runner-log.ts.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import type { PlanJob } from "../../src/model/plan.js";
import { RunMasks } from "../../src/runtime/output/run-masks.js";
import { planDir } from "../runtime/helpers.js";
import { runOrun } from "../support/cli.js";
import { runnerLog } from "../support/gha-runner-log.js";

const VALUE = "tok3n-a";
const env = { NO_COLOR: "1", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "true" };

// The first attempt ends in the middle of its `::add-mask::` line; the retry prints the rest of a line. Step s2's error
// quotes its shell: the value masked.
const RETRIED = {
  id: "api@dev.build",
  steps: [
    { id: "s1", retry: 1, run: `if [ -f tried ]; then printf 'bc\\n'; else touch tried; printf '::add-mask::${VALUE}'; exit 1; fi` },
    { id: "s2", run: "echo never", shell: VALUE },
  ],
};

/** The values handed to the runner and its log as GitHub shows it, from a stdout printed inside GitHub Actions. */
function handed(stdout: string): { masks: string[]; log: string } {
  const { commands, log } = runnerLog(stdout);
  return { masks: commands.filter((command) => command.name === "add-mask").map((command) => command.data), log: log.join("\n") };
}

test("a retried step's unfinished ::add-mask:: line masks one value in the groups view, run --json and logs", async (t) => {
  const dir = await planDir(t, [RETRIED], { name: "masked" }, "orun-mask29-retry-");
  const run = (args: string[]) => runOrun([...args, "--runner", "local"], { cwd: dir, env });

  const groups = await run(["run", "plan.json", "--exec-id", "G"]);
  assert.equal(groups.code, 1, groups.stdout + groups.stderr);
  const shown = handed(groups.stdout);
  assert.deepEqual(shown.masks, [VALUE], groups.stdout);
  assert.ok(!shown.log.includes(VALUE), groups.stdout);

  await rm(path.join(dir, "tried"));
  const json = await run(["run", "plan.json", "--exec-id", "J", "--json"]);
  assert.equal(json.code, 1, json.stdout + json.stderr);
  assert.ok(!json.stdout.includes(VALUE), json.stdout);
  const summary = JSON.parse(json.stdout) as { jobs: { id: string; error?: string }[] };
  assert.match(summary.jobs[0]!.error!, /^step s2: unsupported shell "\*\*\*"/, json.stdout);

  // The record's reader agrees: `orun logs` hands on the same value.
  const logs = await runOrun(["logs", "--exec-id", "J"], { cwd: dir, env });
  assert.equal(logs.code, 0, logs.stdout + logs.stderr);
  assert.deepEqual(handed(logs.stdout).masks, [VALUE], logs.stdout);
});

test("RunMasks reads a step's output handed back whole at its end when none of it was streamed", () => {
  const job = { id: "api@dev.build" } as PlanJob;
  const learnt: string[] = [];
  const masks = new RunMasks((value) => learnt.push(value));
  masks.handle({ type: "step-end", job, stepKey: "s1", status: "completed", durationMs: 1, output: `::add-mask::${VALUE}\nbuilt` });
  assert.deepEqual(learnt, [VALUE]);
  assert.equal(masks.json(JSON.stringify({ error: `saw ${VALUE}` })), JSON.stringify({ error: "saw ***" }));
});
