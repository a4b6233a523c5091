// How `orun run` reports and reacts to failures (spec 20 §3.5, case 31): the
// error that stopped a job is the one recorded, a job that failed only
// through `onFailure: continue` steps does not trigger failFast, and a job
// that runs again in a resumed record starts with empty logs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, readJson, type JobSpec, type StateFile, planDir } from "../runtime/helpers.js";

const setup = (t: { after(fn: () => Promise<void>): void }, jobs: JobSpec[], options: Parameters<typeof makePlan>[1] = {}): Promise<string> =>
  planDir(t, jobs, options, "orun-cli-failures-");

const state = (dir: string, execId: string): Promise<StateFile> => readJson<StateFile>(path.join(dir, ".orun/executions", execId, "state.json"));

test("the step that stopped the job is its error, not an earlier tolerated failure", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.x", steps: [{ id: "lint", run: "exit 2", onFailure: "continue" }, { id: "deploy", run: "echo deploying; exit 7" }, { id: "never", run: "true" }] },
  ]);
  const result = await runOrun(["run", "plan.json", "--exec-id", "last"], { cwd: dir });
  assert.equal(result.code, 1);
  const job = (await state(dir, "last")).jobs["a@dev.x"]!;
  assert.equal(job.lastError, "step deploy: exit status 7");
  assert.deepEqual(job.steps, { deploy: "failed", lint: "failed", never: "skipped" });
  assert.match(result.stdout, /step +deploy\n +error command exited with code 7\n/, "the failure block names deploy");
  assert.match(result.stdout, /lint failed \(command exited with code 2\); continuing/);

  const json = await runOrun(["run", "plan.json", "--exec-id", "last-json", "--json"], { cwd: dir });
  const summary = JSON.parse(json.stdout) as { jobs: { id: string; error?: string; failedStep?: string }[] };
  assert.equal(summary.jobs[0]!.error, "step deploy: exit status 7");
  assert.equal(summary.jobs[0]!.failedStep, "deploy");
});

test("a job that failed only through onFailure: continue steps is failed but does not trigger failFast", async (t) => {
  const dir = await setup(
    t,
    [
      { id: "a@dev.x", steps: [{ id: "flaky", run: "exit 4", onFailure: "continue" }, { id: "after", run: "touch after.ran" }] },
      { id: "a@dev.y", dependsOn: ["a@dev.x"], steps: [{ run: "touch dependent.ran" }] },
      { id: "b@dev.z", steps: [{ run: "touch z.ran" }] },
    ],
    { failFast: true, concurrency: 1 },
  );
  const result = await runOrun(["run", "plan.json", "--exec-id", "tolerated"], { cwd: dir });
  assert.equal(result.code, 1, "a failed job still fails the run");
  assert.ok(existsSync(path.join(dir, "after.ran")));
  assert.ok(existsSync(path.join(dir, "z.ran")), "fail-fast was not triggered: the independent job ran");
  assert.ok(!existsSync(path.join(dir, "dependent.ran")));
  const s = await state(dir, "tolerated");
  assert.equal(s.jobs["a@dev.x"]!.status, "failed");
  assert.equal(s.jobs["a@dev.x"]!.lastError, "step flaky: exit status 4");
  assert.equal(s.jobs["a@dev.y"]!.status, "skipped");
  assert.equal(s.jobs["a@dev.y"]!.reason, "dependency a@dev.x failed");
  assert.equal(s.jobs["b@dev.z"]!.status, "completed");

  // The same plan with a fatal failure does stop the run (the control case).
  const fatal = await setup(t, [{ id: "a@dev.x", steps: [{ run: "exit 4" }] }, { id: "b@dev.z", steps: [{ run: "touch z.ran" }] }], { failFast: true, concurrency: 1 });
  assert.equal((await runOrun(["run", "plan.json"], { cwd: fatal })).code, 1);
  assert.ok(!existsSync(path.join(fatal, "z.ran")));
});

