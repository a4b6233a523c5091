// Remote actions: ref → SHA through three tiers (in-memory with
// single-flight, on-disk ref files, the GitHub API), the tarball of that SHA
// unpacked once into a read-only shared cache, and a per-job copy made of
// hard links (a byte copy when the job's folder is on another file system).
// Hard links are only as safe as the read-only bits: a process those bits do
// not stop (root; file systems that ignore modes) would write through a link
// into the cache and every other job's copy, so there each job gets a copy
// (a reflink where the file system can, else bytes).
//
// Cache layout (root = $ORUN_ACTIONS_CACHE or ~/.orun/actions), one folder
// per repository, <repoDir> = <root>/[<@server>/]<owner>/<repo> (see repoCacheDir):
//   <repoDir>/refs/<slug(ref)>   40-hex SHA
//   <repoDir>/<sha>/             unpacked repository (read-only)
//   <repoDir>/<sha>.ready        written once the tree is complete
//   <repoDir>/<sha>.last-used    touched when a job materializes <sha>
//                                (`orun gc --actions` ages versions by it;
//                                see action-cache-gc.ts)
// Actions from api.github.com sit directly under the root; those of any other
// API server (GitHub Enterprise, a local twin) under "@<host>", so one
// server's `acme/tool@v1` is never served for another's. Owner and repository
// are lower-cased: GitHub's names are case-insensitive.
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, copyFile, link, lstat, mkdir, open, readFile, readdir, readlink, rename, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { writeFileAtomic } from "../../util/fs-atomic.js";
import { ApiUnreachableError, downloadTarball, fetchCommitSha, type ApiEndpoint } from "./github-api.js";
import { extractTarball } from "./tarball.js";

export function defaultCacheRoot(env: Record<string, string | undefined> = process.env): string {
  if (env.ORUN_ACTIONS_CACHE) return path.resolve(env.ORUN_ACTIONS_CACHE);
  const home = os.homedir();
  return home ? path.join(home, ".orun", "actions") : path.join(os.tmpdir(), "orun", "actions");
}

export type LinkMode = "hardlink" | "copy";

export interface ActionCacheOptions {
  root: string;
  /** Always byte-copy instead of hard-linking (tests, or file systems without links). */
  forceCopy?: boolean;
}

const SHA = /^[0-9a-f]{40}$/i;

