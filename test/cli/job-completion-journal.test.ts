// Records audit (round 2): a job that completed just before `orun run` was SIGKILLed is not run again on
// resume — its completion is journaled (one append per terminal transition) before anything else starts,
// while state.json writes are coalesced. Real processes, real files; the kill is ordered by a file the next
// job's step writes, never by a sleep.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { makePlan, readJson, readLines, recordFile, removeDir, tempDir, writePlan, type StateFile } from "../runtime/helpers.js";
import { signalIfAlive, until } from "../support/wait.js";
import { planChecksum } from "../../src/runtime/graph.js";

/** Completed jobs of an earlier run: a record this size coalesces state.json writes 250 ms apart. */
const FILLERS = 2500;

/**
 * `deploy` appends to deploys.txt; `after` (needs deploy) says it started and then waits to be killed. The
 * record already holds FILLERS completed jobs of the same plan, as a big resumed run would.
 */
async function crashSetup(t: { after(fn: () => Promise<void>): void }, deployCheck = "true"): Promise<{ dir: string; killRun: () => Promise<void> }> {
  const dir = await tempDir("orun-rec14-");
  const jobs = [
    { id: "app@prod.deploy", steps: [{ run: `echo deployed | tee -a deploys.txt; ${deployCheck}` }] },
    { id: "app@prod.after", dependsOn: ["app@prod.deploy"], steps: [{ run: "[ -f resume ] && exit 0; echo $$ > after.pid; touch started; exec sleep 30" }] },
    ...Array.from({ length: FILLERS }, (_, i) => ({ id: `fill@prod.f${i}`, steps: [{ run: "true" }] })),
  ];
  const plan = makePlan(jobs, { name: "crash" });
  await writePlan(dir, plan);
  const state: StateFile = { execId: "C", planChecksum: planChecksum(plan), jobs: {} };
  for (let i = 0; i < FILLERS; i++) state.jobs[`fill@prod.f${i}`] = { status: "completed", steps: { s1: "completed" } };
  await mkdir(path.dirname(recordFile(dir, "C", "state.json")), { recursive: true });
  await writeFile(recordFile(dir, "C", "state.json"), JSON.stringify(state));
  const killRun = async (): Promise<void> => {
    const pid = Number(await readFile(path.join(dir, "after.pid"), "utf8").catch(() => "0"));
    if (pid > 0) signalIfAlive(pid, "SIGKILL");
  };
  t.after(async () => {
    await killRun();
    await removeDir(dir);
  });
  return { dir, killRun };
}

/** Starts the run (Node's own spawn: the next job starts only once orun has recorded the one before) and SIGKILLs it once `after` started. */
async function runUntilAfterStarts(dir: string): Promise<void> {
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "C", "--json"], {
    cwd: dir,
    env: { ...process.env, ORUN_LOCAL_SPAWNER: "direct", NO_COLOR: "1" },
    stdio: "ignore",
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    await until(() => existsSync(path.join(dir, "started")), "job after to start");
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
}

