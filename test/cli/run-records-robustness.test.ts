// Execution-record robustness through the built CLI: runs racing for one
// stale lock, --background refusing a locked exec-id, gc during the
// background hand-off, a `latest` that is not a symlink, manifest.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { lstat, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ORUN_BIN, runOrun, type CliResult } from "../support/cli.js";
import { makePlan, readJson, readLines, removeDir, writePlan, type JobSpec, planDir } from "../runtime/helpers.js";
import { until, deadPid } from "../support/wait.js";

const setup = (t: { after(fn: () => Promise<void>): void }, jobs: JobSpec[]): Promise<string> => planDir(t, jobs, { name: "robust" }, "orun-cli-robust-");

const waitFor = (file: string): string => `i=0; while [ ! -f ${file} ]; do sleep 0.01; i=$((i+1)); if [ $i -gt 3000 ]; then exit 9; fi; done`;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("six `orun run` processes started together on a stale lock: the step runs once, the others are refused", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.x", steps: [{ run: `echo ran >> runs.txt; ${waitFor("release")}` }] }]);
  const execDir = path.join(dir, ".orun/executions/S");
  await mkdir(execDir, { recursive: true });
  await writeFile(path.join(execDir, ".lock"), JSON.stringify({ pid: await deadPid(), host: os.hostname() }));
  t.after(() => writeFile(path.join(dir, "release"), "").catch(() => undefined));

  const runs = Array.from({ length: 6 }, () => runOrun(["run", "plan.json", "--exec-id", "S"], { cwd: dir }));
  const settled: (CliResult | undefined)[] = runs.map(() => undefined);
  runs.forEach((run, i) => void run.then((result) => (settled[i] = result)));
  // The five losers finish on their own; the winner waits for the release file.
  await until(async () => settled.filter(Boolean).length === 5, "five runs to be refused");
  const refused = settled.filter((r): r is CliResult => r !== undefined);
  for (const r of refused) {
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /execution S is already running \(pid \d+\)/);
  }
  await writeFile(path.join(dir, "release"), "");
  const all = await Promise.all(runs);
  assert.equal(all.filter((r) => r.code === 0).length, 1);
  assert.deepEqual(await readLines(path.join(dir, "runs.txt")), ["ran"]);
  assert.deepEqual((await readdir(execDir)).sort(), ["logs", "manifest.json", "metadata.json", "state.json"], "lock released, no guard or temp files");
});

test("--background refuses a locked exec-id and leaves pid alone; gc during the hand-off and the run keeps the record", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.x", steps: [{ run: `echo working >> ran.txt; ${waitFor("release")}` }] }]);
  const recordDir = path.join(dir, ".orun/executions/B1");
  t.after(() => writeFile(path.join(dir, "release"), "").catch(() => undefined));

  const started = await runOrun(["run", "plan.json", "--background", "--exec-id", "B1"], { cwd: dir });
  assert.equal(started.code, 0, started.stderr);
  // Straight after the parent returns (the child may not have started): gc must not touch it.
  const gcEarly = await runOrun(["gc", "--all"], { cwd: dir });
  assert.equal(gcEarly.code, 0, gcEarly.stderr);
  assert.match(gcEarly.stdout, /kept B1 \(still running\)/);
  assert.doesNotMatch(gcEarly.stdout, /Removed B1/);
  const pid = (await readFile(path.join(recordDir, "pid"), "utf8")).trim();
  assert.match(started.stdout, new RegExp(`pid: +${pid}\\n`));

  await until(async () => (await readLines(path.join(dir, "ran.txt"))).length > 0, "the background step to start");
  const second = await runOrun(["run", "plan.json", "--background", "--exec-id", "B1"], { cwd: dir });
  assert.equal(second.code, 1, second.stdout);
  assert.match(second.stderr, new RegExp(`execution B1 is already running \\(pid ${pid}\\)`));
  assert.doesNotMatch(second.stdout, /background run started/);
  assert.equal((await readFile(path.join(recordDir, "pid"), "utf8")).trim(), pid, "pid untouched");
  assert.match((await runOrun(["gc", "--all"], { cwd: dir })).stdout, /kept B1 \(still running\)/);

  await writeFile(path.join(dir, "release"), "");
  await until(async () => (await readJson<{ status: string }>(path.join(recordDir, "metadata.json")).catch(() => ({ status: "" }))).status === "completed", "the run to complete");
  await until(async () => !isRunning(Number(pid)), "the background process to exit");
  assert.deepEqual(await readLines(path.join(dir, "ran.txt")), ["working"]);
  assert.deepEqual((await readdir(recordDir)).sort(), ["logs", "manifest.json", "metadata.json", "pid", "run.log", "state.json"]);
  assert.doesNotMatch(await readFile(path.join(recordDir, "run.log"), "utf8"), /already running/);

  // A foreground run holding the exec-id: --background is refused and writes no pid file.
  await writePlan(dir, makePlan([{ id: "a@dev.x", steps: [{ run: `touch fg.started; ${waitFor("release-fg")}` }] }], { name: "robust" }), "fg.json");
  const fg = spawn(process.execPath, [ORUN_BIN, "run", "fg.json", "--exec-id", "F1"], { cwd: dir, stdio: "ignore" });
  const fgExit = new Promise((resolve) => fg.on("exit", resolve));
  t.after(async () => {
    await writeFile(path.join(dir, "release-fg"), "").catch(() => undefined);
    await fgExit;
  });
  await until(async () => existsSync(path.join(dir, "fg.started")), "the foreground step to start");
  const refused = await runOrun(["run", "fg.json", "--background", "--exec-id", "F1"], { cwd: dir });
  assert.equal(refused.code, 1, refused.stdout);
  assert.match(refused.stderr, new RegExp(`execution F1 is already running \\(pid ${fg.pid}\\)`));
  assert.ok(!existsSync(path.join(dir, ".orun/executions/F1/pid")));
  assert.ok(!existsSync(path.join(dir, ".orun/executions/F1/run.log")));
  await writeFile(path.join(dir, "release-fg"), "");
  assert.equal(await fgExit, 0);
});

