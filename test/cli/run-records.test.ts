// Execution records through the CLI: resume after SIGKILL, --job/--retry,
// checksum refusal, legacy migration, corrupt state, the exec lock,
// promotion gates, status/logs/gc and background runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { makePlan, readJson, readLines, writePlan, type JobSpec, type StateFile, planDir } from "../runtime/helpers.js";
import { processGone, until } from "../support/wait.js";

const setup = (t: { after(fn: () => Promise<void>): void }, jobs: JobSpec[], options: Parameters<typeof makePlan>[1] = {}): Promise<string> =>
  planDir(t, jobs, options, "orun-cli-rec-");

const stateFile = (dir: string, execId: string): string => path.join(dir, ".orun/executions", execId, "state.json");
const waitFor = (file: string): string => `i=0; while [ ! -f ${file} ]; do sleep 0.01; i=$((i+1)); if [ $i -gt 2000 ]; then exit 9; fi; done`;

function startOrun(args: string[], cwd: string): ChildProcess {
  return spawn(process.execPath, [ORUN_BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: "ignore" });
}

const chain: JobSpec[] = [
  { id: "a@dev.one", steps: [{ run: "echo a >> runs" }] },
  { id: "b@dev.two", dependsOn: ["a@dev.one"], steps: [{ run: "echo b >> runs" }] },
  { id: "c@dev.three", dependsOn: ["b@dev.two"], steps: [{ run: `echo c >> runs; touch c.started; ${waitFor("release")}` }] },
  { id: "d@dev.four", dependsOn: ["c@dev.three"], steps: [{ run: "echo d >> runs" }] },
];

test("resume after the orun process is SIGKILLed mid-run re-runs no completed job and leaves valid JSON", async (t) => {
  const dir = await setup(t, chain);
  const child = startOrun(["run", "plan.json", "--exec-id", "crash"], dir);
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const file = stateFile(dir, "crash");
  const cRecordedRunning = async (): Promise<boolean> => {
    try {
      return (JSON.parse(await readFile(file, "utf8")) as StateFile).jobs["c@dev.three"]?.status === "running";
    } catch {
      return false;
    }
  };
  await until(async () => existsSync(path.join(dir, "c.started")) && (await cRecordedRunning()), "job c to be recorded running");
  child.kill("SIGKILL");
  await exited;

  const crashed = JSON.parse(await readFile(file, "utf8")) as StateFile;
  assert.equal(crashed.jobs["a@dev.one"]!.status, "completed");
  assert.equal(crashed.jobs["b@dev.two"]!.status, "completed");
  assert.equal(crashed.jobs["c@dev.three"]!.status, "running");
  assert.ok(existsSync(path.join(dir, ".orun/executions/crash/.lock")), "the dead run's lock is left behind");

  const interrupted = await runOrun(["status", "--exec-id", "crash"], { cwd: dir });
  assert.match(interrupted.stdout, /State: interrupted/);
  assert.match(interrupted.stdout, /resume with: orun run --exec-id crash/);

  // The killed run's step was stopped with it; the resumed c waits for this file too.
  await writeFile(path.join(dir, "release"), "");
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "crash"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, /already completed/);
  assert.deepEqual(await readLines(path.join(dir, "runs")), ["a", "b", "c", "c", "d"]);
  const final = await readJson<StateFile>(file);
  assert.deepEqual(Object.values(final.jobs).map((j) => j.status), ["completed", "completed", "completed", "completed"]);
  assert.ok(!existsSync(path.join(dir, ".orun/executions/crash/.lock")));
});

test("a second run on the same exec-id is refused while the first is alive", async (t) => {
  const dir = await setup(t, chain);
  const child = startOrun(["run", "plan.json", "--exec-id", "locked"], dir);
  const exited = new Promise((resolve) => child.on("exit", resolve));
  t.after(async () => {
    await writeFile(path.join(dir, "release"), "").catch(() => undefined);
    await exited;
  });
  await until(async () => existsSync(path.join(dir, "c.started")), "job c to start");
  const second = await runOrun(["run", "plan.json", "--exec-id", "locked"], { cwd: dir });
  assert.equal(second.code, 1);
  assert.match(second.stderr, /execution locked is already running \(pid \d+\)/);
  await writeFile(path.join(dir, "release"), "");
  assert.equal(await exited, 0);
  assert.deepEqual(await readLines(path.join(dir, "runs")), ["a", "b", "c", "d"], "the refused run executed nothing");
});

