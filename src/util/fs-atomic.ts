// Crash-safe file writes for every piece of orun state (plans, the composition
// lock, execution records, the action cache): write a sibling temp file, fsync
// it, rename it over the target. A reader, or a resumed run, sees the old or
// the new content, never a torn file. The parent directory must exist.
import { open, rename, rm } from "node:fs/promises";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

/** A unique temp name next to `file` (same directory, so a rename or link onto `file` stays on one file system). */
export function tempSibling(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
}

export async function writeFileAtomic(file: string, content: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
  const tmp = tempSibling(file);
  try {
    const handle = await open(tmp, "w", options.mode ?? 0o644);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Synchronous variant for exit paths (signal handlers) where awaiting is not possible. */
export function writeFileAtomicSync(file: string, content: string | Uint8Array): void {
  const tmp = tempSibling(file);
  try {
    const fd = openSync(tmp, "w", 0o644);
    try {
      writeFileSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
