// `orun logs` shows every step that failed, labelled with its own outcome, in the order the steps ran: a step
// that failed without printing anything gets its own entry (with the job's error only when that error names
// it), the failure that stopped a job is not hidden by a later failing clean-up step, a job's own error (start,
// finalizer) is shown once, and the job finish log is labelled by how the finalizer ended. Plain output,
// --failed, --job, --step, --raw and --follow agree. Real orun processes (local runner and --gha), real records.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { PlanStep } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { until } from "../support/wait.js";
import { planDir, recordFile } from "../runtime/helpers.js";
import { ghaEnv, makeJob, makePlan, startOrun, tempDir } from "../runners/github-actions/helpers.js";

type Step = Partial<PlanStep> & { if?: string };

/** The `── job › step  (status…)` headers of `orun logs` output, in order. */
const headers = (stdout: string): string[] => [...stdout.matchAll(/^── (.*)$/gm)].map((m) => m[1]!);

it("a step that failed silently is shown with its error, before the failing post step that followed it (local runner)", async (t) => {
  const dir = await planDir(t, [
    {
      id: "app@dev.b",
      steps: [
        { id: "first", run: "echo one" },
        { id: "quiet", run: "exit 3" },
        { id: "report", run: "echo reporting; exit 4", phase: "post" },
      ],
    },
  ]);
  const run = await runOrun(["run", "plan.json", "--exec-id", "b"], { cwd: dir });
  assert.equal(run.code, 1);
  assert.match(run.stdout, /error command exited with code 3\n/);
  const quiet = "── app@dev.b › quiet  (failed, no output)\nerror: step quiet: command exited with code 3\n";
  const all = await runOrun(["logs"], { cwd: dir });
  assert.equal(all.stdout, `── app@dev.b › first  (completed)\none\n${quiet}── app@dev.b › report  (failed)\nreporting\n`);
  assert.equal((await runOrun(["logs", "--job", "app@dev.b"], { cwd: dir })).stdout, all.stdout);
  assert.equal((await runOrun(["logs", "--failed"], { cwd: dir })).stdout, `${quiet}── app@dev.b › report  (failed)\nreporting\n`);
  assert.equal((await runOrun(["logs", "--step", "quiet"], { cwd: dir })).stdout, quiet);
  const follow = await runOrun(["logs", "--follow"], { cwd: dir });
  assert.equal(follow.stdout, all.stdout, "a finished run followed reads as `orun logs` prints it, statuses included");
  const raw = await runOrun(["logs", "--raw"], { cwd: dir });
  assert.equal(raw.stdout, "one\nreporting\n");
  assert.equal(raw.stderr, "app@dev.b › quiet: error: step quiet: command exited with code 3\n");
});

it("--follow of a running job shows a silent failure as it happens, and its error once the job records it", async (t) => {
  const dir = await planDir(t, [
    {
      id: "app@dev.b",
      steps: [
        { id: "quiet", run: "exit 3" },
        { id: "report", run: "echo reporting; while [ ! -f GO ]; do sleep 0.02; done", phase: "post" },
      ],
    },
  ]);
  const run = startOrun(["run", "plan.json", "--exec-id", "live"], dir, {});
  t.after(() => run.kill());
  // Followed from when the record shows quiet failed (its error comes with the job's end) and report under way.
  const quietFailed = async (): Promise<boolean> => (await readFile(recordFile(dir, "live", "state.json"), "utf8").catch(() => "")).includes('"quiet": "failed"');
  await until(async () => existsSync(recordFile(dir, "live", "logs/app@dev.b/report.log")) && (await quietFailed()), "quiet failed and report's log");
  const follow = startOrun(["logs", "--exec-id", "live", "--follow"], dir, {});
  t.after(() => follow.kill());
  await until(() => follow.output().includes("reporting\n"), "the follower to show report's output");
  await writeFile(path.join(dir, "GO"), "");
  assert.equal(await run.exited, 1, run.output());
  assert.equal(await follow.exited, 1, follow.output());
  assert.equal(
    follow.output(),
    "── app@dev.b › quiet  (failed, no output)\n── app@dev.b › report\nreporting\n── app@dev.b › quiet  (failed, no output)\nerror: step quiet: command exited with code 3\n",
  );
});

