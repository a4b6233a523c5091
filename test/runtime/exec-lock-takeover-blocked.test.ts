// A stale lock whose takeover cannot go ahead: 64 takeovers of it died midway (each left its guard), or a live
// process holds its guard (stopped between reading the lock and replacing it). `run` waited 15 s and said "the lock
// file keeps changing", which it never did; now it says what holds the lock and what to do. Guards that outlive their
// lock content (a takeover killed right after replacing the lock, older orun's `<lock>.takeover`) are swept by the
// next run to take the lock. Real files, real processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  LockTakeoverBlocked,
  acquireExecLock,
  lockTakeoverBlocked,
  processStartTicks,
  processStopped,
  takeoverGuard,
} from "../../src/runtime/records/lock.js";
import { staleLockUnderLiveTakeover, tempLock } from "./helpers.js";
import { deadPid, liveSleeper, signalIfAlive, until } from "../support/wait.js";

const LOCK_MODULE = new URL("../../src/runtime/records/lock.js", import.meta.url).href;

/** A process's state letter from /proc/<pid>/stat (R, S, T: stopped by a signal, t: stopped by its tracer). */
const stateOf = (pid: number): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0];
  } catch {
    return undefined;
  }
};

const guardsIn = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((name) => name.includes(".takeover")).sort();

test("64 takeovers of one stale lock that died midway: refused at once, naming the guards and the lock to remove; the next run sweeps them", async (t) => {
  const { dir, file } = await tempLock(t);
  const dead = await deadPid();
  const stale = JSON.stringify({ pid: dead, host: os.hostname(), since: new Date().toISOString() });
  await writeFile(file, stale);
  for (let generation = 0; generation < 64; generation++) await writeFile(takeoverGuard(file, stale, generation), JSON.stringify({ pid: dead, host: os.hostname() }));

  const started = Date.now();
  const guards = takeoverGuard(file, stale).replace(/\.0$/, ".*");
  await assert.rejects(acquireExecLock(file, "stuck"), (err: Error) => {
    assert.equal(
      err.message,
      `${file}: could not lock execution stuck: 64 takeovers of its stale lock died midway (their guards ${guards} remain); if no run is using this execution, remove ${file} (those guards go with the next run)`,
    );
    return true;
  });
  assert.ok(Date.now() - started < 10_000, "no use waiting: nothing changes without the user");
  assert.match(String(await lockTakeoverBlocked(file)), /^64 takeovers of its stale lock died midway/, "what gc --dry-run says of it");
  assert.equal(await readFile(file, "utf8"), stale, "the lock is left as it was");
  assert.equal((await guardsIn(dir)).length, 64);

  // The user removes the lock, as told: the next run locks it and the 64 spent guards go.
  await rm(file);
  const lock = await acquireExecLock(file, "stuck");
  assert.deepEqual(await guardsIn(dir), []);
  await lock.release();
  assert.deepEqual(await readdir(dir), []);
});

test("a live process holding the takeover guard: after the deadline the error names its pid and guard, not a changing lock", async (t) => {
  const { dir, file, stale, guard, holder } = await staleLockUnderLiveTakeover(t);
  await assert.rejects(acquireExecLock(file, "stalled"), (err: Error) => {
    assert.equal(
      err.message,
      `${file}: could not lock execution stalled: a takeover of its stale lock by pid ${holder.pid} has not finished (it holds ${guard}); wait for it, or end pid ${holder.pid} if it is stopped or stuck`,
    );
    return true;
  });
  assert.equal(await readFile(file, "utf8"), stale);
  assert.match(String(await lockTakeoverBlocked(file)), new RegExp(`^a takeover of its stale lock by pid ${holder.pid} has not finished`), "what gc --dry-run says of it");
  // Once the holder is gone its guard is spent: the takeover goes ahead, and the spent guard goes with the content.
  holder.kill("SIGKILL");
  await new Promise((resolve) => holder.once("exit", resolve));
  const lock = await acquireExecLock(file, "stalled");
  assert.deepEqual(await guardsIn(dir), []);
  await lock.release();
});

