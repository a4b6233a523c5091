// Runtime audit: a --background run that dies before its run starts still ends, for `orun status
// --watch` and `orun logs --follow`, and says why. Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, readJson, removeDir, tempDir, writePlan, type JobSpec } from "../runtime/helpers.js";
import { deadPid, until } from "../support/wait.js";

async function setup(t: { after(fn: () => Promise<void>): void }, jobs: JobSpec[]): Promise<string> {
  const dir = await tempDir("orun-audit-rt-");
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan(jobs));
  return dir;
}

const record = (dir: string, execId: string, file: string): string => path.join(dir, ".orun/executions", execId, file);

test("a --background run whose child fails before it starts is recorded failed: status says why, --watch and logs --follow end", async (t) => {
  // The local runner refuses use: steps before any job runs, in the detached child.
  const dir = await setup(t, [{ id: "a@dev.one", steps: [{ use: "actions/checkout@v4" }] }]);
  const started = await runOrun(["run", "plan.json", "--background", "--runner", "local", "--exec-id", "bg"], { cwd: dir });
  assert.equal(started.code, 0, started.stdout + started.stderr);
  await until(async () => {
    try {
      return (await readJson<{ status: string }>(record(dir, "bg", "metadata.json"))).status === "failed";
    } catch {
      return false;
    }
  }, "the child to record its failure");
  const meta = await readJson<{ status: string; error?: string; trigger: string }>(record(dir, "bg", "metadata.json"));
  assert.match(meta.error ?? "", /cannot run GitHub Actions steps/);
  assert.equal(meta.trigger, "background");

  const status = await runOrun(["status", "--exec-id", "bg"], { cwd: dir });
  assert.match(status.stdout, /State: failed/);
  assert.match(status.stdout, /Error: .*cannot run GitHub Actions steps/);
  const watch = await runOrun(["status", "--exec-id", "bg", "--watch", "--interval", "200ms"], { cwd: dir, timeoutMs: 15_000 });
  assert.equal(watch.code, 1, "watch ends on a failed run");
  const follow = await runOrun(["logs", "--exec-id", "bg", "--follow"], { cwd: dir, timeoutMs: 15_000 });
  assert.equal(follow.code, 0, "logs --follow ends");
});

test("a --background record whose child died before writing metadata reads as interrupted, and --watch ends", async (t) => {
  const dir = await tempDir("orun-audit-rt-");
  t.after(() => removeDir(dir));
  // What a child SIGKILLed during start-up leaves: the parent's folder, run.log, pid file and handed-over lock.
  const exec = path.join(dir, ".orun/executions/died");
  await mkdir(path.join(exec, "logs"), { recursive: true });
  const pid = await deadPid();
  await writeFile(path.join(exec, "pid"), `${pid}\n`);
  await writeFile(path.join(exec, "run.log"), "");
  await writeFile(path.join(exec, ".lock"), JSON.stringify({ pid, host: os.hostname(), handoffTo: pid, since: new Date().toISOString() }));
  const status = await runOrun(["status", "--exec-id", "died"], { cwd: dir });
  assert.match(status.stdout, /State: interrupted/);
  const watch = await runOrun(["status", "--exec-id", "died", "--watch", "--interval", "200ms"], { cwd: dir, timeoutMs: 15_000 });
  assert.equal(watch.code, 1, "watch ends");
  const follow = await runOrun(["logs", "--exec-id", "died", "--follow"], { cwd: dir, timeoutMs: 15_000 });
  assert.equal(follow.code, 0, "logs --follow ends");
});