function refSlug(ref: string): string {
  return ref.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** Marks a server folder; never part of an owner name (see action-ref.ts). */
export const SERVER_PREFIX = "@";

/**
 * The cache folder of an API server: "" for api.github.com (the seed's
 * `~/.orun/actions/<owner>/<repo>` layout), else "@<host>[_<port>][_<path>]",
 * e.g. `@ghe.example.com_api_v3`.
 */
export function serverNamespace(apiUrl: string): string {
  let where = apiUrl.trim();
  try {
    const url = new URL(where);
    const route = url.pathname.replace(/\/+$/, "");
    if (url.host === "api.github.com" && !route) return "";
    where = `${url.host}${route}`;
  } catch {
    // not a URL (fetch will say so): still kept apart from every other server
  }
  return SERVER_PREFIX + where.replace(/[^A-Za-z0-9.-]+/g, "_");
}

/** Where `owner/repo` from the API at `apiUrl` is cached. */
export function repoCacheDir(root: string, apiUrl: string, owner: string, repo: string): string {
  return path.join(path.resolve(root), serverNamespace(apiUrl), owner.toLowerCase(), repo.toLowerCase());
}

/** The in-memory key of one repository of one server. */
function repoKey(endpoint: ApiEndpoint, owner: string, repo: string): string {
  return `${serverNamespace(endpoint.apiUrl)} ${owner.toLowerCase()}/${repo.toLowerCase()}`;
}

export class ActionCache {
  readonly root: string;
  private readonly forceCopy: boolean;
  private readonly shas = new Map<string, Promise<string>>();
  private readonly contents = new Map<string, Promise<string>>();
  private linksSafe?: Promise<boolean>;
  /** Requests made to the API by this instance (resolve + download). */
  apiRequests = 0;

  constructor(options: ActionCacheOptions) {
    this.root = path.resolve(options.root);
    this.forceCopy = options.forceCopy ?? false;
  }

  private repoDir(endpoint: ApiEndpoint, owner: string, repo: string): string {
    return repoCacheDir(this.root, endpoint.apiUrl, owner, repo);
  }

  /** Ref → SHA. Concurrent callers for the same ref share one lookup. */
  resolveSha(endpoint: ApiEndpoint, owner: string, repo: string, ref: string): Promise<string> {
    if (SHA.test(ref)) return Promise.resolve(ref.toLowerCase());
    const key = `${repoKey(endpoint, owner, repo)}@${ref}`;
    let pending = this.shas.get(key);
    if (!pending) {
      pending = this.lookupSha(endpoint, owner, repo, ref);
      this.shas.set(key, pending);
      // A failed lookup is not remembered: the next step may try again.
      pending.catch(() => this.shas.delete(key));
    }
    return pending;
  }

  private async lookupSha(endpoint: ApiEndpoint, owner: string, repo: string, ref: string): Promise<string> {
    const repoDir = this.repoDir(endpoint, owner, repo);
    const refFile = path.join(repoDir, "refs", refSlug(ref));
    try {
      const sha = (await readFile(refFile, "utf8")).trim().toLowerCase();
      // Trust the disk tier only while the content it points to is cached too.
      if (SHA.test(sha) && (await isDir(path.join(repoDir, sha)))) return sha;
    } catch {
      // not cached on disk
    }
    this.apiRequests++;
    const sha = await fetchCommitSha(endpoint, owner, repo, ref).catch((err: unknown) => {
      throw withOfflineHint(err, `put the commit SHA of ${ref} in ${refFile} and that commit's files in ${path.join(repoDir, "<sha>")}${path.sep}`);
    });
    await mkdir(path.dirname(refFile), { recursive: true });
    await writeFileAtomic(refFile, `${sha}\n`);
    return sha;
  }

  /** Makes sure the repository at `sha` is unpacked in the cache; returns its directory. */
  ensureContent(endpoint: ApiEndpoint, owner: string, repo: string, sha: string): Promise<string> {
    const key = `${repoKey(endpoint, owner, repo)}@${sha}`;
    let pending = this.contents.get(key);
    if (!pending) {
      pending = this.fetchContent(endpoint, owner, repo, sha);
      this.contents.set(key, pending);
      pending.catch(() => this.contents.delete(key));
    }
    return pending;
  }

  private async fetchContent(endpoint: ApiEndpoint, owner: string, repo: string, sha: string): Promise<string> {
    const repoDir = this.repoDir(endpoint, owner, repo);
    const dir = path.join(repoDir, sha);
    if (await isDir(dir)) return dir;
    await mkdir(repoDir, { recursive: true });
    const tmp = path.join(repoDir, `.tmp-${sha.slice(0, 12)}-${randomBytes(4).toString("hex")}`);
    const tarball = `${tmp}.tar.gz`;
    try {
      await mkdir(tmp);
      this.apiRequests++;
      await downloadTarball(endpoint, owner, repo, sha, tarball).catch((err: unknown) => {
        throw withOfflineHint(err, `put that commit's files in ${dir}${path.sep}`);
      });
      await extractTarball(tarball, tmp);
      await makeReadOnly(tmp);
      try {
        await rename(tmp, dir);
        await writeFile(readyMarker(dir), `${sha}\n`);
      } catch (err) {
        // Another process unpacked the same commit first: use theirs.
        if (!(await isDir(dir))) throw err;
      }
      return dir;
    } finally {
      await rm(tarball, { force: true });
      await rmTree(tmp);
    }
  }

  /**
   * Puts the repository at `sha` into `target` for one job (see
   * materialize). A cached tree found modified since it was unpacked (a
   * file written in place through a hard link) is discarded and fetched
   * again, so one job's writes never reach the next job.
   */
  async checkout(endpoint: ApiEndpoint, owner: string, repo: string, sha: string, target: string): Promise<LinkMode> {
    for (let attempt = 0; ; attempt++) {
      const content = await this.ensureContent(endpoint, owner, repo, sha);
      await markUsed(content);
      try {
        return await this.materialize(content, target, await readyTime(content));
      } catch (err) {
        if (attempt > 0) throw err;
        if (err instanceof TaintedCacheError) await this.discard(endpoint, owner, repo, sha, content);
        else if (!(await isDir(content))) this.forget(endpoint, owner, repo, sha, content); // pruned by `orun gc --actions` meanwhile: fetch again
        else throw err;
      }
    }
  }

  private forget(endpoint: ApiEndpoint, owner: string, repo: string, sha: string, dir: string): void {
    this.contents.delete(`${repoKey(endpoint, owner, repo)}@${sha}`);
    stamped.delete(dir);
  }

  private async discard(endpoint: ApiEndpoint, owner: string, repo: string, sha: string, dir: string): Promise<void> {
    this.forget(endpoint, owner, repo, sha, dir);
    const trash = `${dir}.trash-${randomBytes(4).toString("hex")}`;
    try {
      await rename(dir, trash);
    } catch {
      return; // someone else discarded it already
    }
    await rm(readyMarker(dir), { force: true });
    await rmTree(trash);
  }

  /**
   * Gives a job its own copy of a cached tree: directories recreated,
   * symlinks recreated, regular files hard-linked (or copied across file
   * systems). Returns how files were placed. With `unchangedSince`, a file
   * modified after that time fails with TaintedCacheError.
   */
  async materialize(source: string, target: string, unchangedSince?: number): Promise<LinkMode> {
    const tmp = `${target}.tmp-${randomBytes(4).toString("hex")}`;
    const link = !this.forceCopy && (await this.hardLinksSafe());
    const state = { mode: (link ? "hardlink" : "copy") as LinkMode, unchangedSince };
    try {
      await copyTree(source, tmp, state);
      await rename(tmp, target);
    } catch (err) {
      await rmTree(tmp);
      throw err;
    }
    return state.mode;
  }

  /** Whether read-only bits stop this process writing the cache's files (asked once per cache). */
  hardLinksSafe(): Promise<boolean> {
    this.linksSafe ??= readOnlyEnforced(this.root);
    return this.linksSafe;
  }
}

/**
 * An API that cannot be reached (no network, no answer) leaves three ways to run the action: the cache filled
 * beforehand (`fill` says where, docs/running.md §github-actions how), a local action, or a reachable mirror.
 */
function withOfflineHint(err: unknown, fill: string): unknown {
  if (!(err instanceof ApiUnreachableError)) return err;
  return new ApiUnreachableError(`${err.message}. To run without the API: ${fill} (the action cache, ORUN_ACTIONS_CACHE), use a local action (use: ./path), or set GITHUB_API_URL to a mirror you can reach`, err.reason);
}

/**
 * Tries to open a fresh read-only file in `dir` for writing: root (or
 * CAP_DAC_OVERRIDE) and file systems that ignore modes succeed, and then a
 * hard link is no protection. Anything inconclusive counts as unsafe.
 */
async function readOnlyEnforced(dir: string): Promise<boolean> {
  if (process.getuid?.() === 0) return false;
  const probe = path.join(dir, `.tmp-probe-${process.pid}-${randomBytes(4).toString("hex")}`);
  let made = false;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, "");
    await chmod(probe, 0o444);
    made = true;
    await (await open(probe, "r+")).close();
    return false;
  } catch (err) {
    // Only the write-open's refusal proves the bits hold; a probe that could not be made proves nothing.
    const code = (err as NodeJS.ErrnoException).code;
    return made && (code === "EACCES" || code === "EPERM");
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

export class TaintedCacheError extends Error {}

function readyMarker(dir: string): string {
  return `${dir}.ready`;
}

/** The stamp whose mtime says when a job last used the cached version at `dir`. */
export function lastUsedStamp(dir: string): string {
  return `${dir}.last-used`;
}

/** Versions this process has stamped already: one touch per version per process keeps it cheap. */
const stamped = new Map<string, Promise<void>>();

/**
 * Touches `dir`'s last-used stamp before a job copies from it, so a
 * concurrent `orun gc --actions` sees the version as fresh and keeps it.
 */
function markUsed(dir: string): Promise<void> {
  let pending = stamped.get(dir);
  if (!pending) {
    pending = touch(lastUsedStamp(dir));
    stamped.set(dir, pending);
  }
  return pending;
}

async function touch(stamp: string): Promise<void> {
  const now = new Date();
  try {
    await utimes(stamp, now, now);
  } catch {
    await writeFile(stamp, "").catch(() => undefined); // a missing stamp only makes gc fall back to the .ready time
  }
}

/** When the cached tree was completed; undefined for trees without a marker. */
async function readyTime(dir: string): Promise<number | undefined> {
  return (await stat(readyMarker(dir)).catch(() => undefined))?.mtimeMs;
}

interface CopyState {
  mode: LinkMode;
  unchangedSince?: number;
}

async function copyTree(source: string, target: string, state: CopyState): Promise<void> {
  await mkdir(target, { mode: 0o755 });
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    if (entry.isDirectory()) await copyTree(from, to, state);
    else if (entry.isSymbolicLink()) await symlink(await readlink(from), to);
    else if (entry.isFile()) {
      if (state.unchangedSince !== undefined && (await lstat(from)).mtimeMs > state.unchangedSince + 1) {
        throw new TaintedCacheError(`cached action file ${from} was modified after it was unpacked`);
      }
      if (state.mode === "hardlink") {
        try {
          await link(from, to);
          continue;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          // Another file system (EXDEV) or one without hard links: copy from now on.
          if (code !== "EXDEV" && code !== "EPERM" && code !== "EMLINK" && code !== "ENOTSUP") throw err;
          state.mode = "copy";
        }
      }
      // The copy is the job's own: writable, as the job's files are on GitHub.
      await copyFile(from, to, constants.COPYFILE_FICLONE);
      await chmod(to, ((await lstat(to)).mode & 0o777) | 0o200);
    }
  }
}

/** Files lose their write bits so a job cannot change the shared copy in place. */
async function makeReadOnly(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await makeReadOnly(full);
    else if (entry.isFile()) {
      const { mode } = await lstat(full);
      await chmod(full, mode & 0o555);
    }
  }
}

async function rmTree(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

async function isDir(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
