// orun run --gha: the steps context after a failure, as GitHub fills it — a step the failure skipped is
// `skipped` (outcome and conclusion) for later if: expressions; continue-on-error keeps outcome and
// conclusion apart. Real orun processes; what the steps saw is read from the files they write.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PlanStep } from "../../src/model/plan.js";
import { ExecutionStore } from "../../src/runtime/records/store.js";
import { runOrun } from "../support/cli.js";
import { makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

describe("orun run --gha: the steps context after failures", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("gha14-conditions");
  });
  after(async () => rm(ws, { recursive: true, force: true }));
  const env = { GITHUB_ACTIONS: "", ORUN_RUNNER: "", GITHUB_TOKEN: "", ORUN_ACTIONS_CACHE: "" };

  it("a step skipped after a failure is outcome/conclusion 'skipped'; continue-on-error is outcome failure, conclusion success", async () => {
    const steps: (Partial<PlanStep> & { if?: string; "continue-on-error"?: boolean })[] = [
      { id: "tolerated", run: 'echo "x=1" >> "$GITHUB_OUTPUT"; exit 3', "continue-on-error": true },
      { id: "breaks", run: "exit 4" },
      { id: "skipped-one", run: "touch NEVER" },
      {
        id: "report",
        if: "always()",
        run: 'echo "t=${{ steps.tolerated.outcome }}/${{ steps.tolerated.conclusion }}/${{ steps.tolerated.outputs.x }} b=${{ steps.breaks.outcome }} s=${{ steps.skipped-one.outcome }}/${{ steps.skipped-one.conclusion }} job=${{ job.status }}" > REPORT',
      },
      { id: "only-if-skipped", if: "${{ failure() && steps.skipped-one.conclusion == 'skipped' }}", run: "touch SAW_SKIPPED" },
    ];
    await writeFile(path.join(ws, "plan.json"), JSON.stringify(makePlan([makeJob("app@dev.cond", steps)], "cond")));
    const r = await runOrun(["run", "plan.json", "--gha", "--exec-id", "cond-1"], { cwd: ws, env, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(await readFile(path.join(ws, "REPORT"), "utf8"), "t=failure/success/1 b=failure s=skipped/skipped job=failure\n");
    await readFile(path.join(ws, "SAW_SKIPPED"));
    const state = JSON.parse(await readFile(new ExecutionStore(ws).stateFile("cond-1"), "utf8")) as { jobs: Record<string, { steps: Record<string, string> }> };
    assert.deepEqual(state.jobs["app@dev.cond"]!.steps, { tolerated: "completed", breaks: "failed", "skipped-one": "skipped", report: "completed", "only-if-skipped": "completed" });
  });

  it("a step stopped by its timeout (the job's timeout, or timeout-minutes) fails the job, not cancels it: always() and failure() steps run, cancelled() ones do not", async () => {
    const job = makeJob("app@dev.timeout", [
      { id: "slow", run: "sleep 30" },
      { id: "slower", if: "always()", run: "sleep 30", "timeout-minutes": 0.01 } as Partial<PlanStep>,
      { id: "after", if: "always()", run: 'echo "c=${{ cancelled() }} f=${{ failure() }} s=${{ job.status }} slow=${{ steps.slow.outcome }} slower=${{ steps.slower.outcome }}" > AFTER_TIMEOUT' } as Partial<PlanStep>,
      { id: "on-cancel", if: "cancelled()", run: "touch ON_CANCEL" } as Partial<PlanStep>,
    ]);
    job.timeout = "1s";
    await writeFile(path.join(ws, "timeout.json"), JSON.stringify(makePlan([job], "timeout")));
    const r = await runOrun(["run", "timeout.json", "--gha", "--exec-id", "timeout-1"], { cwd: ws, env, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(await readFile(path.join(ws, "AFTER_TIMEOUT"), "utf8"), "c=false f=true s=failure slow=failure slower=failure\n");
    await assert.rejects(readFile(path.join(ws, "ON_CANCEL")));
  });
});