test("--job runs one job (either ID form); --job --retry clears and re-runs it; unmet dependencies are refused", async (t) => {
  const dir = await setup(t, [
    { id: "a@dev.one", steps: [{ run: "echo a >> runs" }] },
    { id: "b@dev.two", dependsOn: ["a@dev.one"], steps: [{ run: "echo b >> runs; test ! -f fail-b" }] },
  ]);
  const early = await runOrun(["run", "plan.json", "--exec-id", "jobs", "--job", "b.dev.two"], { cwd: dir });
  assert.equal(early.code, 1);
  assert.match(early.stderr, /cannot run b@dev\.two: dependencies not completed \(a@dev\.one\)/);

  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "jobs"], { cwd: dir })).code, 0);
  const again = await runOrun(["run", "plan.json", "--exec-id", "jobs", "--job", "b.dev.two"], { cwd: dir });
  assert.equal(again.code, 0);
  assert.deepEqual(await readLines(path.join(dir, "runs")), ["a", "b"], "a completed job is not re-run without --retry");

  await writeFile(path.join(dir, "fail-b"), "");
  const retried = await runOrun(["run", "plan.json", "--exec-id", "jobs", "--job", "b@dev.two", "--retry"], { cwd: dir });
  assert.equal(retried.code, 1);
  assert.deepEqual(await readLines(path.join(dir, "runs")), ["a", "b", "b"]);
  const s = await readJson<StateFile>(stateFile(dir, "jobs"));
  assert.equal(s.jobs["a@dev.one"]!.status, "completed", "other jobs keep their state");
  assert.equal(s.jobs["b@dev.two"]!.status, "failed");
});

test("resuming with a different plan is refused and the record is left untouched", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.one", steps: [{ run: "echo one" }] }]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "sum"], { cwd: dir })).code, 0);
  const before = await readFile(stateFile(dir, "sum"), "utf8");
  await writePlan(dir, makePlan([{ id: "a@dev.one", steps: [{ run: "echo changed" }] }]));
  const result = await runOrun(["run", "plan.json", "--exec-id", "sum"], { cwd: dir });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /execution sum belongs to plan [0-9a-f]{12}, not [0-9a-f]{12}/);
  assert.match(result.stderr, /state\.json/);
  assert.equal(await readFile(stateFile(dir, "sum"), "utf8"), before);
});

test("a corrupt state.json is reported with its path and never overwritten", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.one", steps: [{ run: "true" }] }]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "bad"], { cwd: dir })).code, 0);
  await writeFile(stateFile(dir, "bad"), '{"jobs": {');
  const result = await runOrun(["run", "plan.json", "--exec-id", "bad"], { cwd: dir });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /executions\/bad\/state\.json: corrupt execution state/);
  assert.equal(await readFile(stateFile(dir, "bad"), "utf8"), '{"jobs": {');
  // A metadata.json that is not JSON holds nothing to keep: the resume runs without it, naming it, and writes it anew
  // (docs/running.md: a record whose metadata.json is missing or unreadable is shown, and resumed, with a warning).
  await writeFile(stateFile(dir, "bad"), (await readFile(stateFile(dir, "bad"), "utf8")).replace('{"jobs": {', '{"jobs": {}}'));
  const metaFile = path.join(dir, ".orun/executions/bad/metadata.json");
  await writeFile(metaFile, "{ broken");
  const meta = await runOrun(["run", "plan.json", "--exec-id", "bad"], { cwd: dir });
  assert.equal(meta.code, 0, meta.stderr);
  assert.match(meta.stderr, /metadata\.json: invalid JSON .*this run writes a new one/);
  assert.equal((JSON.parse(await readFile(metaFile, "utf8")) as { status: string }).status, "completed");
  await writeFile(stateFile(dir, "bad"), '{"jobs": {');
  const status = await runOrun(["status", "--exec-id", "bad"], { cwd: dir });
  assert.equal(status.code, 1);
  assert.match(status.stderr, /corrupt execution (state|metadata)/);
});

test("a legacy .orun-state.json is migrated on the first run", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.one", steps: [{ run: "true" }] }]);
  await writeFile(path.join(dir, ".orun-state.json"), JSON.stringify({ execId: "x", jobs: { "old.dev.job": { status: "completed", steps: {} } } }));
  const result = await runOrun(["run", "plan.json", "--exec-id", "after-migration"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /✓ Migrated legacy \.orun-state\.json to \.orun\/executions\/migrated-\d{8}-\d{6}/);
  assert.ok(!existsSync(path.join(dir, ".orun-state.json")));
  const migrated = (await readdir(path.join(dir, ".orun/executions"))).find((name) => name.startsWith("migrated-"))!;
  const s = await readJson<StateFile>(stateFile(dir, migrated));
  assert.equal(s.jobs["old@dev.job"]!.status, "completed");
});

