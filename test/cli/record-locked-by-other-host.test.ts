// rev15rec #7: a record whose lock names another host cannot be checked from here: status, status --all and gc
// say who holds it and what to do if that run is gone (they showed it "running" for ever with no hint).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

test("a record locked by another host: status, status --all and gc name the host, its pid and the lock to remove", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "away"], { cwd: dir })).code, 0);
  // What a run on another machine sharing this folder leaves while it runs: metadata running, its lock.
  const meta = JSON.parse(await readFile(recordFile(dir, "away", "metadata.json"), "utf8")) as Record<string, unknown>;
  await writeFile(recordFile(dir, "away", "metadata.json"), JSON.stringify({ ...meta, status: "running", startedAt: "2025-01-01T00:00:00Z", finishedAt: undefined }));
  await writeFile(recordFile(dir, "away", ".lock"), JSON.stringify({ pid: 4242, host: "build-box-7", since: "2025-01-01T00:00:00Z" }));
  const lock = recordFile(dir, "away", ".lock");
  const note = `locked by host build-box-7 (pid 4242); remove ${lock} if that run is gone`;

  const status = await runOrun(["status", "--exec-id", "away"], { cwd: dir });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /State: running/);
  assert.ok(status.stdout.includes(`! ${note}\n`), status.stdout);
  const json = JSON.parse((await runOrun(["status", "--exec-id", "away", "--json"], { cwd: dir })).stdout) as { foreignLock?: string };
  assert.equal(json.foreignLock, note);
  const all = await runOrun(["status", "--all"], { cwd: dir });
  assert.ok(all.stdout.includes(`! ${note}\n`), all.stdout);

  const gc = await runOrun(["gc", "--all"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stderr);
  assert.ok(gc.stdout.includes(`  kept away (${note})\n`), gc.stdout);
  // Once the lock is removed as told, gc removes the record.
  await rm(lock);
  assert.match((await runOrun(["gc", "--all"], { cwd: dir })).stdout, /Removed away\n/);
});
