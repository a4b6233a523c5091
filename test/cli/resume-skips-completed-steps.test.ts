// Spec 20 §4.6: a resume skips the steps a job completed in an earlier run, not only its completed jobs — the
// local runner's jobs pick up at their first step that did not complete (src/runtime/resumed-steps.ts). Real orun
// processes, steps counting their runs in files; the kill waits on the record, never on a sleep.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { ORUN_BIN, PROJECT_ROOT, runOrun } from "../support/cli.js";
import { planDir, readLines, recordFile } from "../runtime/helpers.js";
import { signalIfAlive, until } from "../support/wait.js";
import { readStateFile } from "../../src/runtime/records/state.js";

const JOB = "app@dev.build";
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

/**
 * One job: a pre-phase `setup`, main `one`, `two` (fails until the file `fixed` exists; with `hold`, first waits
 * to be killed until the file `resume` exists), `three`, and a post-phase `clean`. Each appends to runs-<step>; `one`
 * and `two` print which run of theirs it is. A second job, `after`, needs it.
 */
async function stepsPlan(t: TestContext, options: { hold?: boolean; other?: boolean } = {}): Promise<string> {
  const count = (step: string): string => `echo ${step} >> runs-${step}`;
  const hold = options.hold ? "[ -f resume ] || { echo $$ > two.pid; touch holding; exec sleep 60; }; " : "";
  return planDir(t, [
    {
      id: JOB,
      steps: [
        { id: "setup", phase: "pre", run: count("setup") },
        { id: "one", run: `${count("one")}; echo "one run $(wc -l < runs-one)"` },
        { id: "two", run: `${hold}${count("two")}; echo "two run $(wc -l < runs-two)"; [ -f fixed ] || exit 3` },
        { id: "three", run: count("three") },
        { id: "clean", phase: "post", run: count("clean") },
      ],
    },
    { id: "app@dev.after", dependsOn: [JOB], steps: [{ run: count("after") }] },
    // With `other`, a job of its own, for a run of the execution under another runner than the build's.
    ...(options.other ? [{ id: "app@dev.other", steps: [{ run: "true" }] }] : []),
  ]);
}

/** How many times each step ran, by step. */
async function runs(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const step of ["setup", "one", "two", "three", "clean", "after"]) out[step] = (await readLines(path.join(dir, `runs-${step}`))).length;
  return out;
}

async function recordedSteps(dir: string, execId: string): Promise<Record<string, string> | undefined> {
  const state = await readStateFile(recordFile(dir, execId, "state.json"));
  return state?.jobs[JOB]?.steps;
}

