// github-actions review 15 findings: a step's time limits and its pre, failure() after a cancel, with.args
// quoting, user keys such as __proto__, messages. Real processes in real temp folders.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { PlanStep } from "../../../src/model/plan.js";
import type { JobContext } from "../../../src/runners/runner.js";
import { splitArgs } from "../../../src/runners/github-actions/docker-action.js";
import { cancelGraceMs, checkGithubActionsSettings } from "../../../src/runners/github-actions/settings.js";
import { TEST_IMAGE, provideContainerEngine } from "../../support/container-engine.js";
import { makeHarness, makeJob, runJob, writeLocalAction, type Harness } from "./helpers.js";

const availability = await provideContainerEngine();

const MAIN_ONLY = "name: main-only\nruns:\n  using: node20\n  main: main.cjs\n";
const WITH_PRE = "name: with-pre\nruns:\n  using: node20\n  pre: pre.cjs\n  main: main.cjs\n";
const say = (what: string): string => `console.log(${JSON.stringify(what)});\n`;

describe("github-actions runner: a use: step's timeout and the pre at job start", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("timeout-minutes over an earlier step's output: an action without a pre does not fail the job at start, and the limit holds for its main", async () => {
    const use = await writeLocalAction(h, "acts/main-only", MAIN_ONLY, { "main.cjs": say("main-ran") });
    const r = await runJob(
      h,
      makeJob("app@dev.late-timeout", [
        { id: "cfg", run: 'echo "t=0.01" >> "$GITHUB_OUTPUT"' },
        { id: "act", use, "timeout-minutes": "${{ steps.cfg.outputs.t }}" } as Partial<PlanStep>,
      ]),
    );
    assert.deepEqual(r.steps.map((s) => s.error), [undefined, undefined]);
    assert.match(r.steps[1]!.output, /main-ran/);
  });

  it("an invalid timeout-minutes or orun timeout fails only its own step, when it runs (the earlier step runs; the pre runs unlimited)", async () => {
    const use = await writeLocalAction(h, "acts/with-pre", WITH_PRE, { "pre.cjs": say("pre-ran"), "main.cjs": say("main-ran") });
    const minutes = await runJob(h, makeJob("app@dev.bad-minutes", [{ id: "first", run: "echo first-ran" }, { id: "act", use, "timeout-minutes": "abc" } as Partial<PlanStep>]));
    assert.equal(minutes.steps[0]!.output, "first-ran");
    assert.equal(minutes.steps[1]!.error, 'step act: timeout-minutes: "abc" must be a positive number of minutes');
    assert.match(minutes.steps[1]!.output, /Pre act\npre-ran/);
  });
});

/** A job context whose cancel the test triggers, driven step by step like the scheduler. */
function cancellable(h: Harness, job: ReturnType<typeof makeJob>): { ctx: JobContext; cancel: () => void } {
  const controller = new AbortController();
  return { ctx: { run: h.run, job, jobDir: h.workspace, signal: controller.signal }, cancel: () => controller.abort() };
}

