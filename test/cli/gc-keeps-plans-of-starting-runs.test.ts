// rev15rec #5: gc leaves stale stored plans alone while a run is starting (its record has a live lock but no
// metadata of its own yet): a --background child reads its plan reference again after the parent made the
// record, so the plan it is about to load is recorded nowhere yet. Real processes, real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";
import { liveSleeper, processGone, until } from "../support/wait.js";
import { processStartTicks } from "../../src/runtime/records/lock.js";

const JOBS = [{ id: "app@dev.build", steps: [{ run: "echo built" }] }];

/** Two stored plans 40 days old; latest.json holds the second. Returns the plans folder. */
async function oldPlans(dir: string): Promise<string> {
  const plans = path.join(dir, ".orun/plans");
  await mkdir(plans, { recursive: true });
  const plan = (id: string): string => JSON.stringify({ metadata: { checksum: `sha256-${id}${"0".repeat(52)}` }, jobs: [] });
  const old = new Date(Date.now() - 40 * 86_400_000);
  for (const id of ["f1af42856267", "bbbbbbbbbbbb"]) {
    await writeFile(path.join(plans, `${id}.json`), plan(id));
    await utimes(path.join(plans, `${id}.json`), old, old);
  }
  await writeFile(path.join(plans, "latest.json"), plan("bbbbbbbbbbbb"));
  return plans;
}

test("gc keeps stale stored plans while a new record's run is starting (live lock, no metadata), and removes them once it is gone", async (t) => {
  const dir = await planDir(t, JOBS, { name: "starting" }, "orun-fixrec15-");
  const plans = await oldPlans(dir);
  const sleeper = await liveSleeper(t);
  await mkdir(path.dirname(recordFile(dir, "starting1", "x")), { recursive: true });
  await writeFile(recordFile(dir, "starting1", ".lock"), JSON.stringify({ pid: sleeper.pid, host: os.hostname(), startTime: processStartTicks(sleeper.pid), since: new Date().toISOString() }));
  assert.match((await runOrun(["status", "--all"], { cwd: dir })).stdout, /starting1\s+starting/);

  const dry = await runOrun(["gc", "--dry-run"], { cwd: dir });
  assert.equal(dry.code, 0, dry.stderr);
  assert.doesNotMatch(dry.stdout, /plan f1af42856267/);
  const gc = await runOrun(["gc"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stderr);
  assert.doesNotMatch(gc.stdout, /Removed plan/);
  assert.match(gc.stdout, /kept stored plans: run starting1 is starting/);
  assert.deepEqual((await readdir(plans)).sort(), ["bbbbbbbbbbbb.json", "f1af42856267.json", "latest.json"]);

  // The starting process is gone: nothing is starting any more, and the plan nothing holds goes.
  sleeper.kill();
  await until(() => processGone(sleeper.pid), "the sleeper to exit");
  const after = await runOrun(["gc"], { cwd: dir });
  assert.match(after.stdout, /Removed plan f1af42856267/);
  assert.deepEqual((await readdir(plans)).sort(), ["bbbbbbbbbbbb.json", "latest.json"]);
});

test("gc keeps stale stored plans while a --background child resumes a record whose metadata is an earlier run's", async (t) => {
  const dir = await planDir(t, JOBS, { name: "resuming" }, "orun-fixrec15-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "resumed"], { cwd: dir })).code, 0);
  const plans = await oldPlans(dir);
  // What a --background parent leaves for its child: the pid file (newer than the metadata) and the lock handed to it.
  const sleeper = await liveSleeper(t);
  const later = new Date(Date.now() + 2000);
  await writeFile(recordFile(dir, "resumed", "pid"), `${sleeper.pid}\n`);
  await utimes(recordFile(dir, "resumed", "pid"), later, later);
  await writeFile(recordFile(dir, "resumed", ".lock"), JSON.stringify({ pid: sleeper.pid, host: os.hostname(), startTime: processStartTicks(sleeper.pid), since: new Date().toISOString() }));
  assert.match((await runOrun(["status", "--exec-id", "resumed"], { cwd: dir })).stdout, /State: starting/);
  const gc = await runOrun(["gc"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stderr);
  assert.doesNotMatch(gc.stdout, /Removed plan/);
  assert.deepEqual((await readdir(plans)).sort(), ["bbbbbbbbbbbb.json", "f1af42856267.json", "latest.json"]);
});
