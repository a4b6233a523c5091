// `orun logs --follow` on this machine's record exits with the run's outcome once it finishes, as
// `orun status --watch` and the remote `logs --follow` do: a script that follows a --background run can
// tell a failed run from a good one. Real processes: a --background run whose step waits for a file the
// test writes once the follower has printed the step's first line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";
import { processGone, until } from "../support/wait.js";
import { killAllChildren, spawnOrun } from "../remote/processes.js";

test.after(killAllChildren);

/** Follows a --background run whose one step prints, waits for `release`, then exits with the code written in it. */
async function followRunEndingWith(t: { after(fn: () => Promise<void>): void }, exitCode: number): Promise<{ code: number | null; output: string }> {
  const step = 'echo step-started; while [ ! -f release ]; do sleep 0.02; done; echo "step-ending-$(cat release)"; exit "$(cat release)"';
  const dir = await planDir(t, [{ id: "app@dev.check", steps: [{ id: "main", run: step }] }], { name: "followed" }, "orun-follow-exit-");
  const started = await runOrun(["run", "plan.json", "--background", "--exec-id", "bg"], { cwd: dir });
  assert.equal(started.code, 0, started.stdout + started.stderr);
  const follow = spawnOrun(["logs", "--exec-id", "bg", "--follow"], { cwd: dir });
  // The run is still going while the follower prints: the exit status is the one it learns at the end.
  await until(() => follow.output().includes("step-started\n"), "the follower to print the running step's first line", 30_000);
  // Written whole, then named: the step waits for the name, and a file written in place can be seen empty (created,
  // not yet written), when the step printed 'step-ending-' and failed on `exit ""` (a run that should complete).
  await writeFile(path.join(dir, "release.tmp"), String(exitCode));
  await rename(path.join(dir, "release.tmp"), path.join(dir, "release"));
  const followed = await follow.done;
  // The detached child may still be closing its record: the temp folder goes once it has exited.
  const child = Number((await readFile(recordFile(dir, "bg", "pid"), "utf8")).trim());
  await until(() => processGone(child), `the background child ${child} to exit`);
  return followed;
}

test("logs --follow exits 1 once the --background run it follows fails, after printing the failing step's last line", async (t) => {
  const { code, output } = await followRunEndingWith(t, 3);
  assert.match(output, /step-ending-3\n/, output);
  assert.equal(code, 1, output);
});

test("logs --follow exits 0 once the --background run it follows completes", async (t) => {
  const { code, output } = await followRunEndingWith(t, 0);
  assert.match(output, /step-ending-0\n/, output);
  assert.equal(code, 0, output);
});
