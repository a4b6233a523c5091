// Spec 20 §7.4: `orun run --background` prints the whole start block — exec-id, pid, log, and the track and logs
// commands — and each names something real (plain words: the exec-id needs no quoting): the pid is the child's (the record's pid file), the log is the record's
// run.log, and the two printed commands run as printed once the child has ended.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { processGone, until } from "../support/wait.js";

test("--background's start block: exec-id, pid, log path, then track and logs commands that work", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.bg", steps: [{ id: "work", run: "echo background-work" }] }]);
  const started = await runOrun(["run", "plan.json", "--background", "--exec-id", "bg-block"], { cwd: dir });
  assert.equal(started.code, 0, started.stderr);
  const recordDir = path.join(await realpath(dir), ".orun/executions/bg-block");
  const pid = Number((await readFile(path.join(recordDir, "pid"), "utf8")).trim());
  t.after(() => until(() => processGone(pid), "the background child to exit"));
  const lines = started.stdout.split("\n");
  assert.deepEqual(lines.slice(0, 3), ["✓ background run started", "  exec-id: bg-block", `  pid:     ${pid}`], started.stdout);
  const log = /^ {2}log: {5}(.+)$/.exec(lines[3] ?? "")?.[1];
  assert.equal(log && (await realpath(log)), path.join(recordDir, "run.log"), started.stdout);
  assert.equal(lines[4], "");
  const track = /^ {2}track: {2}(orun .+)$/.exec(lines[5] ?? "")?.[1];
  const logs = /^ {2}logs: {3}(orun .+)$/.exec(lines[6] ?? "")?.[1];
  assert.ok(track?.includes("--exec-id bg-block") && logs?.includes("--exec-id bg-block"), started.stdout);
  await until(() => processGone(pid), "the background child to exit");
  const watched = await runOrun(track!.split(/ +/).slice(1), { cwd: dir });
  assert.equal(watched.code, 0, watched.stdout + watched.stderr);
  assert.match(watched.stdout, /State: completed/);
  const printed = await runOrun(logs!.split(/ +/).slice(1), { cwd: dir });
  assert.equal(printed.code, 0, printed.stdout + printed.stderr);
  assert.match(printed.stdout, /background-work/);
});
