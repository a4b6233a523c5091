// `orun status` calls a run interrupted when no live process holds its record's lock — judged by the lock's
// pid and process start time, so a pid reused after a crash (or a container restart) does not pass for the run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import os from "node:os";
import { BACKGROUND_ERROR_FILE, ExecutionStore } from "../../src/runtime/records/store.js";
import { acquireExecLock } from "../../src/runtime/records/lock.js";
import { readSnapshot, renderExecutionList, renderStatus } from "../../src/runtime/status.js";
import { palette } from "../../src/runtime/output/terminal.js";
import { removeDir, tempDir } from "./helpers.js";

test("status: running with a live lock owner; interrupted without a lock, or when the lock's pid was reused", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const store = new ExecutionStore(dir);
  await mkdir(store.execDir("x"), { recursive: true });
  await store.writeMetadata({ execId: "x", planId: "p", planName: "n", startedAt: "2026-01-01T00:00:00Z", status: "running", trigger: "cli", user: "me", dryRun: false, pid: 1, jobTotal: 1, jobDone: 0, jobFailed: 0 });

  assert.equal((await readSnapshot(store, "x")).interrupted, true, "no lock: nobody is running it (pid 1 being alive does not count)");

  const lock = await acquireExecLock(store.lockFile("x"), "x");
  assert.equal((await readSnapshot(store, "x")).interrupted, false, "a live owner holds the lock");
  await lock.release();

  // A lock left by a crash whose pid now belongs to another process (pid 1, started long before `since`).
  await writeFile(store.lockFile("x"), JSON.stringify({ pid: 1, host: os.hostname(), startTime: 1, since: new Date().toISOString() }));
  assert.equal((await readSnapshot(store, "x")).interrupted, true);
});

test("status: a running job's [done/total] counts every step no longer to run (completed, skipped, failed and continued)", () => {
  const text = renderStatus(
    {
      execId: "x",
      interrupted: false,
      meta: { execId: "x", planId: "p", planName: "n", startedAt: "2026-01-01T00:00:00Z", status: "running", trigger: "cli", user: "me", dryRun: false, pid: 1, jobTotal: 1, jobDone: 0, jobFailed: 0 },
      state: { execId: "x", planChecksum: "c", jobs: { "api@dev.build": { status: "running", startedAt: "2026-01-01T00:00:00Z", steps: { a: "completed", b: "skipped", c: "failed", d: "running", e: "pending" } } } },
    },
    palette(false),
    Date.parse("2026-01-01T00:00:05Z"),
  );
  assert.match(text, /\[3\/5\]/);
});

test("status: a pending job with a reason is waiting (a dependency outside the last run); one a crash left to run again is pending, with why", () => {
  const text = renderStatus(
    {
      execId: "x",
      interrupted: false,
      meta: { execId: "x", planId: "p", planName: "n", startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:05Z", status: "completed", trigger: "cli", user: "me", dryRun: false, pid: 1, jobTotal: 2, jobDone: 0, jobFailed: 0 },
      state: {
        execId: "x",
        planChecksum: "c",
        jobs: {
          "api@prod.build": { status: "pending", steps: {}, reason: "dependency web@dev.build is not part of this run" },
          "api@dev.build": { status: "pending", steps: {}, lastError: "interrupted: the previous run stopped while this job was running" },
        },
      },
    },
    palette(false),
  );
  assert.match(text, /○ 1 waiting {2}· {2}○ 1 pending/);
  assert.match(text, /build {2}waiting · dependency web@dev\.build is not part of this run/);
  assert.match(text, /build {2}pending · interrupted: the previous run stopped while this job was running/);
});

test("status: a run that ends between the reads of its metadata and of its lock is read as finished, not interrupted", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const running = { execId: "x", planId: "p", planName: "n", startedAt: "2026-01-01T00:00:00Z", status: "running" as const, trigger: "cli" as const, user: "me", dryRun: false as const, pid: process.pid, jobTotal: 1, jobDone: 0, jobFailed: 0 };
  await mkdir(new ExecutionStore(dir).execDir("x"), { recursive: true });
  const lock = await acquireExecLock(new ExecutionStore(dir).lockFile("x"), "x");
  /** The run finishes right after the first metadata read returns: it writes `completed`, then gives up its lock. */
  class EndingRun extends ExecutionStore {
    private ended = false;
    override async readMetadata(execId: string) {
      const meta = await super.readMetadata(execId);
      if (!this.ended) {
        this.ended = true;
        await this.writeMetadata({ ...running, status: "completed", finishedAt: "2026-01-01T00:00:01Z", jobDone: 1 });
        await lock.release();
      }
      return meta;
    }
  }
  const store = new EndingRun(dir);
  await store.writeMetadata(running);
  const snapshot = await readSnapshot(store, "x");
  assert.deepEqual([snapshot.interrupted, snapshot.meta?.status], [false, "completed"]);
});

