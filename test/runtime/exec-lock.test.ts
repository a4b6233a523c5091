// The exec-id lock against real processes: many racing for one stale lock,
// pid reuse (a live pid with another start time), legacy locks, stale
// takeover guards, and a live owner in another process (and
// exec-lock-takeover-race.test.ts: hundreds of takeovers at once).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFile, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { acquireExecLock, processStartTicks, takeoverGuard } from "../../src/runtime/records/lock.js";
import { removeDir, tempDir, tempLock } from "./helpers.js";
import { until, deadPid, liveSleeper } from "../support/wait.js";

const LOCK_MODULE = new URL("../../src/runtime/records/lock.js", import.meta.url).href;

/**
 * A process that loads the lock module, says READY, waits for a start timestamp on stdin (the
 * barrier), spins until then, tries the lock and says ACQUIRED or REFUSED; it holds a won lock until
 * its stdin closes.
 */
const RACER = `
import { acquireExecLock } from ${JSON.stringify(LOCK_MODULE)};
const file = process.argv[1];
process.stdout.write("READY\\n");
let input = "";
let started = false;
process.stdin.on("data", async (chunk) => {
  input += chunk;
  if (started || !input.includes("\\n")) return;
  started = true;
  const at = Number(input.trim());
  while (Date.now() < at) {}
  try {
    const lock = await acquireExecLock(file, "S");
    process.stdout.write("ACQUIRED\\n");
    process.stdin.on("end", async () => { await lock.release(); process.exit(0); });
  } catch (err) {
    process.stdout.write("REFUSED " + err.message + "\\n");
    process.exit(0);
  }
});
`;

interface Racer {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  exited: Promise<number | null>;
}

function startRacer(file: string): Racer {
  const child = spawn(process.execPath, ["--input-type=module", "-e", RACER, file]);
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { child, out: () => out, exited };
}

test("eight processes racing for one stale lock on a shared start time: exactly one owns it, every trial", async (t) => {
  const { dir, file } = await tempLock(t);
  const dead = await deadPid();
  for (let trial = 0; trial < 3; trial++) {
    await writeFile(file, JSON.stringify({ pid: dead, host: os.hostname(), since: new Date().toISOString() }));
    const racers = Array.from({ length: 8 }, () => startRacer(file));
    t.after(() => racers.forEach((r) => r.child.kill()));
    await until(() => racers.every((r) => r.out().includes("READY")), "all racers to load");
    const startAt = String(Date.now() + 150);
    for (const racer of racers) racer.child.stdin.write(`${startAt}\n`);
    await until(() => racers.every((r) => /ACQUIRED|REFUSED/.test(r.out())), "every racer to decide");

    const winners = racers.filter((r) => r.out().includes("ACQUIRED"));
    assert.equal(winners.length, 1, `trial ${trial}: ${racers.map((r) => r.out().trim()).join(" | ")}`);
    const winner = winners[0]!;
    for (const loser of racers.filter((r) => r !== winner)) assert.match(loser.out(), new RegExp(`REFUSED .*execution S is already running \\(pid ${winner.child.pid}\\)`));
    const owner = JSON.parse(await readFile(file, "utf8")) as { pid: number; startTime?: number };
    assert.equal(owner.pid, winner.child.pid);
    assert.equal(owner.startTime, processStartTicks(winner.child.pid!));

    for (const racer of racers) racer.child.stdin.end();
    await Promise.all(racers.map((r) => r.exited));
    assert.deepEqual(await readdir(dir), [], "released, with no guard or temp file left");
  }
});

test("a lock naming a live pid with another start time (a reused pid) is taken over", async (t) => {
  const { file } = await tempLock(t);
  const sleeper = await liveSleeper(t);
  const realStart = processStartTicks(sleeper.pid!);
  assert.ok(realStart !== undefined, "procfs gives the start time");

  for (const pid of [1, sleeper.pid!]) {
    const start = processStartTicks(pid)!;
    await writeFile(file, JSON.stringify({ pid, host: os.hostname(), startTime: start + 1 }));
    const lock = await acquireExecLock(file, "reuse");
    assert.equal((JSON.parse(await readFile(file, "utf8")) as { pid: number }).pid, process.pid, `pid ${pid}`);
    await lock.release();
  }

  // Same pid and start time: that process is the owner.
  await writeFile(file, JSON.stringify({ pid: sleeper.pid, host: os.hostname(), startTime: realStart }));
  await assert.rejects(acquireExecLock(file, "reuse"), new RegExp(`execution reuse is already running \\(pid ${sleeper.pid}\\)`));
  // A lock from another boot names a process that is gone, whatever the pid is now.
  await writeFile(file, JSON.stringify({ pid: sleeper.pid, host: os.hostname(), startTime: realStart, bootId: "00000000-0000-0000-0000-000000000000" }));
  await (await acquireExecLock(file, "reuse")).release();
});

