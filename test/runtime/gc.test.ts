// `orun gc` keeps every record a live run may own, against real processes:
// a lock held by a live owner, a record just created without metadata. A
// bare live pid (pid file, metadata) is no owner: pids are reused. Stale ones go.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, readdir, readlink, symlink, utimes, writeFile } from "node:fs/promises";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ExecutionStore, type RunMetadata } from "../../src/runtime/records/store.js";
import { collectGarbage, STARTING_GRACE_MS } from "../../src/runtime/gc.js";
import { processStartTicks } from "../../src/runtime/records/lock.js";
import { makePlan, removeDir, tempDir } from "./helpers.js";
import { deadPid, liveSleeper } from "../support/wait.js";

function meta(execId: string, startedAt: string, extra: Partial<RunMetadata> = {}): RunMetadata {
  return { execId, planId: "p", planName: "n", startedAt, status: "completed", trigger: "cli", user: "u", dryRun: false, jobTotal: 0, jobDone: 0, jobFailed: 0, ...extra };
}

async function record(store: ExecutionStore, execId: string, startedAt?: string): Promise<void> {
  await mkdir(store.logsDir(execId), { recursive: true });
  if (startedAt) await store.writeMetadata(meta(execId, startedAt));
}

test("gc keeps records whose lock has a live owner or that are starting up; a bare live pid (pid file, metadata) is no owner", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const store = new ExecutionStore(dir);
  const sleeper = await liveSleeper(t);
  const live = { pid: sleeper.pid, host: os.hostname(), startTime: processStartTicks(sleeper.pid!) };
  const dead = await deadPid();

  await record(store, "locked-live", "2020-01-01T00:00:00Z");
  await writeFile(store.lockFile("locked-live"), JSON.stringify(live));
  // A finished background run whose pid was reused: its pid file names a live process, the lock is gone.
  await record(store, "bg-live", "2020-01-01T00:00:00Z");
  await writeFile(store.pidFile("bg-live"), `${sleeper.pid}\n`);
  await record(store, "starting"); // no metadata yet, created just now
  await record(store, "locked-stale", "2020-01-01T00:00:00Z");
  await writeFile(store.lockFile("locked-stale"), JSON.stringify({ pid: dead, host: os.hostname() }));
  await record(store, "bg-dead", "2020-01-01T00:00:00Z");
  await writeFile(store.pidFile("bg-dead"), `${dead}\n`);
  await record(store, "reused-pid", "2020-01-01T00:00:00Z");
  await writeFile(store.lockFile("reused-pid"), JSON.stringify({ ...live, startTime: live.startTime! + 1 }));
  await store.writeManifest("reused-pid", makePlan([]));
  await store.pointLatest("locked-stale");

  const preview = await collectGarbage(store, { keep: 0, maxAgeDays: 30, dryRun: true });
  assert.deepEqual(preview.removed.sort(), ["bg-dead", "bg-live", "locked-stale", "reused-pid"]);
  assert.deepEqual(preview.keptRunning.sort(), ["locked-live", "starting"]);
  assert.equal((await readdir(store.executionsDir)).length, 7, "dry-run removes nothing");

  const result = await collectGarbage(store, { keep: 0, maxAgeDays: 30, dryRun: false });
  assert.deepEqual(result.removed.sort(), ["bg-dead", "bg-live", "locked-stale", "reused-pid"]);
  assert.deepEqual(result.keptRunning.sort(), ["locked-live", "starting"]);
  assert.deepEqual((await readdir(store.executionsDir)).sort(), ["latest", "locked-live", "starting"], "no trash left behind");
  assert.deepEqual((await readdir(store.execDir("locked-live"))).sort(), [".lock", "logs", "metadata.json"], "a kept record is untouched");
  assert.ok(["locked-live", "starting"].includes(await readlink(path.join(store.executionsDir, "latest"))), "latest repointed to a survivor");

  // Once the grace for a starting run has passed, a record that never got metadata is garbage, and so
  // are an interrupted pointer swap's temp link and an interrupted gc's moved-aside directory.
  await symlink("locked-live", path.join(store.executionsDir, "latest.4242.tmp"));
  await mkdir(path.join(store.executionsDir, "old-run.4242.0badc0de.gc.tmp", "logs"), { recursive: true });
  await mkdir(path.join(store.executionsDir, "mine.tmp"));
  const later = await collectGarbage(store, { keep: 0, maxAgeDays: 30, dryRun: false, now: Date.now() + STARTING_GRACE_MS + 1_000 });
  assert.deepEqual(later.removed, ["starting"]);
  assert.deepEqual((await readdir(store.executionsDir)).sort(), ["latest", "locked-live", "mine.tmp"], "only orun's own leftovers are swept");

  sleeper.kill();
  await new Promise((resolve) => sleeper.once("exit", resolve));
  const after = await collectGarbage(store, { keep: 0, maxAgeDays: 30, dryRun: false });
  assert.deepEqual(after.removed, ["locked-live"], "its owner is gone");
  assert.deepEqual(await readdir(store.executionsDir), ["mine.tmp"]);
});

