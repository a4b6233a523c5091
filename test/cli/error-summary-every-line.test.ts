// One wording for a failed step on every line a person reads (spec 20 §6's error summary: `command exited with code
// N`, `command timed out`): the `✗` job line (which names the summary, not a bare `failed`), the -v step lines, the
// retry and `onFailure: continue` lines and `orun logs`; a timeout's limit is the plan's duration on every runner
// (`300ms`, where the github-actions runner said `0.3s`). state.json lastError and --json keep the runner's words.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, readJson, type StateFile } from "../runtime/helpers.js";

const stateOf = (dir: string, execId: string): Promise<StateFile> => readJson<StateFile>(path.join(dir, ".orun/executions", execId, "state.json"));

for (const runner of ["local", "github-actions"]) {
  test(`every human-facing line of a failure (${runner}) says it in the error summary's words`, async (t) => {
    const dir = await planDir(t, [
      { id: "a@dev.exit", steps: [{ id: "boom", run: "exit 3" }] },
      { id: "a@dev.slow", steps: [{ id: "hang", run: "sleep 30", timeout: "300ms" }] },
      { id: "a@dev.tolerant", steps: [{ id: "lint", run: "exit 2", onFailure: "continue" }, { id: "after", run: "true" }] },
      { id: "a@dev.flaky", steps: [{ id: "again", run: "exit 4", retry: 1 }] },
      { id: "a@dev.nowhere", path: "no-such-folder", steps: [{ id: "here", run: "true" }] },
    ]);
    const run = await runOrun(["run", "plan.json", "--exec-id", "everywhere", "--no-fail-fast", "--runner", runner, "-v"], { cwd: dir });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const out = run.stdout;
    // The job line says why (spec: `✗ <label>  <dur>  <error summary>`), and the block's `error` line agrees.
    assert.match(out, /✗ exit {2}\d+\.\ds {2}command exited with code 3\n +step +boom\n +error command exited with code 3\n/, out);
    assert.match(out, /✗ slow {2}\d+\.\ds {2}command timed out\n +step +hang\n +error command timed out\n +hint +the command exceeded its configured timeout of 300ms;/, out);
    // An error that is a sentence of its own, not an exit, timeout or cancel, is said once: on the `error` line.
    assert.match(out, /✗ nowhere {2}\d+\.\ds {2}failed\n +step +here\n +error [^\n]*no-such-folder[^\n]* does not exist\n/, out);
    // -v step lines.
    assert.match(out, /✗ boom {2}\d+\.\ds {2}command exited with code 3\n/, out);
    // With no hint beside it, a timeout's line keeps the limit.
    assert.match(out, /✗ hang {2}\d+\.\ds {2}command timed out after 300ms\n/, out);
    // onFailure: continue and retry lines.
    assert.match(out, /lint failed \(command exited with code 2\); continuing \(onFailure: continue\)\n/, out);
    assert.match(out, /again {2}retrying attempt 2\/2 after: command exited with code 4\n/, out);
    assert.doesNotMatch(out, /exit status|(?<!command )timed out after/, out);

    // `orun logs` shows the recorded error of a step with no output in the same words.
    const logs = await runOrun(["logs", "--exec-id", "everywhere", "--job", "a@dev.exit"], { cwd: dir });
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, "── a@dev.exit › boom  (failed, no output)\nerror: step boom: command exited with code 3\n");
    const raw = await runOrun(["logs", "--exec-id", "everywhere", "--job", "a@dev.exit", "--raw"], { cwd: dir });
    assert.equal(raw.stderr, "a@dev.exit › boom: error: step boom: command exited with code 3\n");

    // The record keeps the runner's words; a timeout's limit is the plan's `300ms` on both runners.
    const state = await stateOf(dir, "everywhere");
    assert.equal(state.jobs["a@dev.exit"]!.lastError, "step boom: exit status 3");
    assert.equal(state.jobs["a@dev.slow"]!.lastError, `step hang: ${runner === "local" ? "" : "command "}timed out after 300ms`);
    assert.equal(state.jobs["a@dev.tolerant"]!.lastError, "step lint: exit status 2");
    const json = await runOrun(["run", "plan.json", "--exec-id", "everywhere-json", "--runner", runner, "--job", "a@dev.exit", "--json"], { cwd: dir });
    assert.equal((JSON.parse(json.stdout) as { jobs: { error?: string }[] }).jobs[0]!.error, "step boom: exit status 3");
  });
}
