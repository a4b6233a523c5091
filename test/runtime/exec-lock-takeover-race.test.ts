// The stale-lock takeover under real contention: several processes take over the same stale locks (a dead owner),
// hundreds at once, where a takeover guard left by a process that died holding it lies beside each lock. The guard
// used to be cleared by moving it aside and checking what was moved; two racers clearing it at once could each leave
// a process holding a guard, and both then took the lock over (two runs of one execution). Exactly one owner per
// lock, every time.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, readdir, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { acquireExecLock, takeoverGuard } from "../../src/runtime/records/lock.js";
import { removeDir, staleLockUnderLiveTakeover, tempDir } from "./helpers.js";
import { deadPid, until } from "../support/wait.js";

const LOCK_MODULE = new URL("../../src/runtime/records/lock.js", import.meta.url).href;
const RACERS = 8;
const LOCKS = 150;

/**
 * Loads the lock module, says READY, waits for a start time on stdin, then tries every lock in the folder in the
 * same order as the others (so they contend on each), holding those it wins; prints them as `WON <name>` lines and
 * DONE, and exits when stdin closes.
 */
const RACER = `
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
const [dir, count, faulty] = process.argv.slice(1);
if (faulty === "faulty") {
  // Running out of file descriptors for a moment: the second open of each lock file (the re-read under the guard)
  // fails with EMFILE.
  const open = fs.promises.open;
  const opened = new Map();
  fs.promises.open = async (file, ...rest) => {
    const name = String(file);
    if (/\\/lock-\\d+$/.test(name)) {
      opened.set(name, (opened.get(name) ?? 0) + 1);
      if (opened.get(name) === 2) throw Object.assign(new Error("EMFILE: too many open files, open " + name), { code: "EMFILE" });
    }
    return open(file, ...rest);
  };
  syncBuiltinESMExports();
}
const { acquireExecLock } = await import(${JSON.stringify(LOCK_MODULE)});
process.stdout.write("READY\\n");
let input = "";
process.stdin.on("data", async (chunk) => {
  input += chunk;
  if (!input.endsWith("\\n") || input.split("\\n").length !== 2) return;
  const at = Number(input.trim());
  while (Date.now() < at) {}
  const won = [];
  for (let i = 0; i < Number(count); i++) {
    const name = "lock-" + i;
    try {
      await acquireExecLock(dir + "/" + name, name);
      won.push(name);
    } catch (err) {
      if (!/already running/.test(err.message)) process.stdout.write("ERROR " + name + " " + err.message + "\\n");
    }
  }
  process.stdout.write(won.map((name) => "WON " + name + "\\n").join("") + "DONE\\n");
  process.stdin.on("end", () => process.exit(0));
});
`;

/**
 * RACERS processes (the first `faulty` of them failing the re-read of each lock) take over `locks` stale locks, each
 * beside `deadGenerations` guards left by takeovers that died midway and older orun's guard: every lock must end up
 * with exactly one owner, and no guard outlive the stale content it guarded.
 */
async function race(t: TestContext, options: { locks: number; deadGenerations: number; faulty: number }): Promise<void> {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const dead = await deadPid();
  const host = os.hostname();
  for (let i = 0; i < options.locks; i++) {
    const file = path.join(dir, `lock-${i}`);
    const stale = JSON.stringify({ pid: dead, host, since: new Date().toISOString(), n: i });
    await writeFile(file, stale);
    for (let generation = 0; generation < options.deadGenerations; generation++) {
      await writeFile(takeoverGuard(file, stale, generation), JSON.stringify({ pid: dead, host }));
    }
    await writeFile(`${file}.takeover`, JSON.stringify({ pid: dead, host }));
  }
  const racers = Array.from({ length: RACERS }, (_, index) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", RACER, dir, String(options.locks), index < options.faulty ? "faulty" : "sound"]);
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    t.after(() => child.kill());
    return { child, faulty: index < options.faulty, out: () => out, exited: new Promise((resolve) => child.on("exit", resolve)) };
  });
  await until(() => racers.every((r) => r.out().includes("READY")), "every racer to load");
  const startAt = String(Date.now() + 200);
  for (const racer of racers) racer.child.stdin.write(`${startAt}\n`);
  await until(() => racers.every((r) => r.out().includes("DONE")), "every racer to try every lock", 120_000);

  for (const racer of racers) {
    // A racer that cannot read a lock at all says so (its own EMFILE); nothing else is an error.
    const errors = racer.out().split("\n").filter((line) => line.startsWith("ERROR") && !(racer.faulty && /EMFILE/.test(line)));
    assert.deepEqual(errors, [], racer.out());
  }
  const owners = new Map<string, number[]>();
  for (const racer of racers) {
    for (const [, name] of racer.out().matchAll(/^WON (\S+)$/gm)) owners.set(name!, [...(owners.get(name!) ?? []), racer.child.pid!]);
  }
  const contested = [...owners].filter(([, pids]) => pids.length > 1).map(([name, pids]) => `${name}: ${pids.join(", ")}`);
  assert.deepEqual(contested, [], "locks more than one process took over");
  assert.equal(owners.size, options.locks, "every lock has an owner");
  for (const [name, [pid]] of owners) {
    assert.equal((JSON.parse(await readFile(path.join(dir, name), "utf8")) as { pid: number }).pid, pid, `${name} names its owner`);
  }
  for (const racer of racers) racer.child.stdin.end();
  await Promise.all(racers.map((r) => r.exited));
  // The dead holders' guards went with the stale locks they guarded, and older orun's with them.
  assert.deepEqual((await readdir(dir)).filter((name) => name.includes(".takeover")), []);
}

test(`${RACERS} processes taking over ${LOCKS} stale locks at once, each beside a dead holder's guard: one owner per lock`, (t) =>
  race(t, { locks: LOCKS, deadGenerations: 1, faulty: 0 }));

// A failed re-read of the lock under the guard was taken as "the lock changed": its holder removed the dead
// generations beneath its own, and racers scanning them took fresh ones, each finding the stale lock still there.
test(`${RACERS} processes, 3 of them failing to re-read a lock under its guard (EMFILE), beside 20 dead guards each: one owner per lock`, (t) =>
  race(t, { locks: 60, deadGenerations: 20, faulty: 3 }));

test("a takeover guard whose holder is alive holds the stale lock however old the guard is (a stalled holder)", async (t) => {
  // A live process holding the guard of this very content, for a minute now (stopped, or on a loaded machine,
  // between reading the lock and replacing it): the guard used to count as abandoned after 5 s and be cleared.
  const { file, stale, guard } = await staleLockUnderLiveTakeover(t);
  const minuteAgo = new Date(Date.now() - 60_000);
  await utimes(guard, minuteAgo, minuteAgo);

  let settled = false;
  const taking = acquireExecLock(file, "stalled").finally(() => (settled = true));
  // Over a second of retries (the lock is tried every few ms), it stays the stale lock.
  const watchUntil = Date.now() + 1_000;
  while (Date.now() < watchUntil) {
    assert.equal(await readFile(file, "utf8"), stale, "taken over under a live holder's guard");
    assert.equal(settled, false);
    await new Promise((resolve) => setImmediate(resolve));
  }
  // The holder gives it up (having found the lock changed, or died): the takeover goes ahead.
  await rm(guard);
  const lock = await taking;
  assert.equal((JSON.parse(await readFile(file, "utf8")) as { pid: number }).pid, process.pid);
  await lock.release();
});
