// Execution records on a real file system: atomic coalesced state writes,
// corrupt files, the exec lock, legacy migration.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, readdir, rename, writeFile, readlink } from "node:fs/promises";
import { spawn } from "node:child_process";
import path from "node:path";
import { ExecutionStore } from "../../src/runtime/records/store.js";
import { StateWriter, emptyState, readStateFile } from "../../src/runtime/records/state.js";
import { acquireExecLock } from "../../src/runtime/records/lock.js";
import { collectGarbage } from "../../src/runtime/gc.js";
import { readJson, removeDir, tempDir } from "./helpers.js";

test("StateWriter coalesces bursts into few atomic writes and flush() persists the latest state", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const file = path.join(dir, "state.json");
  const state = emptyState("e1", "sha256-x");
  const writer = new StateWriter(file, state, 20);
  for (let i = 0; i < 500; i++) {
    state.jobs[`c@dev.j${i}`] = { status: "completed", steps: { s: "completed" } };
    writer.schedule();
  }
  await writer.flush();
  assert.ok(writer.writes < 10, `writes: ${writer.writes}`);
  const saved = await readJson<{ jobs: Record<string, unknown> }>(file);
  assert.equal(Object.keys(saved.jobs).length, 500);
  // No temp files left behind.
  assert.deepEqual(await readdir(dir), ["state.json"]);
});

test("a corrupt state.json is a clear error naming the file, and is left untouched", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const file = path.join(dir, "state.json");
  await writeFile(file, '{"jobs": {"a@dev.x": {"status": "completed"');
  await assert.rejects(readStateFile(file), (err: Error) => err.message.includes(file) && /corrupt execution state/.test(err.message));
  await writeFile(file, '{"jobs": {"a@dev.x": {"status": "exploded", "steps": {}}}}');
  await assert.rejects(readStateFile(file), /jobs\.a@dev\.x\.status.*unknown status "exploded"/);
  assert.equal(await readFile(file, "utf8"), '{"jobs": {"a@dev.x": {"status": "exploded", "steps": {}}}}');
});

test("the exec lock refuses a second owner while the first is alive and takes over a stale one", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const file = path.join(dir, ".lock");
  const lock = await acquireExecLock(file, "e1");
  await assert.rejects(acquireExecLock(file, "e1"), /execution e1 is already running \(pid \d+\)/);
  await lock.release();

  // A lock left by a process that no longer exists is stale.
  const dead = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => dead.on("exit", resolve));
  const os = await import("node:os");
  await writeFile(file, JSON.stringify({ pid: dead.pid, host: os.hostname() }));
  const taken = await acquireExecLock(file, "e1");
  assert.equal((JSON.parse(await readFile(file, "utf8")) as { pid: number }).pid, process.pid);
  await taken.release();
});

test("legacy .orun-state.json is migrated into executions/migrated-*/ with canonical IDs and latest repointed", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const legacy = { execId: "old", planChecksum: "sha256-abc", jobs: { "api.dev.build": { status: "completed", steps: { compile: "completed" } } } };
  await writeFile(path.join(dir, ".orun-state.json"), JSON.stringify(legacy));
  const store = new ExecutionStore(dir);
  const id = await store.migrateLegacy(new Date(2024, 0, 2, 3, 4, 5));
  assert.equal(id, "migrated-20240102-030405");
  const state = await readJson<{ execId: string; jobs: Record<string, { status: string }> }>(store.stateFile(id!));
  assert.equal(state.execId, id);
  assert.equal(state.jobs["api@dev.build"]?.status, "completed");
  assert.equal(await readlink(path.join(store.executionsDir, "latest")), id);
  await assert.rejects(readFile(path.join(dir, ".orun-state.json")), /ENOENT/);
  assert.equal(await store.migrateLegacy(), undefined, "nothing left to migrate");
});

test("a corrupt legacy state file is refused and kept", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  await writeFile(path.join(dir, ".orun-state.json"), "not json");
  await assert.rejects(new ExecutionStore(dir).migrateLegacy(), /\.orun-state\.json.*corrupt execution state/);
  assert.equal(await readFile(path.join(dir, ".orun-state.json"), "utf8"), "not json");
});

test("gc keeps the newest N, removes the rest and repoints latest", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const store = new ExecutionStore(dir);
  for (let i = 1; i <= 4; i++) {
    const id = `run-${i}`;
    await mkdir(store.execDir(id), { recursive: true });
    await store.writeMetadata({
      execId: id, planId: "p", planName: "n", startedAt: `2026-01-0${i}T00:00:00Z`, status: "completed",
      trigger: "cli", user: "u", dryRun: false, jobTotal: 0, jobDone: 0, jobFailed: 0,
    });
  }
  await store.pointLatest("run-1");
  const preview = await collectGarbage(store, { keep: 2, maxAgeDays: 100_000, dryRun: true });
  assert.deepEqual(preview.removed, ["run-2", "run-1"]);
  assert.equal((await readdir(store.executionsDir)).length, 5, "dry-run removes nothing");
  await collectGarbage(store, { keep: 2, maxAgeDays: 100_000, dryRun: false });
  assert.deepEqual((await readdir(store.executionsDir)).sort(), ["latest", "run-3", "run-4"]);
  assert.equal(await readlink(path.join(store.executionsDir, "latest")), "run-4");
});

