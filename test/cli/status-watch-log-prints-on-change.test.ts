// `orun status --watch` writing to a log (a pipe, a file) prints a frame when the run changed, not every poll: while
// a step ran it reprinted the whole status each second, its Duration (and the running job's time) the only change.
// A terminal is still redrawn in place each poll. Real processes: a --background run whose step waits for a file the
// test writes, and a watcher whose stdout is a pipe.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";
import { processGone, until } from "../support/wait.js";
import { killAllChildren, spawnOrun } from "../remote/processes.js";

test.after(killAllChildren);

/** The frames in a watcher's output (each begins with the `▲ orun` line). */
const frames = (output: string): string[] => output.split(/(?=\n▲ orun )/).filter((frame) => frame.includes("▲ orun"));
/** A frame without what only the clock moves: the run's duration and each job's time. */
const untimed = (frame: string): string => frame.replace(/Duration: \S+/, "Duration:").replace(/ {2}(?:<1s|\d+[smh]\S*)(?= {2}\[| {2}|$)/gm, "");

test("status --watch to a pipe prints a running run once, not each second, then each change until it completes", async (t) => {
  const step = "echo started; while [ ! -f release ]; do sleep 0.02; done; echo released";
  const dir = await planDir(t, [{ id: "app@dev.wait", steps: [{ id: "main", run: step }] }], { name: "watched" }, "orun-watch-log-");
  const started = await runOrun(["run", "plan.json", "--background", "--exec-id", "W"], { cwd: dir });
  assert.equal(started.code, 0, started.stdout + started.stderr);
  const watch = spawnOrun(["status", "--exec-id", "W", "--watch", "--interval", "200ms"], { cwd: dir });
  const last = (): string => frames(watch.output()).at(-1) ?? "";
  await until(() => /State: running/.test(last()) && /● wait/.test(last()) && /Logs: .*\n/.test(last()), "a frame showing the step running", 60_000);
  const mark = watch.output().length;
  const shownAt = Date.now();
  // Unfixed, a frame came each time the shown duration moved (a second); three give that room to show.
  await until(() => Date.now() - shownAt > 3_000, "three seconds of the run not changing");
  assert.equal(watch.output().slice(mark), "", "frames printed while nothing but the clock changed");

  await writeFile(path.join(dir, "release"), "");
  const done = await watch.done;
  assert.equal(done.code, 0, done.output);
  const after = frames(done.output.slice(mark));
  assert.ok(after.length >= 1, done.output);
  assert.match(after.at(-1)!, /State: completed/);
  // Each frame says something the one before it did not.
  const all = frames(done.output).map(untimed);
  for (let i = 1; i < all.length; i++) assert.notEqual(all[i], all[i - 1], `frame ${i} repeats frame ${i - 1}:\n${done.output}`);
  const child = Number((await readFile(recordFile(dir, "W", "pid"), "utf8")).trim());
  await until(() => processGone(child), `the background child ${child} to exit`);
});
