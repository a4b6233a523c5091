// `orun run` end to end: the built binary, real `sh` processes, plans written
// to temp dirs. Ordering and overlap are proven with files the steps write.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { until } from "../support/wait.js";
import { makePlan, readJson, readLines, type JobSpec, type StateFile, planDir } from "../runtime/helpers.js";

const setup = (t: { after(fn: () => Promise<void>): void }, jobs: JobSpec[], options: Parameters<typeof makePlan>[1] = {}): Promise<string> =>
  planDir(t, jobs, options, "orun-cli-run-");

async function state(dir: string, execId: string): Promise<StateFile> {
  return readJson<StateFile>(path.join(dir, ".orun/executions", execId, "state.json"));
}

// Waits (bounded) for another job's marker file: proves two jobs run at the same time.
const waitFor = (file: string): string => `i=0; while [ ! -f ${file} ]; do sleep 0.01; i=$((i+1)); if [ $i -gt 1500 ]; then echo "never saw ${file}"; exit 9; fi; done`;

test("independent jobs overlap in time and a dependent waits for both", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.one", steps: [{ run: `touch a.started; ${waitFor("b.started")}; touch a.done` }] },
    { id: "b@dev.two", steps: [{ run: `touch b.started; ${waitFor("a.started")}; touch b.done` }] },
    { id: "c@dev.after", dependsOn: ["a@dev.one", "b@dev.two"], steps: [{ run: "test -f a.done && test -f b.done && touch c.ran" }] },
  ], { concurrency: 4 });
  const result = await runOrun(["run", "plan.json", "--exec-id", "overlap"], { cwd: dir });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.ok(existsSync(path.join(dir, "c.ran")));
  const s = await state(dir, "overlap");
  assert.deepEqual(Object.values(s.jobs).map((j) => j.status), ["completed", "completed", "completed"]);
});

test("--concurrency 1 is strictly sequential even when the plan allows more", async (t) => {
  const step = { run: 'mkdir busy || { echo "overlapped"; exit 7; }; echo "$ORUN_JOB_ID" >> order; sleep 0.05; rmdir busy' };
  const dir = await setup(t, [
    { id: "b@dev.x", steps: [step] },
    { id: "a@dev.x", steps: [step] },
    { id: "c@dev.x", steps: [step] },
  ], { concurrency: 8 });
  const result = await runOrun(["run", "plan.json", "--concurrency", "1"], { cwd: dir });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.deepEqual(await readLines(path.join(dir, "order")), ["a@dev.x", "b@dev.x", "c@dev.x"]);
  // Sequential output groups results under component/environment headers.
  assert.match(result.stdout, /\n {2}a {2}· {2}dev\n {4}✓ x /);
});

