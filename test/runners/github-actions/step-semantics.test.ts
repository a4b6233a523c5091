// Step semantics the way GitHub's runner has them: implicit `success()` for
// steps without `if:`, the final result of a retried step, continue-on-error
// expressions, post hooks after a cancel. Actions are written into a real
// temp workspace; the runner runs them as real processes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PlanStep } from "../../../src/model/plan.js";
import { ExecutionStore } from "../../../src/runtime/records/store.js";
import { spawn } from "node:child_process";
import { ORUN_BIN, runOrun } from "../../support/cli.js";
import { groupAlive, until } from "../../support/wait.js";
import { makeHarness, makeJob, makePlan, runJob, tempDir, writeLocalAction, type Harness } from "./helpers.js";

/** Writes `<workspace>/<dir>/action.yml` (and any extra files) and returns `./<dir>`. */
describe("github-actions runner: step conditions and results", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("skips composite steps without if: after a failing child (implicit success()), runs always()/failure() ones", async () => {
    const use = await writeLocalAction(
      h,
      "acts/deploy",
      `name: deploy
runs:
  using: composite
  steps:
    - run: echo building; exit 1
      shell: bash
    - run: touch DEPLOYED
      shell: bash
    - if: success()
      run: touch EXPLICIT_SUCCESS
      shell: bash
    - if: failure()
      run: echo "status=\${{ job.status }}" > RECOVERED
      shell: bash
    - if: \${{ always() }}
      run: touch ALWAYS
      shell: bash
`,
    );
    const outer = await writeLocalAction(
      h,
      "acts/outer",
      `name: outer
runs:
  using: composite
  steps:
    - uses: ${use}
    - run: touch OUTER_NEXT
      shell: bash
`,
    );
    const jobDir = path.join(h.workspace, "deploy-job");
    const r = await runJob(h, makeJob("web@dev.deploy", [{ id: "d", use }]), { jobDir });
    assert.match(r.steps[0].error ?? "", /^deploy › step 1: exit status 1$/);
    assert.equal(r.steps[0].exitCode, 1);
    assert.ok(!existsSync(path.join(jobDir, "DEPLOYED")), "a step without if: does not run after a failure");
    assert.ok(!existsSync(path.join(jobDir, "EXPLICIT_SUCCESS")));
    assert.equal(await readFile(path.join(jobDir, "RECOVERED"), "utf8"), "status=failure\n");
    assert.ok(existsSync(path.join(jobDir, "ALWAYS")));

    // Nested: the inner composite's failure stops the outer one's later steps too.
    const nestedDir = path.join(h.workspace, "nested-job");
    const n = await runJob(h, makeJob("web@dev.nested", [{ id: "o", use: outer }]), { jobDir: nestedDir });
    assert.match(n.steps[0].error ?? "", /deploy › step 1: exit status 1/);
    assert.ok(!existsSync(path.join(nestedDir, "DEPLOYED")));
    assert.ok(!existsSync(path.join(nestedDir, "OUTER_NEXT")));
    assert.ok(existsSync(path.join(nestedDir, "ALWAYS")));
  });

  it("evaluates a composite child's continue-on-error expression; a value that is not true/false fails the step naming the field", async () => {
    const use = await writeLocalAction(
      h,
      "acts/optional",
      `name: optional
inputs:
  optional:
    default: "no"
  allow:
    default: "false"
runs:
  using: composite
  steps:
    - id: risky
      run: exit 5
      shell: bash
      continue-on-error: \${{ inputs.optional == 'yes' }}
    - id: loose
      run: exit 6
      shell: bash
      continue-on-error: \${{ inputs.allow }}
    - run: echo "risky=\${{ steps.risky.outcome }}/\${{ steps.risky.conclusion }} loose=\${{ steps.loose.conclusion }}" >> TRACE
      shell: bash
`,
    );
    const jobDir = path.join(h.workspace, "optional-job");
    const r = await runJob(
      h,
      makeJob("web@dev.optional", [
        { id: "yes", use, with: { optional: "yes", allow: "True" } },
        { id: "no", use, with: { optional: "no" } },
        { id: "bad", use, with: { optional: "yes", allow: "maybe" } },
      ]),
      { jobDir, stopOnFailure: false },
    );
    assert.equal(r.steps[0].error, undefined, r.steps[0].output);
    assert.match(r.steps[0].output, /warning: step risky failed and continues \(continue-on-error\): command exited with code 5/);
    assert.match(r.steps[1].error ?? "", /optional › risky: exit status 5$/);
    assert.match(r.steps[2].error ?? "", /optional › loose: exit status 6; continue-on-error: "\$\{\{ inputs\.allow \}\}" must be true or false, got "maybe"$/);
    assert.equal(await readFile(path.join(jobDir, "TRACE"), "utf8"), "risky=failure/success loose=success\n", "only the first call got past its failing steps");
  });

  it("a composite step without id: is named in its warning as its action.yml writes it (name, else uses, and its runs.steps index), not by an internal key", async () => {
    const inner = await writeLocalAction(h, "acts/inner-fails", "name: inner\nruns:\n  using: composite\n  steps:\n    - run: exit 7\n      shell: bash\n");
    const use = await writeLocalAction(
      h,
      "acts/tolerant",
      `name: tolerant
runs:
  using: composite
  steps:
    - run: echo first
      shell: bash
    - name: Flaky check
      run: exit 3
      shell: bash
      continue-on-error: true
    - uses: ${inner}
      continue-on-error: true
    - run: exit 4
      shell: bash
      continue-on-error: true
`,
    );
    const r = await runJob(h, makeJob("web@dev.tolerant", [{ id: "main", use }]), { jobDir: h.workspace });
    assert.equal(r.steps[0].error, undefined, r.steps[0].output);
    const file = path.join(h.workspace, "acts/tolerant/action.yml");
    const warnings = r.steps[0].output.split("\n").filter((line) => line.startsWith("warning: step"));
    assert.deepEqual(warnings, [
      `warning: step "Flaky check" (${file}: runs.steps[1]) failed and continues (continue-on-error): command exited with code 3`,
      `warning: step "${inner}" (${file}: runs.steps[2]) failed and continues (continue-on-error): inner › step 1: command exited with code 7`,
      `warning: step ${file}: runs.steps[3] failed and continues (continue-on-error): command exited with code 4`,
    ], r.steps[0].output);
    assert.doesNotMatch(r.steps[0].output, /__composite-step/);
  });

  it("names each post by the step that registered it (Post <step name>, else its id; a composite's after it), so two steps of one action are told apart", async () => {
    const use = await writePostAction(h.workspace, "acts/twice", undefined, 'console.log(`post ${process.env.INPUT_TAG}`); process.exit(3);');
    const wrapper = await writeLocalAction(h, "acts/wrap-twice", `name: wrap\nruns:\n  using: composite\n  steps:\n    - uses: ${use}\n      with: { tag: inner }\n`);
    const r = await runJob(
      h,
      makeJob("web@dev.post-names", [
        { id: "build", use, with: { tag: "build" } },
        { id: "deploy", name: "Deploy it", use, with: { tag: "deploy" } },
        { id: "wrapped", use: wrapper },
      ]),
    );
    const headers = (r.finish?.output ?? "").split("\n").filter((line) => line.startsWith("▸ Post"));
    const inner = `wrapped › "${use}" (${path.join(h.workspace, "acts/wrap-twice/action.yml")}: runs.steps[0])`;
    assert.deepEqual(headers, [`▸ Post ${inner}`, "▸ Post Deploy it", "▸ Post build"], r.finish?.output);
    assert.equal(r.finish?.error, `post ${inner}: exit status 3; post Deploy it: exit status 3; post build: exit status 3`);
  });

  it("runs a job-level step without if: when the runtime runs it after a failure (onFailure: continue, post-phase clean-up)", async () => {
    const jobDir = path.join(h.workspace, "job-level");
    const guarded = { id: "guarded", if: "success()", run: "touch GUARDED" };
    const r = await runJob(
      h,
      makeJob("web@dev.joblevel", [
        { id: "fails", run: "exit 3" },
        { id: "cleanup", run: "touch CLEANED" },
        guarded,
      ]),
      { jobDir, stopOnFailure: false },
    );
    assert.equal(r.steps[0].error, "exit status 3");
    assert.equal(r.steps[1].error, undefined);
    assert.ok(existsSync(path.join(jobDir, "CLEANED")));
    assert.ok(!existsSync(path.join(jobDir, "GUARDED")), "an explicit if: success() still sees the failure");
  });
});

