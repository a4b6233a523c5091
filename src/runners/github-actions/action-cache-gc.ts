// `orun gc --actions`: prune the remote-action cache (layout in
// action-cache.ts). A version `[@<server>/]<owner>/<repo>/<sha>/` goes once no job has
// used it for `maxAgeMs` (its `.last-used` stamp, else its `.ready` marker,
// else the directory itself), together with its markers and the ref files
// that point at it. Partial downloads and locks go once older than an hour.
// `shared/` (tool caches) is left alone unless asked. Folders of the layout
// before server namespaces and lower-cased names (e.g. `ACME/Tool/`) are
// plain `<owner>/<repo>` folders no run reads any more: they age out alike.
//
// Safety with concurrent runs: a version whose `<sha>.lock` is younger than
// an hour, or that a job used within the hour, is never touched. Removal takes that lock itself, re-reads the
// stamp under it (a job stamps before it copies) and renames the tree away in
// one step, so a reader sees either the whole tree or none; a job that loses
// the race fetches the version again (ActionCache.checkout).
import { randomBytes } from "node:crypto";
import type { Stats } from "node:fs";
import { chmod, lstat, open, readFile, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { SERVER_PREFIX, lastUsedStamp } from "./action-cache.js";

/** Locks and partial downloads older than this are leftovers of a dead process. */
export const STALE_MS = 3_600_000;

export interface PruneOptions {
  root: string;
  /** Versions unused for longer than this go. */
  maxAgeMs: number;
  dryRun: boolean;
  /** Also prune `<root>/shared/` (tool caches), each top-level entry aged by its newest file. */
  includeShared?: boolean;
  now?: number;
}

export type PrunedKind = "version" | "ref" | "temp" | "lock" | "marker" | "shared";

export interface PrunedEntry {
  kind: PrunedKind;
  /** Path relative to the cache root, `/`-separated. */
  path: string;
  bytes: number;
  /** For versions: `owner/repo@sha`; for refs: the SHA they pointed at. */
  detail?: string;
}

export interface PruneResult {
  removed: PrunedEntry[];
  /** Old entries left in place, with why (`locked`, `in use`, `not removed: <error>`). */
  kept: { path: string; reason: string }[];
  bytesFreed: number;
}

const SHA = /^[0-9a-f]{40}$/;
const SHA_ATTACHMENT = /^([0-9a-f]{40})\.(ready|last-used|lock)$/;
const TEMP = /^\.tmp-|\.tmp$|\.trash-[0-9a-f]+$/;

export async function pruneActionCache(options: PruneOptions): Promise<PruneResult> {
  const root = path.resolve(options.root);
  const now = options.now ?? Date.now();
  const ctx: Ctx = { root, now, cutoff: now - options.maxAgeMs, dryRun: options.dryRun, result: { removed: [], kept: [], bytesFreed: 0 } };
  for (const repoDir of await repoDirs(root)) await pruneRepo(ctx, repoDir);
  if (options.includeShared) await pruneShared(ctx, path.join(root, "shared"));
  ctx.result.bytesFreed = ctx.result.removed.reduce((sum, entry) => sum + entry.bytes, 0);
  return ctx.result;
}

interface Ctx {
  root: string;
  now: number;
  cutoff: number;
  dryRun: boolean;
  result: PruneResult;
}

async function pruneRepo(ctx: Ctx, repoDir: string): Promise<void> {
  const names = await readdir(repoDir).catch(() => [] as string[]);
  const versions = names.filter((name) => SHA.test(name));
  const removedShas = new Set<string>();

  for (const sha of versions) {
    const dir = path.join(repoDir, sha);
    const info = await lstat(dir).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    const used = await lastUse(dir, info);
    if (used >= ctx.cutoff) continue;
    if (await lockHeld(ctx, dir)) {
      ctx.result.kept.push({ path: rel(ctx, dir), reason: "locked" });
      continue;
    }
    if (recentlyUsed(ctx, used)) {
      ctx.result.kept.push({ path: rel(ctx, dir), reason: "in use" });
      continue;
    }
    const bytes = await treeSize(dir);
    if (!ctx.dryRun && !(await removeVersion(ctx, dir))) continue;
    removedShas.add(sha);
    ctx.result.removed.push({ kind: "version", path: rel(ctx, dir), bytes, detail: `${rel(ctx, repoDir)}@${sha}` });
  }

  for (const name of names) {
    const full = path.join(repoDir, name);
    const attached = SHA_ATTACHMENT.exec(name);
    if (attached?.[2] === "lock") {
      const info = await lstat(full).catch(() => undefined);
      if (info && ctx.now - info.mtimeMs > STALE_MS) await removeEntry(ctx, "lock", full);
    } else if (attached) {
      // A marker whose version is gone (removeVersion takes the markers of what it removes).
      const sha = attached[1]!;
      if (!removedShas.has(sha) && !(await exists(path.join(repoDir, sha)))) await removeEntry(ctx, "marker", full);
    } else if (TEMP.test(name)) {
      const info = await lstat(full).catch(() => undefined);
      if (info && ctx.now - (await newestMtime(full, info)) > STALE_MS) await removeEntry(ctx, "temp", full);
    }
  }

  await pruneRefs(ctx, path.join(repoDir, "refs"), repoDir, removedShas);
}

/** Ref files pointing at a removed (or long-missing) SHA; atomic-write leftovers older than an hour. */
async function pruneRefs(ctx: Ctx, refsDir: string, repoDir: string, removedShas: Set<string>): Promise<void> {
  for (const name of await readdir(refsDir).catch(() => [] as string[])) {
    const file = path.join(refsDir, name);
    const info = await lstat(file).catch(() => undefined);
    if (!info?.isFile()) continue;
    const stale = ctx.now - info.mtimeMs > STALE_MS;
    if (name.endsWith(".tmp")) {
      if (stale) await removeEntry(ctx, "temp", file);
      continue;
    }
    const sha = (await readFile(file, "utf8").catch(() => "")).trim().toLowerCase();
    // A fresh ref whose version is missing may belong to a download in progress: leave it.
    const dangling = stale && (!SHA.test(sha) || !(await exists(path.join(repoDir, sha))));
    if (removedShas.has(sha) || dangling) await removeEntry(ctx, "ref", file, sha || undefined);
  }
}

/**
 * Removes one version under its lock, unless a job stamped it meanwhile.
 * Returns false when the version stays.
 */
async function removeVersion(ctx: Ctx, dir: string): Promise<boolean> {
  const lock = `${dir}.lock`;
  let handle = await open(lock, "wx", 0o644).catch(() => undefined);
  if (!handle && !(await lockHeld(ctx, dir))) {
    // A lock left by a dead process: clear it, and say so.
    await removeEntry(ctx, "lock", lock);
    handle = await open(lock, "wx", 0o644).catch(() => undefined);
  }
  if (!handle) {
    ctx.result.kept.push({ path: rel(ctx, dir), reason: "locked" });
    return false;
  }
  try {
    await handle.writeFile(`${process.pid}\n`);
    await handle.close();
    const info = await lstat(dir).catch(() => undefined);
    if (!info?.isDirectory()) return false;
    const used = await lastUse(dir, info);
    if (used >= ctx.cutoff || recentlyUsed(ctx, used)) {
      ctx.result.kept.push({ path: rel(ctx, dir), reason: "in use" });
      return false;
    }
    const trash = `${dir}.trash-${randomBytes(4).toString("hex")}`;
    try {
      await rename(dir, trash);
    } catch (err) {
      ctx.result.kept.push({ path: rel(ctx, dir), reason: `not removed: ${(err as Error).message}` });
      return false;
    }
    await rm(`${dir}.ready`, { force: true });
    await rm(lastUsedStamp(dir), { force: true });
    // Out of the cache's sight already; a trash dir that resists goes in a later pass as a stale leftover.
    await removeTree(trash).catch(() => undefined);
    return true;
  } finally {
    await rm(lock, { force: true });
  }
}

async function pruneShared(ctx: Ctx, sharedDir: string): Promise<void> {
  const names = await readdir(sharedDir).catch(() => [] as string[]);
  for (const name of names) {
    const full = path.join(sharedDir, name);
    const info = await lstat(full).catch(() => undefined);
    if (!info || name.endsWith(".lock")) continue;
    const lock = await lstat(`${full}.lock`).catch(() => undefined);
    if (lock && ctx.now - lock.mtimeMs <= STALE_MS) continue;
    if ((await newestMtime(full, info)) < ctx.cutoff) await removeEntry(ctx, "shared", full);
  }
  for (const name of names.filter((n) => n.endsWith(".lock"))) {
    const full = path.join(sharedDir, name);
    const info = await lstat(full).catch(() => undefined);
    if (info && ctx.now - info.mtimeMs > STALE_MS) await removeEntry(ctx, "lock", full);
  }
}

async function removeEntry(ctx: Ctx, kind: PrunedKind, full: string, detail?: string): Promise<void> {
  const bytes = await treeSize(full);
  if (!ctx.dryRun) {
    try {
      await removeTree(full);
    } catch (err) {
      ctx.result.kept.push({ path: rel(ctx, full), reason: `not removed: ${(err as Error).message}` });
      return;
    }
  }
  ctx.result.removed.push({ kind, path: rel(ctx, full), bytes, ...(detail ? { detail } : {}) });
}

/** Used within the hour: a run may be copying it right now, whatever the age limit (e.g. --max-age 0). */
function recentlyUsed(ctx: Ctx, used: number): boolean {
  return ctx.now - used < STALE_MS;
}

/** A lock younger than an hour belongs to a live download or removal. */
async function lockHeld(ctx: Ctx, dir: string): Promise<boolean> {
  const info = await lstat(`${dir}.lock`).catch(() => undefined);
  return info !== undefined && ctx.now - info.mtimeMs <= STALE_MS;
}

/** When a job last used the version: its stamp (atime or mtime), else when it was unpacked. */
async function lastUse(dir: string, info: Stats): Promise<number> {
  const times = [info.mtimeMs];
  const stamp = await lstat(lastUsedStamp(dir)).catch(() => undefined);
  if (stamp) times.push(stamp.mtimeMs, stamp.atimeMs);
  for (const marker of [`${dir}.ready`, path.join(dir, ".ready")]) {
    const stat = await lstat(marker).catch(() => undefined);
    if (stat) times.push(stat.mtimeMs);
  }
  return Math.max(...times);
}

async function newestMtime(full: string, info: Stats): Promise<number> {
  let newest = info.mtimeMs;
  if (!info.isDirectory()) return newest;
  for (const entry of await readdir(full).catch(() => [] as string[])) {
    const child = path.join(full, entry);
    const stat = await lstat(child).catch(() => undefined);
    if (stat) newest = Math.max(newest, await newestMtime(child, stat));
  }
  return newest;
}

/** Bytes of the files (and symlinks) under `full`, never following links. */
async function treeSize(full: string): Promise<number> {
  const info = await lstat(full).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(full).catch(() => [] as string[])) total += await treeSize(path.join(full, entry));
  return total;
}