test("with concurrency > 1 every result line carries its component·environment/job prefix", async (t) => {
  const dir = await setup(t, [
    { id: "platform-shared@production.verify-turbo-package", steps: [{ run: "true" }] },
    { id: "web@staging.build", steps: [{ run: "true" }] },
  ], { concurrency: 2 });
  const result = await runOrun(["run", "plan.json"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^ {2}✓ platform-shared·production\/verify-turbo-package {2}\d/m);
  assert.match(result.stdout, /^ {2}✓ web·staging\/build {2}\d/m);
  assert.ok(!result.stdout.includes("\u001b["), "no ANSI codes when not a TTY");
});

test("steps run pre → main → post, by order, then declaration order", async (t) => {
  const dir = await setup(t, [
    {
      id: "api@dev.build",
      steps: [
        { id: "main-b", phase: "main", run: "echo main-b >> seq" },
        { id: "post", phase: "post", run: "echo post >> seq" },
        { id: "pre-2", phase: "pre", order: 2, run: "echo pre-2 >> seq" },
        { id: "main-a", phase: "main", order: 1, run: "echo main-a >> seq" },
        { id: "pre-1", phase: "pre", order: 1, run: "echo pre-1 >> seq" },
        { id: "main-c", phase: "main", run: "echo main-c >> seq" },
      ],
    },
  ]);
  const result = await runOrun(["run", "plan.json"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(await readLines(path.join(dir, "seq")), ["pre-1", "pre-2", "main-b", "main-c", "main-a", "post"]);
});

test("step retry re-runs a failing step; job retries apply when the step has none; exhaustion fails", async (t) => {
  const flaky = (name: string, failures: number): string => `n=$(cat ${name} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${name}; [ $n -gt ${failures} ]`;
  const dir = await setup(t, [
    { id: "a@dev.step-retry", steps: [{ run: flaky("a.count", 2), retry: 2 }] },
    { id: "b@dev.job-retries", retries: 1, steps: [{ run: flaky("b.count", 1) }] },
    { id: "c@dev.exhausted", steps: [{ run: flaky("c.count", 5), retry: 1 }] },
  ]);
  const result = await runOrun(["run", "plan.json", "--exec-id", "retries"], { cwd: dir });
  assert.equal(result.code, 1);
  assert.deepEqual(await readLines(path.join(dir, "a.count")), ["3"]);
  assert.deepEqual(await readLines(path.join(dir, "b.count")), ["2"]);
  assert.deepEqual(await readLines(path.join(dir, "c.count")), ["2"]);
  const s = await state(dir, "retries");
  assert.equal(s.jobs["a@dev.step-retry"]!.status, "completed");
  assert.equal(s.jobs["b@dev.job-retries"]!.status, "completed");
  assert.equal(s.jobs["c@dev.exhausted"]!.status, "failed");
  assert.match(result.stdout, /retrying attempt 2\/3/);
});

test("a timeout kills the step's process group and reports `timed out after`", async (t) => {
  const dir = await setup(t, [
    { id: "api@dev.slow", steps: [{ id: "hang", run: "sleep 30 & echo $! > bg.pid; wait", timeout: "300ms" }] },
    { id: "api@dev.bad-timeout", steps: [{ id: "weird", run: "true", timeout: "15 minutes" }] },
  ]);
  const started = Date.now();
  const result = await runOrun(["run", "plan.json", "--exec-id", "timeouts"], { cwd: dir });
  assert.ok(Date.now() - started < 15_000);
  assert.equal(result.code, 1);
  const s = await state(dir, "timeouts");
  assert.equal(s.jobs["api@dev.slow"]!.lastError, "step hang: timed out after 300ms");
  assert.match(s.jobs["api@dev.bad-timeout"]!.lastError!, /invalid timeout "15 minutes" for job api@dev.bad-timeout step weird/);
  const pid = Number((await readFile(path.join(dir, "bg.pid"), "utf8")).trim());
  const { isAlive } = await import("../../src/runtime/records/lock.js");
  // The group was SIGKILLed; its orphan is reaped by init, which a loaded machine can take longer than a second to do.
  await until(() => !isAlive(pid), "the background sleep to be gone", 10_000);
});

test("onFailure: continue runs the next step but the job still fails; stop (default) skips the rest except post steps", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.cont", steps: [{ id: "flaky", run: "exit 4", onFailure: "continue" }, { id: "next", run: "touch next.ran" }] },
    { id: "b@dev.stop", steps: [{ id: "boom", run: "exit 5" }, { id: "never", run: "touch never.ran" }, { id: "cleanup", phase: "post", run: "touch cleanup.ran" }] },
  ]);
  const result = await runOrun(["run", "plan.json", "--exec-id", "onfail"], { cwd: dir });
  assert.equal(result.code, 1);
  assert.ok(existsSync(path.join(dir, "next.ran")));
  assert.ok(!existsSync(path.join(dir, "never.ran")));
  assert.ok(existsSync(path.join(dir, "cleanup.ran")), "post steps still clean up");
  const s = await state(dir, "onfail");
  assert.equal(s.jobs["a@dev.cont"]!.status, "failed");
  assert.deepEqual(s.jobs["a@dev.cont"]!.steps, { flaky: "failed", next: "completed" });
  assert.deepEqual(s.jobs["b@dev.stop"]!.steps, { boom: "failed", cleanup: "completed", never: "skipped" });
  assert.match(result.stdout, /continuing \(onFailure: continue\)/);
});

test("failFast stops starting new jobs; dependents of a failure are skipped with the reason; exit is non-zero", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.fail", steps: [{ run: "exit 1" }] },
    { id: "a@dev.dependent", dependsOn: ["a@dev.fail"], steps: [{ run: "touch dependent.ran" }] },
    { id: "b@dev.later", steps: [{ run: "touch later.ran" }] },
  ], { failFast: true });
  const result = await runOrun(["run", "plan.json", "--exec-id", "ff"], { cwd: dir });
  assert.equal(result.code, 1);
  assert.ok(!existsSync(path.join(dir, "later.ran")), "fail-fast: nothing new starts");
  const s = await state(dir, "ff");
  assert.equal(s.jobs["a@dev.dependent"]!.status, "skipped");
  assert.equal(s.jobs["a@dev.dependent"]!.reason, "dependency a@dev.fail failed");
  assert.equal(s.jobs["b@dev.later"]!.status, "skipped");
  assert.match(s.jobs["b@dev.later"]!.reason!, /fail-fast after a@dev.fail failed/);

  // Without failFast the independent job still runs; the run still fails.
  const dir2 = await setup(t, [
    { id: "a@dev.fail", steps: [{ run: "exit 1" }] },
    { id: "b@dev.later", steps: [{ run: "touch later.ran" }] },
  ]);
  const second = await runOrun(["run", "plan.json"], { cwd: dir2 });
  assert.equal(second.code, 1);
  assert.ok(existsSync(path.join(dir2, "later.ran")));
  assert.match(second.stdout, /1 succeeded · 1 failed/);
});