test("status: a --background child that records its failure and exits between two reads of the record shows that failure, not an interrupted run", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  // The race from a CI run: the child's pid file was read (a child pending), then the child wrote
  // background-error.json and exited before its liveness was checked. Here the error file is written at the first
  // lookup of the lock, which readSnapshot makes between the two.
  let raced = false;
  class RacingStore extends ExecutionStore {
    override lockFile(execId: string): string {
      if (!raced) {
        raced = true;
        writeFileSync(path.join(this.execDir(execId), BACKGROUND_ERROR_FILE), JSON.stringify({ pid: deadPid, error: "cannot run b: dependencies not completed (a)", at: "2026-01-01T00:00:02Z" }));
      }
      return super.lockFile(execId);
    }
  }
  const store = new RacingStore(dir);
  const deadPid = spawnSync("true").pid;
  await mkdir(store.execDir("x"), { recursive: true });
  await store.writeMetadata({ execId: "x", planId: "p", planName: "n", startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:01Z", status: "completed", trigger: "cli", user: "me", dryRun: false, pid: 1, jobTotal: 1, jobDone: 1, jobFailed: 0 });
  const past = (seconds: number) => new Date(Date.now() - seconds * 1000);
  await utimes(store.metadataFile("x"), past(60), past(60));
  await writeFile(path.join(store.execDir("x"), "pid"), String(deadPid));
  await utimes(path.join(store.execDir("x"), "pid"), past(30), past(30));

  const snapshot = await readSnapshot(store, "x");
  assert.ok(raced, "the error file was written mid-read");
  assert.equal(snapshot.interrupted, false);
  assert.equal(snapshot.backgroundError?.error, "cannot run b: dependencies not completed (a)");
});

test("status --all: running records first (not an interrupted one), then newest first; ages in minutes, hours or days", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const store = new ExecutionStore(dir);
  const now = Date.parse("2026-01-10T12:00:00Z");
  const ago = (ms: number) => new Date(now - ms).toISOString();
  const records: [string, string, "running" | "completed"][] = [
    ["days", ago(3 * 86_400_000 + 60_000), "completed"],
    ["hours", ago(2 * 3_600_000 + 60_000), "completed"],
    // Running for 4 days, its lock held: listed first though the oldest.
    ["live", ago(4 * 86_400_000), "running"],
    // Metadata says running, but no process holds its lock: interrupted, listed by its age.
    ["crashed", ago(30_000), "running"],
    ["minutes", ago(5 * 60_000 + 1_000), "completed"],
  ];
  for (const [execId, startedAt, status] of records) {
    await mkdir(store.execDir(execId), { recursive: true });
    await store.writeMetadata({ execId, planId: "p", planName: "n", startedAt, status, trigger: "cli", user: "me", dryRun: false, pid: 1, jobTotal: 1, jobDone: 0, jobFailed: 0 });
  }
  const lock = await acquireExecLock(store.lockFile("live"), "live");
  t.after(() => lock.release());
  const rows = (await renderExecutionList(store, palette(false), now)).trimEnd().split("\n").slice(1);
  const listed = rows.map((row) => [row.slice(2).split(" ")[0], row.trimEnd().split(" ").at(-1)]);
  assert.deepEqual(listed, [["live", "4d"], ["crashed", "now"], ["minutes", "5m"], ["hours", "2h"], ["days", "3d"]], rows.join("\n"));
});
