// tar.gz composition archives: every entry is checked before anything is
// written (no links, nothing escaping the extraction root, a bounded size),
// then the archive is extracted into a content-addressed cache directory,
// atomically (extract to a temp dir, then rename), with plain permissions.

import { promises as fs } from "node:fs";
import path from "node:path";
import * as tar from "tar";
import { OrunError } from "../../../util/errors.js";

/** A package is a few YAML files: these bound what one may unpack to (a decompression bomb, an inode flood). */
export const MAX_PACKAGE_BYTES = 64 * 1024 * 1024;
export const MAX_PACKAGE_ENTRIES = 10_000;

/** Rejects archives with link entries, paths that leave the extraction root, or more than the limits. */
export async function checkArchiveEntries(file: string): Promise<void> {
  const problems: string[] = [];
  let bytes = 0;
  let entries = 0;
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (entry) => {
        const name = entry.path;
        bytes += entry.size ?? 0;
        if (++entries === MAX_PACKAGE_ENTRIES + 1) problems.push(`the archive has more than ${MAX_PACKAGE_ENTRIES} entries; a composition package is a few files`);
        if (bytes > MAX_PACKAGE_BYTES && bytes - (entry.size ?? 0) <= MAX_PACKAGE_BYTES) {
          problems.push(`the archive unpacks to more than ${MAX_PACKAGE_BYTES / 1024 / 1024} MiB; a composition package is a few files`);
        }
        if (entry.type === "SymbolicLink" || entry.type === "Link") {
          problems.push(`links are not supported in composition archives: ${name}`);
          return;
        }
        const norm = path.posix.normalize(name.replace(/\\/g, "/"));
        if (path.posix.isAbsolute(norm) || /^[A-Za-z]:/.test(norm) || norm === ".." || norm.startsWith("../")) {
          problems.push(`archive entry escapes destination: ${name}`);
        }
      },
    });
  } catch (cause) {
    throw new OrunError(`not a readable tar.gz archive: ${(cause as Error).message}`, { cause });
  }
  if (problems.length > 0) throw new OrunError(problems[0]!);
}

/**
 * Extracts into `dest` unless it is there already; returns dest. Only a complete extraction is ever
 * renamed into place, so one that is there is whole (even one without a manifest, reported when read),
 * and two processes extracting the same archive at once both end with the same folder.
 */
export async function extractArchive(file: string, dest: string): Promise<string> {
  if (await exists(dest)) return dest;
  await checkArchiveEntries(file);
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const tmp = await fs.mkdtemp(`${dest}.tmp-`);
  try {
    await tar.x({
      file,
      cwd: tmp,
      strict: true,
      preservePaths: false,
      // Files belong to whoever runs orun (not to the archive's uid, as tar does for root), with no setuid bits.
      preserveOwner: false,
      // Only directories and regular files are materialised; everything else was refused or is skipped.
      filter: (_p, entry) => {
        if (!("type" in entry) || !(entry.type === "File" || entry.type === "OldFile" || entry.type === "Directory")) return false;
        if (entry.mode !== undefined) entry.mode = entry.type === "Directory" || entry.mode & 0o111 ? 0o755 : 0o644;
        return true;
      },
    });
    try {
      await fs.rename(tmp, dest);
    } catch (err) {
      // Another process extracted the same archive first: its copy is identical.
      if (!(await exists(dest))) throw err;
      await fs.rm(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return dest;
}

/** Whether a cache entry (or anything) is at `p`; renamed into place whole, one that exists is complete. */
export async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}
