// `orun logs` of a github-actions job: the job summary (GITHUB_STEP_SUMMARY) is shown once, as `job summary`
// (it was also inside `job finish` under `▸ Job summary`), and `--job X` lists a step that printed nothing as
// `(completed, no output)` instead of leaving it out (failed ones already showed `(failed, no output)`).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makeJob, makePlan } from "../runners/github-actions/helpers.js";

let ws: string;
const env = { GITHUB_ACTIONS: "", ORUN_RUNNER: "", NO_COLOR: "1" };

before(async () => {
  ws = await mkdtemp(path.join(os.tmpdir(), "orun-logs-summary-"));
  const plan = makePlan(
    [
      makeJob("docs@dev.report", [
        { id: "quiet", run: "true" },
        { id: "write", run: 'echo "### Coverage 93%" >> "$GITHUB_STEP_SUMMARY"; echo wrote' },
      ]),
    ],
    "logs-summary",
  );
  await writeFile(path.join(ws, "plan.json"), JSON.stringify(plan));
});
after(async () => rm(ws, { recursive: true, force: true }));

const count = (text: string, needle: string): number => text.split(needle).length - 1;

test("the job summary is shown once by orun logs, and still live under --verbose", async () => {
  const run = await runOrun(["run", "plan.json", "--runner", "github-actions", "--exec-id", "summary-1", "--verbose"], { cwd: ws, env, timeoutMs: 60_000 });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(count(run.stdout, "### Coverage 93%"), 1, run.stdout);
  assert.match(run.stdout, /▸ Job summary\n.*### Coverage 93%/);

  for (const args of [[], ["--job", "docs@dev.report"]]) {
    const logs = await runOrun(["logs", "--exec-id", "summary-1", ...args], { cwd: ws, env });
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(count(logs.stdout, "### Coverage 93%"), 1, logs.stdout);
    assert.match(logs.stdout, /docs@dev\.report › job summary[^\n]*\n### Coverage 93%/);
    assert.doesNotMatch(logs.stdout, /▸ Job summary|job finish/, "no finish log holding the summary a second time");
  }
});

test("orun logs --job lists a step that printed nothing, in run order", async () => {
  const logs = await runOrun(["logs", "--exec-id", "summary-1", "--job", "docs@dev.report"], { cwd: ws, env });
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /── docs@dev\.report › quiet {2}\(completed, no output\)\n── docs@dev\.report › write {2}\(completed\)\nwrote\n/);
  const all = await runOrun(["logs", "--exec-id", "summary-1"], { cwd: ws, env });
  assert.doesNotMatch(all.stdout, /quiet/, "the whole run's logs stay the steps that printed");
});
