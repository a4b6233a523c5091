// Records audit (round 3): `orun logs --follow` on an execution resumed under the same exec-id, and output whose
// characters are split between two reads. Real processes; steps wait on files the test writes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { processStartTicks } from "../../src/runtime/records/lock.js";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";
import { liveSleeper, until } from "../support/wait.js";

function started(args: string[], cwd: string): { output(): string; done: Promise<number | null> } {
  const child = spawn(process.execPath, [ORUN_BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const done = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  return { output: () => stdout, done };
}

test("logs --follow on an execution resumed under its exec-id shows a job's new log whole once the job runs again (its first bytes were cut by the old log's length)", async (t) => {
  const gate = (file: string) => `while [ ! -f ${file} ]; do sleep 0.02; done`;
  const dir = await planDir(
    t,
    [
      { id: "app@dev.a", steps: [{ run: `if [ -f go ]; then ${gate("release")}; echo a-ok; else exit 1; fi` }] },
      { id: "app@dev.b", steps: [{ run: "if [ -f go ]; then echo NEW-first-line-longer-than-the-old-log; echo NEW-2; else echo OLD-1; echo OLD-2; exit 1; fi" }] },
    ],
    { name: "resumed" },
    "orun-rec15-",
  );
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "again"], { cwd: dir })).code, 1);
  await writeFile(path.join(dir, "go"), "");
  const resume = started(["run", "plan.json", "--exec-id", "again"], dir);
  // The resumed run is in job a (b's log is still the first run's) when the follower starts.
  await until(async () => /"app@dev\.a": \{\s*"status": "running"/.test(await readFile(recordFile(dir, "again", "state.json"), "utf8").catch(() => "")), "job a running again");
  const follow = started(["logs", "--exec-id", "again", "--follow"], dir);
  await until(() => follow.output().includes("OLD-2\n"), "the follower showing b's earlier log");
  await writeFile(path.join(dir, "release"), "");
  assert.equal(await resume.done, 0);
  assert.equal(await follow.done, 0);
  assert.match(follow.output(), /── app@dev\.b › s1 {2}\(written again: the job ran again\)\nNEW-first-line-longer-than-the-old-log\nNEW-2\n$/, follow.output());
});

test("logs --follow prints a character split between two reads of a growing log whole (no U+FFFD)", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.u", steps: [{ run: "true" }] }], { name: "split" }, "orun-rec15-");
  // A record held by a live process (its lock), its log ending in the first byte of "é".
  const sleeper = await liveSleeper(t);
  const log = recordFile(dir, "split", "logs/app@dev.u/s1.log");
  await mkdir(path.dirname(log), { recursive: true });
  await writeFile(log, Buffer.from([0x63, 0x61, 0x66, 0xc3]));
  await writeFile(recordFile(dir, "split", ".lock"), JSON.stringify({ pid: sleeper.pid, host: os.hostname(), startTime: processStartTicks(sleeper.pid) }));
  const follow = started(["logs", "--exec-id", "split", "--follow", "--raw"], dir);
  await until(() => follow.output().includes("caf"), "the follower reading the first half");
  await appendFile(log, Buffer.from([0xa9, 0x20, 0x6f, 0x6b, 0x0a]));
  await until(() => follow.output().includes("ok"), "the follower reading the rest");
  sleeper.kill();
  // A record without metadata whose lock holder died is a run killed while it started: interrupted.
  assert.equal(await follow.done, 1);
  assert.equal(follow.output(), "café ok\n");
});

test("orun logs streams a large log instead of reading it whole: 64 MB prints byte for byte in a 40 MB heap (it ran out of memory)", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.big", steps: [{ run: "echo small" }] }], { name: "big" }, "orun-rec15-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "big"], { cwd: dir })).code, 0);
  const line = `${"é".repeat(49)}x\n`; // 100 bytes: characters fall across every 1 MiB boundary
  const log = Buffer.from(line.repeat(640_000));
  await writeFile(recordFile(dir, "big", "logs/app@dev.big/s1.log"), log);
  for (const raw of [false, true]) {
    const child = spawn(process.execPath, [ORUN_BIN, "logs", "--exec-id", "big", ...(raw ? ["--raw"] : [])], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1", NODE_OPTIONS: "--max-old-space-size=40" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const hash = createHash("sha256");
    let bytes = 0;
    let head = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      if (head.length < 200) head += d.subarray(0, 200).toString();
      hash.update(d);
      bytes += d.length;
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.on("close", resolve));
    assert.equal(code, 0, stderr.slice(0, 500));
    const header = raw ? "" : "── app@dev.big › s1  (completed)\n";
    assert.ok(head.startsWith(`${header}${line}`), head);
    assert.equal(bytes, Buffer.byteLength(header) + log.length);
    assert.equal(hash.digest("hex"), createHash("sha256").update(header).update(log).digest("hex"));
  }
});

test("logs --follow shows a log truncated in place and written again from its start (same file, shorter than what was read)", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.t", steps: [{ run: "true" }] }], { name: "trunc" }, "orun-rec15-");
  // A record held by a live process (its lock), its log rewritten in place (same inode) while it is followed.
  const sleeper = await liveSleeper(t);
  const log = recordFile(dir, "trunc", "logs/app@dev.t/s1.log");
  await mkdir(path.dirname(log), { recursive: true });
  await writeFile(log, "a-long-first-line\n");
  await writeFile(recordFile(dir, "trunc", ".lock"), JSON.stringify({ pid: sleeper.pid, host: os.hostname(), startTime: processStartTicks(sleeper.pid) }));
  const follow = started(["logs", "--exec-id", "trunc", "--follow"], dir);
  await until(() => follow.output().includes("a-long-first-line\n"), "the follower reading the log");
  await writeFile(log, "x\n");
  sleeper.kill();
  // Its last read, once the holder is gone, sees the shorter log.
  assert.equal(await follow.done, 1);
  assert.match(follow.output(), /── app@dev\.t › s1 {2}\(written again: the job ran again\)\nx\n$/, follow.output());
});
