// Records audit (round 3): gc with a `latest` link whose record is gone, and several gc processes at once.
// Real processes, real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cp, mkdir, readdir, readFile, readlink, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";
import { liveSleeper } from "../support/wait.js";
import { processStartTicks } from "../../src/runtime/records/lock.js";

const JOBS = [{ id: "app@dev.build", steps: [{ run: "echo built" }] }];

test("gc repoints a latest link whose record was removed by hand to the newest record left (it stayed dangling)", async (t) => {
  const dir = await planDir(t, JOBS, { name: "latest" }, "orun-rec15-");
  for (const id of ["one", "two", "three"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  const executions = path.join(dir, ".orun/executions");
  await rm(path.join(executions, "three"), { recursive: true });
  const gc = await runOrun(["gc", "--keep", "1"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, /Removed one\n/);
  assert.equal(await readlink(path.join(executions, "latest")), "two");
  // Nothing left to point at: the link goes.
  await rm(path.join(executions, "two"), { recursive: true });
  assert.equal((await runOrun(["gc", "--all"], { cwd: dir })).stdout, "Nothing to clean up.\n");
  assert.deepEqual(await readdir(executions), []);
});

test("three gc --all at once remove every record exactly once, and none reports another gc's removal as a run 'still running'", async (t) => {
  const dir = await planDir(t, JOBS, { name: "many" }, "orun-rec15-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "seed"], { cwd: dir })).code, 0);
  const meta = JSON.parse(await readFile(recordFile(dir, "seed", "metadata.json"), "utf8")) as Record<string, unknown>;
  const ids = Array.from({ length: 150 }, (_, i) => `r-${String(i).padStart(3, "0")}`);
  for (const id of ids) {
    await cp(path.dirname(recordFile(dir, "seed", "x")), path.dirname(recordFile(dir, id, "x")), { recursive: true });
    await writeFile(recordFile(dir, id, "metadata.json"), JSON.stringify({ ...meta, execId: id }));
  }
  const gcs = [1, 2, 3].map(
    () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [ORUN_BIN, "gc", "--all"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      }),
  );
  const results = await Promise.all(gcs);
  const removed: string[] = [];
  for (const result of results) {
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    assert.doesNotMatch(result.stdout, /still running/);
    removed.push(...[...result.stdout.matchAll(/^ {2}Removed (\S+)$/gm)].map((m) => m[1]!));
  }
  assert.deepEqual(removed.sort(), [...ids, "seed"].sort(), "each record removed by exactly one gc");
  assert.deepEqual(await readdir(path.join(dir, ".orun/executions")), [], "no record, temp folder or dangling latest left");
});

test("a record another gc is removing: a run on its exec-id says so (not 'already running'), and a second gc leaves it to the first", async (t) => {
  const dir = await planDir(t, JOBS, { name: "removing" }, "orun-rec15-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "held"], { cwd: dir })).code, 0);
  const sleeper = await liveSleeper(t);
  const lock = JSON.stringify({ pid: sleeper.pid, host: os.hostname(), startTime: processStartTicks(sleeper.pid), purpose: "gc" });
  await writeFile(recordFile(dir, "held", ".lock"), lock);
  const run = await runOrun(["run", "plan.json", "--exec-id", "held"], { cwd: dir });
  assert.equal(run.code, 1);
  assert.match(run.stderr, new RegExp(`execution held is being removed by orun gc \\(pid ${sleeper.pid}\\)`));
  const gc = await runOrun(["gc", "--all"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stderr);
  assert.equal(gc.stdout, "Nothing to clean up.\n");
  assert.equal(await readFile(recordFile(dir, "held", ".lock"), "utf8"), lock, "the lock is the first gc's still");
});

test("gc removes stored plans older than --max-age that nothing refers to (spec 20 §7.3), keeping those latest.json, a named plan or a kept execution hold", async (t) => {
  const dir = await planDir(t, JOBS, { name: "plans" }, "orun-rec15-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "kept"], { cwd: dir })).code, 0);
  const meta = JSON.parse(await readFile(recordFile(dir, "kept", "metadata.json"), "utf8")) as Record<string, unknown>;
  await writeFile(recordFile(dir, "kept", "metadata.json"), JSON.stringify({ ...meta, planId: "cccccccccccc" }));
  const plans = path.join(dir, ".orun/plans");
  await mkdir(plans, { recursive: true });
  const plan = (id: string) => JSON.stringify({ metadata: { checksum: `sha256-${id}${"0".repeat(52)}` }, jobs: [] });
  const old = new Date(Date.now() - 40 * 86_400_000);
  for (const id of ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc", "dddddddddddd", "eeeeeeeeeeee"]) {
    await writeFile(path.join(plans, `${id}.json`), plan(id));
    if (id !== "dddddddddddd") await utimes(path.join(plans, `${id}.json`), old, old);
  }
  await writeFile(path.join(plans, "latest.json"), plan("bbbbbbbbbbbb"));
  await writeFile(path.join(plans, "release.json"), plan("eeeeeeeeeeee"));
  await utimes(path.join(plans, "release.json"), old, old);

  const dry = await runOrun(["gc", "--dry-run"], { cwd: dir });
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.stdout, "  Would remove plan aaaaaaaaaaaa\n\nWould remove 1 stored plan\n");
  assert.equal((await readdir(plans)).length, 7, "a dry run removes nothing");
  const gc = await runOrun(["gc"], { cwd: dir });
  assert.equal(gc.stdout, "  Removed plan aaaaaaaaaaaa\n\nRemoved 1 stored plan\n");
  assert.deepEqual((await readdir(plans)).sort(), ["bbbbbbbbbbbb.json", "cccccccccccc.json", "dddddddddddd.json", "eeeeeeeeeeee.json", "latest.json", "release.json"]);
  // Once the execution that ran it is removed too, its plan goes with it.
  const all = await runOrun(["gc", "--all"], { cwd: dir });
  assert.equal(all.stdout, "  Removed kept\n  Removed plan cccccccccccc\n\nRemoved 1 execution and 1 stored plan\n");
  // A copy that cannot be read might hold any plan: nothing is removed on a guess.
  await writeFile(path.join(plans, "latest.json"), "{not json");
  assert.equal((await runOrun(["gc", "--all"], { cwd: dir })).stdout, "Nothing to clean up.\n");
});
