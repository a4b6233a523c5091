// Content digests of composition sources (v2.3 `hashDirectory`): SHA-256 over
// `<relative/path>\n<bytes>\n` for every regular file, sorted by path bytes
// (outside `.orun/` and `.git/` folders, which v2.3 hashed too).
// Archives are hashed as the archive file's bytes; a legacy --config-dir as
// all its roots in one stream.

import { createHash } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import { OrunError } from "../../../util/errors.js";

/**
 * Directories that are never package content: orun's own state (plans, execution
 * records and logs, the archive cache) and git's. A package that is, or holds,
 * the intent's folder (`path: .`) would otherwise get a new digest after every
 * `orun plan` or commit: plan bytes would change with nothing changed, and a
 * `digest:` pin could never hold.
 */
const NOT_CONTENT = new Set([".orun", ".git"]);

/** Every regular file below root as a forward-slash relative path, byte-sorted. Symlinks are refused. */
export async function listPackageFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      const rel = path.relative(root, abs).split(path.sep).join("/");
      if (e.isSymbolicLink()) throw new OrunError(`symlinks are not supported in composition packages: ${rel}`);
      if (e.isDirectory() && NOT_CONTENT.has(e.name)) continue;
      if (e.isDirectory()) await walk(abs);
      else if (e.isFile()) out.push(rel);
    }
  };
  await walk(root);
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

async function feedFile(hash: ReturnType<typeof createHash>, file: string): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}

/** Feeds a directory tree's hash stream (`<rel>\n<bytes>\n` per file) into `hash`. */
async function feedDirectory(hash: ReturnType<typeof createHash>, root: string): Promise<void> {
  for (const rel of await listPackageFiles(root)) {
    hash.update(`${rel}\n`);
    await feedFile(hash, path.join(root, rel));
    hash.update("\n");
  }
}

/** `sha256:<hex>` of a directory tree. */
export async function hashDirectory(root: string): Promise<string> {
  const hash = createHash("sha256");
  await feedDirectory(hash, root);
  return `sha256:${hash.digest("hex")}`;
}

/**
 * `sha256:<hex>` of several trees in one stream (v2.3 `hashDirectories`, the
 * legacy --config-dir digest): per root, `<root as shown>\n` then its tree.
 */
export async function hashDirectories(roots: readonly { shown: string; abs: string }[]): Promise<string> {
  const hash = createHash("sha256");
  for (const root of roots) {
    hash.update(`${root.shown}\n`);
    await feedDirectory(hash, root.abs);
  }
  return `sha256:${hash.digest("hex")}`;
}

/** `sha256:<hex>` of one file's bytes. */
export async function hashFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  await feedFile(hash, file);
  return `sha256:${hash.digest("hex")}`;
}