it("without the record's plan, a silent failure follows the job's logs (it has no time of its own)", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.b", steps: [{ id: "quiet", run: "exit 3" }, { id: "report", run: "echo reporting", phase: "post" }] }]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "np"], { cwd: dir })).code, 1);
  await rm(recordFile(dir, "np", "manifest.json"));
  assert.deepEqual(headers((await runOrun(["logs"], { cwd: dir })).stdout), ["app@dev.b › report  (completed)", "app@dev.b › quiet  (failed, no output)"]);
});

describe("orun logs after orun run --gha (steps that run after a failure)", () => {
  let ws: string;
  const env = (): NodeJS.ProcessEnv => ghaEnv(ws);
  before(async () => {
    ws = await tempDir("fixlogs15");
    // A node action whose post hook fails when asked to.
    await mkdir(path.join(ws, "acts/posty"), { recursive: true });
    await writeFile(path.join(ws, "acts/posty/action.yml"), "name: posty\ninputs:\n  fail: { default: 'no' }\nruns:\n  using: node20\n  main: main.cjs\n  post: post.cjs\n  post-if: always()\n");
    await writeFile(path.join(ws, "acts/posty/main.cjs"), 'console.log("main ran");\n');
    await writeFile(path.join(ws, "acts/posty/post.cjs"), 'console.log("post ran");\nif (process.env.INPUT_FAIL === "yes") process.exit(7);\n');
  });
  after(async () => rm(ws, { recursive: true, force: true }));

  async function run(name: string, steps: Step[]): Promise<void> {
    await writeFile(path.join(ws, `${name}.json`), JSON.stringify(makePlan([makeJob(`app@dev.${name}`, steps)], name)));
    const r = await runOrun(["run", `${name}.json`, "--gha", "--exec-id", name], { cwd: ws, env: env() });
    assert.equal(r.code, 1, r.stdout + r.stderr);
  }
  const logs = (...args: string[]): ReturnType<typeof runOrun> => runOrun(["logs", ...args], { cwd: ws, env: env() });

  it("five silent always() steps: five entries in run order, the recorded error only under the step it names", async () => {
    // Declared (and run) w, u, i, e, d: the reverse of their names' order.
    await run(
      "five",
      ["w", "u", "i", "e", "d"].map((id, n) => ({ id, if: "always()", run: `exit ${n + 1}` })),
    );
    const expected = ["── app@dev.five › w  (failed, no output)\nerror: step w: command exited with code 1\n", ...["u", "i", "e", "d"].map((id) => `── app@dev.five › ${id}  (failed, no output)\n`)].join("");
    assert.equal((await logs("--exec-id", "five")).stdout, expected);
    assert.equal((await logs("--exec-id", "five", "--failed")).stdout, expected);
    assert.equal((await logs("--exec-id", "five", "--follow")).stdout, expected);
    assert.equal((await logs("--exec-id", "five", "--step", "u")).stdout, "── app@dev.five › u  (failed, no output)\n");
    const raw = await logs("--exec-id", "five", "--raw");
    assert.equal(raw.stdout, "");
    assert.equal(raw.stderr, ["app@dev.five › w: error: step w: command exited with code 1\n", ...["u", "i", "e", "d"].map((id) => `app@dev.five › ${id}: failed, no output\n`)].join(""));
  });

  it("a silent failure is shown before the failure() step that reported it (which printed and failed too)", async () => {
    await run("report", [
      { id: "first", run: "echo one" },
      { id: "quiet", run: "exit 3" },
      { id: "report", if: "failure()", run: "echo reporting; exit 4" },
    ]);
    const quiet = "── app@dev.report › quiet  (failed, no output)\nerror: step quiet: command exited with code 3\n";
    const failed = `${quiet}── app@dev.report › report  (failed)\nreporting\n`;
    assert.equal((await logs("--exec-id", "report")).stdout, `── app@dev.report › first  (completed)\none\n${failed}`);
    assert.equal((await logs("--exec-id", "report", "--failed")).stdout, failed);
    assert.equal((await logs("--exec-id", "report", "--job", "app@dev.report", "--step", "quiet")).stdout, quiet);
  });

  it("the job finish log is labelled by how the finalizer ended; a finalizer's error is shown once, in its log", async () => {
    // The post hook succeeds, a step fails: the job failed, its finalizer did not.
    await run("post-ok", [{ id: "act", use: "./acts/posty" }, { id: "boom", run: "exit 9" }]);
    assert.deepEqual(headers((await logs("--exec-id", "post-ok")).stdout), ["app@dev.post-ok › act  (completed)", "app@dev.post-ok › boom  (failed, no output)", "app@dev.post-ok › job finish  (completed)"]);
    assert.deepEqual(headers((await logs("--exec-id", "post-ok", "--failed")).stdout), ["app@dev.post-ok › boom  (failed, no output)"]);

    // A step fails, then the post hook fails too: both failed, in the order they happened.
    await run("post-too", [{ id: "act", use: "./acts/posty", with: { fail: "yes" } }, { id: "boom", run: "exit 9" }]);
    const both = await logs("--exec-id", "post-too", "--failed");
    assert.deepEqual(headers(both.stdout), ["app@dev.post-too › boom  (failed, no output)", "app@dev.post-too › job finish  (failed)"]);
    assert.match(both.stdout, /error: step boom: command exited with code 9\n── app@dev\.post-too › job finish {2}\(failed\)\n▸ Post act\npost ran\n✗ post act: command exited with code 7\n$/);

    // Only the post hook fails: the job's error is the finalizer's, which its log already says.
    await run("post-only", [{ id: "act", use: "./acts/posty", with: { fail: "yes" } }]);
    const only = await logs("--exec-id", "post-only");
    assert.deepEqual(headers(only.stdout), ["app@dev.post-only › act  (completed)", "app@dev.post-only › job finish  (failed)"]);
    assert.equal(only.stdout.match(/post act: command exited with code 7/g)?.length, 1, only.stdout);
    assert.doesNotMatch(only.stdout, /exit status/, only.stdout);
    assert.doesNotMatch(only.stdout, /no output/);
    assert.deepEqual(headers((await logs("--exec-id", "post-only", "--failed")).stdout), ["app@dev.post-only › job finish  (failed)"]);
    assert.equal((await logs("--exec-id", "post-only", "--follow")).stdout.match(/post act: command exited with code 7/g)?.length, 1);
  });

  it("a step the cancel stopped comes first, not after the steps that ran after the cancel", async () => {
    const name = "cancel";
    await writeFile(path.join(ws, `${name}.json`), JSON.stringify(makePlan([makeJob(`app@dev.${name}`, [
      { id: "long", run: "touch STARTED; sleep 30" },
      { id: "plain", run: "echo plain-ran" },
      { id: "cleanup", if: "always()", run: "echo cleaning-up" },
    ] as Step[])], name)));
    const orun = startOrun(["run", `${name}.json`, "--gha", "--exec-id", name], ws, env());
    try {
      await until(() => existsSync(path.join(ws, "STARTED")), "STARTED to be written");
      process.kill(orun.pid, "SIGINT");
      assert.equal(await orun.exited, 130, orun.output());
    } finally {
      orun.kill();
    }
    const shown = await logs("--exec-id", name);
    assert.deepEqual(headers(shown.stdout), ["app@dev.cancel › long  (failed, no output)", "app@dev.cancel › cleanup  (completed)"]);
    assert.match(shown.stdout, /^── app@dev\.cancel › long {2}\(failed, no output\)\nerror: step long: command canceled\n/);
    assert.deepEqual(headers((await logs("--exec-id", name, "--follow")).stdout), headers(shown.stdout));
  });
});

