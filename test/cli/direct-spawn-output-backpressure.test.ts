// Direct spawns (no spawn helper: ORUN_LOCAL_SPAWNER=direct, or no C compiler) behind a slow reader of orun's
// stdout (`orun run --verbose | slow-reader`): the step's pipes are not read while the console is backed up, so
// the step waits on its writes instead of orun queueing its output in memory without limit (200 MB of output
// held 1.1–1.4 GB). A step that exits while its pipes are paused keeps its last output: the pipes are not cut
// 250 ms after its exit as a daemon's would be (Node resumes a child's pipes when it exits, so today that end
// flows anyway; the check guards against a change there).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { until } from "../support/wait.js";

const DIRECT = { ...process.env, NO_COLOR: "1", ORUN_LOCAL_SPAWNER: "direct" };
/** What the chatty job prints: 41-byte lines. */
const BIG = 40 * 1024 * 1024;
/** What the late job prints: about 190 KB, more than a pipe holds, so some of it waits in the paused pipe. */
const LATE_LINES = 30000;

const sizeOf = (file: string): number => (existsSync(file) ? statSync(file).size : 0);

/** Peak resident memory of `pid` (kB). */
function peakRssKb(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
}

test("direct spawns | a reader that stops: orun stops reading the steps instead of holding their output in memory; nothing is lost", async (t) => {
  const dir = await planDir(
    t,
    [
      { id: "a@dev.chatty", steps: [{ id: "print", run: `yes 0123456789012345678901234567890123456789 | head -c ${BIG}` }] },
      { id: "b@dev.late", steps: [{ id: "print", run: `while [ ! -f go ]; do sleep 0.05; done; seq 1 ${LATE_LINES}; touch late.done` }] },
    ],
    { concurrency: 2 },
  );
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "p", "--verbose"], { cwd: dir, env: DIRECT, stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => void child.kill("SIGKILL"));
  child.stdout.pause(); // the reader takes nothing for now
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  const chattyLog = path.join(dir, ".orun/executions/p/logs/a@dev.chatty/print.log");
  const lateLog = path.join(dir, ".orun/executions/p/logs/b@dev.late/print.log");

  // The chatty step fills the console's queue, then waits on its pipe: its log stops growing short of its output.
  await until(() => sizeOf(chattyLog) > 0, "the chatty step to print");
  // Steady: the same size over half a second (or all of it: orun read everything, the defect).
  for (let size = -1; size !== sizeOf(chattyLog) && size !== BIG; ) {
    size = sizeOf(chattyLog);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.ok(sizeOf(chattyLog) < BIG, `orun read all ${BIG} bytes while nobody read its output (log: ${sizeOf(chattyLog)})`);

  // The late step prints once the console is backed up, and exits: what waits in its paused pipe must not be cut.
  await writeFile(path.join(dir, "go"), "");
  await until(() => existsSync(path.join(dir, "late.done")), "the late step to print and exit");
  await new Promise((resolve) => setTimeout(resolve, 1000)); // well past the 250 ms a daemon's pipe is given
  const peakMb = peakRssKb(child.pid!) / 1024;

  let newlines = 0;
  let tail = "";
  child.stdout.on("data", (chunk: Buffer) => {
    for (const byte of chunk) if (byte === 0x0a) newlines++;
    tail = (tail + chunk.toString("latin1")).slice(-4096);
  });
  child.stdout.resume();
  assert.equal(await closed, 0, stderr);
  assert.equal(sizeOf(chattyLog), BIG, "the chatty step's whole output is logged");
  const expected = Array.from({ length: LATE_LINES }, (_, i) => `${i + 1}\n`).join("");
  assert.equal(await readFile(lateLog, "utf8"), expected, "the late step's whole output is logged, its end included");
  assert.ok(newlines >= BIG / 41 + LATE_LINES, `every line shown (${newlines} lines)`);
  assert.match(tail, /2 succeeded/);
  // Measured: 40 MB of output held behind the reader took orun to about 330 MB; now about 160 MB at most.
  assert.ok(peakMb < 220, `orun's peak memory while its reader stopped: ${Math.round(peakMb)} MB`);
});