test("promotion gates run only with recorded success of the component in the gate environment at the same revision", async (t) => {
  const gate = { type: "environment-promotion" as const, environment: "staging", component: "web", condition: "success", match: { revision: "source" } };
  const dir = await setup(t, [{ id: "web@production.deploy", gates: [gate], steps: [{ run: "touch prod.deployed" }] }], { revision: "1111111111111111111111111111111111111111" });
  const blocked = await runOrun(["run", "plan.json", "--exec-id", "prod-1"], { cwd: dir });
  assert.equal(blocked.code, 1);
  const s = await readJson<StateFile>(stateFile(dir, "prod-1"));
  assert.equal(s.jobs["web@production.deploy"]!.status, "blocked");
  assert.match(s.jobs["web@production.deploy"]!.reason!, /promotion gate: web must have succeeded in staging at revision 111111111111/);

  // Staging succeeds at another revision: still blocked.
  await writePlan(dir, makePlan([{ id: "web@staging.deploy", steps: [{ run: "true" }] }], { revision: "2222222222222222222222222222222222222222" }), "staging-old.json");
  assert.equal((await runOrun(["run", "staging-old.json"], { cwd: dir })).code, 0);
  assert.equal((await runOrun(["run", "plan.json"], { cwd: dir })).code, 1);
  assert.ok(!existsSync(path.join(dir, "prod.deployed")));

  // Staging succeeds at the same revision: the gate opens.
  await writePlan(dir, makePlan([{ id: "web@staging.deploy", steps: [{ run: "true" }] }], { revision: "1111111111111111111111111111111111111111" }), "staging.json");
  assert.equal((await runOrun(["run", "staging.json"], { cwd: dir })).code, 0);
  const open = await runOrun(["run", "plan.json"], { cwd: dir });
  assert.equal(open.code, 0, open.stdout);
  assert.ok(existsSync(path.join(dir, "prod.deployed")));
});

test("status, logs and gc read the records", async (t) => {
  const dir = await setup(t, [
    { id: "api@dev.build", steps: [{ id: "compile", run: "echo compiled-ok" }] },
    { id: "api@dev.test", steps: [{ id: "unit", run: "echo unit-broke; exit 1" }] },
  ]);
  const none = await runOrun(["status"], { cwd: dir });
  assert.equal(none.code, 0);
  assert.match(none.stdout, /No runs yet\./);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "first"], { cwd: dir })).code, 1);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "second"], { cwd: dir })).code, 1);

  const status = await runOrun(["status"], { cwd: dir });
  assert.equal(status.code, 0);
  assert.match(status.stdout, /Run: second {2}· {2}State: failed/);
  // Worded as the run's output and logs word it; --json keeps the record's own words.
  assert.match(status.stdout, /✗ test .*step unit: command exited with code 1/);
  assert.doesNotMatch(status.stdout, /exit status/);
  const second = JSON.parse((await runOrun(["status", "--json", "--exec-id", "second"], { cwd: dir })).stdout) as { state: { jobs: Record<string, { lastError?: string }> } };
  assert.ok(Object.values(second.state.jobs).some((job) => job.lastError === "step unit: exit status 1"), JSON.stringify(second.state));
  const json = JSON.parse((await runOrun(["status", "--json", "--exec-id", "fir"], { cwd: dir })).stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(json), ["execID", "meta", "state"]);
  assert.equal(json.execID, "first");
  const all = await runOrun(["status", "--all"], { cwd: dir });
  assert.match(all.stdout, /^✗ second +failed +test +1 succeeded · 1 failed +now$/m);
  assert.match(all.stdout, /^✗ first +failed /m);
  const missing = await runOrun(["status", "--exec-id", "nope"], { cwd: dir });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /✕ execution not found: nope/);

  const logs = await runOrun(["logs", "--job", "api.dev.build"], { cwd: dir });
  assert.match(logs.stdout, /api@dev\.build › compile/);
  assert.match(logs.stdout, /compiled-ok/);
  assert.doesNotMatch(logs.stdout, /unit-broke/);
  const failed = await runOrun(["logs", "--failed"], { cwd: dir });
  assert.match(failed.stdout, /unit-broke/);
  assert.doesNotMatch(failed.stdout, /compiled-ok/);

  const dry = await runOrun(["gc", "--keep", "1", "--dry-run"], { cwd: dir });
  assert.match(dry.stdout, /Would remove first/);
  const gc = await runOrun(["gc", "--keep", "1"], { cwd: dir });
  assert.match(gc.stdout, /Removed first\n\nRemoved 1 execution\n/);
  assert.deepEqual((await readdir(path.join(dir, ".orun/executions"))).sort(), ["latest", "second"]);
  assert.match((await runOrun(["gc", "--keep", "1"], { cwd: dir })).stdout, /Nothing to clean up\./);
});

