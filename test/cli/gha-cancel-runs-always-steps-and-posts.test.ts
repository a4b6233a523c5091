// orun run --gha stopped by Ctrl-C / SIGTERM, as GitHub cancels a job: the running step is stopped, the
// steps left run only where their if: still holds (always(), cancelled()), before the actions' post hooks,
// all within a bounded grace period. Real orun processes, real signals; order is read from files the steps write.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PlanStep } from "../../src/model/plan.js";
import { ExecutionStore } from "../../src/runtime/records/store.js";
import { ORUN_BIN } from "../support/cli.js";
import { processGone, until } from "../support/wait.js";
import { makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

function startOrun(args: string[], cwd: string, env: NodeJS.ProcessEnv): { pid: number; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [ORUN_BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { pid: child.pid!, exited, output: () => output };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

describe("orun run --gha: a cancel runs the always() and cancelled() steps left, then the posts", () => {
  let ws: string;
  before(async () => {
    ws = await tempDir("gha14-cancel");
    // A node action with a post hook that appends to ORDER.
    await mkdir(path.join(ws, "acts/post"), { recursive: true });
    await writeFile(path.join(ws, "acts/post/action.yml"), "name: post\nruns:\n  using: node20\n  main: main.cjs\n  post: post.cjs\n");
    await writeFile(path.join(ws, "acts/post/main.cjs"), "");
    await writeFile(path.join(ws, "acts/post/post.cjs"), 'require("fs").appendFileSync("ORDER", "post\\n");\n');
  });
  after(async () => rm(ws, { recursive: true, force: true }));
  const env = (): NodeJS.ProcessEnv => ({ GITHUB_ACTIONS: "", ORUN_RUNNER: "", GITHUB_TOKEN: "", ORUN_ACTIONS_CACHE: path.join(ws, ".cache") });

  async function writePlan(name: string, steps: (Partial<PlanStep> & { if?: string })[]): Promise<string> {
    const job = makeJob(`app@dev.${name}`, steps);
    await writeFile(path.join(ws, `${name}.json`), JSON.stringify(makePlan([job], name)));
    return `app@dev.${name}`;
  }

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`after ${signal}: always() and cancelled() steps run in order before the post, with cancelled() and job.status 'cancelled'; other steps do not`, async (t) => {
      const name = `cancel-${signal.toLowerCase()}`;
      const log = (tag: string): string => `echo "${tag} c=\${{ cancelled() }} f=\${{ failure() }} s=\${{ job.status }}" >> ORDER`;
      const jobId = await writePlan(name, [
        { id: "setup", use: "./acts/post" },
        { id: "long", run: "touch STARTED; sleep 30" },
        { id: "plain", run: log("plain") },
        { id: "on-success", if: "success()", run: log("success") },
        { id: "on-failure", if: "failure()", run: log("failure") },
        { id: "not-cancelled", if: "${{ !cancelled() }}", run: log("not-cancelled") },
        { id: "cleanup", if: "always()", run: `${log("always")}; echo "long=\${{ steps.long.outcome }}/\${{ steps.long.conclusion }} plain=\${{ steps.plain.outcome }}" >> ORDER` },
        { id: "on-cancel", if: "${{ cancelled() }}", run: log("cancelled") },
      ]);
      await rm(path.join(ws, "ORDER"), { force: true });
      await rm(path.join(ws, "STARTED"), { force: true });
      const orun = startOrun(["run", `${name}.json`, "--gha", "--exec-id", name], ws, env());
      t.after(() => killGroup(orun.pid));
      await until(() => existsSync(path.join(ws, "STARTED")), "the long step to start");
      process.kill(orun.pid, signal);
      assert.equal(await orun.exited, signal === "SIGINT" ? 130 : 143, orun.output());
      assert.equal(await readFile(path.join(ws, "ORDER"), "utf8"), "always c=true f=false s=cancelled\nlong=cancelled/cancelled plain=skipped\ncancelled c=true f=false s=cancelled\npost\n");
      // The steps run after the cancel are recorded as steps (gha-cancel-records-steps.test.ts); the post is in the finish log.
      const finish = await readFile(new ExecutionStore(ws).jobFinishFile(name, jobId), "utf8");
      assert.match(finish, /▸ Post setup/);
    });
  }

  it("a composite action run by an always() step after the cancel runs its steps (success() there is the action's own status, as on GitHub)", async (t) => {
    await mkdir(path.join(ws, "acts/cleanup"), { recursive: true });
    await writeFile(
      path.join(ws, "acts/cleanup/action.yml"),
      [
        "name: cleanup",
        "runs:",
        "  using: composite",
        "  steps:",
        "    - run: echo \"plain c=${{ cancelled() }} s=${{ success() }} job=${{ job.status }}\" >> CLEANUP",
        "      shell: bash",
        "    - if: success()",
        "      run: echo explicit-success >> CLEANUP",
        "      shell: bash",
        "    - if: cancelled()",
        "      run: echo on-cancel >> CLEANUP",
        "      shell: bash",
        "    - if: failure()",
        "      run: echo on-failure >> CLEANUP",
        "      shell: bash",
        "",
      ].join("\n"),
    );
    const name = "cancel-composite";
    await writePlan(name, [
      { id: "long", run: "touch STARTED4; sleep 30" },
      { id: "cleanup", if: "always()", use: "./acts/cleanup" },
    ]);
    await rm(path.join(ws, "CLEANUP"), { force: true });
    const orun = startOrun(["run", `${name}.json`, "--gha", "--exec-id", name], ws, env());
    t.after(() => killGroup(orun.pid));
    await until(() => existsSync(path.join(ws, "STARTED4")), "the long step to start");
    process.kill(orun.pid, "SIGINT");
    assert.equal(await orun.exited, 130, orun.output());
    assert.equal(await readFile(path.join(ws, "CLEANUP"), "utf8"), "plain c=true s=true job=cancelled\nexplicit-success\non-cancel\n");
  });

  it("an always() step running when the cancel comes runs on to its end (GitHub re-tests a running step's if:); a plain one is stopped", async (t) => {
    const name = "cancel-running";
    const job = makeJob(`app@dev.${name}`, [
      { id: "fails", run: "exit 1" },
      { id: "report", if: "always()", run: "touch STARTED5; while [ ! -f GO5 ]; do sleep 0.05; done; echo finished > REPORT_DONE" } as Partial<PlanStep>,
      { id: "next", if: "always()", run: 'echo "report=${{ steps.report.outcome }}" > NEXT5' } as Partial<PlanStep>,
    ]);
    // A second job's plain step, stopped by the cancel: its trap tells the test the cancel has been dealt with.
    const other = makeJob(`other@dev.${name}`, [{ id: "plain", run: "trap 'touch PLAIN_STOPPED; exit 1' TERM INT; touch PLAIN_STARTED; while true; do sleep 0.05; done" }]);
    await writeFile(path.join(ws, `${name}.json`), JSON.stringify(makePlan([job, other], name)));
    const orun = startOrun(["run", `${name}.json`, "--gha", "--exec-id", name], ws, env());
    t.after(() => killGroup(orun.pid));
    await until(() => existsSync(path.join(ws, "STARTED5")) && existsSync(path.join(ws, "PLAIN_STARTED")), "both steps to start");
    process.kill(orun.pid, "SIGINT");
    await until(() => existsSync(path.join(ws, "PLAIN_STOPPED")), "the plain step to be stopped by the cancel");
    // The cancel has been dealt with, and the always() step still runs: only now does it get to finish.
    await writeFile(path.join(ws, "GO5"), "");
    assert.equal(await orun.exited, 130, orun.output());
    assert.equal(await readFile(path.join(ws, "REPORT_DONE"), "utf8"), "finished\n");
    assert.equal(await readFile(path.join(ws, "NEXT5"), "utf8"), "report=success\n");
  });

  it("an always() step after the cancel keeps its own timeout; the next always() step still runs within the grace", async (t) => {
    const name = "cancel-timeout";
    await writePlan(name, [
      { id: "long", run: "touch STARTED3; sleep 30" },
      { id: "slow", if: "always()", run: "sleep 60", timeout: "1s" },
      { id: "next", if: "always()", run: 'echo "slow=${{ steps.slow.outcome }}" > NEXT_RAN' },
    ]);
    const orun = startOrun(["run", `${name}.json`, "--gha", "--exec-id", name], ws, { ...env(), ORUN_GHA_CANCEL_GRACE: "30s" });
    t.after(() => killGroup(orun.pid));
    await until(() => existsSync(path.join(ws, "STARTED3")), "the long step to start");
    const started = Date.now();
    process.kill(orun.pid, "SIGINT");
    assert.equal(await orun.exited, 130, orun.output());
    assert.ok(Date.now() - started < 15_000, "the slow step's 1s timeout stopped it, not the 30s grace");
    assert.equal(await readFile(path.join(ws, "NEXT_RAN"), "utf8"), "slow=failure\n");
    const state = JSON.parse(await readFile(path.join(ws, ".orun/executions", name, "state.json"), "utf8")) as { jobs: Record<string, { steps: Record<string, string> }> };
    assert.deepEqual(state.jobs["app@dev.cancel-timeout"]!.steps, { long: "failed", slow: "failed", next: "completed" });
  });

  it("a hung always() step after the cancel is stopped when the grace period ends; orun exits and leaves no process behind", async (t) => {
    const name = "cancel-hung";
    await writePlan(name, [
      { id: "long", run: "touch STARTED2; sleep 30" },
      { id: "hang", if: "always()", run: "echo $$ > HANG_PID; sleep 60" },
      { id: "after", if: "always()", run: "touch AFTER_RAN" },
    ]);
    const started = Date.now();
    const orun = startOrun(["run", `${name}.json`, "--gha", "--exec-id", name], ws, { ...env(), ORUN_GHA_CANCEL_GRACE: "2s" });
    t.after(() => killGroup(orun.pid));
    await until(() => existsSync(path.join(ws, "STARTED2")), "the long step to start");
    process.kill(orun.pid, "SIGINT");
    await until(() => existsSync(path.join(ws, "HANG_PID")), "the always() step to start after the cancel");
    const hangPid = Number((await readFile(path.join(ws, "HANG_PID"), "utf8")).trim());
    t.after(() => killGroup(hangPid));
    assert.equal(await orun.exited, 130, orun.output());
    assert.ok(Date.now() - started < 20_000, "bounded by the grace period, not the step's sleep 60");
    await until(() => processGone(hangPid), "the hung step to be stopped", 15_000);
    assert.ok(!existsSync(path.join(ws, "AFTER_RAN")), "steps left when the grace is over are not started");
    // What did not run is said in the record (the job's own error is the cancel).
    const store = new ExecutionStore(ws);
    assert.match(await readFile(store.stepLogFile(name, "app@dev.cancel-hung", "after"), "utf8"), /not run after the cancel: the grace period \(2s\) is over/);
  });
});