test("a job that runs again in a resumed record (or with --job --retry) starts with empty logs", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.x", steps: [{ id: "s", run: "if [ ! -f flag ]; then echo OLD-FAILURE-OUTPUT; exit 1; fi" }] }]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "again"], { cwd: dir })).code, 1);
  assert.match((await runOrun(["logs", "--exec-id", "again"], { cwd: dir })).stdout, /OLD-FAILURE-OUTPUT/);

  await writeFile(path.join(dir, "flag"), "");
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "again"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  const logs = await runOrun(["logs", "--exec-id", "again"], { cwd: dir });
  assert.doesNotMatch(logs.stdout, /OLD-FAILURE-OUTPUT/, "the silent successful attempt shows no output of the failed one");

  // --job --retry of a completed job: the same.
  const loud = await setup(t, [{ id: "a@dev.x", steps: [{ id: "s", run: "if [ ! -f quiet ]; then echo FIRST-RUN; fi" }] }]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "r"], { cwd: loud })).code, 0);
  await writeFile(path.join(loud, "quiet"), "");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "r", "--job", "a@dev.x", "--retry"], { cwd: loud })).code, 0);
  assert.doesNotMatch((await runOrun(["logs", "--exec-id", "r"], { cwd: loud })).stdout, /FIRST-RUN/);
});

test("links the steps print are in the summary, --json, metadata.json and orun status; deduplicated; the record keeps earlier runs' links", async (t) => {
  const dir = await setup(t, [
    { id: "web@dev.deploy", steps: [{ id: "deploy", run: "echo 'Preview URL: https://pr-1.example.dev'; echo 'again https://pr-1.example.dev'" }] },
    { id: "api@dev.deploy", steps: [{ id: "up", run: "echo 'API - https://api.example.dev/v1.'; test -f ok" }] },
  ]);
  const first = await runOrun(["run", "plan.json", "--exec-id", "l"], { cwd: dir });
  assert.equal(first.code, 1);
  // In the order the steps printed them (api's job runs first: ready jobs start smallest ID first).
  assert.match(first.stdout, /\n {2}1 succeeded · 1 failed\n {2}API https:\/\/api\.example\.dev\/v1\n {2}Preview URL https:\/\/pr-1\.example\.dev\n\n/);
  const meta = await readJson<{ links?: unknown[] }>(path.join(dir, ".orun/executions/l/metadata.json"));
  assert.deepEqual(meta.links, [
    { label: "API", url: "https://api.example.dev/v1", jobId: "api@dev.deploy", stepId: "up" },
    { label: "Preview URL", url: "https://pr-1.example.dev", jobId: "web@dev.deploy", stepId: "deploy" },
  ]);
  assert.match((await runOrun(["status", "--exec-id", "l"], { cwd: dir })).stdout, /Progress: .*\n {2}API https:\/\/api\.example\.dev\/v1\n {2}Preview URL https:\/\/pr-1\.example\.dev\n/);

  // The resume re-runs only the failed job: its summary has that job's link, the record still has both.
  await writeFile(path.join(dir, "ok"), "");
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "l", "--json"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual((JSON.parse(resumed.stdout) as { links: unknown[] }).links, [{ label: "API", url: "https://api.example.dev/v1", jobId: "api@dev.deploy", stepId: "up" }]);
  assert.deepEqual((await readJson<{ links?: { url: string }[] }>(path.join(dir, ".orun/executions/l/metadata.json"))).links?.map((l) => l.url), ["https://api.example.dev/v1", "https://pr-1.example.dev"]);
});

test("a link printed after more than a megabyte of output is still collected", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.x", steps: [{ id: "s", run: "seq 1 300000; echo 'Preview URL: https://late.example.dev/1'" }] }]);
  const result = await runOrun(["run", "plan.json", "--exec-id", "big", "--json"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual((JSON.parse(result.stdout) as { links: { url: string }[] }).links.map((l) => l.url), ["https://late.example.dev/1"]);
});
