// End to end through the built CLI (`orun run --gha`, a real process): the
// github-actions runner's behaviour where it must match GitHub's own runner —
// workflow commands as GitHub parses them, and what reaches the record.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PlanStep } from "../../../src/model/plan.js";
import { runOrun } from "../../support/cli.js";
import { makeHarness, makeJob, makePlan, runJob, tempDir } from "./helpers.js";

describe("orun run --gha: GitHub runner parity", () => {
  let ws: string;
  let cache: string;
  before(async () => {
    ws = await tempDir("audit-ws");
    cache = await tempDir("audit-cache");
  });
  after(async () => {
    await rm(ws, { recursive: true, force: true });
    await rm(cache, { recursive: true, force: true });
  });
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ORUN_ACTIONS_CACHE: cache, GITHUB_ACTIONS: "", ORUN_RUNNER: "", GITHUB_TOKEN: "", ...extra });

  /** Writes `<name>-plan.json` with one job `app@dev.<name>` working in `<ws>/<name>` (returned). */
  async function writePlan(name: string, steps: Partial<PlanStep>[]): Promise<string> {
    const job = makeJob(`app@dev.${name}`, steps);
    job.path = name;
    await mkdir(path.join(ws, name), { recursive: true });
    await writeFile(path.join(ws, `${name}-plan.json`), JSON.stringify(makePlan([job])));
    return path.join(ws, name);
  }

  async function recordText(execId: string): Promise<string> {
    const logs = path.join(ws, ".orun", "executions", execId, "logs");
    let text = "";
    for (const dir of await readdir(logs)) for (const file of await readdir(path.join(logs, dir))) text += await readFile(path.join(logs, dir, file), "utf8");
    return text;
  }

  it("after a failed step, runs the steps whose if: asks for it (always(), failure()) and skips the rest, as GitHub does", async () => {
    const dir = await writePlan("after-failure", [
      { id: "fails", run: "exit 3" },
      { id: "plain", run: "touch PLAIN" },
      { id: "always", run: "touch ALWAYS", if: "always()" } as Partial<PlanStep>,
      { id: "on-failure", run: "touch FAILURE", if: "${{ failure() }}" } as Partial<PlanStep>,
      { id: "on-success", run: "touch SUCCESS", if: "success()" } as Partial<PlanStep>,
    ]);
    const r = await runOrun(["run", "after-failure-plan.json", "--gha", "--exec-id", "after-failure-1", "--json"], { cwd: ws, env: env(), timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    for (const file of ["ALWAYS", "FAILURE"]) assert.ok(existsSync(path.join(dir, file)), `${file} must exist`);
    for (const file of ["PLAIN", "SUCCESS"]) assert.ok(!existsSync(path.join(dir, file)), `${file} must not exist`);
    const state = JSON.parse(await readFile(path.join(ws, ".orun/executions/after-failure-1/state.json"), "utf8")) as { jobs: Record<string, { status: string; lastError?: string }> };
    const job = Object.values(state.jobs)[0]!;
    assert.equal(job.status, "failed");
    assert.match(job.lastError ?? "", /^step fails: exit status 3/);
  });

  it("honours a step's timeout-minutes (a number or an expression) and refuses a value that is not a positive number, naming the field", async () => {
    const dir = await writePlan("timeouts", [
      { id: "slow", run: "touch STARTED; sleep 20; touch FINISHED", "timeout-minutes": 0.01, onFailure: "continue" } as Partial<PlanStep>,
      { id: "by-expression", run: "sleep 20; touch FINISHED2", "timeout-minutes": "${{ 0.01 }}", onFailure: "continue" } as Partial<PlanStep>,
      { id: "bad", run: "touch BAD_RAN", "timeout-minutes": "soon" } as Partial<PlanStep>,
    ]);
    const r = await runOrun(["run", "timeouts-plan.json", "--gha", "--exec-id", "timeouts-1"], { cwd: ws, env: env(), timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const out = r.stdout + r.stderr;
    assert.match(out, /slow[^\n]*timed out after 600ms/);
    assert.match(out, /by-expression[^\n]*timed out after 600ms/);
    assert.match(out, /timeout-minutes: "soon" must be a positive number of minutes/);
    assert.ok(existsSync(path.join(dir, "STARTED")));
    for (const file of ["FINISHED", "FINISHED2", "BAD_RAN"]) assert.ok(!existsSync(path.join(dir, file)), `${file} must not exist`);
  });

  it("never hands a step the outer GitHub step's GITHUB_ACTION_PATH/REPOSITORY/REF (orun run from inside an action)", async () => {
    const dir = await writePlan("outer", [
      { id: "show", run: 'echo "path=[$GITHUB_ACTION_PATH] repo=[$GITHUB_ACTION_REPOSITORY] ref=[$GITHUB_ACTION_REF] action=[$GITHUB_ACTION]" > OUT' },
    ]);
    const outer = { GITHUB_ACTION_PATH: "/outer/action", GITHUB_ACTION_REPOSITORY: "outer/orun-action", GITHUB_ACTION_REF: "v9", GITHUB_ACTION: "__outer" };
    const r = await runOrun(["run", "outer-plan.json", "--gha"], { cwd: ws, env: env(outer), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await readFile(path.join(dir, "OUT"), "utf8"), "path=[] repo=[] ref=[] action=[__run]\n");
  });

  it("reads workflow commands as GitHub does: indented add-mask hides the value, unknown ::names:: print as written, only %25/%0D/%0A decode", async () => {
    const dir = await writePlan("commands", [
      {
        id: "emit",
        run: [
          "echo '  ::add-mask::indented-secret-77'",
          "echo 'token indented-secret-77'",
          "echo '::std::vector<int> v;'",
          "echo '::set-output name=url::https://x.test/a%2Fb?q=1%2C2%25'",
          "echo '::SET-OUTPUT NAME=upper::yes'",
        ].join("\n"),
      },
      { id: "use", run: 'printf "%s|%s" "${{ steps.emit.outputs.url }}" "${{ steps.emit.outputs.upper }}" > OUT' },
    ]);
    const r = await runOrun(["run", "commands-plan.json", "--gha", "--verbose", "--exec-id", "commands-1"], { cwd: ws, env: env(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await readFile(path.join(dir, "OUT"), "utf8"), "https://x.test/a%2Fb?q=1%2C2%|yes");
    const record = await recordText("commands-1");
    for (const text of [r.stdout + r.stderr, record]) {
      assert.doesNotMatch(text, /indented-secret-77/);
      assert.match(text, /token \*\*\*/);
      assert.match(text, /::std::vector<int> v;/);
    }
  });
});

describe("github-actions runner: steps after a failure", () => {
  it("asks to run a step whose if: calls a status function after a failure, and then runs or skips it by that if:", async () => {
    const h = await makeHarness();
    try {
      const ask = (value: unknown): boolean => h.runner.runsAfterFailure({ id: "s", phase: "main", run: "true", if: value } as PlanStep);
      for (const yes of ["always()", "${{ failure() }}", "!cancelled()", "success() || failure()", " ${{ always() && github.job != '' }} "]) assert.equal(ask(yes), true, yes);
      for (const no of [undefined, true, "github.job != ''", "${{ github.job }} == 'x'", "'always()'"]) assert.equal(ask(no), false, String(no));
      // The job as the runtime runs it once runsAfterFailure says yes: each if: decides.
      const job = makeJob("app@dev.after", [
        { id: "build", run: "echo building; exit 3" },
        { id: "on-failure", if: "failure()", run: 'echo "failed=${{ steps.build.outcome }}" > FAILURE_RAN' },
        { id: "only-success", if: "success()", run: "touch SUCCESS_RAN" },
        { id: "always", if: "${{ always() }}", run: 'echo "${{ job.status }}" > ALWAYS_RAN' },
      ] as Partial<PlanStep>[]);
      const r = await runJob(h, job, { stopOnFailure: false });
      assert.match(r.steps[0]!.error ?? "", /exit status 3/);
      assert.equal(await readFile(path.join(h.workspace, "FAILURE_RAN"), "utf8"), "failed=failure\n");
      assert.equal(r.steps[2]!.skipped, true);
      assert.ok(!existsSync(path.join(h.workspace, "SUCCESS_RAN")));
      assert.equal(await readFile(path.join(h.workspace, "ALWAYS_RAN"), "utf8"), "failure\n");
    } finally {
      await h.dispose();
    }
  });
});