test("a lock from an older orun (pid, host, since) is stale when its pid started after it was written", async (t) => {
  const { file } = await tempLock(t);
  const sleeper = await liveSleeper(t);

  await writeFile(file, JSON.stringify({ pid: sleeper.pid, host: os.hostname(), since: new Date(Date.now() - 3_600_000).toISOString() }));
  await (await acquireExecLock(file, "legacy")).release();

  await writeFile(file, JSON.stringify({ pid: sleeper.pid, host: os.hostname(), since: new Date(Date.now() + 5_000).toISOString() }));
  await assert.rejects(acquireExecLock(file, "legacy"), /already running/);
  // Nothing recorded but pid and host: kill(0) decides, as before.
  await writeFile(file, JSON.stringify({ pid: sleeper.pid, host: os.hostname() }));
  await assert.rejects(acquireExecLock(file, "legacy"), /already running/);
  assert.equal((JSON.parse(await readFile(file, "utf8")) as { pid: number }).pid, sleeper.pid, "a refused attempt leaves the lock as it was");
});

test("a live owner in another process is refused; another host's lock is refused; garbage and a dead guard holder are not obstacles", async (t) => {
  const { dir, file } = await tempLock(t);
  const holder = startRacer(file);
  t.after(() => holder.child.kill());
  await until(() => holder.out().includes("READY"), "holder to load");
  holder.child.stdin.write(`${Date.now()}\n`);
  await until(() => holder.out().includes("ACQUIRED"), "holder to lock");
  await assert.rejects(acquireExecLock(file, "live"), new RegExp(`execution live is already running \\(pid ${holder.child.pid}\\)`));
  holder.child.stdin.end();
  assert.equal(await holder.exited, 0);
  assert.ok(!existsSync(file), "released by its owner");

  await writeFile(file, JSON.stringify({ pid: 4242, host: "some-other-machine" }));
  await assert.rejects(acquireExecLock(file, "far"), /execution far is locked by some-other-machine \(pid 4242\)/);

  // Unparseable and old: left by a crash, taken over.
  await writeFile(file, "{not json");
  const old = new Date(Date.now() - 60_000);
  await utimes(file, old, old);
  await (await acquireExecLock(file, "junk")).release();

  // A takeover guard whose holder died does not block the takeover (nor two generations of them; 64 do, saying so:
  // exec-lock-takeover-blocked.test.ts).
  const dead = await deadPid();
  const stale = JSON.stringify({ pid: dead, host: os.hostname() });
  await writeFile(file, stale);
  for (const generation of [0, 1]) await writeFile(takeoverGuard(file, stale, generation), JSON.stringify({ pid: dead, host: os.hostname() }));
  const lock = await acquireExecLock(file, "guard");
  assert.equal((JSON.parse(await readFile(file, "utf8")) as { pid: number }).pid, process.pid);
  await lock.release();
  assert.deepEqual(await readdir(dir), []);
});

test("a lock handed over names the new owner, which adopts it; nobody else can take it meanwhile", async (t) => {
  const { file } = await tempLock(t);
  // A child of an ordinary owner (say an `orun run` inside a step) gets no lock.
  const plain = await acquireExecLock(file, "bg");
  const nested = startRacer(file);
  t.after(() => nested.child.kill());
  await until(() => nested.out().includes("READY"), "nested process to load");
  nested.child.stdin.write(`${Date.now()}\n`);
  await until(() => /ACQUIRED|REFUSED/.test(nested.out()), "nested process to decide");
  assert.match(nested.out(), new RegExp(`REFUSED .*already running \\(pid ${process.pid}\\)`));
  await plain.release();

  const lock = await acquireExecLock(file, "bg", { handoff: true });
  const heir = startRacer(file);
  t.after(() => heir.child.kill());
  await until(() => heir.out().includes("READY"), "heir to load");
  await lock.handOver(heir.child.pid!);
  const handed = JSON.parse(await readFile(file, "utf8")) as { pid: number; handoffTo?: number };
  assert.equal(handed.pid, heir.child.pid);
  assert.equal(handed.handoffTo, heir.child.pid);
  // This process no longer owns it, and the heir is alive: refused here.
  await assert.rejects(acquireExecLock(file, "bg"), new RegExp(`already running \\(pid ${heir.child.pid}\\)`));
  await lock.release(); // a no-op after the hand-off
  assert.ok(existsSync(file));
  heir.child.stdin.write(`${Date.now()}\n`);
  await until(() => /ACQUIRED|REFUSED/.test(heir.out()), "heir to adopt");
  assert.match(heir.out(), /ACQUIRED/);
  const adopted = JSON.parse(await readFile(file, "utf8")) as { pid: number; handoffTo?: number };
  assert.equal(adopted.pid, heir.child.pid);
  assert.equal(adopted.handoffTo, undefined, "adopted as its own");
  heir.child.stdin.end();
  await heir.exited;
  assert.ok(!existsSync(file));
});

