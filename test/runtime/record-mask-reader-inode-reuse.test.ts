// rev29: RecordMaskReader (src/runtime/output/gha-logs.ts) tells a step log written anew from the one it read by its
// inode number, by its being shorter, or by its being gone at a poll. `orun run --exec-id E --job X --retry` removes
// X's logs (clearJobLogs: rm) and the step opens a new file; on ext4 (this machine's /tmp too) the new file gets the
// freed inode number at once. When both happen between two polls of `orun status --watch` inside GitHub Actions and the
// new log has grown past the old one's length by the next poll, the reader takes it for the same file and reads it
// from the old offset: the `::add-mask::` its step printed first is never learned, and what status prints with that
// value (a job's error) is in clear. The reader must tell the file by more than its inode number (e.g. its first
// bytes as read, or its birth time). Fixed: its birth time (statx) is part of what identifies it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { RecordMaskReader } from "../../src/runtime/output/gha-logs.js";
import { removeDir, tempDir } from "./helpers.js";

test("a step log removed and written anew between two polls is read from its start, whatever inode it got", async (t) => {
  const dir = await tempDir("orun-rev29-masks-");
  t.after(() => removeDir(dir));
  const file = path.join(dir, "s1.log");
  const entry = (status: string) => [{ jobId: "j", stepKey: "s1", file, status }];
  const reader = new RecordMaskReader();

  // The earlier run's log of the step, read by the watcher at a poll.
  await writeFile(file, "earlier output of the step\nstep failed\n");
  const before = (await stat(file)).ino;
  await reader.read(entry("failed"));

  // Between two polls: --retry removes the job's logs, the step runs again and writes a longer log.
  await rm(file);
  await writeFile(file, `::add-mask::retried-secret\n${"more output\n".repeat(10)}`);
  t.diagnostic(`inode before ${before}, after ${(await stat(file)).ino} (the same on ext4: a freed inode number is reused at once)`);
  await reader.read(entry("running"));
  assert.equal(reader.masker.mask("token=retried-secret"), "token=***", "the new log's mask was learned");
});
