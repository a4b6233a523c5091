// A run's steps do not outlive it: when the orun process is killed (SIGKILL)
// the spawn helper stops their process groups, so a resumed run never runs a
// step beside a survivor of the crashed one; a closed terminal (SIGHUP)
// cancels the run like Ctrl-C; and a closed stdout (`orun run | head`) no
// longer abandons the run: it finishes, its record is complete and the exit
// status still reports failures.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { makePlan, readJson, readLines, type JobSpec, type StateFile, planDir } from "../runtime/helpers.js";
import { groupAlive, until } from "../support/wait.js";

const setup = (t: { after(fn: () => Promise<void>): void }, jobs: JobSpec[], options: Parameters<typeof makePlan>[1] = {}): Promise<string> =>
  planDir(t, jobs, options, "orun-cli-supervision-");

// The step records its shell's pid (its process group), leaves a TERM-immune child in its group and would
// log a clean-up line on SIGTERM; it outlives any test unless killed. Once `quick` exists it is short.
const LONG_STEP = [
  'echo "start $$" >> runs',
  "if [ ! -f quick ]; then",
  "  trap 'sleep 0.3; echo \"term $$\" >> runs; exit 1' TERM",
  '  (trap "" TERM; exec sleep 30) &',
  "  echo $$ > step.pid",
  "  sleep 30 & wait",
  "fi",
  'echo "end $$" >> runs',
].join("\n");

/** Exit status of a run stopped gracefully by the signal: 128 + its number, as a shell reports it. */
const GRACEFUL: Record<string, number> = { SIGHUP: 129, SIGTERM: 143 };

for (const signal of ["SIGKILL", "SIGHUP", "SIGTERM"] as const) {
  test(`${signal} to orun mid-step: the step's whole process group goes with it${signal !== "SIGKILL" ? ` (gracefully), the run is recorded failed and orun exits ${GRACEFUL[signal]}` : "; a resume runs the step once more, alone"}`, async (t) => {
    const dir = await setup(t, [{ id: "a@dev.deploy", steps: [{ id: "deploy", run: LONG_STEP }] }]);
    const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "x"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const pidFile = path.join(dir, "step.pid");
    await until(async () => existsSync(pidFile) && (await readFile(pidFile, "utf8")).trim() !== "", "the step to start");
    const group = Number((await readFile(pidFile, "utf8")).trim());
    assert.ok(groupAlive(group));
    child.kill(signal);
    const code = await exited;
    await until(() => !groupAlive(group), `every process of step group ${group} to be stopped`, 10_000);
    const meta = await readJson<{ status: string }>(path.join(dir, ".orun/executions/x/metadata.json"));
    if (signal !== "SIGKILL") {
      assert.equal(code, GRACEFUL[signal]);
      // Canceled like Ctrl-C: the step got SIGTERM and its clean-up ran; the record is finished.
      assert.equal(meta.status, "failed");
      assert.deepEqual((await readLines(path.join(dir, "runs"))).map((l) => l.split(" ")[0]), ["start", "term"]);
      assert.match((await runOrun(["status", "--exec-id", "x"], { cwd: dir })).stdout, /State: failed/);
      return;
    }
    assert.equal(meta.status, "running", "SIGKILL leaves no chance to finish the record");
    // Resume at once: the step runs again (quickly now); the killed attempt was killed outright (no clean-up
    // line that could land beside the new attempt) and never writes its end.
    await writeFile(path.join(dir, "quick"), "");
    const resumed = await runOrun(["run", "plan.json", "--exec-id", "x"], { cwd: dir });
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    await new Promise((resolve) => setTimeout(resolve, 500)); // a surviving TERM trap would have written by now
    const lines = await readLines(path.join(dir, "runs"));
    assert.deepEqual(lines.map((l) => l.split(" ")[0]), ["start", "start", "end"], lines.join(" | "));
    assert.equal(lines[2], lines[1]!.replace("start", "end"), "only the resumed attempt ended");
  });
}

test("SIGKILL to orun mid-step under --gha (the seed's matrix runner): the step's process group goes too", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.deploy", steps: [{ id: "deploy", run: LONG_STEP }] }]);
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "g", "--gha"], { cwd: dir, env: { ...process.env, NO_COLOR: "1", GITHUB_ACTIONS: "" }, stdio: "ignore" });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const pidFile = path.join(dir, "step.pid");
  await until(async () => existsSync(pidFile) && (await readFile(pidFile, "utf8")).trim() !== "", "the step to start");
  const group = Number((await readFile(pidFile, "utf8")).trim());
  assert.ok(groupAlive(group));
  child.kill("SIGKILL");
  await exited;
  await until(() => !groupAlive(group), `every process of step group ${group} to be stopped`, 10_000);
  assert.deepEqual((await readLines(path.join(dir, "runs"))).map((l) => l.split(" ")[0]), ["start"], "killed outright: no clean-up line, no end");
});