test("promotion gates: where a hook gives evidence (remote mode) it alone decides; without one, local history and this execution decide", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const { GateEvaluator } = await import("../../src/runtime/gates.js");
  const { makePlan } = await import("./helpers.js");
  const gate = { type: "environment-promotion" as const, environment: "staging", component: "web", condition: "success", match: { revision: "source" } };
  const plan = makePlan([{ id: "web@prod.deploy", gates: [gate], steps: [] }, { id: "web@staging.deploy", steps: [] }, { id: "web@staging.smoke", steps: [] }], { revision: "abc123" });
  const store = new ExecutionStore(dir);
  const asked: string[] = [];
  const remote = new GateEvaluator(plan.metadata.revision, store, "e1", emptyState("e1", "x"), {
    gateSatisfied: (g, revision) => {
      asked.push(`${g.component}@${g.environment}:${revision}`);
      return Promise.resolve(true);
    },
  });
  assert.equal(await remote.check(plan.jobs[0]!, { approve: false }), undefined);
  assert.deepEqual(asked, ["web@staging:abc123"]);
  const refused = new GateEvaluator(plan.metadata.revision, store, "e1", emptyState("e1", "x"), { gateSatisfied: () => Promise.resolve(false) });
  assert.match((await refused.check(plan.jobs[0]!, { approve: false }))!, /promotion gate: web must have succeeded in staging at revision abc123/);
  // The current execution's own success counts as evidence too, once every web job in staging its plan holds completed.
  const current = emptyState("e1", "x");
  current.jobs["web@staging.deploy"] = { status: "completed", steps: {} };
  assert.match((await new GateEvaluator(plan.metadata.revision, store, "e1", current, undefined, plan).check(plan.jobs[0]!, { approve: false }))!, /promotion gate: web must have succeeded in staging/);
  current.jobs["web@staging.smoke"] = { status: "completed", steps: {} };
  assert.equal(await new GateEvaluator(plan.metadata.revision, store, "e1", current, undefined, plan).check(plan.jobs[0]!, { approve: false }), undefined);
});

test("a job's earlier logs set aside: discard has removed them when it resolves, and one it cannot remove is named in a warning, not passed over", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const warnings: string[] = [];
  const store = new ExecutionStore(dir, { warn: (message) => warnings.push(message) });
  const writeEarlierLog = async (): Promise<void> => {
    await mkdir(store.jobLogDir("e1", "api@dev.build"), { recursive: true });
    await writeFile(store.stepLogFile("e1", "api@dev.build", "s1"), "earlier attempt\n");
  };
  const scratch = path.join(dir, "scratch", "earlier-logs");

  await writeEarlierLog();
  const earlier = await store.setAsideJobLogs("e1", "api@dev.build", scratch);
  assert.ok(earlier);
  assert.deepEqual(await readdir(store.logsDir("e1")), [], "out of the record");
  await earlier.discard();
  assert.deepEqual(await readdir(scratch), [], "removed by the time discard resolves");

  // The scratch folder replaced by a file meanwhile (any removal that fails): the moved logs cannot be removed.
  await writeEarlierLog();
  const stuck = await store.setAsideJobLogs("e1", "api@dev.build", scratch);
  assert.ok(stuck);
  await rename(scratch, `${scratch}.moved`);
  await writeFile(scratch, "not a folder");
  await stuck.discard();
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0]!, /^cannot remove the logs of api@dev\.build's earlier run, set aside in .*earlier-logs\/api@dev\.build: .*not a directory/i);
  assert.equal(await readFile(path.join(`${scratch}.moved`, "api@dev.build", "s1.log"), "utf8"), "earlier attempt\n");
});

test("a resumed job's earlier logs set aside but the kept steps': those stay in the record, and restore puts the others back beside them", async (t) => {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  const store = new ExecutionStore(dir);
  const job = "api@dev.build";
  await mkdir(store.jobLogDir("e1", job), { recursive: true });
  for (const key of ["one", "two"]) await writeFile(store.stepLogFile("e1", job, key), `${key} earlier\n`);
  const scratch = path.join(dir, "scratch", "earlier-logs");

  const earlier = await store.setAsideJobLogs("e1", job, scratch, new Set(["one"]));
  assert.ok(earlier);
  assert.deepEqual(await readdir(store.jobLogDir("e1", job)), ["one.log"], "only the skipped step's log stays");
  await earlier.restore();
  assert.deepEqual((await readdir(store.jobLogDir("e1", job))).sort(), ["one.log", "two.log"]);
  assert.equal(await readFile(store.stepLogFile("e1", job, "two"), "utf8"), "two earlier\n");

  const again = await store.setAsideJobLogs("e1", job, scratch, new Set(["one"]));
  await again!.discard();
  assert.deepEqual(await readdir(store.jobLogDir("e1", job)), ["one.log"]);
  assert.equal(await readFile(store.stepLogFile("e1", job, "one"), "utf8"), "one earlier\n");
});