test("guards left beside the lock by dead holders (another content's, older orun's .lock.takeover) go at the next lock; a live holder's stays", async (t) => {
  const { dir, file } = await tempLock(t);
  const dead = await deadPid();
  const host = os.hostname();
  const holder = await liveSleeper(t);
  // A run killed right after replacing the lock left the guard of the content it replaced; older orun left its
  // single guard; another process is (as far as anyone can tell) taking over yet another content, alive.
  const replaced = JSON.stringify({ pid: dead, host, since: "2026-01-01T00:00:00.000Z" });
  const elsewhere = JSON.stringify({ pid: dead, host, since: "2026-01-02T00:00:00.000Z" });
  await writeFile(takeoverGuard(file, replaced, 0), JSON.stringify({ pid: dead, host }));
  await writeFile(takeoverGuard(file, replaced, 3), JSON.stringify({ pid: dead, host }));
  await writeFile(`${file}.takeover`, JSON.stringify({ pid: dead, host }));
  const live = takeoverGuard(file, elsewhere);
  await writeFile(live, JSON.stringify({ pid: holder.pid, host, startTime: processStartTicks(holder.pid) }));
  // Files that only look like guards are not touched.
  await writeFile(path.join(dir, ".lock.takeover.notes"), "mine");
  await writeFile(path.join(dir, ".lock2.takeover"), JSON.stringify({ pid: dead, host }));

  // The lock free: taken at once.
  const lock = await acquireExecLock(file, "fresh");
  assert.deepEqual(await guardsIn(dir), [path.basename(live), ".lock.takeover.notes", ".lock2.takeover"].sort());
  await lock.release();

  // The lock stale (its run was killed): taken over, and the guard that run's takeover left goes too.
  const killed = JSON.stringify({ pid: dead, host, since: new Date().toISOString() });
  await writeFile(file, killed);
  await writeFile(takeoverGuard(file, replaced, 1), JSON.stringify({ pid: dead, host }));
  const again = await acquireExecLock(file, "stale");
  assert.deepEqual(await guardsIn(dir), [path.basename(live), ".lock.takeover.notes", ".lock2.takeover"].sort());
  await again.release();
});

