// `orun gc --all` called a record "still running" when its `.lock` was a directory, a FIFO or a symbolic link (no
// file orun reads as a lock), and `--dry-run` said it would remove it. Whether a run holds such a record cannot be
// told, so gc keeps it and says what it found and where ("lock unreadable: <what>, <path>"), exits 1, and removes it
// once the user has removed the lock. Real orun processes on real records in a temp folder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { processStartTicks, processStopped, takeoverGuard } from "../../src/runtime/records/lock.js";
import { deadPid, liveSleeper, processEnded, signalIfAlive, until } from "../support/wait.js";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

const executions = async (dir: string): Promise<string[]> => (await readdir(path.join(dir, ".orun/executions"))).filter((name) => name !== "latest").sort();

test("gc keeps a record whose lock is a directory, a FIFO or a link, naming what it found and where; exit 1 saying why (--dry-run 0)", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "gc" }, "orun-gc-lock-");
  for (const id of ["plain", "dirlock", "fifolock", "linklock"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  const lock = (id: string): string => recordFile(dir, id, ".lock");
  await mkdir(lock("dirlock"));
  execFileSync("mkfifo", [lock("fifolock")]);
  await symlink(path.join(dir, "nowhere"), lock("linklock"));
  const found: Record<string, string> = {
    dirlock: "a directory",
    fifolock: "not a regular file (a FIFO, socket or device)",
    linklock: "a symbolic link",
  };
  const keptLine = (id: string): string => `  kept ${id} (lock unreadable: ${found[id]}, ${lock(id)}; remove it if no run is using this execution)\n`;

  const why = "✕ gc kept 3 executions whose lock it could not read or take over: see the note above for what to remove, then run orun gc again\n";
  for (const args of [["gc", "--all", "--dry-run"], ["gc", "--all"]]) {
    const gc = await runOrun(args, { cwd: dir, timeoutMs: 15_000 });
    // gc exits 1 saying why on stderr; --dry-run did what it was asked.
    const dryRun = args.includes("--dry-run");
    assert.equal(gc.code, dryRun ? 0 : 1, `${args.join(" ")}: ${gc.stdout}${gc.stderr}`);
    assert.equal(gc.stderr, dryRun ? "" : why, args.join(" "));
    assert.doesNotMatch(gc.stdout, /still running/, args.join(" "));
    for (const id of Object.keys(found)) {
      assert.ok(gc.stdout.includes(keptLine(id)), `${args.join(" ")} names ${id}'s lock: ${gc.stdout}`);
      assert.doesNotMatch(gc.stdout, new RegExp(`(Would remove|Removed) ${id}\\b`), args.join(" "));
    }
    assert.match(gc.stdout, args.includes("--dry-run") ? /Would remove plain\n/ : /Removed plain\n/);
  }
  assert.deepEqual(await executions(dir), ["dirlock", "fifolock", "linklock"], "only the record without a lock in question went");
  assert.ok(existsSync(lock("dirlock")), "the directory in the lock's place is left alone");
  // Nothing else left to remove: not "Nothing to clean up." and exit 1.
  const again = await runOrun(["gc", "--all"], { cwd: dir, timeoutMs: 15_000 });
  assert.equal(again.code, 1);
  assert.deepEqual(again.stdout.split(/(?<=\n)/).sort(), ["dirlock", "fifolock", "linklock"].map(keptLine));
  assert.equal(again.stderr, why);

  // The user removes what stood in for the locks: the records go, and gc exits 0.
  for (const id of Object.keys(found)) await rm(lock(id), { recursive: true });
  const gc = await runOrun(["gc", "--all"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stdout + gc.stderr);
  assert.deepEqual(await executions(dir), []);
});

test("gc keeps a record whose stale lock cannot be taken over (64 takeovers died midway), saying so, not \"still running\"; run says so too", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "gc" }, "orun-gc-lock-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "stuck"], { cwd: dir })).code, 0);
  const file = recordFile(dir, "stuck", ".lock");
  const dead = await deadPid();
  const stale = JSON.stringify({ pid: dead, host: os.hostname(), since: new Date().toISOString() });
  await writeFile(file, stale);
  for (let generation = 0; generation < 64; generation++) await writeFile(takeoverGuard(file, stale, generation), JSON.stringify({ pid: dead, host: os.hostname() }));
  const note = `64 takeovers of its stale lock died midway (their guards ${takeoverGuard(file, stale).replace(/\.0$/, ".*")} remain); if no run is using this execution, remove ${file} (those guards go with the next run)`;

  const run = await runOrun(["run", "plan.json", "--exec-id", "stuck"], { cwd: dir, timeoutMs: 15_000 });
  assert.equal(run.code, 1);
  assert.ok(run.stderr.includes(`could not lock execution stuck: ${note}`), run.stderr);

  // --dry-run says what gc does with it (keeps it, and why), not "Would remove stuck".
  const dryRun = await runOrun(["gc", "--all", "--dry-run"], { cwd: dir, timeoutMs: 15_000 });
  assert.equal(dryRun.code, 0, dryRun.stdout + dryRun.stderr);
  assert.equal(dryRun.stdout, `  kept stuck (lock not taken over: ${note})\n`);
  assert.equal(dryRun.stderr, "");

  const gc = await runOrun(["gc", "--all"], { cwd: dir, timeoutMs: 15_000 });
  assert.equal(gc.code, 1, gc.stdout + gc.stderr);
  assert.equal(gc.stdout, `  kept stuck (lock not taken over: ${note})\n`);
  assert.equal(gc.stderr, "✕ gc kept 1 execution whose lock it could not read or take over: see the note above for what to remove, then run orun gc again\n");
  assert.deepEqual(await executions(dir), ["stuck"]);

  // Removed as told: the record goes, guards and all.
  await rm(file);
  const after = await runOrun(["gc", "--all"], { cwd: dir });
  assert.equal(after.code, 0, after.stdout + after.stderr);
  assert.deepEqual(await executions(dir), []);
});