test("executions/latest as a directory or a file: the run proceeds with one warning, nothing is deleted, no junk is left", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.x", steps: [{ run: "echo ran >> runs.txt" }] }]);
  const executions = path.join(dir, ".orun/executions");
  const latest = path.join(executions, "latest");
  await mkdir(path.join(latest, "logs"), { recursive: true });
  await writeFile(path.join(latest, "state.json"), '{"copied":true}');

  for (const id of ["one", "two"]) {
    const run = await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr.match(/warning: /g)?.length, 1, run.stderr);
    assert.ok(run.stderr.includes(`warning: ${latest} is a directory, so it was not repointed`), run.stderr);
  }
  assert.deepEqual(await readLines(path.join(dir, "runs.txt")), ["ran", "ran"]);
  assert.equal(await readFile(path.join(latest, "state.json"), "utf8"), '{"copied":true}', "the directory's content is kept");
  assert.deepEqual((await readdir(executions)).sort(), ["latest", "one", "two"]);
  // Readers fall back to the newest record.
  assert.match((await runOrun(["status"], { cwd: dir })).stdout, /Run: two/);
  assert.match((await runOrun(["gc", "--all"], { cwd: dir })).stdout, /Removed 2 executions/);
  assert.deepEqual(await readdir(executions), ["latest"], "gc leaves the directory alone too");

  await removeDir(latest);
  await writeFile(latest, "not a link");
  const run = await runOrun(["run", "plan.json", "--exec-id", "three"], { cwd: dir });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.stderr.includes(`warning: ${latest} is not a symlink`), run.stderr);
  assert.equal(await readFile(latest, "utf8"), "not a link");
  assert.deepEqual((await readdir(executions)).sort(), ["latest", "three"]);

  // Moved away: the next run restores the pointer.
  await removeDir(latest);
  const restored = await runOrun(["run", "plan.json", "--exec-id", "four"], { cwd: dir });
  assert.equal(restored.stderr, "");
  assert.ok((await lstat(latest)).isSymbolicLink());
});

test("manifest.json holds the plan (2-space JSON), is rewritten by every run, and readers and gc take it in their stride", async (t) => {
  const dir = await setup(t, [
    { id: "api.dev.build", steps: [{ id: "compile", run: "echo built" }] },
    { id: "api@dev.test", dependsOn: ["api.dev.build"], steps: [{ id: "unit", run: "echo tested" }] },
  ]);
  const manifest = path.join(dir, ".orun/executions/m1/manifest.json");
  assert.equal((await runOrun(["run", "plan.json", "--dry-run"], { cwd: dir })).code, 0);
  assert.ok(!existsSync(path.join(dir, ".orun/executions")), "dry-run writes no record");

  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "m1"], { cwd: dir })).code, 0);
  const text = await readFile(manifest, "utf8");
  const plan = JSON.parse(text) as { kind: string; metadata: { name: string }; jobs: { id: string; dependsOn: string[]; steps: { run: string }[] }[] };
  assert.equal(text, `${JSON.stringify(plan, null, 2)}\n`, "2-space indent");
  assert.equal(plan.kind, "Plan");
  assert.equal(plan.metadata.name, "robust");
  assert.deepEqual(plan.jobs.map((job) => [job.id, job.dependsOn, job.steps[0]!.run]), [
    ["api@dev.build", [], "echo built"],
    ["api@dev.test", ["api@dev.build"], "echo tested"],
  ]);

  await writeFile(manifest, "clobbered");
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "m1"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(await readFile(manifest, "utf8"), text, "rewritten by the resumed run");

  assert.match((await runOrun(["status", "--exec-id", "m1"], { cwd: dir })).stdout, /State: completed/);
  assert.match((await runOrun(["logs", "--exec-id", "m1"], { cwd: dir })).stdout, /built/);
  const gc = await runOrun(["gc", "--all"], { cwd: dir });
  assert.match(gc.stdout, /Removed m1/);
  assert.deepEqual(await readdir(path.join(dir, ".orun/executions")), []);
});