test("gc --dry-run keeps a record whose stale lock a run took after the scan: still running, not 'Would remove'", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const store = new ExecutionStore(dir);
  const sleeper = await liveSleeper(t);
  await record(store, "resumed", "2020-01-01T00:00:00Z");
  await writeFile(store.lockFile("resumed"), JSON.stringify({ pid: await deadPid(), host: os.hostname() }));
  // gc looks at the stored plans between its scan of the records and the dry run's look at each lock: right then a
  // run resuming the record takes its stale lock over (its lock names a live process of this host, as a run's does).
  let resumed = false;
  const racing = new Proxy(store, {
    get(target, property, receiver) {
      if (property === "orunDir" && !resumed) {
        resumed = true;
        writeFileSync(store.lockFile("resumed"), JSON.stringify({ pid: sleeper.pid, host: os.hostname(), startTime: processStartTicks(sleeper.pid) }));
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  const preview = await collectGarbage(racing, { keep: 0, maxAgeDays: 30, dryRun: true });
  assert.ok(resumed, "the run took the lock between the scan and the dry run's check");
  assert.deepEqual(preview.removed, []);
  assert.deepEqual(preview.keptRunning, ["resumed"]);
  assert.deepEqual(preview.keptForUser, new Map());
});

test("gc keeps the newest record of each component × environment whose jobs in its plan all completed, at each of its newest revisions", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const store = new ExecutionStore(dir);
  const job = (status: "completed" | "failed") => ({ status, steps: {} });
  const runs: [string, string, string | undefined, Record<string, ReturnType<typeof job>>, string[] | undefined][] = [
    // newest first: web failed in dev here, so api alone is this record's evidence
    ["mixed", "2020-01-05T00:00:00Z", "b".repeat(40), { "api@dev.deploy": job("completed"), "web@dev.deploy": job("failed") }, undefined],
    // its plan has a web job it never ran (a --job run): no evidence of web
    ["partial", "2020-01-04T12:00:00Z", "c".repeat(40), { "web@dev.deploy": job("completed") }, ["web@dev.deploy", "web@dev.smoke"]],
    // no plan (manifest.json) to tell which jobs it had to run: no evidence
    ["no-plan", "2020-01-04T00:00:00Z", "d".repeat(40), { "web@dev.deploy": job("completed") }, []],
    ["no-revision", "2020-01-03T00:00:00Z", undefined, { "web@dev.deploy": job("completed") }, undefined],
    ["both", "2020-01-02T00:00:00Z", "a".repeat(40), { "api@dev.deploy": job("completed"), "web@dev.build": job("completed"), "web@dev.deploy": job("completed") }, undefined],
    // the same revision as a newer success: not kept
    ["older", "2020-01-01T00:00:00Z", "a".repeat(40), { "api@dev.deploy": job("completed"), "web@dev.deploy": job("completed") }, undefined],
  ];
  for (const [execId, startedAt, revision, jobs, planJobs] of runs) {
    await record(store, execId);
    await store.writeMetadata(meta(execId, startedAt, revision ? { revision } : {}));
    await writeFile(store.stateFile(execId), JSON.stringify({ execId, planChecksum: "sha256-x", jobs }));
    const ids = planJobs ?? Object.keys(jobs);
    if (ids.length) await writeFile(store.manifestFile(execId), JSON.stringify({ jobs: ids.map((id) => ({ id })) }));
  }
  // One revision each: api's newest is b (mixed), so both is kept for web alone.
  const one = await collectGarbage(store, { keep: 0, maxAgeDays: 30, dryRun: true, evidenceRevisions: 1 });
  assert.deepEqual([...one.keptEvidence], [
    ["mixed", "the newest success of api in dev at revision bbbbbbbbbbbb"],
    ["both", "the newest success of web in dev at revision aaaaaaaaaaaa"],
  ]);
  const kept = await collectGarbage(store, { keep: 0, maxAgeDays: 30, dryRun: false });
  assert.deepEqual([...kept.keptEvidence], [
    ["mixed", "the newest success of api in dev at revision bbbbbbbbbbbb"],
    ["both", "the newest success of api, web in dev at revision aaaaaaaaaaaa"],
  ]);
  assert.deepEqual(kept.removed.sort(), ["no-plan", "no-revision", "older", "partial"]);
  const dropped = await collectGarbage(store, { keep: 0, maxAgeDays: 30, dryRun: false, dropEvidence: true });
  assert.deepEqual(dropped.removed.sort(), ["both", "mixed"]);
  assert.equal(dropped.droppedEvidence.get("both"), "the newest success of api, web in dev at revision aaaaaaaaaaaa");
  assert.deepEqual(await store.list(), []);
  // What gc removed that gates would have found, and why (gates.ts names it in a block).
  const notes = JSON.parse(await readFile(path.join(dir, ".orun", "gc-removed-evidence.json"), "utf8")) as { removed: { execId: string; component: string; cause: string }[] };
  assert.deepEqual(notes.removed.map(({ execId, component, cause }) => `${execId} ${component} ${cause}`).sort(), ["both api drop-evidence", "both web drop-evidence", "mixed api drop-evidence"]);
});

test("gc keeps a record whose lock is still being written (unparseable and fresh); an old unparseable lock is stale", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const store = new ExecutionStore(dir);
  // A lock created before its content is written (older orun; file systems without hard links): empty for a moment.
  await record(store, "being-locked", "2020-01-01T00:00:00Z");
  await writeFile(store.lockFile("being-locked"), "");
  await record(store, "garbage-lock", "2020-01-01T00:00:00Z");
  await writeFile(store.lockFile("garbage-lock"), "{not json");
  const old = new Date(Date.now() - 60_000);
  await utimes(store.lockFile("garbage-lock"), old, old);

  const result = await collectGarbage(store, { keep: 0, maxAgeDays: 30, dryRun: false });
  assert.deepEqual(result.removed, ["garbage-lock"]);
  assert.deepEqual(result.keptRunning, ["being-locked"]);
  assert.deepEqual(await readdir(store.executionsDir), ["being-locked"]);
});
