// Records audit (round 2): a --background child that died during start-up, whose pid another process now
// has, is not shown "starting" for ever — status says interrupted and --watch / logs --follow end. Real
// processes (the pid's new owner is a live `sleep`), real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { removeDir, tempDir } from "../runtime/helpers.js";
import { liveSleeper } from "../support/wait.js";
import { processStartTicks } from "../../src/runtime/records/lock.js";

async function diedChild(t: { after(fn: () => Promise<void>): void }): Promise<{ dir: string; exec: string }> {
  const dir = await tempDir("orun-rec14-bg-");
  t.after(() => removeDir(dir));
  const exec = path.join(dir, ".orun/executions/reused");
  await mkdir(path.join(exec, "logs"), { recursive: true });
  await writeFile(path.join(exec, "run.log"), "");
  return { dir, exec };
}

test("a --background child that died starting, its pid now another process's, reads as interrupted (not starting), and --watch ends", async (t) => {
  const { dir, exec } = await diedChild(t);
  const sleeper = await liveSleeper(t);
  // The pid file was written an hour ago, when the child started; the process with that pid today started just now.
  await writeFile(path.join(exec, "pid"), `${sleeper.pid}\n`);
  const hourAgo = new Date(Date.now() - 3_600_000);
  await utimes(path.join(exec, "pid"), hourAgo, hourAgo);
  const status = await runOrun(["status", "--exec-id", "reused"], { cwd: dir });
  assert.match(status.stdout, /State: interrupted/, status.stdout);
  const watch = await runOrun(["status", "--exec-id", "reused", "--watch", "--interval", "200ms"], { cwd: dir, timeoutMs: 10_000 });
  assert.equal(watch.code, 1, "watch ends");
  const follow = await runOrun(["logs", "--exec-id", "reused", "--follow"], { cwd: dir, timeoutMs: 10_000 });
  assert.equal(follow.code, 1, "logs --follow ends with the run's outcome: interrupted");
});

test("the lock handed to the child decides too: its start time differs from the live process with that pid → interrupted", async (t) => {
  const { dir, exec } = await diedChild(t);
  const sleeper = await liveSleeper(t);
  await writeFile(path.join(exec, "pid"), `${sleeper.pid}\n`);
  const lock = { pid: sleeper.pid, host: os.hostname(), startTime: processStartTicks(sleeper.pid)! - 1, handoffTo: sleeper.pid, since: new Date().toISOString() };
  await writeFile(path.join(exec, ".lock"), JSON.stringify(lock));
  const status = await runOrun(["status", "--exec-id", "reused"], { cwd: dir });
  assert.match(status.stdout, /State: interrupted/, status.stdout);

  // The real child (same start time, pid file just written): still starting.
  await writeFile(path.join(exec, ".lock"), JSON.stringify({ ...lock, startTime: processStartTicks(sleeper.pid) }));
  const live = await runOrun(["status", "--exec-id", "reused"], { cwd: dir });
  assert.match(live.stdout, /State: starting/, live.stdout);
});
