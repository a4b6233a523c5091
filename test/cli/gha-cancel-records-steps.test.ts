// orun run --gha cancelled (SIGINT): the steps GitHub still runs after a cancel (`if: always()`,
// `cancelled()`) are recorded with what happened to them — completed or failed, with their logs — in
// state.json, `orun status --json` and `orun logs`, not `skipped` as if they had not run.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PlanStep } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { until } from "../support/wait.js";
import { ghaEnv, makeJob, makePlan, startOrun, tempDir } from "../runners/github-actions/helpers.js";

type Step = Partial<PlanStep> & { if?: string };

describe("orun run --gha: steps run after a cancel are recorded as they ended", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("gha15-cancel");
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  /** Runs the plan until `started` exists, then sends SIGINT; returns the job's recorded step statuses. */
  async function cancelRun(name: string, steps: Step[], started: string, env: NodeJS.ProcessEnv = {}): Promise<Record<string, string>> {
    const job = makeJob(`app@dev.${name}`, steps);
    await writeFile(path.join(ws, `${name}.json`), JSON.stringify(makePlan([job], name)));
    const orun = startOrun(["run", `${name}.json`, "--gha", "--exec-id", name], ws, ghaEnv(ws, env));
    try {
      await until(() => existsSync(path.join(ws, started)), `${started} to be written`);
      process.kill(orun.pid, "SIGINT");
      assert.equal(await orun.exited, 130, orun.output());
    } finally {
      orun.kill();
    }
    const state = JSON.parse(await readFile(path.join(ws, ".orun/executions", name, "state.json"), "utf8")) as { jobs: Record<string, { status: string; steps: Record<string, string> }> };
    const recorded = state.jobs[job.id]!;
    assert.equal(recorded.status, "failed", "a cancelled job is not completed, whatever ran after the cancel");
    return recorded.steps;
  }

  it("always() and cancelled() steps are completed or failed with their logs; the others skipped — in state.json, status --json and logs", async () => {
    const name = "record";
    const steps = await cancelRun(
      name,
      [
        { id: "long", run: "touch STARTED; sleep 30" },
        { id: "plain", run: "echo plain-ran" },
        { id: "cleanup", if: "always()", run: "echo cleaning-up" },
        { id: "on-failure", if: "failure()", run: "echo on-failure-ran" },
        { id: "on-cancel", if: "${{ cancelled() }}", run: "echo reporting-cancel; exit 3" },
      ],
      "STARTED",
    );
    assert.deepEqual(steps, { long: "failed", plain: "skipped", cleanup: "completed", "on-failure": "skipped", "on-cancel": "failed" });

    const status = await runOrun(["status", "--exec-id", name, "--json"], { cwd: ws });
    assert.equal(status.code, 0, status.stderr);
    const shown = JSON.parse(status.stdout) as { state: { jobs: Record<string, { steps: Record<string, string> }> } };
    assert.deepEqual(shown.state.jobs[`app@dev.${name}`]!.steps, steps);

    const logs = await runOrun(["logs", "--exec-id", name], { cwd: ws });
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /› cleanup {2}\(completed\)\ncleaning-up\n/);
    assert.match(logs.stdout, /› on-cancel {2}\(failed\)\nreporting-cancel\n/);
    assert.doesNotMatch(logs.stdout, /plain-ran|on-failure-ran/);
    const failed = await runOrun(["logs", "--exec-id", name, "--failed"], { cwd: ws });
    assert.match(failed.stdout, /› on-cancel {2}\(failed\)\nreporting-cancel/);
    assert.doesNotMatch(failed.stdout, /cleaning-up/);
  });

  it("a step the grace period left unstarted is skipped, and its log says why", async () => {
    const name = "grace-over";
    const steps = await cancelRun(
      name,
      [
        { id: "long", run: "touch STARTED2; sleep 30" },
        { id: "hang", if: "always()", run: "echo hanging; sleep 60" },
        { id: "late", if: "always()", run: "echo late-ran" },
      ],
      "STARTED2",
      { ORUN_GHA_CANCEL_GRACE: "1s" },
    );
    assert.deepEqual(steps, { long: "failed", hang: "failed", late: "skipped" });
    const logs = await runOrun(["logs", "--exec-id", name, "--step", "late"], { cwd: ws });
    assert.match(logs.stdout, /not run after the cancel: the grace period \(1s\) is over/);
    assert.doesNotMatch(logs.stdout, /late-ran/);
  });
});