/** rm -rf that also copes with read-only directories unpacked from a tarball. */
async function removeTree(full: string): Promise<void> {
  try {
    await rm(full, { recursive: true, force: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EACCES" && (err as NodeJS.ErrnoException).code !== "EPERM") throw err;
    await makeWritable(full);
    await rm(full, { recursive: true, force: true });
  }
}

async function makeWritable(full: string): Promise<void> {
  const info = await lstat(full).catch(() => undefined);
  if (!info?.isDirectory()) return;
  await chmod(full, (info.mode & 0o777) | 0o700).catch(() => undefined);
  for (const entry of await readdir(full).catch(() => [] as string[])) await makeWritable(path.join(full, entry));
}

/** Every `<owner>/<repo>` folder: api.github.com's under the root, other servers' under `@<server>/`. */
async function repoDirs(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await subdirs(root)) {
    if (name === "shared") continue;
    const top = path.join(root, name);
    const owners = name.startsWith(SERVER_PREFIX) ? (await subdirs(top)).map((owner) => path.join(top, owner)) : [top];
    for (const ownerDir of owners) for (const repo of await subdirs(ownerDir)) found.push(path.join(ownerDir, repo));
  }
  return found;
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

async function exists(full: string): Promise<boolean> {
  return (await lstat(full).catch(() => undefined)) !== undefined;
}

function rel(ctx: Ctx, full: string): string {
  return path.relative(ctx.root, full).split(path.sep).join("/");
}

/** `1.2 MB`, `340 kB`, `12 B` (SI units, like du --si). */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