test("orun run | head: the run goes on without its reader, completes its record and keeps its exit status", async (t) => {
  const jobs: JobSpec[] = [
    { id: "a@dev.x", steps: [{ run: "echo x >> runs" }] },
    // Prints only after the test has closed its end of the pipe: orun's writes then fail with EPIPE.
    { id: "a@dev.y", dependsOn: ["a@dev.x"], steps: [{ run: "echo y1 >> runs" }, { run: "while [ ! -f closed ]; do sleep 0.01; done; echo y2 >> runs; echo printed-after-close" }] },
    { id: "c@dev.w", steps: [{ run: "echo w >> runs; exit 3" }] },
  ];
  const dir = await setup(t, jobs, { concurrency: 2 });
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "piped", "--verbose"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  // Read the first chunk, then close our end like `head -1` does.
  child.stdout.once("data", () => {
    child.stdout.destroy();
    void writeFile(path.join(dir, "closed"), "");
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 1, `a failed job still fails the run: ${stderr}`);
  assert.equal(stderr, "", "nothing on stderr: a closed stdout is not an error");
  assert.deepEqual((await readLines(path.join(dir, "runs"))).sort(), ["w", "x", "y1", "y2"]);
  const state = await readJson<StateFile>(path.join(dir, ".orun/executions/piped/state.json"));
  assert.deepEqual(
    Object.entries(state.jobs).map(([id, job]) => [id, job.status]).sort(),
    [
      ["a@dev.x", "completed"],
      ["a@dev.y", "completed"],
      ["c@dev.w", "failed"],
    ],
  );
  assert.equal((await readJson<{ status: string }>(path.join(dir, ".orun/executions/piped/metadata.json"))).status, "failed");
});

test("orun run --verbose | a slow reader: every line arrives, in order, while orun waits for the reader", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.chatty", steps: [{ id: "print", run: "seq 1 100000" }] }]);
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "slow", "--verbose"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  // The reader takes nothing for a while: the pipe fills (64 KiB) long before the step's ~600 KB are shown.
  child.stdout.pause();
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  await until(async () => existsSync(path.join(dir, ".orun/executions/slow/logs")), "the step to print");
  await new Promise((resolve) => setTimeout(resolve, 300));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, stderr);
  const printed = stdout.split("\n").flatMap((line) => /│ (\d+)$/.exec(line)?.[1] ?? []).map(Number);
  assert.equal(printed.length, 100000);
  assert.ok(printed.every((n, i) => n === i + 1), "in order, none lost or repeated");
  assert.match(stdout, /1 succeeded/, "the summary comes after the output");
});

test("orun run --verbose | a reader that stops: the step's time limit still applies, and the output waits on disk", async (t) => {
  // ~7 MB of output, then the step would sleep for a minute; its limit is 2 s. Its pid goes to a file.
  const dir = await setup(t, [{ id: "a@dev.stuck", steps: [{ id: "print", run: "echo $$ > step.pid; seq 1 1000000; sleep 60", timeout: "2s" }] }]);
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "stall", "--verbose"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pause(); // the reader takes nothing until the step's group is gone
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  await until(async () => existsSync(path.join(dir, "step.pid")) && (await readFile(path.join(dir, "step.pid"), "utf8")).trim() !== "", "the step to start");
  const group = Number((await readFile(path.join(dir, "step.pid"), "utf8")).trim());
  await until(() => !groupAlive(group), "the time limit to stop the step while nobody reads orun's output", 20_000);
  child.stdout.resume();
  assert.equal(await exited, 1);
  const printed = stdout.split("\n").flatMap((line) => /│ (\d+)$/.exec(line)?.[1] ?? []).map(Number);
  assert.equal(printed.length, 1000000, "every line still shown once the reader came back");
  assert.match(stdout, /timed out after 2s/);
});

test("SIGKILL to orun's whole process group (a CI job being stopped): the helper is not in it and still stops the steps", async (t) => {
  const dir = await setup(t, [{ id: "a@dev.deploy", steps: [{ id: "deploy", run: LONG_STEP }] }]);
  // detached: orun leads its own process group, as under a job runner that kills the group.
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "g"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: "ignore", detached: true });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const pidFile = path.join(dir, "step.pid");
  await until(async () => existsSync(pidFile) && (await readFile(pidFile, "utf8")).trim() !== "", "the step to start");
  const group = Number((await readFile(pidFile, "utf8")).trim());
  process.kill(-child.pid!, "SIGKILL");
  await exited;
  await until(() => !groupAlive(group), `every process of step group ${group} to be stopped`, 10_000);
  assert.deepEqual((await readLines(path.join(dir, "runs"))).map((l) => l.split(" ")[0]), ["start"]);
});
