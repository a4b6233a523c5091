// Round 16 runtime audit: steps spawned directly (no spawn helper: ORUN_LOCAL_SPAWNER=direct, or no C
// compiler) do not outlive an orun killed outright. They run in sessions of their own, and with no helper to
// stop them a SIGKILLed orun left the whole step group running (a resume then ran the step beside it). What a
// step deliberately leaves running (a daemon) still outlives a run that ends normally, as with the helper.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { processEnded, until } from "../support/wait.js";

const DIRECT = { ...process.env, NO_COLOR: "1", ORUN_LOCAL_SPAWNER: "direct" };

/** Processes of group `pgid` still running: zombies (killed, not yet reaped by init here) are not (reads /proc). */
function groupRunning(pgid: number): number[] {
  const running: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const [state, , group] = readFileSync(`/proc/${name}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
      if (Number(group) === pgid && state !== "Z") running.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return running;
}

test("direct spawns: SIGKILL to orun mid-step stops the step's whole process group, TERM-immune children included", async (t) => {
  const step = ["(trap '' TERM; exec sleep 30) &", "trap '' TERM", "sleep 30 &", "echo $$ > step.pid", "wait"].join("\n");
  const dir = await planDir(t, [{ id: "a@dev.deploy", steps: [{ id: "deploy", run: step }] }]);
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "x"], { cwd: dir, env: DIRECT, stdio: "ignore" });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const pidFile = path.join(dir, "step.pid");
  await until(async () => existsSync(pidFile) && (await readFile(pidFile, "utf8")).trim() !== "", "the step to start");
  const group = Number((await readFile(pidFile, "utf8")).trim());
  t.after(() => {
    if (groupRunning(group).length > 0) process.kill(-group, "SIGKILL"); // never left behind, even when the test fails
  });
  assert.equal(groupRunning(group).length, 3, "the step's shell and its two sleeps");
  // At once: the guard may still be starting (it must not miss a group it was told of).
  child.kill("SIGKILL");
  await exited;
  await until(() => groupRunning(group).length === 0, `every process of step group ${group} to be stopped`, 10_000);
});

test("direct spawns: a second Ctrl-C (orun exits at once) still stops the step's whole process group, and says so", async (t) => {
  const step = ["(trap '' TERM; exec sleep 30) &", "trap '' TERM", "sleep 30 &", "echo $$ > step.pid", "wait"].join("\n");
  const dir = await planDir(t, [{ id: "a@dev.deploy", steps: [{ id: "deploy", run: step }] }]);
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "x"], { cwd: dir, env: DIRECT, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const pidFile = path.join(dir, "step.pid");
  await until(async () => existsSync(pidFile) && (await readFile(pidFile, "utf8")).trim() !== "", "the step to start");
  const group = Number((await readFile(pidFile, "utf8")).trim());
  t.after(() => {
    if (groupRunning(group).length > 0) process.kill(-group, "SIGKILL");
  });
  // The step ignores SIGTERM: the first Ctrl-C waits out the grace period, the second does not wait.
  child.kill("SIGINT");
  await new Promise((resolve) => setTimeout(resolve, 200));
  child.kill("SIGINT");
  assert.equal(await exited, 130);
  assert.match(stderr, /SIGINT again: stopped at once; running steps are killed and the run is left interrupted/);
  await until(() => groupRunning(group).length === 0, `every process of step group ${group} to be stopped`, 10_000);
  const status = await runOrun(["status", "--exec-id", "x"], { cwd: dir });
  assert.match(status.stdout, /State: interrupted/);
});

test("direct spawns: a daemon a step starts outlives a run that ends normally", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.daemon", steps: [{ run: "nohup sleep 30 >/dev/null 2>&1 & echo $! > daemon.pid" }] }]);
  const result = await runOrun(["run", "plan.json", "--exec-id", "d"], { cwd: dir, env: DIRECT });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const daemon = Number((await readFile(path.join(dir, "daemon.pid"), "utf8")).trim());
  t.after(() => {
    if (!processEnded(daemon)) process.kill(daemon, "SIGKILL");
  });
  // orun has exited (its guard saw it go): the daemon is still there a moment later.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(processEnded(daemon), false, "the daemon must survive orun's normal end");
});