const APPEND_POST = "require('node:fs').appendFileSync('POSTS', `post ${process.env.INPUT_TAG} ok\\n`);";
/** Writes its pid to POST_PID, then would write POST_DONE after 30 s. */
const SLOW_POST = "const fs = require('node:fs'); fs.writeFileSync('POST_PID', String(process.pid)); setTimeout(() => fs.writeFileSync('POST_DONE', ''), 30000);";

/** A node action whose post (under `post-if`, none = GitHub's default) appends `post <tag> ok` to POSTS in the job directory. */
async function writePostAction(ws: string, dir: string, postIf: string | undefined, post = APPEND_POST): Promise<string> {
  const root = path.join(ws, dir);
  await mkdir(root, { recursive: true });
  await writeFile(
    path.join(root, "action.yml"),
    `name: ${path.basename(dir)}\ninputs:\n  tag:\n    default: x\nruns:\n  using: node20\n  main: main.cjs\n  post: post.cjs\n${postIf ? `  post-if: ${postIf}\n` : ""}`,
  );
  await writeFile(path.join(root, "main.cjs"), "console.log(`main ${process.env.INPUT_TAG}`);\n");
  await writeFile(path.join(root, "post.cjs"), `${post}\n`);
  return `./${dir}`;
}

describe("github-actions runner: post hooks after a cancel", () => {
  it("gives posts of a cancelled job a bounded grace period (postGrace), then stops them; later posts are not started", async (t) => {
    // Long enough for the post (a node process) to start and write its pid on a loaded machine; 300 ms was not.
    const h = await makeHarness({ runner: { postGrace: "3s" } });
    t.after(() => h.dispose());
    const first = await writePostAction(h.workspace, "acts/first", undefined, APPEND_POST);
    const slow = await writePostAction(h.workspace, "acts/slow", undefined, SLOW_POST);
    const jobDir = path.join(h.workspace, "grace");
    await mkdir(jobDir, { recursive: true });
    const job = makeJob("web@dev.grace", [
      { id: "first", use: first, with: { tag: "first" } },
      { id: "slow", use: slow },
    ]);
    const controller = new AbortController();
    const jobCtx = { run: h.run, job, jobDir, signal: controller.signal };
    await h.runner.startJob(jobCtx);
    for (const step of job.steps) {
      const result = await h.runner.runStep({ job: jobCtx, step, stepKey: step.id!, cwd: jobDir, env: {}, signal: controller.signal, onOutput: () => undefined });
      assert.equal(result.error, undefined, result.output);
    }
    controller.abort();
    const started = Date.now();
    const finish = await h.runner.finishJob(jobCtx, { failed: false });
    // The 3 s grace and a loaded machine's process kills, far below the slow post's 30 s.
    assert.ok(Date.now() - started < 20_000, `the grace period bounds the posts (${Date.now() - started} ms)`);
    const postPid = Number(await readFile(path.join(jobDir, "POST_PID"), "utf8"));
    t.after(() => killGroup(postPid));
    assert.ok(!groupAlive(postPid), "the slow post was stopped");
    assert.ok(finish);
    assert.match(finish.error ?? "", /^post slow: canceled; post first: not run, the job was cancelled and its posts' grace period is over$/);
    assert.match(finish.output, /▸ Post slow/);
    assert.ok(!existsSync(path.join(jobDir, "POSTS")));
  });

  it("runs no post hooks for a job handed to another runner (remote state): its clean-up is the new owner's", async (t) => {
    const { JOB_HANDED_ON } = await import("../../../src/runners/runner.js");
    const h = await makeHarness({ runner: { postGrace: "30s" } });
    t.after(() => h.dispose());
    const first = await writePostAction(h.workspace, "acts/handed", undefined, APPEND_POST);
    const jobDir = path.join(h.workspace, "handed");
    await mkdir(jobDir, { recursive: true });
    const job = makeJob("web@dev.handed", [{ id: "first", use: first, with: { tag: "first" } }]);
    const controller = new AbortController();
    const jobCtx = { run: h.run, job, jobDir, signal: controller.signal };
    await h.runner.startJob(jobCtx);
    const result = await h.runner.runStep({ job: jobCtx, step: job.steps[0]!, stepKey: "first", cwd: jobDir, env: {}, signal: controller.signal, onOutput: () => undefined });
    assert.equal(result.error, undefined, result.output);
    controller.abort(JOB_HANDED_ON);
    const started = Date.now();
    const finish = await h.runner.finishJob(jobCtx, { failed: false });
    assert.ok(Date.now() - started < 15_000, "no grace period (30 s) to wait out");
    assert.match(finish?.error ?? "", /^post first: not run, the job was handed to another runner$/);
    assert.ok(!existsSync(path.join(jobDir, "POSTS")), "the post did not run");
  });

  it("rejects an invalid postGrace", async () => {
    const { createGithubActionsRunner } = await import("../../../src/runners/github-actions/index.js");
    assert.throws(() => createGithubActionsRunner({ postGrace: "soon" }), /invalid post grace "soon"/);
  });
});

/** Starts `orun` (the built binary) without waiting for it, so a test can signal it. */
function startOrun(args: string[], cwd: string, env: NodeJS.ProcessEnv): { pid: number; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [ORUN_BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: "ignore", detached: true });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { pid: child.pid!, exited };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Writes `<name>-plan.json`: one job `app@dev.<name>` working in `<ws>/<name>` (returned). */
async function writePlan(ws: string, name: string, steps: Partial<PlanStep>[]): Promise<string> {
  const job = makeJob(`app@dev.${name}`, steps);
  job.path = name;
  await mkdir(path.join(ws, name), { recursive: true });
  await writeFile(path.join(ws, `${name}-plan.json`), JSON.stringify(makePlan([job])));
  return path.join(ws, name);
}

describe("orun run --gha: step results across retries, cancels and the record", () => {
  let ws: string;
  let cache: string;
  before(async () => {
    ws = await tempDir("semantics-ws");
    cache = await tempDir("semantics-cache");
  });
  after(async () => {
    await rm(ws, { recursive: true, force: true });
    await rm(cache, { recursive: true, force: true });
  });
  const env = (): NodeJS.ProcessEnv => ({ ORUN_ACTIONS_CACHE: cache, GITHUB_ACTIONS: "", ORUN_RUNNER: "", GITHUB_TOKEN: "" });

  it("a step that succeeds on retry counts as succeeded: failure() steps skip, job.status is success, post-if: success() posts run", async () => {
    const save = await writePostAction(ws, "acts/save", "success()");
    const flaky = 'n=$(cat COUNT 2>/dev/null || echo 0); n=$((n+1)); echo $n > COUNT; echo "attempt $n"; [ "$n" -ge 2 ]';
    const onFailure = { id: "on-failure", if: "failure()", run: "touch FAILURE_RAN" };
    const dir = await writePlan(ws, "retry", [
      { id: "cache", use: save, with: { tag: "cache" } },
      { id: "flaky", run: flaky, retry: 1 },
      onFailure,
      { id: "status", run: 'echo "${{ job.status }}" > STATUS' },
    ]);
    const r = await runOrun(["run", "retry-plan.json", "--gha", "--exec-id", "retry-1"], { cwd: ws, env: env(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await readFile(path.join(dir, "COUNT"), "utf8"), "2\n");
    assert.ok(!existsSync(path.join(dir, "FAILURE_RAN")), "if: failure() is false once the retry succeeded");
    assert.equal(await readFile(path.join(dir, "STATUS"), "utf8"), "success\n");
    assert.equal(await readFile(path.join(dir, "POSTS"), "utf8"), "post cache ok\n", "the post-if: success() post ran");
  });
  it("records and shows a job-level step skipped by its if: as skipped, not completed", async () => {
    const ghost = { id: "ghost", if: "false", run: "touch GHOST" };
    const recover = { id: "recover", if: "${{ failure() }}", run: "touch RECOVER" };
    const dir = await writePlan(ws, "skips", [{ id: "first", run: "echo one" }, ghost, recover, { id: "last", run: "echo last" }]);
    const r = await runOrun(["run", "skips-plan.json", "--gha", "--verbose", "--exec-id", "skips-1"], { cwd: ws, env: env(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(!existsSync(path.join(dir, "GHOST")) && !existsSync(path.join(dir, "RECOVER")));
    const state = JSON.parse(await readFile(new ExecutionStore(ws).stateFile("skips-1"), "utf8")) as { jobs: Record<string, { status: string; steps: Record<string, string> }> };
    assert.deepEqual(state.jobs["app@dev.skips"], { ...state.jobs["app@dev.skips"], status: "completed", steps: { first: "completed", ghost: "skipped", recover: "skipped", last: "completed" } });
    assert.match(r.stdout, /↷ \S+ › ghost {2}skipped/);
    assert.match(r.stdout, /↷ \S+ › recover {2}skipped/);
    assert.match(r.stdout, /✓ \S+ › first /);
    assert.doesNotMatch(r.stdout, /✓ \S+ › (ghost|recover)/);
  });

  it("shows post hooks' output under --verbose when the job succeeds (the post-job logs block)", async () => {
    const greet = await writePostAction(ws, "acts/greet-post", undefined, "console.log(`post says ${process.env.INPUT_TAG}`);");
    await writePlan(ws, "verbose", [{ id: "greet", use: greet, with: { tag: "bye" } }]);
    const verbose = await runOrun(["run", "verbose-plan.json", "--gha", "--verbose"], { cwd: ws, env: env(), timeoutMs: 60_000 });
    assert.equal(verbose.code, 0, verbose.stdout + verbose.stderr);
    assert.match(verbose.stdout, /✓ \S+ › greet [^\n]*\n\s+● \S+ › post-job logs\n\s+│ \S+ › ▸ Post greet\n\s+│ \S+ › post says bye\n\s+✓ app·dev\/verbose/);
    const quiet = await runOrun(["run", "verbose-plan.json", "--gha"], { cwd: ws, env: env(), timeoutMs: 60_000 });
    assert.equal(quiet.code, 0, quiet.stdout + quiet.stderr);
    assert.doesNotMatch(quiet.stdout, /post says|post-job logs/, "without --verbose a successful job's post output stays in the record");
  });

  it("runs post hooks after Ctrl-C: post-if default always() and cancelled() posts run, success() ones do not", async () => {
    const always = await writePostAction(ws, "acts/always", undefined);
    const save = await writePostAction(ws, "acts/save-cancel", "success()");
    const onCancel = await writePostAction(ws, "acts/on-cancel", "cancelled()");
    const dir = await writePlan(ws, "cancel", [
      { id: "always", use: always, with: { tag: "always" } },
      { id: "save", use: save, with: { tag: "save" } },
      { id: "on-cancel", use: onCancel, with: { tag: "cancel" } },
      { id: "wait", run: "touch STARTED; sleep 30" },
    ]);
    const orun = startOrun(["run", "cancel-plan.json", "--gha", "--exec-id", "cancel-1"], ws, env());
    await until(() => existsSync(path.join(dir, "STARTED")), "the long step to start");
    process.kill(orun.pid, "SIGINT");
    assert.equal(await orun.exited, 130);
    assert.equal(await readFile(path.join(dir, "POSTS"), "utf8"), "post cancel ok\npost always ok\n", "last registered first; the success() post skipped");
    const finish = await readFile(new ExecutionStore(ws).jobFinishFile("cancel-1", "app@dev.cancel"), "utf8");
    assert.match(finish, /▸ Post on-cancel\n▸ Post always/);
  });

  it("a second Ctrl-C stops a post hook still running after the first", async (t) => {
    const slow = await writePostAction(ws, "acts/slow-post", undefined, SLOW_POST);
    const dir = await writePlan(ws, "twice", [
      { id: "slow", use: slow },
      { id: "wait", run: "touch STARTED; sleep 30" },
    ]);
    const orun = startOrun(["run", "twice-plan.json", "--gha", "--exec-id", "twice-1"], ws, env());
    t.after(() => killGroup(orun.pid));
    await until(() => existsSync(path.join(dir, "STARTED")), "the long step to start");
    process.kill(orun.pid, "SIGINT");
    await until(() => existsSync(path.join(dir, "POST_PID")), "the post hook to start after the cancel");
    const postPid = Number(await readFile(path.join(dir, "POST_PID"), "utf8"));
    t.after(() => killGroup(postPid));
    assert.ok(groupAlive(postPid), "the post is running");
    process.kill(orun.pid, "SIGINT");
    assert.equal(await orun.exited, 130);
    await until(() => !groupAlive(postPid), "the post hook to be stopped", 15_000);
    assert.ok(!existsSync(path.join(dir, "POST_DONE")));
  });
});