test("a stopped process holding the takeover guard is named at once (no 15 s wait), with how to continue or end it", async (t) => {
  const { dir, file, stale, guard, holder } = await staleLockUnderLiveTakeover(t);
  try {
    process.kill(holder.pid, "SIGSTOP");
    await until(() => processStopped(holder.pid), "the holder to stop", 10_000);
    const note = `a takeover of its stale lock by pid ${holder.pid} is stopped (it holds ${guard}); let it finish with kill -CONT ${holder.pid}, or end it with kill -KILL ${holder.pid}`;
    const started = Date.now();
    await assert.rejects(acquireExecLock(file, "paused"), (err: Error) => {
      assert.ok(err instanceof LockTakeoverBlocked);
      assert.equal(err.message, `${file}: could not lock execution paused: ${note}`);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, `named at once, not after the 15 s deadline (${Date.now() - started} ms)`);
    assert.equal(await lockTakeoverBlocked(file), note, "what gc --dry-run says of it");
    assert.equal(await readFile(file, "utf8"), stale, "the lock is left as it was");
  } finally {
    signalIfAlive(holder.pid, "SIGCONT");
    signalIfAlive(holder.pid, "SIGKILL");
  }
  await new Promise((resolve) => (holder.exitCode !== null || holder.signalCode !== null ? resolve(undefined) : holder.once("exit", resolve)));
  // Once the holder is gone its guard is spent: the takeover goes ahead.
  assert.equal(await lockTakeoverBlocked(file), undefined);
  const lock = await acquireExecLock(file, "paused");
  assert.deepEqual(await guardsIn(dir), []);
  await lock.release();
});

/**
 * Attaches to `pid` with ptrace (PTRACE_ATTACH, as gdb -p does), says TRACING once the process sits in its tracing
 * stop (state t), and holds it there until its stdin closes.
 */
const TRACER = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
pid = int(sys.argv[1])
if libc.ptrace(16, pid, None, None) != 0:
    sys.exit("PTRACE_ATTACH failed: errno %d" % ctypes.get_errno())
os.waitpid(pid, 0)
sys.stdout.write("TRACING\\n")
sys.stdout.flush()
sys.stdin.read()
`;

test("a takeover holder a tracer stops (state t: gdb, strace) is not named stopped: kill -CONT does not resume it; it is waited for as a running one", async (t) => {
  const { dir, file, stale, guard, holder } = await staleLockUnderLiveTakeover(t);
  const tracer = spawn("python3", ["-c", TRACER, String(holder.pid)], { stdio: ["pipe", "pipe", "pipe"] });
  let said = "";
  tracer.stdout.on("data", (chunk: Buffer) => (said += chunk.toString()));
  tracer.stderr.on("data", (chunk: Buffer) => (said += chunk.toString()));
  try {
    // Wait for the whole line: a pipe read may deliver it in pieces.
    await until(() => said.includes("\n") || tracer.exitCode !== null, "the tracer to attach", 10_000);
    assert.equal(said, "TRACING\n");
    assert.equal(stateOf(holder.pid), "t");
    // What the old note advised does nothing here: only the tracer resumes a tracing stop.
    process.kill(holder.pid, "SIGCONT");
    assert.equal(stateOf(holder.pid), "t", "kill -CONT does not resume a traced process");
    assert.equal(processStopped(holder.pid), false);
    const note = `a takeover of its stale lock by pid ${holder.pid} has not finished (it holds ${guard}); wait for it, or end pid ${holder.pid} if it is stopped or stuck`;
    assert.equal(await lockTakeoverBlocked(file), note, "what gc --dry-run says of it");

    // The takeover waits for it (it was refused at once, naming kill -CONT): once the holder is ended it goes ahead.
    let settled = false;
    const acquiring = acquireExecLock(file, "traced");
    acquiring.then(
      () => (settled = true),
      () => (settled = true),
    );
    await until(() => settled, "the takeover to give up", 1_500).catch(() => undefined);
    assert.equal(settled, false, "not refused at once");
    holder.kill("SIGKILL");
    tracer.stdin.end();
    const lock = await acquiring;
    assert.notEqual(await readFile(file, "utf8"), stale);
    assert.deepEqual(await guardsIn(dir), []);
    await lock.release();
  } finally {
    signalIfAlive(holder.pid, "SIGKILL");
    if (tracer.exitCode === null) tracer.kill("SIGKILL");
  }
});

/**
 * A `--background` parent (as `orun run --background` is): takes the lock for hand-off, holds the takeover guard of
 * its own lock content as handOver does while it replaces the lock, starts its child, says CHILD <pid> and stops
 * itself (Ctrl-Z in that moment). Continued, it lets go of the guard, hands the lock to the child and exits with the
 * child's code. The child tries the lock (saying TRYING), then says ADOPTED or REFUSED <message>.
 */
const CHILD = `
import { acquireExecLock } from ${JSON.stringify(LOCK_MODULE)};
process.stdout.write("TRYING\\n");
try {
  const lock = await acquireExecLock(process.argv[1], "bg");
  process.stdout.write("ADOPTED\\n");
  await lock.release();
} catch (err) {
  process.stdout.write("REFUSED " + err.message + "\\n");
  process.exitCode = 1;
}
`;
const PARENT = `
import { acquireExecLock, processStartTicks, takeoverGuard } from ${JSON.stringify(LOCK_MODULE)};
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
const file = process.argv[1];
const lock = await acquireExecLock(file, "bg", { handoff: true });
const guard = takeoverGuard(file, readFileSync(file, "utf8"));
writeFileSync(guard, JSON.stringify({ pid: process.pid, host: os.hostname(), startTime: processStartTicks(process.pid) }), { flag: "wx" });
const child = spawn(process.execPath, ["--input-type=module", "-e", ${JSON.stringify(CHILD)}, file], { stdio: ["ignore", "inherit", "inherit"] });
await new Promise((resolve) => child.once("spawn", resolve));
process.stdout.write("CHILD " + child.pid + "\\n");
process.kill(process.pid, "SIGSTOP");
rmSync(guard);
await lock.handOver(child.pid);
child.once("exit", (code) => process.exit(code ?? 1));
`;

test("a --background parent stopped while it hands its lock over: the child waits for it (it is no stale takeover) and adopts the lock once it is continued", async (t) => {
  const { file } = await tempLock(t);
  const parent = spawn(process.execPath, ["--input-type=module", "-e", PARENT, file], { stdio: ["ignore", "pipe", "inherit"] });
  let said = "";
  parent.stdout.on("data", (chunk: Buffer) => (said += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => parent.once("exit", (code) => resolve(code)));
  let child: number | undefined;
  try {
    await until(() => /CHILD \d+\n/.test(said) && processStopped(parent.pid!), "the parent to stop after starting its child", 20_000);
    child = Number(/CHILD (\d+)\n/.exec(said)![1]);
    await until(() => said.includes("TRYING"), "the child to try the lock", 20_000);
    // The child was refused at once ("a takeover of its stale lock by pid <parent> is stopped"): it must wait instead.
    await until(() => said.includes("REFUSED"), "the child to give up", 1_500).catch(() => undefined);
    assert.doesNotMatch(said, /REFUSED/);
    process.kill(parent.pid!, "SIGCONT");
    assert.equal(await exited, 0, said);
    assert.equal(said.replace(/CHILD \d+\n/, ""), "TRYING\nADOPTED\n");
  } finally {
    signalIfAlive(parent.pid!, "SIGCONT");
    signalIfAlive(parent.pid!, "SIGKILL");
    if (child !== undefined) signalIfAlive(child, "SIGKILL");
  }
});