test("a record removed while a run starts (orun gc) is a clear error, not a raw ENOENT", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  await assert.rejects(acquireExecLock(path.join(dir, "gone", ".lock"), "gone"), (err: Error) => /execution gone was removed while this run was starting/.test(err.message) && !/ENOENT/.test(err.message));
});

test("a lock naming a zombie (its owner ended, nobody reaped it yet) is stale and taken over", async (t) => {
  const { dir, file } = await tempLock(t);
  // `sleep 0` ends at once, and its parent (exec'd into a sleep that never waits) leaves it unreaped.
  const pidFile = path.join(dir, "zombie.pid");
  const parent = spawn("sh", ["-c", `sleep 0 & echo $! > '${pidFile}'; exec sleep 600`]);
  t.after(() => parent.kill());
  await until(() => existsSync(pidFile) && /\n$/.test(readFileSync(pidFile, "utf8")), "the child's pid");
  const zombie = Number(readFileSync(pidFile, "utf8").trim());
  await until(() => /^\S+ \(.*\) Z/s.test(readFileSync(`/proc/${zombie}/stat`, "utf8")), "the child to end unreaped");
  await writeFile(file, JSON.stringify({ pid: zombie, host: os.hostname(), startTime: processStartTicks(zombie) }));
  const lock = await acquireExecLock(file, "zombie");
  assert.equal((JSON.parse(await readFile(file, "utf8")) as { pid: number }).pid, process.pid);
  await lock.release();
});

test("release and releaseSync leave a lock that another owner wrote in its place since", async (t) => {
  const { file } = await tempLock(t);
  const other = await liveSleeper(t);
  const theirs = JSON.stringify({ pid: other.pid, host: os.hostname(), startTime: processStartTicks(other.pid) });
  for (const release of ["release", "releaseSync"] as const) {
    const lock = await acquireExecLock(file, "replaced");
    // The record was discarded and another run's lock made in its place (or taken over while this one was stopped).
    await writeFile(file, theirs);
    await lock[release]();
    assert.equal(await readFile(file, "utf8"), theirs, `${release} keeps the other owner's lock`);
    await rm(file);
  }
});

test("a lock still being written (unparseable and fresh) is never taken over: the run waits for it, then says so", async (t) => {
  const { file } = await tempLock(t);
  // An O_EXCL create before its write (older orun; file systems without hard links): empty for a moment. Its
  // time stays ahead, so it is fresh for as long as the run waits.
  await writeFile(file, "");
  const ahead = new Date(Date.now() + 600_000);
  await utimes(file, ahead, ahead);
  await assert.rejects(acquireExecLock(file, "young"), (err: Error & { location?: { file?: string } }) => /could not lock execution young: the lock file keeps changing/.test(err.message) && err.location?.file === file);
  assert.equal(await readFile(file, "utf8"), "", "the lock being written is left as it is");
});

test("a takeover guard naming no owner (half-written, or cut short) is spent once old: the stale lock is taken over", async (t) => {
  const { dir, file } = await tempLock(t);
  const stale = JSON.stringify({ pid: await deadPid(), host: os.hostname() });
  await writeFile(file, stale);
  const guard = takeoverGuard(file, stale);
  await writeFile(guard, "{\"pid\":");
  const old = new Date(Date.now() - 60_000);
  await utimes(guard, old, old);
  const lock = await acquireExecLock(file, "cut");
  assert.equal((JSON.parse(await readFile(file, "utf8")) as { pid: number }).pid, process.pid);
  await lock.release();
  assert.deepEqual(await readdir(dir), [], "the spent guard went with the takeover");
});

test("a damaged lock naming pid 0 or a negative pid (kill(0) would signal a whole group) names no owner: taken over once old", async (t) => {
  const { file } = await tempLock(t);
  const old = new Date(Date.now() - 60_000);
  for (const pid of [0, -1]) {
    await writeFile(file, JSON.stringify({ pid, host: os.hostname() }));
    await utimes(file, old, old);
    const lock = await acquireExecLock(file, "damaged");
    assert.equal((JSON.parse(await readFile(file, "utf8")) as { pid: number }).pid, process.pid, `pid ${pid}`);
    await lock.release();
  }
});
