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
import { isAlive } from "../../src/runtime/records/lock.js";
import { makePlan, readJson, readLines, removeDir, tempDir, writePlan, type JobSpec, type StateFile } from "../runtime/helpers.js";

async function setup(t: { after(fn: () => Promise<void>): void }, jobs: JobSpec[], options: Parameters<typeof makePlan>[1] = {}): Promise<string> {
  const dir = await tempDir("orun-cli-supervision-");
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan(jobs, options));
  return dir;
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// The step records its shell's pid, then outlives any test unless it is killed; once `quick` exists it is short.
const LONG_STEP = 'echo "start $$" >> runs; if [ ! -f quick ]; then echo $$ > step.pid; sleep 30; fi; echo "end $$" >> runs';

for (const signal of ["SIGKILL", "SIGHUP"] as const) {
  test(`${signal} to orun mid-step: the step's process group goes with it${signal === "SIGHUP" ? " and the run is recorded canceled" : "; a resume runs the step once more, alone"}`, async (t) => {
    const dir = await setup(t, [{ id: "a@dev.deploy", steps: [{ id: "deploy", run: LONG_STEP }] }]);
    const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "x"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: "ignore" });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await until(() => existsSync(path.join(dir, "step.pid")) && readFile(path.join(dir, "step.pid"), "utf8").then((text) => text.trim() !== ""), "the step to start");
    const stepPid = Number((await readFile(path.join(dir, "step.pid"), "utf8")).trim());
    assert.ok(isAlive(stepPid));
    child.kill(signal);
    await exited;
    await until(() => !isAlive(stepPid), `step ${stepPid} to be stopped`, 10_000);
    const meta = await readJson<{ status: string }>(path.join(dir, ".orun/executions/x/metadata.json"));
    if (signal === "SIGHUP") {
      assert.equal(meta.status, "failed", "a canceled run is not left running");
      const status = await runOrun(["status", "--exec-id", "x", "--json"], { cwd: dir });
      assert.match(status.stdout, /"status": "(canceled|failed)"/);
      return;
    }
    assert.equal(meta.status, "running", "SIGKILL leaves no chance to finish the record");
    // Resume: the step runs again (quickly now), and the killed attempt never gets to write its end.
    await writeFile(path.join(dir, "quick"), "");
    const resumed = await runOrun(["run", "plan.json", "--exec-id", "x"], { cwd: dir });
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    const lines = await readLines(path.join(dir, "runs"));
    assert.equal(lines.length, 3, lines.join(" | "));
    assert.deepEqual(lines.map((l) => l.split(" ")[0]), ["start", "start", "end"]);
    assert.equal(lines[2], lines[1]!.replace("start", "end"), "only the resumed attempt ended");
  });
}

test("orun run | head: the run goes on without its reader, completes its record and keeps its exit status", async (t) => {
  const jobs: JobSpec[] = [
    { id: "a@dev.x", steps: [{ run: "echo x >> runs" }] },
    { id: "a@dev.y", dependsOn: ["a@dev.x"], steps: [{ run: "echo y1 >> runs" }, { run: "sleep 0.3; echo y2 >> runs" }] },
    { id: "c@dev.w", steps: [{ run: "echo w >> runs; exit 3" }] },
  ];
  const dir = await setup(t, jobs, { concurrency: 2 });
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "piped", "--verbose"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  // Read the first chunk, then close our end like `head -1` does.
  child.stdout.once("data", () => child.stdout.destroy());
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 1, `a failed job still fails the run: ${stderr}`);
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