describe("orun logs of a record whose job error names no failed step", () => {
  /** A record as orun writes it: the plan (manifest.json) and state.json, and the logs given. */
  async function record(t: { after(fn: () => Promise<void>): void }, steps: Record<string, string>, lastError: string, logs: Record<string, string>): Promise<string> {
    const plan = makePlan([makeJob("app@dev.x", Object.keys(steps).map((id) => ({ id, run: "true", ...(id.startsWith("post") ? { phase: "post" as const } : {}) })))], "x");
    const dir = await planDir(t, []);
    await mkdir(recordFile(dir, "r1", "logs/app@dev.x"), { recursive: true });
    await writeFile(recordFile(dir, "r1", "manifest.json"), JSON.stringify(plan, null, 2));
    const state = { execId: "r1", planChecksum: plan.metadata.checksum, jobs: { "app@dev.x": { status: "failed", startedAt: "2026-11-26T10:00:00Z", finishedAt: "2026-11-26T10:00:01Z", steps, lastError } } };
    await writeFile(recordFile(dir, "r1", "state.json"), JSON.stringify(state, null, 2));
    for (const [step, text] of Object.entries(logs)) await writeFile(recordFile(dir, "r1", `logs/app@dev.x/${step}.log`), text);
    return dir;
  }

  it("a step cancelled before it started is shown where it would have run, with the error, and under --failed", async (t) => {
    const dir = await record(t, { a: "completed", b: "skipped", c: "skipped", post1: "completed" }, "step b: canceled before it started", { a: "a-out", post1: "post-out" });
    const entry = "── app@dev.x › b  (skipped, no output)\nerror: step b: canceled before it started\n";
    assert.equal((await runOrun(["logs"], { cwd: dir })).stdout, `── app@dev.x › a  (completed)\na-out\n${entry}── app@dev.x › post1  (completed)\npost-out\n`);
    assert.equal((await runOrun(["logs", "--failed"], { cwd: dir })).stdout, entry);
    assert.equal((await runOrun(["logs", "--follow"], { cwd: dir })).stdout, `── app@dev.x › a  (completed)\na-out\n${entry}── app@dev.x › post1  (completed)\npost-out\n`);
    assert.equal((await runOrun(["logs", "--raw"], { cwd: dir })).stderr, "app@dev.x › b: error: step b: canceled before it started\n");
  });

  it("an error starting the job comes before its steps' logs; an unnamed finalizer failure after them, once", async (t) => {
    const start = await record(t, { a: "skipped", post1: "completed" }, "start job: image pull failed", { post1: "post-out" });
    assert.equal((await runOrun(["logs"], { cwd: start })).stdout, "── app@dev.x › job start  (failed, no output)\nerror: start job: image pull failed\n── app@dev.x › post1  (completed)\npost-out\n");
    assert.equal((await runOrun(["logs", "--failed"], { cwd: start })).stdout, "── app@dev.x › job start  (failed, no output)\nerror: start job: image pull failed\n");
    // The finalizer threw before it wrote a log: its error stands in for the log, after the steps.
    const finish = await record(t, { a: "completed" }, "job finalizer: runner went away", { a: "a-out" });
    assert.equal((await runOrun(["logs"], { cwd: finish })).stdout, "── app@dev.x › a  (completed)\na-out\n── app@dev.x › job finish  (failed, no output)\nerror: job finalizer: runner went away\n");
    // Asked for by its full name (a part of it, `finish`, is no step: logs-unknown-job-or-step-refused.test.ts).
    assert.equal((await runOrun(["logs", "--step", "job finish"], { cwd: finish })).stdout, "── app@dev.x › job finish  (failed, no output)\nerror: job finalizer: runner went away\n");
  });
});

it("--failed of a run where nothing failed says so, naming the execution, not only \"No logs match.\" (doc29)", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.b", steps: [{ id: "fine", run: "echo fine" }] }]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "calm"], { cwd: dir })).code, 0);
  for (const args of [["logs", "--failed"], ["logs", "--failed", "--exec-id", "calm"], ["logs", "--failed", "--step", "fine"]]) {
    const logs = await runOrun(args, { cwd: dir });
    assert.equal(logs.code, 0, args.join(" "));
    assert.equal(logs.stdout, "No logs match: no job failed in execution calm.\n", args.join(" "));
  }
});
