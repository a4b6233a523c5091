// orun run --gha cancelled: what a job left running dies with orun on a second Ctrl-C (rev15gha #3), the
// record names the step the cancel came during, not a later step that ran (#7), and an if: failure() step
// running when the cancel comes is stopped (failure() is false once job.status is cancelled, #2). Real
// processes; pids and progress are read from files the steps write.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PlanStep } from "../../src/model/plan.js";
import { processEnded, signalIfAlive, until } from "../support/wait.js";
import { ghaEnv, makeJob, makePlan, startOrun, tempDir } from "../runners/github-actions/helpers.js";

type Step = Partial<PlanStep> & { if?: string };
interface Recorded {
  status: string;
  lastError?: string;
  steps: Record<string, string>;
}

describe("orun run --gha: cancelled runs", { skip: process.platform !== "linux" ? "reads /proc" : undefined }, () => {
  let ws: string;
  const pids: number[] = [];
  before(async () => {
    ws = await tempDir("fixgha15-cancel");
  });
  after(async () => {
    for (const pid of pids) signalIfAlive(pid, "SIGKILL");
    await rm(ws, { recursive: true, force: true });
  });

  /** Runs a one-job plan until `started` exists, then sends `signals` (SIGINT each, 300 ms apart); returns the job's record. */
  async function cancelRun(name: string, steps: Step[], started: string, signals = 1): Promise<{ job: Recorded; output: string }> {
    const job = makeJob(`app@dev.${name}`, steps);
    await writeFile(path.join(ws, `${name}.json`), JSON.stringify(makePlan([job], name)));
    const orun = startOrun(["run", `${name}.json`, "--gha", "--exec-id", name], ws, ghaEnv(ws));
    try {
      await until(() => existsSync(path.join(ws, started)), `${started} to be written`);
      for (let i = 0; i < signals; i++) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, 300));
        process.kill(orun.pid, "SIGINT");
      }
      assert.equal(await orun.exited, 130, orun.output());
    } finally {
      orun.kill();
    }
    const state = JSON.parse(await readFile(path.join(ws, ".orun/executions", name, "state.json"), "utf8")) as { jobs: Record<string, Recorded> };
    return { job: state.jobs[job.id]!, output: orun.output() };
  }

  it("a second Ctrl-C: processes the job's steps left running (sleep &, setsid) are killed as orun exits", async () => {
    await cancelRun(
      "twice",
      [
        { id: "bg", run: "sleep 301 & echo $! > TWICE_BG; setsid sleep 302 & echo $! > TWICE_SETSID" },
        { id: "s1", run: "touch TWICE_STARTED; sleep 30" },
        { id: "cleanup", if: "always()", run: "sleep 20" },
      ],
      "TWICE_STARTED",
      2,
    );
    const [bg, setsid] = ["TWICE_BG", "TWICE_SETSID"].map((f) => Number(readFileSync(path.join(ws, f), "utf8").trim()));
    pids.push(bg!, setsid!);
    await until(() => processEnded(bg!) && processEnded(setsid!), "the job's background processes to be killed", 15_000);
  });

  it("an always() step that ran on through the cancel: the record names it as the step the cancel came during, not the next one", async () => {
    const { job } = await cancelRun(
      "during",
      [
        { id: "build", if: "always()", run: "touch DURING_STARTED; sleep 1.5" },
        { id: "upload", if: "always()", run: "echo uploaded" },
      ],
      "DURING_STARTED",
    );
    assert.deepEqual(job.steps, { build: "completed", upload: "completed" });
    assert.equal(job.status, "failed");
    assert.equal(job.lastError, "step build: canceled while it ran");
  });

  it("an if: failure() step running when the cancel comes is stopped, and later if: failure() steps are skipped", async () => {
    const { job } = await cancelRun(
      "failure",
      [
        { id: "s1", run: "exit 1" },
        { id: "s2", if: "failure()", run: "touch FAILURE_STARTED; sleep 30; echo s2-done" },
        { id: "s3", if: "failure()", run: "echo s3-ran" },
        { id: "s4", if: "always()", run: "echo ${{ job.status }} > FAILURE_STATUS" },
      ],
      "FAILURE_STARTED",
    );
    assert.deepEqual(job.steps, { s1: "failed", s2: "failed", s3: "skipped", s4: "completed" });
    assert.equal(await readFile(path.join(ws, "FAILURE_STATUS"), "utf8"), "cancelled\n");
  });
});