describe("github-actions runner: failure() after a cancel", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("a job failed, then cancelled: failure() is false from then on (job.status cancelled), so if: failure() steps and post-if: failure() do not run", async () => {
    const use = await writeLocalAction(h, "acts/post-on-failure", "name: pof\nruns:\n  using: node20\n  main: main.cjs\n  post: post.cjs\n  post-if: failure()\n", {
      "main.cjs": say("main"),
      "post.cjs": say("post-on-failure-ran"),
    });
    const job = makeJob("app@dev.fail-then-cancel", [
      { id: "hooked", use },
      { id: "s1", run: "exit 1" },
      { id: "s3", if: "failure()", run: "echo s3-ran" },
      { id: "s4", if: "always()", run: "echo status=${{ job.status }}" },
    ] as Partial<PlanStep>[]);
    const { ctx, cancel } = cancellable(h, job);
    await h.runner.startJob(ctx);
    const step = (i: number) => h.runner.runStep({ job: ctx, step: job.steps[i]!, stepKey: job.steps[i]!.id, cwd: h.workspace, env: {}, signal: ctx.signal, onOutput: () => undefined });
    assert.equal((await step(0)).error, undefined);
    assert.ok((await step(1)).error);
    cancel();
    const s3 = await step(2);
    const s4 = await step(3);
    const finish = await h.runner.finishJob(ctx, { failed: true });
    assert.equal(s3.skipped, true, "if: failure() after the cancel");
    assert.equal(s4.output, "status=cancelled");
    assert.doesNotMatch(finish?.output ?? "", /post-on-failure-ran/);
  });

  it("a pre stopped by the cancel is no failure: an if: failure() step does not run, an if: cancelled() one does", async () => {
    const use = await writeLocalAction(h, "acts/slow-pre", WITH_PRE, {
      "pre.cjs": `require("node:fs").writeFileSync(process.env.PRE_STARTED, "");\nsetTimeout(() => {}, 30000);\n`,
      "main.cjs": say("main"),
    });
    const started = path.join(h.scratch, "pre-started");
    const job = makeJob("app@dev.cancel-in-pre", [
      { id: "act", use, env: { PRE_STARTED: started } },
      { id: "on-failure", if: "failure()", run: "echo failure-ran" },
      { id: "on-cancel", if: "cancelled()", run: "echo cancelled-ran" },
    ] as Partial<PlanStep>[]);
    const { ctx, cancel } = cancellable(h, job);
    const starting = h.runner.startJob(ctx).then(
      () => undefined,
      (err: unknown) => err,
    );
    for (let i = 0; i < 200 && !(await readFile(started).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
    cancel();
    assert.match(String(await starting), /pre of step act/);
    const step = (i: number) => h.runner.runStep({ job: ctx, step: job.steps[i]!, stepKey: job.steps[i]!.id, cwd: h.workspace, env: {}, signal: ctx.signal, onOutput: () => undefined });
    const onFailure = await step(1);
    const onCancel = await step(2);
    await h.runner.finishJob(ctx, { failed: true });
    assert.equal(onFailure.skipped, true);
    assert.equal(onCancel.output, "cancelled-ran");
  });
});

describe("github-actions runner: with.args split as GitHub's runner splits it (.NET command-line rules)", () => {
  it("double quotes group words, a backslash-escaped quote is a quote, two quotes inside quotes are one, backslashes elsewhere are literal, single quotes are ordinary", () => {
    assert.deepEqual(splitArgs('sh -c "echo a b; echo c"'), ["sh", "-c", "echo a b; echo c"]);
    assert.deepEqual(splitArgs('say "he said \\"hi\\"" x'), ["say", 'he said "hi"', "x"]);
    assert.deepEqual(splitArgs('"a ""b"" c"'), ['a "b" c']);
    assert.deepEqual(splitArgs('C:\\dir\\ "tail\\\\" end'), ["C:\\dir\\", "tail\\", "end"]);
    assert.deepEqual(splitArgs("echo 'a b'"), ["echo", "'a", "b'"]);
    assert.deepEqual(splitArgs('x "" y'), ["x", "", "y"]);
    assert.deepEqual(splitArgs("  one\ttwo\nthree\n"), ["one", "two", "three"]);
    assert.deepEqual(splitArgs(["a b", 1]), ["a b", "1"]);
  });

  describe("on a real engine", { skip: availability.skip }, () => {
    let h: Harness;
    before(async () => {
      h = await makeHarness({ hostEnv: availability.engine!.env });
    });
    after(async () => h.dispose());

    it("a container action without runs.args and a docker:// step get sh, -c and the quoted script as one argument; a list stays as it is", async () => {
      const bare = await writeLocalAction(h, "acts/bare-container", `name: bare\nruns:\n  using: docker\n  image: docker://${TEST_IMAGE}\n`);
      const r = await runJob(
        h,
        makeJob("web@dev.quoted-args", [
          { id: "action", use: bare, with: { args: 'sh -c "echo a  b; echo c"' } },
          { id: "image", use: `docker://${TEST_IMAGE}`, with: { args: `sh -c "printf '%s|' \\"a  b\\" c"` } },
          { id: "list", use: bare, with: { args: ["sh", "-c", "echo ${{ github.job }} 'x  y'"] } } as unknown as Partial<PlanStep>,
        ]),
        { stopOnFailure: false },
      );
      assert.deepEqual(
        r.steps.map((s) => [s.error, s.output]),
        [
          [undefined, "a b\nc"],
          [undefined, "a  b|c|"],
          [undefined, "web@dev.quoted-args x  y"],
        ],
      );
    });
  });
});

describe("github-actions runner: settings checked before a run's record is made", () => {
  it("job keys are refused naming the plan the CLI names; no-op values pass", () => {
    const job = (keys: Record<string, unknown>) => Object.assign(makeJob("app@dev.keys", [{ id: "s", run: "true" }]), keys);
    assert.throws(() => checkGithubActionsSettings([job({ services: { db: { image: "postgres" } } })], {}, {}, "plan ci/plan.json"), {
      message: /^job app@dev\.keys: "services" is not supported by the github-actions runner: .* \(in plan ci\/plan\.json\)$/,
    });
    assert.doesNotThrow(() => checkGithubActionsSettings([job({ container: "", services: {}, if: "true", "continue-on-error": "${{ false }}" })], {}, {}));
  });

  it("the cancel grace names where a bad value came from", () => {
    assert.equal(cancelGraceMs({}, {}), 60_000);
    assert.equal(cancelGraceMs({}, { ORUN_GHA_CANCEL_GRACE: "1m30s" }), 90_000);
    assert.throws(() => cancelGraceMs({}, { ORUN_GHA_CANCEL_GRACE: "banana" }), /ORUN_GHA_CANCEL_GRACE: invalid duration "banana"/);
    assert.throws(() => cancelGraceMs({ postGrace: "soon" }, {}), /invalid post grace "soon"/);
  });
});

describe("github-actions runner: a broken if: or run: names its field", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("if: of a mapping says so; a broken if:, run:, shell: or working-directory: expression is named like env.* and with.*", async () => {
    const r = await runJob(
      h,
      makeJob("app@dev.fields", [
        { id: "mapping", if: { a: 1 }, run: "echo ran" },
        { id: "cond", if: "${{ github.ref == }}", run: "echo ran" },
        { id: "script", run: "echo ${{ nosuch( }}" },
        { id: "shell", shell: "${{ 1 == }}", run: "echo ran" },
        { id: "wd", "working-directory": "${{ 1 == }}", run: "echo ran" },
      ] as unknown as Partial<PlanStep>[]),
      { stopOnFailure: false },
    );
    assert.deepEqual(
      r.steps.map((s) => s.error),
      [
        "if: must be an expression (text) or true/false, got a mapping",
        "if: invalid expression ${{ github.ref == }}: Unexpected end of expression: '=='",
        "run: invalid expression ${{ nosuch( }}: Unexpected end of expression: '('",
        "shell: invalid expression ${{ 1 == }}: Unexpected end of expression: '=='",
        "working-directory: invalid expression ${{ 1 == }}: Unexpected end of expression: '=='",
      ],
    );
  });
});
