// Finding intent.yaml: an explicit `-i/--intent` path, else walk up from the
// working directory (symlinks resolved) to the git root, checking intent.yaml
// then intent.yml in each directory.

import { promises as fs } from "node:fs";
import path from "node:path";
import { OrunError } from "../../util/errors.js";

const INTENT_NAMES = ["intent.yaml", "intent.yml"];

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** The nearest directory at or above `start` holding `.git` (dir or file), else undefined. */
export async function findGitRoot(start: string): Promise<string | undefined> {
  let dir = start;
  for (;;) {
    if (await exists(path.join(dir, ".git"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Absolute path of the intent file to load. */
export async function locateIntent(options: { cwd: string; intentPath?: string }): Promise<string> {
  const cwd = path.resolve(options.cwd);
  if (options.intentPath !== undefined && options.intentPath !== "") {
    const file = path.resolve(cwd, options.intentPath);
    let stat;
    try {
      stat = await fs.stat(file);
    } catch {
      throw new OrunError(`intent file not found: ${options.intentPath} (resolved to ${file})`);
    }
    if (!stat.isFile()) throw new OrunError(`intent path is not a file: ${options.intentPath}`);
    return file;
  }
  let start: string;
  try {
    start = await fs.realpath(cwd);
  } catch {
    throw new OrunError(`working directory does not exist: ${cwd}`);
  }
  const ceiling = (await findGitRoot(start)) ?? path.parse(start).root;
  let dir = start;
  for (;;) {
    for (const name of INTENT_NAMES) {
      const candidate = path.join(dir, name);
      if (await isFile(candidate)) return candidate;
    }
    if (dir === ceiling) break;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new OrunError(`no intent.yaml found between ${start} and ${ceiling}`, {
    hint: "run orun inside a repository with an intent.yaml, or pass -i/--intent <file>",
  });
}