test("a job completed just before orun was SIGKILLed is not run again on resume; status, logs and --job see it", async (t) => {
  const { dir, killRun } = await crashSetup(t);
  await runUntilAfterStarts(dir);
  await killRun();
  assert.deepEqual(await readLines(path.join(dir, "deploys.txt")), ["deployed"]);

  // status (text and JSON) shows the completion the crash kept.
  const status = await runOrun(["status", "--exec-id", "C", "--json"], { cwd: dir });
  assert.equal(status.code, 0, status.stderr);
  const shown = JSON.parse(status.stdout) as { state: StateFile };
  assert.equal(shown.state.jobs["app@prod.deploy"]?.status, "completed");
  const text = await runOrun(["status", "--exec-id", "C"], { cwd: dir });
  assert.match(text.stdout, /✓ deploy/);
  const logs = await runOrun(["logs", "--exec-id", "C", "--job", "app@prod.deploy"], { cwd: dir });
  assert.match(logs.stdout, /── app@prod\.deploy › s1 {2}\(completed\)\ndeployed/);

  // --job of its dependent accepts it as completed (it was refused: dependencies not completed).
  await writeFile(path.join(dir, "resume"), "");
  const dependent = await runOrun(["run", "plan.json", "--exec-id", "C", "--job", "app@prod.after"], { cwd: dir });
  assert.equal(dependent.code, 0, dependent.stdout + dependent.stderr);

  const resumed = await runOrun(["run", "plan.json", "--exec-id", "C", "--json"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.deepEqual(await readLines(path.join(dir, "deploys.txt")), ["deployed"], "the deploy ran once");
  const final = await readJson<StateFile>(recordFile(dir, "C", "state.json"));
  assert.equal(final.jobs["app@prod.deploy"]?.status, "completed");
  assert.equal(existsSync(recordFile(dir, "C", "journal.jsonl")), false, "a finished run leaves no journal");
});

test("--job X --retry after a crash clears X: a failed retry is recorded failed, not the journaled completion", async (t) => {
  const { dir, killRun } = await crashSetup(t, "[ ! -f fail ]");
  await runUntilAfterStarts(dir);
  await killRun();
  await writeFile(path.join(dir, "fail"), "");
  const retry = await runOrun(["run", "plan.json", "--exec-id", "C", "--job", "app@prod.deploy", "--retry"], { cwd: dir });
  assert.equal(retry.code, 1, retry.stdout + retry.stderr);
  assert.deepEqual(await readLines(path.join(dir, "deploys.txt")), ["deployed", "deployed"], "--retry re-ran it");
  const status = JSON.parse((await runOrun(["status", "--exec-id", "C", "--json"], { cwd: dir })).stdout) as { state: StateFile };
  assert.equal(status.state.jobs["app@prod.deploy"]?.status, "failed");
  assert.equal(existsSync(recordFile(dir, "C", "journal.jsonl")), false);
});

test("a torn last journal line (SIGKILL mid-write) is ignored; a corrupt line is named, and nothing is run or lost", async (t) => {
  const { dir, killRun } = await crashSetup(t);
  await runUntilAfterStarts(dir);
  await killRun();
  const journal = recordFile(dir, "C", "journal.jsonl");
  const intact = await readFile(journal, "utf8");
  assert.match(intact, /app@prod\.deploy/);

  await appendFile(journal, '{"job":"app@prod.after","state":{"status":"compl');
  const torn = await runOrun(["status", "--exec-id", "C", "--json"], { cwd: dir });
  assert.equal(torn.code, 0, torn.stderr);
  assert.equal((JSON.parse(torn.stdout) as { state: StateFile }).state.jobs["app@prod.deploy"]?.status, "completed");

  await writeFile(journal, `not json\n${intact}`);
  const corrupt = await runOrun(["status", "--exec-id", "C"], { cwd: dir });
  assert.notEqual(corrupt.code, 0);
  assert.match(corrupt.stderr, /journal\.jsonl/);
  assert.match(corrupt.stderr, /line 1/);
  const all = await runOrun(["status", "--all"], { cwd: dir });
  assert.match(all.stdout, /C\s+unreadable\s+.*journal\.jsonl unreadable/);
  await writeFile(path.join(dir, "resume"), "");
  const refused = await runOrun(["run", "plan.json", "--exec-id", "C"], { cwd: dir });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /journal\.jsonl/);
  assert.deepEqual(await readLines(path.join(dir, "deploys.txt")), ["deployed"], "a refused resume runs nothing");
  assert.equal(await readFile(journal, "utf8"), `not json\n${intact}`, "the journal is left for the user to inspect");
});

test("a completion that cannot be journaled (the record became unwritable) stops the run: its dependent never starts, the error names the file", async (t) => {
  const dir = await tempDir("orun-rec14-");
  t.after(() => removeDir(dir));
  const journal = recordFile(dir, "W", "journal.jsonl");
  await writePlan(
    dir,
    makePlan([
      // A directory where the journal goes: the append fails as a full disk would make it fail.
      { id: "app@prod.deploy", steps: [{ run: `echo deployed >> deploys.txt; mkdir -p ${journal}/x` }] },
      { id: "app@prod.after", dependsOn: ["app@prod.deploy"], steps: [{ run: "echo after >> after.txt" }] },
    ]),
  );
  const run = await runOrun(["run", "plan.json", "--exec-id", "W"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.ok(run.stderr.includes(`${journal}: cannot write the execution journal`), run.stderr);
  assert.equal(existsSync(path.join(dir, "after.txt")), false, "nothing starts after a completion the record could not keep");
  // What state.json holds is still right: the deploy completed.
  const state = await readJson<StateFile>(recordFile(dir, "W", "state.json"));
  assert.equal(state.jobs["app@prod.deploy"]?.status, "completed");
  assert.notEqual(state.jobs["app@prod.after"]?.status, "completed");
});

test("state.json that cannot be written is named in the run's error, and the journal keeps the completions for the resume", async (t) => {
  const dir = await tempDir("orun-rec14-");
  t.after(() => removeDir(dir));
  const stateFile = recordFile(dir, "S", "state.json");
  await writePlan(
    dir,
    makePlan([
      // A directory in state.json's place: every later write of it fails.
      { id: "app@prod.deploy", steps: [{ run: `echo deployed >> deploys.txt; until [ -d ${stateFile} ]; do rm -f ${stateFile}; mkdir -p ${stateFile}/x 2>/dev/null; done` }] },
      { id: "app@prod.after", dependsOn: ["app@prod.deploy"], steps: [{ run: "echo after >> after.txt" }] },
    ]),
  );
  const run = await runOrun(["run", "plan.json", "--exec-id", "S"], { cwd: dir });
  assert.notEqual(run.code, 0, run.stdout + run.stderr);
  assert.ok(run.stderr.includes(`${stateFile}: cannot write execution state`), run.stderr);
  const journal = await readFile(recordFile(dir, "S", "journal.jsonl"), "utf8");
  assert.match(journal, /"job":"app@prod\.deploy".*"status":"completed"/);
  // With state.json gone, the journal is neither dropped nor resumed blindly: status shows it, a run refuses it.
  await removeDir(stateFile);
  const status = JSON.parse((await runOrun(["status", "--exec-id", "S", "--json"], { cwd: dir })).stdout) as { state: StateFile };
  assert.equal(status.state.jobs["app@prod.deploy"]?.status, "completed");
  const refused = await runOrun(["run", "plan.json", "--exec-id", "S"], { cwd: dir });
  assert.equal(refused.code, 1, refused.stdout);
  assert.match(refused.stderr, /journal\.jsonl: execution S has no state\.json, but its journal holds the results of 2 job\(s\) \(app@prod\.after, app@prod\.deploy\)/);
  assert.deepEqual(await readLines(path.join(dir, "deploys.txt")), ["deployed"], "nothing ran twice");
  assert.deepEqual(await readLines(path.join(dir, "after.txt")), ["after"]);
});