/** The first run: `two` fails, so the job fails with setup, one and clean completed. */
async function failFirst(dir: string, execId: string): Promise<void> {
  const first = await runOrun(["run", "plan.json", "--exec-id", execId], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  assert.deepEqual(await recordedSteps(dir, execId), { setup: "completed", one: "completed", two: "failed", three: "skipped", clean: "completed" });
}

test("a resumed job skips the steps it completed: it picks up at the failed step, its set-up and clean-up run again, the skipped step's log stays", async (t) => {
  const dir = await stepsPlan(t);
  await failFirst(dir, "E");
  const oneLog = recordFile(dir, "E", "logs/app@dev.build/one.log");
  assert.equal(await readFile(oneLog, "utf8"), "one run 1\n");
  const oneLogBefore = await stat(oneLog);

  await writeFile(path.join(dir, "fixed"), "");
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "E", "-v"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.deepEqual(await runs(dir), { setup: 2, one: 1, two: 2, three: 1, clean: 2, after: 1 });
  assert.match(resumed.stdout, /⚡ one \(2\/5\) {2}cached · completed in an earlier run/);
  assert.match(resumed.stdout, /✓ build {2}\S+ {2}· cached one \(completed in an earlier run\)/);

  // The record is whole and valid: every step completed, the skipped step's log untouched, the re-run one's new.
  const state = await readStateFile(recordFile(dir, "E", "state.json"));
  assert.equal(state?.jobs[JOB]?.status, "completed");
  assert.deepEqual(state?.jobs[JOB]?.steps, { setup: "completed", one: "completed", two: "completed", three: "completed", clean: "completed" });
  assert.equal(await readFile(oneLog, "utf8"), "one run 1\n");
  assert.equal((await stat(oneLog)).mtimeMs, oneLogBefore.mtimeMs);
  assert.equal(await readFile(recordFile(dir, "E", "logs/app@dev.build/two.log"), "utf8"), "two run 2\n");
  const logs = await runOrun(["logs", "--exec-id", "E", "--job", JOB, "--step", "one"], { cwd: dir });
  assert.match(logs.stdout, /one run 1/);
});

test("the GitHub Actions view shows a skipped step as cached and counts it", async (t) => {
  const dir = await stepsPlan(t);
  await failFirst(dir, "G");
  await writeFile(path.join(dir, "fixed"), "");
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "G", "--runner", "local"], { cwd: dir, env: { GITHUB_ACTIONS: "true" } });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, /^ {2}⚡ {2}02 one {2}cached · completed in an earlier run$/m);
  assert.match(resumed.stdout, /steps {7}4 passed, 0 failed, 0 skipped, 1 cached/);
  assert.equal((await runs(dir)).one, 1);
});

test("--job X --retry runs all of X's steps again", async (t) => {
  const dir = await stepsPlan(t);
  await failFirst(dir, "R");
  await writeFile(path.join(dir, "fixed"), "");
  const retried = await runOrun(["run", "plan.json", "--exec-id", "R", "--job", JOB, "--retry", "-v"], { cwd: dir });
  assert.equal(retried.code, 0, retried.stdout + retried.stderr);
  assert.deepEqual(await runs(dir), { setup: 2, one: 2, two: 2, three: 1, clean: 2, after: 0 });
  assert.doesNotMatch(retried.stdout, /cached/);
  assert.equal(await readFile(recordFile(dir, "R", "logs/app@dev.build/one.log"), "utf8"), "one run 2\n");
});

test("a job orun was SIGKILLed in resumes at the step the kill stopped", async (t) => {
  const dir = await stepsPlan(t, { hold: true });
  await writeFile(path.join(dir, "fixed"), "");
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "K"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: "ignore" });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const killStep = async (): Promise<void> => {
    const pid = Number(await readFile(path.join(dir, "two.pid"), "utf8").catch(() => "0"));
    if (pid > 0) signalIfAlive(pid, "SIGKILL");
  };
  t.after(killStep);
  try {
    // Killed once the record says `one` completed and `two` is running.
    await until(async () => existsSync(path.join(dir, "holding")) && (await recordedSteps(dir, "K").catch(() => undefined))?.two === "running", "step two to run");
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
  await killStep();
  assert.deepEqual(await recordedSteps(dir, "K"), { setup: "completed", one: "completed", two: "running", three: "pending", clean: "pending" });

  await writeFile(path.join(dir, "resume"), "");
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "K"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.deepEqual(await runs(dir), { setup: 2, one: 1, two: 1, three: 1, clean: 1, after: 1 });
  const state = await readStateFile(recordFile(dir, "K", "state.json"));
  assert.equal(state?.jobs[JOB]?.status, "completed");
  assert.deepEqual(state?.jobs[JOB]?.steps, { setup: "completed", one: "completed", two: "completed", three: "completed", clean: "completed" });
});