test("a stale lock whose takeover guard a stopped process holds: run, gc and gc --dry-run name it at once, and how to continue or end it", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "gc" }, "orun-gc-lock-");
  for (const id of ["paused", "plain"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  const file = recordFile(dir, "paused", ".lock");
  const stale = JSON.stringify({ pid: await deadPid(), host: os.hostname(), since: new Date().toISOString() });
  await writeFile(file, stale);
  const holder = await liveSleeper(t);
  const guard = takeoverGuard(file, stale);
  await writeFile(guard, JSON.stringify({ pid: holder.pid, host: os.hostname(), startTime: processStartTicks(holder.pid) }));
  const note = `a takeover of its stale lock by pid ${holder.pid} is stopped (it holds ${guard}); let it finish with kill -CONT ${holder.pid}, or end it with kill -KILL ${holder.pid}`;
  try {
    process.kill(holder.pid, "SIGSTOP");
    await until(() => processStopped(holder.pid), "the holder to stop", 10_000);
    // The lock's 15 s deadline is not waited out: the processes are ended at 12 s and the note is the stopped one.
    const run = await runOrun(["run", "plan.json", "--exec-id", "paused"], { cwd: dir, timeoutMs: 12_000 });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.stderr, `✕ ${file}: could not lock execution paused: ${note}\n`);

    const dryRun = await runOrun(["gc", "--all", "--dry-run"], { cwd: dir, timeoutMs: 12_000 });
    assert.equal(dryRun.code, 0, dryRun.stdout + dryRun.stderr);
    assert.equal(dryRun.stdout, `  Would remove plain\n\nWould remove 1 execution\n  kept paused (lock not taken over: ${note})\n`);

    const gc = await runOrun(["gc", "--all"], { cwd: dir, timeoutMs: 12_000 });
    assert.equal(gc.code, 1, gc.stdout + gc.stderr);
    assert.equal(gc.stdout, `  Removed plain\n\nRemoved 1 execution\n  kept paused (lock not taken over: ${note})\n`);
    assert.equal(await readFile(file, "utf8"), stale, "the lock is left as it was");
  } finally {
    signalIfAlive(holder.pid, "SIGCONT");
    signalIfAlive(holder.pid, "SIGKILL");
  }
  await until(() => processEnded(holder.pid), "the holder to end", 10_000);
  // Ended as told: its guard is spent, and the record goes.
  const after = await runOrun(["gc", "--all"], { cwd: dir });
  assert.equal(after.code, 0, after.stdout + after.stderr);
  assert.deepEqual(await executions(dir), []);
});
