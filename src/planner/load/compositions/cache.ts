// The content-addressed cache of extracted composition packages (archive and
// oci sources): `<root>/<digest hex>/`. Whatever is there is taken as the
// verified content of that digest, so the root is never inside the repository
// (a pull request could plant a package under a trusted digest) and never a
// folder someone else can write: $ORUN_COMPOSITIONS_CACHE, else
// ~/.orun/cache/compositions (spec 11 §3.1), else a private folder under the
// system temp dir when the home folder cannot be written.

import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { OrunError } from "../../../util/errors.js";

/** Temp folders of pulls and extractions (`.pull-*`, `<hex>.tmp-*`) older than this were interrupted. */
const STALE_MS = 60 * 60 * 1000;

export async function compositionsCache(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.ORUN_COMPOSITIONS_CACHE) return openCache(path.resolve(env.ORUN_COMPOSITIONS_CACHE));
  const home = os.homedir();
  if (home) {
    try {
      return await openCache(path.join(home, ".orun", "cache", "compositions"));
    } catch (err) {
      if (err instanceof OrunError) throw err; // someone else's folder: say so rather than fall back
    }
  }
  const uid = process.getuid?.() ?? "user";
  const base = path.join(os.tmpdir(), `orun-${uid}`);
  await privateFolder(base);
  return openCache(path.join(base, "cache", "compositions"));
}

async function openCache(root: string): Promise<string> {
  await privateFolder(root);
  await sweepInterrupted(root);
  return root;
}

/** Creates `dir` (0700) or checks that the one there is a real folder of this user that nobody else can write. */
async function privateFolder(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const stat = await fs.lstat(dir);
  const uid = process.getuid?.();
  const why = !stat.isDirectory()
    ? "is not a folder"
    : uid !== undefined && stat.uid !== uid
      ? `belongs to uid ${stat.uid}, not to you (uid ${uid})`
      : (stat.mode & 0o022) !== 0
        ? `can be written by others (mode ${(stat.mode & 0o777).toString(8)})`
        : undefined;
  if (why) {
    throw new OrunError(`the composition package cache ${dir} ${why}; packages found there cannot be trusted`, {
      hint: "remove it, or set ORUN_COMPOSITIONS_CACHE to a folder of your own",
    });
  }
}

/** Removes what interrupted pulls and extractions left (never a finished `<hex>` entry). */
async function sweepInterrupted(root: string): Promise<void> {
  const names = await fs.readdir(root).catch(() => [] as string[]);
  const now = Date.now();
  await Promise.all(
    names
      .filter((name) => name.startsWith(".pull-") || /\.tmp-[^/]+$/.test(name))
      .map(async (name) => {
        const stat = await fs.lstat(path.join(root, name)).catch(() => undefined);
        if (stat && now - stat.mtimeMs > STALE_MS) await fs.rm(path.join(root, name), { recursive: true, force: true });
      }),
  );
}
