// tar.gz composition archives: every entry is checked before anything is
// written (no links, nothing escaping the extraction root), then the archive
// is extracted into a content-addressed cache directory, atomically (extract
// to a temp dir, then rename).

import { promises as fs } from "node:fs";
import path from "node:path";
import * as tar from "tar";
import { OrunError } from "../../../util/errors.js";

/** Rejects archives with link entries or paths that leave the extraction root. */
export async function checkArchiveEntries(file: string): Promise<void> {
  const problems: string[] = [];
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry: (entry) => {
        const name = entry.path;
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

/** Extracts into `dest` unless it already holds a package; returns dest. */
export async function extractArchive(file: string, dest: string): Promise<string> {
  if (await hasPackageManifest(dest)) return dest;
  // Left by a package without a manifest (reported when it is read): extracted again, so it is reported again.
  await fs.rm(dest, { recursive: true, force: true });
  await checkArchiveEntries(file);
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const tmp = await fs.mkdtemp(`${dest}.tmp-`);
  try {
    await tar.x({
      file,
      cwd: tmp,
      strict: true,
      preservePaths: false,
      // Only directories and regular files are materialised; everything else was refused or is skipped.
      filter: (_p, entry) => "type" in entry && (entry.type === "File" || entry.type === "OldFile" || entry.type === "Directory"),
    });
    try {
      await fs.rename(tmp, dest);
    } catch (err) {
      // Another process extracted the same archive first: its copy is identical.
      if (!(await hasPackageManifest(dest))) throw err;
      await fs.rm(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return dest;
}

/** True when `dir` holds a composition package (stack.yaml or orun.yaml): an extracted cache entry is complete. */
export async function hasPackageManifest(dir: string): Promise<boolean> {
  for (const name of ["stack.yaml", "orun.yaml"]) {
    try {
      if ((await fs.stat(path.join(dir, name))).isFile()) return true;
    } catch {
      // not there
    }
  }
  return false;
}