test("failFast lets a running job finish", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.fail", steps: [{ run: `${waitFor("b.started")}; exit 1` }] },
    { id: "b@dev.running", steps: [{ run: `touch b.started; ${waitFor("a.state")}; touch b.finished` }] },
  ], { concurrency: 2, failFast: true });
  // b waits until a has failed: a marker written after orun recorded a's failure is not available to
  // steps, so b waits for a file the test creates once state.json shows a failed.
  const run = runOrun(["run", "plan.json", "--exec-id", "ff2"], { cwd: dir });
  const file = path.join(dir, ".orun/executions/ff2/state.json");
  for (let i = 0; i < 1000; i++) {
    const text = await readFile(file, "utf8").catch(() => "");
    if (text.includes('"failed"')) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await import("node:fs/promises").then((fs) => fs.writeFile(path.join(dir, "a.state"), "failed"));
  const result = await run;
  assert.equal(result.code, 1);
  assert.ok(existsSync(path.join(dir, "b.finished")), "the running job finished");
  assert.equal((await state(dir, "ff2")).jobs["b@dev.running"]!.status, "completed");
});

test("steps see ORUN_* runtime variables, then job env, then step env", async (t) => {
  const dir = await setup(t, [
    {
      id: "api@dev.env",
      uid: "job_abc",
      env: { N: "3", SHARED: "job" },
      steps: [{ env: { SHARED: "step", ORUN_JOB_ID: "overridden" }, run: "env | grep -E '^(ORUN_|N=|SHARED=)' | sort > env.out" }],
    },
  ], { name: "envs" });
  const result = await runOrun(["run", "plan.json", "--exec-id", "env-1"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  const env = Object.fromEntries((await readLines(path.join(dir, "env.out"))).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
  const s = await state(dir, "env-1");
  const planId = s.planChecksum.replace("sha256-", "").slice(0, 12);
  assert.equal(env.ORUN_CONTEXT, "local");
  assert.equal(env.ORUN_RUNNER, "local");
  assert.equal(env.ORUN_EXEC_ID, "env-1");
  assert.equal(env.ORUN_PLAN_ID, planId);
  assert.equal(env.ORUN_JOB_RUN_ID, `${planId}:env-1:api@dev.env`);
  assert.equal(env.ORUN_COMPONENT, "api");
  assert.equal(env.ORUN_ENVIRONMENT, "dev");
  assert.equal(env.ORUN_JOB_UID, "job_abc");
  assert.equal(env.ORUN_JOB_ID, "overridden");
  assert.equal(env.N, "3");
  assert.equal(env.SHARED, "step");
});

test("working-directory is joined once onto the job path; --workdir overrides every job", async (t) => {
  const dir = await setup(t, [{ id: "api@dev.wd", path: "services/api", steps: [{ "working-directory": "sub", run: "pwd > where" }] }]);
  await import("node:fs/promises").then((fs) => fs.mkdir(path.join(dir, "services/api/sub"), { recursive: true }));
  const result = await runOrun(["run", "plan.json"], { cwd: dir });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.ok(existsSync(path.join(dir, "services/api/sub/where")));
  await import("node:fs/promises").then((fs) => fs.mkdir(path.join(dir, "elsewhere/sub"), { recursive: true }));
  const override = await runOrun(["run", "plan.json", "--workdir", "elsewhere"], { cwd: dir });
  assert.equal(override.code, 0, override.stdout + override.stderr);
  assert.ok(existsSync(path.join(dir, "elsewhere/sub/where")));
});

test("dry-run previews order, directories, runner, retries, timeouts and phases, and writes nothing", async (t) => {
  const dir = await setup(t, [
    { id: "api@dev.deploy", path: "services/api", dependsOn: ["api@dev.build"], timeout: "10m", steps: [{ id: "ship", run: "touch shipped" }] },
    { id: "api@dev.build", retries: 2, steps: [{ id: "checkout", phase: "pre", run: "touch x" }, { id: "compile", run: "touch y", timeout: "5m", retry: 3 }, { id: "report", phase: "post", run: "touch z" }] },
  ], { concurrency: 4, failFast: true });
  const before = (await readdir(dir)).sort();
  const result = await runOrun(["run", "plan.json", "--dry-run"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual((await readdir(dir)).sort(), before, "no .orun, no step output");
  const out = result.stdout;
  assert.ok(out.indexOf("1. api@dev.build") < out.indexOf("2. api@dev.deploy"));
  assert.match(out, /Runner: {4}local \(default\)/);
  assert.match(out, new RegExp(`workdir  ${path.join(dir, "services/api").replace(/[/.]/g, "\\$&")}`));
  assert.match(out, /retries {2}2/);
  assert.match(out, /timeout 10m/);
  assert.match(out, /pre {2}checkout/);
  assert.match(out, /post report/);
  assert.match(out, /compile .*\[retry 3 · timeout 5m\]/);
  assert.match(out, /4× parallel · fail-fast/);

  const json = await runOrun(["run", "plan.json", "--dry-run", "--json"], { cwd: dir });
  const preview = (JSON.parse(json.stdout) as { dryRun: boolean; preview: { id: string; workdir: string; steps: { key: string; phase: string; timeout?: string; retries: number }[] }[] });
  assert.equal(preview.dryRun, true);
  assert.deepEqual(preview.preview.map((job) => job.id), ["api@dev.build", "api@dev.deploy"]);
  assert.deepEqual(preview.preview[0]!.steps.map((step) => `${step.phase}:${step.key}:${step.retries}:${step.timeout ?? "-"}`), ["pre:checkout:2:-", "main:compile:3:5m", "post:report:2:-"]);
  assert.deepEqual((await readdir(dir)).sort(), before);
});

test("runner resolution: --gha comes before --runner (seed 000's order), unknown runners and use: steps under local are clear errors", async (t) => {
  const dir = await setup(t, [{ id: "api@dev.helm", steps: [{ id: "setup-helm", use: "azure/setup-helm@v4.3.0" }] }]);
  // The seed's order is --gha, then --runner: with both, --gha chooses, and the contradiction is said.
  const both = await runOrun(["run", "plan.json", "--gha", "--runner", "docker", "--dry-run"], { cwd: dir });
  assert.equal(both.code, 0, both.stdout + both.stderr);
  assert.match(both.stdout, /Runner: {4}github-actions \(--gha\)/);
  assert.match(both.stderr, /^warning: --gha comes before --runner docker: the github-actions runner runs this plan\n/m);
  const bogus = await runOrun(["run", "plan.json", "--dry-run"], { cwd: dir, env: { ORUN_RUNNER: "podman" } });
  assert.equal(bogus.code, 1);
  assert.match(bogus.stderr, /unsupported runner "podman" from ORUN_RUNNER/);
  // A use: step auto-selects github-actions in the preview...
  const auto = await runOrun(["run", "plan.json", "--dry-run"], { cwd: dir, env: { GITHUB_ACTIONS: "" } });
  assert.match(auto.stdout, /Runner: {4}github-actions \(plan use: step\)/);
  // ...and an explicit local or docker runner refuses it before anything runs (the seed's "fails fast").
  const local = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "uses"], { cwd: dir });
  assert.equal(local.code, 1);
  assert.match(local.stderr, /✕ the local runner cannot run GitHub Actions steps: job api@dev\.helm step setup-helm uses azure\/setup-helm@v4\.3\.0/);
  assert.match(local.stderr, /rerun with --gha or --runner github-actions/);
  assert.equal(existsSync(path.join(dir, ".orun/executions/uses")), false, "no record: nothing ran");
  const docker = await runOrun(["run", "plan.json", "--runner", "docker", "--dry-run"], { cwd: dir });
  assert.match(docker.stdout, /the docker runner will refuse them; rerun with --gha/);
  assert.equal(docker.code, 1, "the preview refuses what the run refuses");
  const retry = await runOrun(["run", "plan.json", "--retry"], { cwd: dir });
  assert.match(retry.stderr, /✕ --retry requires --job/);
  // A --background parent refuses it too, before it starts a child (else: "background run started", exit 0).
  const inBackground = await runOrun(["run", "plan.json", "--retry", "--background", "--exec-id", "retry-bg"], { cwd: dir });
  assert.equal(inBackground.code, 1, inBackground.stdout);
  assert.equal(inBackground.stderr, "✕ --retry requires --job\n");
  assert.equal(existsSync(path.join(dir, ".orun/executions/retry-bg")), false, "no record: no child started");
  const badId = await runOrun(["run", "plan.json", "--exec-id", "../escape"], { cwd: dir });
  assert.equal(badId.code, 1);
  assert.match(badId.stderr, /invalid exec id "\.\.\/escape"/);
  const badConc = await runOrun(["run", "plan.json", "--concurrency", "0"], { cwd: dir });
  assert.notEqual(badConc.code, 0);
});

test("jobs requiring approval are blocked without --approve and run with it", async (t) => {
  const dir = await setup(t, [
    { id: "api@prod.deploy", policies: { requireApproval: "true" }, steps: [{ run: "touch deployed" }] },
    { id: "api@prod.verify", dependsOn: ["api@prod.deploy"], steps: [{ run: "touch verified" }] },
  ]);
  const blocked = await runOrun(["run", "plan.json", "--exec-id", "appr"], { cwd: dir });
  assert.equal(blocked.code, 1);
  assert.ok(!existsSync(path.join(dir, "deployed")));
  const s = await state(dir, "appr");
  assert.equal(s.jobs["api@prod.deploy"]!.status, "blocked");
  assert.match(s.jobs["api@prod.deploy"]!.reason!, /--approve/);
  assert.equal(s.jobs["api@prod.verify"]!.reason, "dependency api@prod.deploy was blocked");
  const approved = await runOrun(["run", "plan.json", "--approve"], { cwd: dir });
  assert.equal(approved.code, 0, approved.stdout);
  assert.ok(existsSync(path.join(dir, "verified")));
});

test("path-hostile job and step IDs keep every log inside the execution folder", async (t) => {
  const dir = await setup(t, [
    { id: "../../evil", component: "x", environment: "dev", name: "evil", steps: [{ id: "../../../escape", run: "echo hostile-1" }, { id: "a/b", run: "echo hostile-2" }, { id: "..", run: "echo hostile-3" }] },
  ]);
  const result = await runOrun(["run", "plan.json", "--exec-id", "hostile"], { cwd: dir });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const logsDir = path.join(dir, ".orun/executions/hostile/logs");
  const found: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else found.push(full);
    }
  };
  await walk(logsDir);
  assert.equal(found.length, 3);
  for (const file of found) assert.ok(file.startsWith(logsDir + path.sep), file);
  const contents = await Promise.all(found.map((file) => readFile(file, "utf8")));
  assert.deepEqual(contents.map((c) => c.trim()).sort(), ["hostile-1", "hostile-2", "hostile-3"]);
  // Nothing appeared next to or above the workspace.
  assert.deepEqual((await readdir(dir)).sort(), [".orun", "plan.json"]);
  const logs = await runOrun(["logs", "--job", "../../evil"], { cwd: dir });
  assert.match(logs.stdout, /hostile-2/);
});

test("--json prints one machine-readable summary", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.ok", steps: [{ run: "echo hi" }] },
    { id: "a@dev.bad", steps: [{ run: "exit 2" }] },
  ]);
  const result = await runOrun(["run", "plan.json", "--json", "--exec-id", "js"], { cwd: dir });
  assert.equal(result.code, 1);
  const summary = JSON.parse(result.stdout) as { execId: string; status: string; counts: Record<string, number>; jobs: { id: string; status: string; error?: string }[] };
  assert.equal(summary.execId, "js");
  assert.equal(summary.status, "failed");
  assert.equal(summary.counts.succeeded, 1);
  assert.equal(summary.counts.failed, 1);
  assert.equal(summary.jobs.find((j) => j.id === "a@dev.bad")!.error, "step s1: exit status 2");
});

test("bad plans fail clearly: cycles, unknown dependencies, unreadable files", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.x", dependsOn: ["b@dev.x"], steps: [] },
    { id: "b@dev.x", dependsOn: ["a@dev.x"], steps: [] },
  ]);
  const cycle = await runOrun(["run", "plan.json"], { cwd: dir });
  assert.equal(cycle.code, 1);
  assert.match(cycle.stderr, /cycle/);
  assert.ok(!existsSync(path.join(dir, ".orun/executions")), "nothing recorded for an invalid plan");
  await import("node:fs/promises").then((fs) => fs.writeFile(path.join(dir, "broken.json"), "{ nope"));
  const broken = await runOrun(["run", "broken.json"], { cwd: dir });
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /broken\.json/);
  const missingJob = await runOrun(["run", "plan.json", "--job", "zzz@dev.x"], { cwd: dir });
  assert.equal(missingJob.code, 1);
});
