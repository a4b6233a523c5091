// `orun gc --all` called a record "still running" when its `.lock` was a directory, a FIFO or a symbolic link (no
// file orun reads as a lock), and `--dry-run` said it would remove it. Whether a run holds such a record cannot be
// told, so gc keeps it and says what it found and where ("lock unreadable: <what>, <path>"), exits 1, and removes it
// once the user has removed the lock. Real orun processes on real records in a temp folder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, readdir, rm, symlink } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

const executions = async (dir: string): Promise<string[]> => (await readdir(path.join(dir, ".orun/executions"))).filter((name) => name !== "latest").sort();

test("gc keeps a record whose lock is a directory, a FIFO or a link, naming what it found and where; exit 1", async (t) => {
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

  for (const args of [["gc", "--all", "--dry-run"], ["gc", "--all"]]) {
    const gc = await runOrun(args, { cwd: dir, timeoutMs: 15_000 });
    assert.equal(gc.code, 1, `${args.join(" ")}: ${gc.stdout}${gc.stderr}`);
    assert.doesNotMatch(gc.stdout, /still running/, args.join(" "));
    for (const id of Object.keys(found)) {
      assert.ok(gc.stdout.includes(keptLine(id)), `${args.join(" ")} names ${id}'s lock: ${gc.stdout}`);
      assert.doesNotMatch(gc.stdout, new RegExp(`(Would remove|Removed) ${id}\\b`), args.join(" "));
    }
    assert.match(gc.stdout, args.includes("--dry-run") ? /Would remove plain\n/ : /Removed plain\n/);
  }
  assert.deepEqual(await executions(dir), ["dirlock", "fifolock", "linklock"], "only the record without a lock in question went");
  assert.ok(existsSync(lock("dirlock")), "the directory in the lock's place is left alone");

  // The user removes what stood in for the locks: the records go, and gc exits 0.
  for (const id of Object.keys(found)) await rm(lock(id), { recursive: true });
  const gc = await runOrun(["gc", "--all"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stdout + gc.stderr);
  assert.deepEqual(await executions(dir), []);
});
