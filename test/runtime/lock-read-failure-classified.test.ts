// What a lock that cannot be read is: a read that failed on what may be a lock file (EACCES, EIO, EMFILE) says
// nothing of it, so it is reported as such, to be read again later, never removed; anything that can never be read
// as a lock (a socket: opening it fails with ENXIO; a device node) is no lock file, and removing it is the advice.
// A socket at the lock was called a read error to wait out, and an EMFILE note quoted the lock's path twice (Node's
// message carries `, open '<path>'`, and the note names the path itself). Real files, a real socket, and a real
// process out of file descriptors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import { acquireExecLock, lockRefusal } from "../../src/runtime/records/lock.js";
import { tempLock } from "./helpers.js";
import { deadPid } from "../support/wait.js";

const LOCK_MODULE = new URL("../../src/runtime/records/lock.js", import.meta.url).href;

test("a socket where the lock belongs is no lock file (remove it), not a read error to retry", async (t) => {
  const { file } = await tempLock(t);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(file, resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  assert.deepEqual(await lockRefusal(file), { noLock: "a socket" });
  await assert.rejects(acquireExecLock(file, "sock"), (err: Error) => {
    assert.equal(err.message, `${file}: the execution lock is a socket, not a lock file; remove it if no run is using this execution`);
    return true;
  });
});

/** Uses up its file descriptors (the limit is 64: ulimit -n), then says what lockRefusal makes of the lock. */
const OUT_OF_DESCRIPTORS = `
import { lockRefusal } from ${JSON.stringify(LOCK_MODULE)};
import { openSync } from "node:fs";
const held = [];
try {
  for (;;) held.push(openSync("/dev/null", "r"));
} catch (err) {
  if (err.code !== "EMFILE") throw err;
}
process.stdout.write(JSON.stringify(await lockRefusal(process.argv[1])));
`;

test("a lock that cannot be opened for want of file descriptors (EMFILE) is a read error, named once with its errno", async (t) => {
  const { file } = await tempLock(t);
  await writeFile(file, JSON.stringify({ pid: await deadPid(), host: os.hostname() }));
  const child = spawn("sh", ["-c", 'ulimit -n 64 && exec "$0" --input-type=module -e "$1" "$2"', process.execPath, OUT_OF_DESCRIPTORS, file]);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise((resolve) => child.once("close", resolve));
  assert.equal(code, 0, stderr);
  // Not "EMFILE: too many open files, open '<lock>'": the note that quotes it names the lock's path already.
  assert.deepEqual(JSON.parse(stdout), { readError: "EMFILE: too many open files" });
});
