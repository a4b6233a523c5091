// `orun logs --job <typo>` printed "No logs match." and exited 0: a script (or a person) could not tell a typo from a
// job that printed nothing. A job or step the execution's plan does not hold is now an error naming it, with the IDs
// it may have meant; a job of the plan without logs (skipped, not started) still exits 0, saying why it has none.
// Real orun processes on real records in temp folders.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

const JOBS = [
  { id: "api@dev.build", steps: [{ id: "compile", run: "echo compiled" }, { id: "check", run: "exit 3" }] },
  { id: "api@dev.deploy", dependsOn: ["api@dev.build"], steps: [{ id: "ship", run: "echo shipped" }] },
  { id: "web@dev.build", steps: [{ id: "bundle", run: "echo bundled" }] },
];

test("logs --job or --step naming nothing in the run's plan is an error naming it, with close matches; --follow too", async (t) => {
  const dir = await planDir(t, JOBS, { name: "typos" }, "orun-logs-typo-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "r1"], { cwd: dir })).code, 1);
  const cases: [string[], RegExp][] = [
    [["--job", "api@dev.biuld"], /job not found in execution r1: api@dev\.biuld \(did you mean api@dev\.build\?\)/],
    [["--job", "api.dev.biuld"], /job not found in execution r1: api\.dev\.biuld \(did you mean api@dev\.build\?\)/],
    [["job/api@dev.biuld"], /job not found in execution r1: api@dev\.biuld/],
    [["--job", "zzz"], /job not found in execution r1: zzz \(its jobs: api@dev\.build, api@dev\.deploy, web@dev\.build\)/],
    [["--job", "zzz", "--follow"], /job not found in execution r1: zzz/],
    [["--job", "api@dev.build", "--step", "chekc"], /step not found in execution r1 of api@dev\.build: chekc \(did you mean check\?\)/],
    [["--job", "web", "--step", "compile"], /step not found in execution r1 of web@dev\.build: compile/],
    [["--step", "nosuch", "--raw"], /step not found in execution r1: nosuch \(its steps: bundle, check, compile, ship\)/],
  ];
  for (const [args, error] of cases) {
    const r = await runOrun(["logs", "--exec-id", "r1", ...args], { cwd: dir, timeoutMs: 15_000 });
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, error, args.join(" "));
    assert.equal(r.stdout, "", args.join(" "));
  }
});

test("logs --job of a job the plan holds but that has no logs (skipped, not started) exits 0 saying why (--follow: with the run's outcome)", async (t) => {
  const dir = await planDir(t, JOBS, { name: "nologs" }, "orun-logs-typo-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "r1"], { cwd: dir })).code, 1);
  const skipped = "No logs match (api@dev.deploy: skipped, dependency api@dev.build failed).\n";
  for (const args of [["--job", "api@dev.deploy"], ["--job", "api.dev.deploy", "--step", "ship"], ["--job", "deploy", "--follow"]]) {
    const r = await runOrun(["logs", "--exec-id", "r1", ...args], { cwd: dir, timeoutMs: 15_000 });
    // --follow waits for the run and exits with its outcome (it failed), as the remote --follow does.
    assert.equal(r.code, args.includes("--follow") ? 1 : 0, `${args.join(" ")}: ${r.stderr}`);
    if (!args.includes("--follow")) assert.equal(r.stdout, skipped, args.join(" "));
  }
  // Jobs that matched still print as before, by either ID form or a part of one.
  const build = await runOrun(["logs", "--exec-id", "r1", "--job", "api.dev.build", "--step", "compile"], { cwd: dir });
  assert.equal(build.code, 0, build.stderr);
  assert.equal(build.stdout, "── api@dev.build › compile  (completed)\ncompiled\n");

  // A scoped run: the plan's other jobs were never started in it.
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "w1", "--component", "web"], { cwd: dir })).code, 0);
  const notStarted = await runOrun(["logs", "--exec-id", "w1", "--job", "api@dev.build"], { cwd: dir });
  assert.equal(notStarted.code, 0, notStarted.stderr);
  assert.equal(notStarted.stdout, "No logs match (api@dev.build: not started).\n");
  assert.equal((await runOrun(["logs", "--exec-id", "w1", "--job", "api@dev.biuld"], { cwd: dir })).code, 1);
});

test("a record holding neither its plan nor its state cannot tell a typo: the filter is taken as given", async (t) => {
  const dir = await planDir(t, JOBS, { name: "bare" }, "orun-logs-typo-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "r1"], { cwd: dir })).code, 1);
  await rm(recordFile(dir, "r1", "manifest.json"));
  await rm(recordFile(dir, "r1", "state.json"));
  const r = await runOrun(["logs", "--exec-id", "r1", "--job", "zzz"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "No logs match.\n");
});

test("--step is a step key or a part of one, or a job entry by its full name; --job typos are compared with job names too", async (t) => {
  const dir = await planDir(t, JOBS, { name: "parts" }, "orun-logs-typo-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "r1"], { cwd: dir })).code, 1);
  // Parts of "job start", "job finish", "job summary" passed as steps every job has, and said "No logs match".
  for (const step of ["sta", "summary", "fin"]) {
    const r = await runOrun(["logs", "--exec-id", "r1", "--job", "web", "--step", step], { cwd: dir });
    assert.equal(r.code, 1, `--step ${step}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`step not found in execution r1 of web@dev\\.build: ${step} \\(its steps: bundle\\)`));
  }
  // A part of a real key, and a job entry by its full name ("job": a job's error that names no step), still select.
  for (const step of ["bund", "job finish", "job"]) {
    const r = await runOrun(["logs", "--exec-id", "r1", "--job", "web", "--step", step], { cwd: dir });
    assert.equal(r.code, 0, `--step ${step}: ${r.stderr}`);
  }
  // A typo of a job's name alone: the IDs holding that name are what it meant.
  const logs = await runOrun(["logs", "--exec-id", "r1", "--job", "deplyo"], { cwd: dir });
  assert.equal(logs.code, 1);
  assert.match(logs.stderr, /job not found in execution r1: deplyo \(did you mean api@dev\.deploy\?\)/);
  const builds = await runOrun(["logs", "--exec-id", "r1", "--job", "biuld"], { cwd: dir });
  assert.match(builds.stderr, /job not found in execution r1: biuld \(did you mean api@dev\.build, web@dev\.build\?\)/);
  const run = await runOrun(["run", "plan.json", "--job", "deplyo"], { cwd: dir });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /job not found: deplyo \(did you mean api@dev\.deploy\?\)/);
});
