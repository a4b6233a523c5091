// The github-actions runner removes the job folders (`<record>/tmp/github-actions`) of other records whose run is
// over. A record whose lock it could not read (EACCES here; EIO and EMFILE alike) was swept as over, though the lock
// may be a live run's: its folder is now left alone, and swept once the lock reads as a dead run's. As root, the sweep
// runs as `nobody` on a tree it owns but for that lock (root's, mode 600); otherwise the lock is made mode 000.
// Real files, the sweep in a real process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { NOBODY, asRoot, chownTree } from "../../support/as-user.js";
import { removeDir, tempDir } from "../../runtime/helpers.js";
import { deadPid } from "../../support/wait.js";

const MODULE = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../src/runners/github-actions/stale-scratch.js")).href;

/** removeDeadJobFolders(scratch) in a process of the test's user (nobody as root): the folders it removed. */
async function sweepAsUser(scratch: string): Promise<string[]> {
  const script = `import(${JSON.stringify(MODULE)}).then(async (m) => process.stdout.write(JSON.stringify(await m.removeDeadJobFolders(${JSON.stringify(scratch)}))))`;
  const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], asRoot ? { uid: NOBODY, gid: NOBODY } : {});
  return JSON.parse(stdout) as string[];
}

test("a record whose lock cannot be read keeps its github-actions job folders; a dead run's are swept", async (t) => {
  const dir = await tempDir("orun-scratch-lock-");
  t.after(() => removeDir(dir));
  const executions = path.join(dir, ".orun", "executions");
  const folder = (id: string) => path.join(executions, id, "tmp", "github-actions");
  for (const id of ["mine", "denied", "dead"]) await mkdir(path.join(folder(id), "job"), { recursive: true });
  const stale = JSON.stringify({ pid: await deadPid(), host: os.hostname(), since: new Date().toISOString() });
  const denied = path.join(executions, "denied", ".lock");
  await writeFile(denied, stale, { mode: 0o600 });
  await writeFile(path.join(executions, "dead", ".lock"), stale, { mode: 0o600 });
  await chmod(dir, 0o755);
  if (asRoot) {
    await chownTree(dir, NOBODY);
    await chown(denied, 0, 0);
  } else {
    await chmod(denied, 0o000);
  }

  const removed = await sweepAsUser(path.join(executions, "mine", "tmp"));
  assert.deepEqual(removed, [folder("dead")]);
  assert.ok(existsSync(folder("denied")), "the folder of the record whose lock could not be read is left alone");

  // Readable again, the lock names a dead run: its folder goes.
  if (asRoot) await chown(denied, NOBODY, NOBODY);
  else await chmod(denied, 0o600);
  assert.deepEqual(await sweepAsUser(path.join(executions, "mine", "tmp")), [folder("denied")]);
});
