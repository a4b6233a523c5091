// `orun logs --follow --job X` of a run still starting (its record has its lock, not yet its plan) took the filter
// unchecked: a job the run does not have was followed in silence until the run ended, then exited with the run's
// outcome (0 for a good run). The filter is now checked as soon as the record holds its plan, and refused as
// `orun logs --job X` refuses it (naming X and the run's jobs), exit 1; a job the run has is followed as before.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ORUN_BIN } from "../support/cli.js";
import { makePlan, planDir, recordFile } from "../runtime/helpers.js";
import { liveSleeper, until } from "../support/wait.js";
import { processStartTicks } from "../../src/runtime/records/lock.js";

const JOBS = [{ id: "app@dev.build", steps: [{ id: "s1", run: "echo built" }] }];

test("logs --follow --job of a starting run refuses a job its plan lacks once the plan is recorded, and follows one it has", async (t) => {
  const dir = await planDir(t, JOBS, { name: "starting" }, "orun-follow-filter-");
  // A run that holds its new record (its lock names a live process) and has written nothing else yet.
  const holder = await liveSleeper(t);
  const exec = path.dirname(recordFile(dir, "s", "x"));
  await mkdir(exec, { recursive: true });
  await writeFile(path.join(exec, ".lock"), JSON.stringify({ pid: holder.pid, host: os.hostname(), startTime: processStartTicks(holder.pid) }));
  const typo = follow(["logs", "--exec-id", "s", "--follow", "--job", "nope"], dir);
  const known = follow(["logs", "--exec-id", "s", "--follow", "--job", "build"], dir);
  const note = (args: string) => `Run s has not recorded its plan yet: ${args} is checked once it has.\n`;
  await Promise.all([typo.seenOnStderr(note("--job nope")), known.seenOnStderr(note("--job build"))]);

  await writeFile(path.join(exec, "manifest.json"), JSON.stringify(makePlan(JOBS, { name: "starting" })));
  const refused = await typo.done;
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /job not found in execution s: nope \(its jobs: app@dev\.build\)/);
  assert.equal(refused.stdout, "");

  await mkdir(path.join(exec, "logs/app@dev.build"), { recursive: true });
  await writeFile(path.join(exec, "logs/app@dev.build/s1.log"), "built\n");
  await known.seen("── app@dev.build › s1\nbuilt\n");
  holder.kill("SIGKILL");
  const followed = await known.done;
  assert.equal(followed.code, 1, "the run died before it finished");
  assert.doesNotMatch(followed.stderr, /not found/);
});

/** The built CLI: `seen` / `seenOnStderr` once its output holds a text, `done` with its exit and output. */
function follow(args: string[], cwd: string) {
  const child = spawn(process.execPath, [ORUN_BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
  return {
    seen: (text: string) => until(() => stdout.includes(text), `"${text}" on the stdout of orun ${args.join(" ")}`, 60_000),
    seenOnStderr: (text: string) => until(() => stderr.includes(text), `"${text}" on the stderr of orun ${args.join(" ")}`, 60_000),
    done,
  };
}
