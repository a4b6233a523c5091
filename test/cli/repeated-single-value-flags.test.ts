// A flag that takes one value, given twice. Settings take the last value, as git, docker and orun v2.3 (cobra) do,
// so a wrapper's or alias's setting can be overridden (docs/cli.md). `run --job` twice is refused instead: beside the
// repeatable --component and -e it reads as "these jobs", and the first was dropped unsaid, never run; so are
// `logs --job` and `--step` twice, where one of them was dropped unsaid, its log never shown.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

const JOBS = [
  { id: "api@dev.build", steps: [{ run: "true" }] },
  { id: "web@dev.build", steps: [{ run: "true" }] },
];

test("run --job given two different jobs is refused naming both, and records nothing; the same job twice runs it", async (t) => {
  const dir = await planDir(t, JOBS);
  for (const flags of [
    ["--job", "api@dev.build", "--job", "web@dev.build"],
    ["--job-id", "api@dev.build", "--job-id", "web@dev.build"],
  ]) {
    const result = await runOrun(["run", "plan.json", ...flags], { cwd: dir });
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, /argument 'web@dev.build' is invalid\. --job was given api@dev.build already: a run takes one job/);
  }
  assert.deepEqual(await readdir(path.join(dir, ".orun", "executions")).catch(() => []), []);
  const same = await runOrun(["run", "plan.json", "--job", "api@dev.build", "--job", "api@dev.build", "--json"], { cwd: dir });
  assert.equal(same.code, 0, same.stderr);
  assert.deepEqual((JSON.parse(same.stdout) as { jobs: { id: string }[] }).jobs.map((job) => job.id), ["api@dev.build"]);
});

test("logs --job or --step given two different values is refused naming both; the same value twice shows it", async (t) => {
  const dir = await planDir(t, [
    { id: "api@dev.build", steps: [{ id: "compile", run: "echo api-compiled" }, { id: "test", run: "echo api-tested" }] },
    { id: "web@dev.build", steps: [{ id: "compile", run: "echo web-compiled" }] },
  ]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "e1"], { cwd: dir })).code, 0);
  const refusals: [string[], RegExp][] = [
    [["--job", "api@dev.build", "--job", "web@dev.build"], /^✕ option '--job <id>' argument 'web@dev\.build' is invalid\. --job was given api@dev\.build already: logs shows one job's steps/],
    [["--step", "compile", "--step", "test"], /^✕ option '--step <key>' argument 'test' is invalid\. --step was given compile already: logs shows one step of each job/],
    [["--job", ""], /^✕ option '--job <id>' argument '' is invalid\. it is empty/],
  ];
  for (const [flags, refusal] of refusals) {
    const result = await runOrun(["logs", "--exec-id", "e1", ...flags], { cwd: dir });
    assert.equal(result.code, 1, `${flags.join(" ")}: ${result.stdout}`);
    assert.match(result.stderr, refusal);
    assert.equal(result.stdout, "");
  }
  const same = await runOrun(["logs", "--exec-id", "e1", "--raw", "--job", "api@dev.build", "--job", "api@dev.build", "--step", "test", "--step", "test"], { cwd: dir });
  assert.equal(same.code, 0, same.stderr);
  assert.equal(same.stdout, "api-tested\n");
});

test("a setting given twice takes the last value, as git and docker flags do", async (t) => {
  const dir = await planDir(t, JOBS);
  const result = await runOrun(["run", "plan.json", "--dry-run", "--json", "--concurrency", "2", "--concurrency", "4"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.equal((JSON.parse(result.stdout) as { concurrency: number }).concurrency, 4);
});
