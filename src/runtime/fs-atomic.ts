// Crash-safe file writes: write a sibling temp file, fsync it, rename over
// the target. A reader (or a resumed run) sees the old or the new content,
// never a torn file.
import { open, rename, rm } from "node:fs/promises";
import { openSync, writeSync, fsyncSync, closeSync, renameSync } from "node:fs";
import { randomBytes } from "node:crypto";

export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const handle = await open(tmp, "w", 0o644);
  try {
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Synchronous variant for exit paths (signal handlers) where awaiting is not possible. */
export function writeFileAtomicSync(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const fd = openSync(tmp, "w", 0o644);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