test("the dry-run of a resume previews the steps it skips, and that the github-actions runner skips none", async (t) => {
  const dir = await stepsPlan(t);
  await failFirst(dir, "D");
  const stateBefore = await readFile(recordFile(dir, "D", "state.json"), "utf8");
  const preview = await runOrun(["run", "plan.json", "--exec-id", "D", "--dry-run", "--json"], { cwd: dir });
  assert.equal(preview.code, 0, preview.stderr);
  const shown = JSON.parse(preview.stdout) as { preview: { id: string; note?: string; steps: { key: string; cached?: boolean }[] }[] };
  const schema = JSON.parse(await readFile(path.join(PROJECT_ROOT, "schemas/output/run.schema.json"), "utf8")) as object;
  const validate = addFormats(new Ajv({ strict: true, allErrors: true, strictTypes: false, strictRequired: false })).compile(schema);
  assert.ok(validate(shown), JSON.stringify(validate.errors));
  const job = shown.preview.find((entry) => entry.id === JOB)!;
  assert.deepEqual(
    job.steps.filter((step) => step.cached).map((step) => step.key),
    ["one"],
  );
  assert.match(job.note ?? "", /resumes at step two: one completed in execution D, the run skips it; its pre-phase setup runs again/);
  const text = await runOrun(["run", "plan.json", "--exec-id", "D", "--dry-run"], { cwd: dir });
  assert.match(text.stdout, /main one +run: .*\[cached: completed earlier, the resume skips it\]/);

  const gha = await runOrun(["run", "plan.json", "--exec-id", "D", "--dry-run", "--runner", "github-actions"], { cwd: dir });
  assert.equal(gha.code, 0, gha.stderr);
  assert.doesNotMatch(gha.stdout, /the resume skips it/);
  assert.match(gha.stdout, /runs all its steps again, though execution D completed setup, one: the github-actions runner restores nothing/);
  assert.equal(await readFile(recordFile(dir, "D", "state.json"), "utf8"), stateBefore, "a dry-run writes nothing");
  assert.deepEqual(await runs(dir), { setup: 1, one: 1, two: 1, three: 0, clean: 1, after: 0 });
});

test("under the github-actions runner a resume runs every step again", async (t) => {
  const dir = await stepsPlan(t);
  await failFirst(dir, "A");
  await writeFile(path.join(dir, "fixed"), "");
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "A", "--runner", "github-actions"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.deepEqual(await runs(dir), { setup: 2, one: 2, two: 2, three: 1, clean: 2, after: 1 });
});

test("a local resume runs again the steps another runner completed", async (t) => {
  const dir = await stepsPlan(t);
  const first = await runOrun(["run", "plan.json", "--exec-id", "O", "--runner", "github-actions"], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  assert.equal((await recordedSteps(dir, "O"))?.one, "completed");
  await resumesLocallyRunningAllAgain(dir, "O");
});

test("a resume judges each job by the runner that ran its steps, not by the execution's last run", async (t) => {
  const dir = await stepsPlan(t, { other: true });
  const first = await runOrun(["run", "plan.json", "--exec-id", "M", "--runner", "github-actions", "--job", JOB], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  // The execution's last run is now a local one, of another job: the build's steps still ran under github-actions.
  const other = await runOrun(["run", "plan.json", "--exec-id", "M", "--job", "app@dev.other"], { cwd: dir });
  assert.equal(other.code, 0, other.stdout + other.stderr);
  await resumesLocallyRunningAllAgain(dir, "M");
});

/** The build fixed, a local resume of `execId` (its preview, then the run) runs all the steps github-actions completed again. */
async function resumesLocallyRunningAllAgain(dir: string, execId: string): Promise<void> {
  await writeFile(path.join(dir, "fixed"), "");
  const preview = await runOrun(["run", "plan.json", "--exec-id", execId, "--dry-run"], { cwd: dir });
  assert.match(preview.stdout, new RegExp(`runs all its steps again, though execution ${execId} completed setup, one: they ran under the github-actions runner, this run uses local`));
  const resumed = await runOrun(["run", "plan.json", "--exec-id", execId], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.deepEqual(await runs(dir), { setup: 2, one: 2, two: 2, three: 1, clean: 2, after: 1 });
}
