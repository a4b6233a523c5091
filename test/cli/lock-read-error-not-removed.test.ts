// A lock file orun fails to read (EACCES here; EIO and EMFILE alike) made `orun run` say "the execution lock is
// unreadable (EACCES); remove it if no run is using this execution" and `orun gc` "lock unreadable: permission
// denied, …; remove it if …": a failed read says nothing of the lock, which may be a live run's, so advising its
// removal was wrong. Now both name the file and the error and say nothing was removed; once the lock can be read
// again, gc removes the record (its owner is gone). As root, orun runs as `nobody` on a record it owns but for the
// lock (root's, mode 600); otherwise the lock is made mode 000. Real orun processes on real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { NOBODY, asRoot, chownTree, orunAsUser } from "../support/as-user.js";
import { planDir, recordFile } from "../runtime/helpers.js";
import { deadPid, signalIfAlive, until } from "../support/wait.js";

/** gc's ✕ line after keeping one record whose lock it could not read: it may have removed others. */
const READ_ERROR_KEPT = "✕ gc kept 1 execution whose lock it could not read (named above, left as it was); run orun gc again once the lock can be read\n";

/** Makes `lock` unreadable to orunAsUser (nobody as root: the tree is nobody's but the lock; else mode 000). */
async function denyLock(dir: string, lock: string): Promise<void> {
  if (asRoot) {
    await chmod(dir, 0o755);
    await chownTree(dir, NOBODY);
    await chown(lock, 0, 0);
    await chmod(lock, 0o600);
  } else {
    await chmod(lock, 0o000);
  }
}

test("a lock orun cannot read: run and gc name the file and the error, say nothing was removed, and never advise removing it", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "gc" }, "orun-lock-read-");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "denied"], { cwd: dir })).code, 0);
  const lock = recordFile(dir, "denied", ".lock");
  // The run that held it is gone: once readable, the lock is stale and the record gc's to remove.
  const stale = JSON.stringify({ pid: await deadPid(), host: os.hostname(), since: new Date().toISOString() });
  await writeFile(lock, stale, { mode: 0o600 });
  await denyLock(dir, lock);
  const failure = "EACCES: permission denied";

  const run = await orunAsUser(["run", "plan.json", "--exec-id", "denied"], dir);
  assert.equal(run.code, 1, run.stdout);
  assert.equal(run.stderr, `✕ ${lock}: could not read the execution lock (${failure}); nothing was removed: run it again once the lock can be read\n`);

  const kept = `  kept denied (lock could not be read: ${failure}, ${lock}; nothing was removed)\n`;
  const dryRun = await orunAsUser(["gc", "--all", "--dry-run"], dir);
  assert.equal(dryRun.code, 0, dryRun.stderr);
  assert.equal(dryRun.stdout, kept);
  const gc = await orunAsUser(["gc", "--all"], dir);
  assert.equal(gc.code, 1, gc.stdout);
  assert.equal(gc.stdout, kept);
  assert.equal(gc.stderr, READ_ERROR_KEPT);
  for (const out of [run.stderr, dryRun.stdout, gc.stdout, gc.stderr]) assert.doesNotMatch(out, /remove it|remove the lock|what to remove/);

  if (asRoot) await chown(lock, NOBODY, NOBODY);
  else await chmod(lock, 0o600);
  assert.equal(await readFile(lock, "utf8"), stale, "the lock is as it was");
  // Readable again: its owner is gone, so gc takes it over and removes the record.
  const after = await orunAsUser(["gc", "--all"], dir);
  assert.equal(after.code, 0, after.stdout + after.stderr);
  assert.match(after.stdout, /Removed denied\n/);
  assert.deepEqual(await readdir(path.join(dir, ".orun/executions")), []);
});

test("gc that removes one record and keeps another whose lock it cannot read: its ✕ line does not say nothing was removed", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "gc" }, "orun-lock-read-");
  for (const id of ["denied", "plain"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  const lock = recordFile(dir, "denied", ".lock");
  await writeFile(lock, JSON.stringify({ pid: await deadPid(), host: os.hostname(), since: new Date().toISOString() }), { mode: 0o600 });
  await denyLock(dir, lock);

  const gc = await orunAsUser(["gc", "--all"], dir);
  assert.equal(gc.code, 1, gc.stdout + gc.stderr);
  assert.equal(gc.stdout, `  Removed plain\n\nRemoved 1 execution\n  kept denied (lock could not be read: EACCES: permission denied, ${lock}; nothing was removed)\n`);
  assert.equal(gc.stderr, READ_ERROR_KEPT);
  assert.deepEqual((await readdir(path.join(dir, ".orun/executions"))).filter((name) => name !== "latest"), ["denied"]);
});

test("status of a live run whose lock it cannot read says it cannot tell whether the run is alive, not that it was interrupted", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.wait", steps: [{ run: "echo $$ > step.pid; exec sleep 60" }] }], { name: "live" }, "orun-lock-read-");
  const run = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "live"], { cwd: dir, stdio: "ignore" });
  const exited = new Promise((resolve) => run.once("exit", resolve));
  try {
    const meta = recordFile(dir, "live", "metadata.json");
    await until(() => existsSync(path.join(dir, "step.pid")) && existsSync(meta), "the run's step to start");
    assert.match(await readFile(meta, "utf8"), /"status": "running"/);
    const lock = recordFile(dir, "live", ".lock");
    await denyLock(dir, lock);

    const status = await orunAsUser(["status", "--exec-id", "live"], dir);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /State: running/);
    assert.ok(
      status.stdout.includes(`! the execution lock could not be read (EACCES: permission denied, ${lock}): whether the run (pid ${run.pid}) is still alive cannot be told\n`),
      status.stdout,
    );
    assert.doesNotMatch(status.stdout, /interrupted|no longer alive|resume with/);
    const json = JSON.parse((await orunAsUser(["status", "--exec-id", "live", "--json"], dir)).stdout) as Record<string, unknown>;
    assert.equal(json.lockUnreadable, `EACCES: permission denied, ${lock}`);
    assert.equal(json.interrupted, undefined);
  } finally {
    const step = Number(await readFile(path.join(dir, "step.pid"), "utf8").catch(() => "0"));
    if (step > 0) signalIfAlive(step, "SIGKILL");
    signalIfAlive(run.pid!, "SIGKILL");
    await exited;
  }
});