test("logs --follow streams a running step until the run ends", async (t) => {
  const dir = await setup(t, [{ id: "api@dev.stream", steps: [{ id: "talk", run: `echo first-line; ${waitFor("go")}; echo second-line` }] }]);
  const run = startOrun(["run", "plan.json", "--exec-id", "follow"], dir);
  const runExit = new Promise((resolve) => run.on("exit", resolve));
  t.after(async () => {
    await writeFile(path.join(dir, "go"), "").catch(() => undefined);
    await runExit;
  });
  await until(async () => (await readFile(path.join(dir, ".orun/executions/follow/logs/api@dev.stream/talk.log"), "utf8").catch(() => "")).includes("first-line"), "first line");
  const follower = spawn(process.execPath, [ORUN_BIN, "logs", "--exec-id", "follow", "--follow"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  follower.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const followExit = new Promise((resolve) => follower.on("exit", resolve));
  await until(async () => out.includes("first-line"), "follower to print the first line");
  assert.ok(!out.includes("second-line"));
  await writeFile(path.join(dir, "go"), "");
  assert.equal(await followExit, 0);
  assert.match(out, /first-line\nsecond-line/);
  assert.equal(await runExit, 0);
});

test("--background detaches, records pid and run.log, and status --watch follows it to the end", async (t) => {
  const dir = await setup(t, [{ id: "api@dev.bg", steps: [{ run: "echo background-work > bg.out" }] }]);
  const started = await runOrun(["run", "plan.json", "--background", "--exec-id", "bg-1"], { cwd: dir });
  assert.equal(started.code, 0, started.stderr);
  assert.match(started.stdout, /✓ background run started\n {2}exec-id: bg-1\n {2}pid: {5}\d+/);
  const recordDir = path.join(dir, ".orun/executions/bg-1");
  assert.match(await readFile(path.join(recordDir, "pid"), "utf8"), /^\d+\n$/);
  const watch = await runOrun(["status", "--exec-id", "bg-1", "--watch", "--interval", "200ms"], { cwd: dir });
  assert.equal(watch.code, 0, watch.stdout);
  assert.match(watch.stdout, /State: completed/);
  assert.ok(existsSync(path.join(dir, "bg.out")));
  assert.match(await readFile(path.join(recordDir, "run.log"), "utf8"), /Done in/);
  assert.equal((await readJson<{ trigger: string }>(path.join(recordDir, "metadata.json"))).trigger, "background");
  // The child may still be writing into the record after its summary: its folder goes only once it has exited.
  const childPid = Number((await readFile(path.join(recordDir, "pid"), "utf8")).trim());
  await until(() => processGone(childPid), "the background child to exit");
  const bad = await runOrun(["run", "plan.json", "--background", "--dry-run"], { cwd: dir });
  assert.match(bad.stderr, /--background cannot be combined with --dry-run/);
});

for (const spawner of ["direct", "native"]) {
  test(`Ctrl-C to the terminal's process group kills running steps, records them, skips the rest and exits 130 (${spawner} spawns)`, async (t) => {
    const dir = await setup(t, [
      { id: "a@dev.long", steps: [{ run: "sleep 30 & echo $! > bg.pid; touch a.started; wait" }] },
      { id: "a@dev.next", dependsOn: ["a@dev.long"], steps: [{ run: "touch next.ran" }] },
    ]);
    // Like a terminal: orun leads its own process group and Ctrl-C signals the whole group.
    const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "intr"], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1", ORUN_LOCAL_SPAWNER: spawner },
      stdio: "ignore",
      detached: true,
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await until(async () => existsSync(path.join(dir, "a.started")), "the long step to start");
    process.kill(-child.pid!, "SIGINT");
    assert.equal(await exited, 130);
    const s = await readJson<StateFile>(stateFile(dir, "intr"));
    assert.equal(s.jobs["a@dev.long"]!.status, "failed");
    assert.equal(s.jobs["a@dev.long"]!.lastError, "step s1: canceled");
    assert.equal(s.jobs["a@dev.next"]!.status, "skipped");
    assert.ok(!existsSync(path.join(dir, "next.ran")));
    const meta = await readJson<{ status: string }>(path.join(dir, ".orun/executions/intr/metadata.json"));
    assert.equal(meta.status, "failed");
    const { isAlive } = await import("../../src/runtime/records/lock.js");
    const pid = Number((await readFile(path.join(dir, "bg.pid"), "utf8")).trim());
    await until(async () => !isAlive(pid), "the step's background process to die", 15_000);
  });
}
