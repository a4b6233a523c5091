// writeFileAtomic replaces a file whole (a new inode renamed over it), never rewrites it in place: whoever
// holds the old file (a reader mid-read, a resumed run's earlier open, a hard link) keeps its complete old
// content, and a write that fails leaves the target as it was.
import { test } from "node:test";
import assert from "node:assert/strict";
import { link, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { openSync, readSync, closeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { writeFileAtomic, writeFileAtomicSync } from "../../src/util/fs-atomic.js";

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-fs-atomic-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function readFd(fd: number): string {
  const buffer = Buffer.alloc(4096);
  const n = readSync(fd, buffer, 0, buffer.length, 0);
  return buffer.subarray(0, n).toString("utf8");
}

for (const [name, write] of [
  ["writeFileAtomic", (file: string, text: string) => writeFileAtomic(file, text)],
  ["writeFileAtomicSync", async (file: string, text: string) => writeFileAtomicSync(file, text)],
] as const) {
  test(`${name} renames a new file over the target: an open reader and a hard link keep the whole old content`, async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, "state.json");
    await writeFile(file, '{"old":true}\n');
    await link(file, path.join(dir, "old-inode"));
    const fd = openSync(file, "r");
    t.after(() => closeSync(fd));

    await write(file, '{"new":"content that is longer"}\n');

    assert.equal(await readFile(file, "utf8"), '{"new":"content that is longer"}\n');
    assert.equal(readFd(fd), '{"old":true}\n', "a reader that opened the file before the write still reads the old content whole");
    assert.equal(await readFile(path.join(dir, "old-inode"), "utf8"), '{"old":true}\n', "the old file was not truncated and rewritten in place");
    assert.deepEqual((await readdir(dir)).sort(), ["old-inode", "state.json"], "no temp file left behind");
  });

  test(`${name} that fails while writing leaves the target untouched and no temp file`, async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, "state.json");
    await writeFile(file, '{"old":true}\n');
    // Content the write itself rejects, after the file it writes was opened.
    await assert.rejects(write(file, 42 as unknown as string));
    assert.equal(await readFile(file, "utf8"), '{"old":true}\n');
    assert.deepEqual(await readdir(dir), ["state.json"]);
  });
}
