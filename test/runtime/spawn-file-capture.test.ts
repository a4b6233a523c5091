// runProcess capturing output through an unlinked temp file (the spawner
// helpers' mode): same outcome as pipes, live output for longer steps, no
// files left behind, the process group killed on timeout.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { runProcess } from "../../src/runners/process/run-process.js";
import { isAlive } from "../../src/runtime/records/lock.js";
import { removeDir, tempDir } from "./helpers.js";

const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

test("file capture: combined stdout+stderr, exit status, no file left in the output directory", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const chunks: string[] = [];
  const outcome = await runProcess({ command: "sh", args: ["-c", "echo out; echo err >&2; printf 'ünï'; exit 4"], cwd: dir, env, outputDir: dir, onOutput: (c) => chunks.push(c) });
  assert.equal(outcome.exitCode, 4);
  assert.equal(outcome.error, "exit status 4");
  assert.equal(outcome.output, "out\nerr\nünï");
  assert.equal(chunks.join(""), outcome.output);
  assert.deepEqual(await readdir(dir), []);
});

test("file capture: output of a running step reaches onOutput before the step ends", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const go = path.join(dir, "go");
  // The step only prints "second" once the test has seen "first" live.
  const script = `echo first; i=0; while [ ! -f '${go}' ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; [ -f '${go}' ] && echo second`;
  const outcome = await runProcess({
    command: "sh",
    args: ["-c", script],
    cwd: dir,
    env,
    outputDir: dir,
    onOutput: (chunk) => {
      if (chunk.includes("first")) void writeFile(go, "");
    },
  });
  assert.equal(outcome.exitCode, 0, outcome.output);
  assert.equal(outcome.output, "first\nsecond\n");
});

test("file capture: a timeout kills the whole process group", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const pidFile = path.join(dir, "bg.pid");
  const outcome = await runProcess({ command: "sh", args: ["-c", `sleep 30 & echo $! > '${pidFile}'; wait`], cwd: dir, env, outputDir: dir, timeoutMs: 300 });
  assert.equal(outcome.timedOut, true);
  assert.equal(outcome.error, "timed out after 300ms");
  const bgPid = Number((await readFile(pidFile, "utf8")).trim());
  for (let i = 0; i < 50 && isAlive(bgPid); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(isAlive(bgPid), false, "background sleep must be gone");
  assert.deepEqual(await readdir(dir), ["bg.pid"]);
});
