// Pruning the remote-action cache (`orun gc --actions`): real directories in
// a temp cache root, ages set with fs.utimes, and the real ActionCache
// fetching from the local GitHub API twin for the concurrency cases.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chmod, cp, mkdir, readFile, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { ActionCache, lastUsedStamp, repoCacheDir, serverNamespace } from "../../../src/runners/github-actions/action-cache.js";
import { formatBytes, pruneActionCache } from "../../../src/runners/github-actions/action-cache-gc.js";
import { GitHubApiTwin } from "../../support/github-api.js";
import { ACTIONS_SRC, tempDir } from "./helpers.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;

const sha = (seed: string): string => seed.repeat(40).slice(0, 40);

async function age(file: string, ms: number): Promise<void> {
  const when = new Date(Date.now() - ms);
  await utimes(file, when, when);
}

/** A cached version as the runner leaves it: read-only files, `.ready`, and a `.last-used` stamp aged `usedAgo`. */
async function cachedVersion(root: string, repo: string, commit: string, usedAgo: number, files: Record<string, string> = { "action.yml": "name: x\n", "lib/index.js": "console.log(1)\n" }): Promise<string> {
  const dir = path.join(root, repo, commit);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
    await chmod(path.join(dir, name), 0o444);
  }
  await writeFile(`${dir}.ready`, `${commit}\n`);
  await writeFile(lastUsedStamp(dir), "");
  for (const file of [lastUsedStamp(dir), `${dir}.ready`, dir]) await age(file, usedAgo);
  return dir;
}

async function refFile(root: string, repo: string, slug: string, commit: string, ageMs = 0): Promise<string> {
  const file = path.join(root, repo, "refs", slug);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${commit}\n`);
  if (ageMs) await age(file, ageMs);
  return file;
}

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    out.push(path.relative(dir, path.join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

describe("action cache gc", () => {
  let root: string;
  before(async () => {
    root = await tempDir("actgc");
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function freshRoot(name: string): Promise<string> {
    const dir = path.join(root, name);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  it("removes versions unused for longer than the limit with their markers and refs, and keeps the rest", async () => {
    const cache = await freshRoot("basic");
    const old = await cachedVersion(cache, "acme/setup", sha("a"), 40 * DAY, { "action.yml": "x".repeat(1000), "dist/main.js": "y".repeat(234) });
    const recent = await cachedVersion(cache, "acme/setup", sha("b"), 2 * DAY);
    const oldRef = await refFile(cache, "acme/setup", "v1", sha("a"), 40 * DAY);
    const oldRef2 = await refFile(cache, "acme/setup", "release_v1", sha("a"));
    const liveRef = await refFile(cache, "acme/setup", "v2", sha("b"), 40 * DAY);
    // A stale ref to a SHA never downloaded is useless; a fresh one may belong to a download in progress.
    const dangling = await refFile(cache, "acme/setup", "v0", sha("c"), 2 * HOUR);
    const pending = await refFile(cache, "acme/setup", "v3", sha("d"));
    // No stamp (cached before stamps existed): aged by its .ready marker.
    const legacy = await cachedVersion(cache, "other/tool", sha("e"), 31 * DAY);
    await rm(lastUsedStamp(legacy));

    const result = await pruneActionCache({ root: cache, maxAgeMs: 30 * DAY, dryRun: false });

    const versions = result.removed.filter((e) => e.kind === "version");
    assert.deepEqual(versions.map((e) => e.detail).sort(), [`acme/setup@${sha("a")}`, `other/tool@${sha("e")}`]);
    assert.equal(versions.find((e) => e.detail?.startsWith("acme"))?.bytes, 1234);
    assert.deepEqual(result.removed.filter((e) => e.kind === "ref").map((e) => e.path).sort(), ["acme/setup/refs/release_v1", "acme/setup/refs/v0", "acme/setup/refs/v1"]);
    assert.equal(result.bytesFreed, result.removed.reduce((sum, e) => sum + e.bytes, 0));
    assert.ok(result.bytesFreed >= 1234 + 3 * 41);
    for (const gone of [old, `${old}.ready`, lastUsedStamp(old), oldRef, oldRef2, dangling, legacy, `${legacy}.ready`]) assert.equal(existsSync(gone), false, gone);
    for (const kept of [recent, `${recent}.ready`, lastUsedStamp(recent), path.join(recent, "lib/index.js"), liveRef, pending]) assert.ok(existsSync(kept), kept);
    assert.deepEqual(result.kept, []);
    // Nothing left half-removed (no trash or lock next to the versions).
    assert.deepEqual((await readdir(path.join(cache, "acme/setup"))).sort(), [sha("b"), `${sha("b")}.last-used`, `${sha("b")}.ready`, "refs"]);

    const again = await pruneActionCache({ root: cache, maxAgeMs: 30 * DAY, dryRun: false });
    assert.deepEqual(again.removed, [], "a second pass finds nothing");
  });

  it("prunes other API servers' versions under @<server>/ and the older layout's mixed-case folders alike", async () => {
    const cache = await freshRoot("servers");
    const ghe = "@ghe.example.com_api_v3/acme/tool";
    const oldGhe = await cachedVersion(cache, ghe, sha("a"), 40 * DAY);
    const oldGheRef = await refFile(cache, ghe, "v1", sha("a"), 40 * DAY);
    const recentGhe = await cachedVersion(cache, ghe, sha("b"), 1 * DAY);
    const oldMixedCase = await cachedVersion(cache, "ACME/Tool", sha("c"), 40 * DAY);
    const recentGithub = await cachedVersion(cache, "acme/tool", sha("d"), 1 * DAY);

    const result = await pruneActionCache({ root: cache, maxAgeMs: 30 * DAY, dryRun: false });
    const versions = result.removed.filter((e) => e.kind === "version").map((e) => e.detail).sort();
    assert.deepEqual(versions, [`${ghe}@${sha("a")}`, `ACME/Tool@${sha("c")}`]);
    assert.deepEqual(result.removed.filter((e) => e.kind === "ref").map((e) => e.path), [`${ghe}/refs/v1`]);
    for (const gone of [oldGhe, `${oldGhe}.ready`, oldGheRef, oldMixedCase]) assert.equal(existsSync(gone), false, gone);
    for (const kept of [path.join(recentGhe, "action.yml"), path.join(recentGithub, "action.yml")]) assert.ok(existsSync(kept), kept);
  });

  it("dry-run lists exactly what a real run removes and touches nothing", async () => {
    const cache = await freshRoot("dry");
    await cachedVersion(cache, "acme/setup", sha("a"), 40 * DAY);
    await cachedVersion(cache, "acme/setup", sha("b"), 1 * DAY);
    await refFile(cache, "acme/setup", "v1", sha("a"));
    await mkdir(path.join(cache, "acme/setup", `${sha("f")}.tmp`));
    await age(path.join(cache, "acme/setup", `${sha("f")}.tmp`), 2 * HOUR);
    await writeFile(path.join(cache, "acme/setup", `${sha("9")}.lock`), "");
    await age(path.join(cache, "acme/setup", `${sha("9")}.lock`), 3 * HOUR);
    const before = await listTree(cache);

    const dry = await pruneActionCache({ root: cache, maxAgeMs: 30 * DAY, dryRun: true });
    assert.deepEqual(await listTree(cache), before, "dry-run removed nothing");
    assert.ok(dry.removed.length >= 4, JSON.stringify(dry.removed));

    const real = await pruneActionCache({ root: cache, maxAgeMs: 30 * DAY, dryRun: false });
    const summary = (r: typeof dry) => r.removed.map((e) => `${e.kind} ${e.path} ${e.bytes}`).sort();
    assert.deepEqual(summary(real), summary(dry));
    assert.equal(real.bytesFreed, dry.bytesFreed);
    assert.notDeepEqual(await listTree(cache), before);
  });

  it("never removes a version whose lock is held; clears a stale lock and its version", async () => {
    const cache = await freshRoot("locks");
    const held = await cachedVersion(cache, "acme/held", sha("a"), 90 * DAY);
    await writeFile(`${held}.lock`, "4242\n");
    await age(`${held}.lock`, 30 * 60_000);
    const abandoned = await cachedVersion(cache, "acme/abandoned", sha("b"), 90 * DAY);
    await writeFile(`${abandoned}.lock`, "4242\n");
    await age(`${abandoned}.lock`, 2 * HOUR);

    const result = await pruneActionCache({ root: cache, maxAgeMs: 30 * DAY, dryRun: false });
    assert.ok(existsSync(path.join(held, "action.yml")), "locked version intact");
    assert.ok(existsSync(`${held}.lock`), "a held lock is not removed");
    assert.deepEqual(result.kept, [{ path: `acme/held/${sha("a")}`, reason: "locked" }]);
    assert.equal(existsSync(abandoned), false);
    assert.equal(existsSync(`${abandoned}.lock`), false);
    assert.deepEqual(result.removed.map((e) => e.kind).sort(), ["lock", "version"]);
  });

  it("keeps a version used within the hour even with a zero age limit", async () => {
    const cache = await freshRoot("zero");
    const justUsed = await cachedVersion(cache, "acme/setup", sha("a"), 10 * 60_000);
    const hourAgo = await cachedVersion(cache, "acme/setup", sha("b"), 2 * HOUR);
    const result = await pruneActionCache({ root: cache, maxAgeMs: 0, dryRun: false });
    assert.ok(existsSync(path.join(justUsed, "action.yml")));
    assert.equal(existsSync(hourAgo), false);
    assert.deepEqual(result.kept, [{ path: `acme/setup/${sha("a")}`, reason: "in use" }]);
  });

  it("removes partial downloads and locks older than an hour, keeps fresh ones", async () => {
    const cache = await freshRoot("temps");
    const repoDir = path.join(cache, "acme/setup");
    await cachedVersion(cache, "acme/setup", sha("a"), 1 * DAY);
    const staleTmp = path.join(repoDir, ".tmp-aaaaaaaaaaaa-0123abcd");
    const staleTarball = `${staleTmp}.tar.gz`;
    const staleSpecTmp = path.join(repoDir, `${sha("c")}.tmp`);
    const staleTrash = path.join(repoDir, `${sha("d")}.trash-89abcdef`);
    const freshTmp = path.join(repoDir, ".tmp-bbbbbbbbbbbb-4567cdef");
    const staleRefTmp = path.join(repoDir, "refs", "v1.123.abcd0123.tmp");
    const freshLock = path.join(repoDir, `${sha("e")}.lock`);
    const staleLock = path.join(repoDir, `${sha("f")}.lock`);
    for (const dir of [staleTmp, staleSpecTmp, staleTrash, freshTmp]) {
      await mkdir(path.join(dir, "sub"), { recursive: true });
      await writeFile(path.join(dir, "sub/file"), "12345");
    }
    await mkdir(path.dirname(staleRefTmp), { recursive: true });
    for (const file of [staleTarball, staleRefTmp, freshLock, staleLock]) await writeFile(file, "x");
    for (const p of [staleTmp, path.join(staleTmp, "sub"), path.join(staleTmp, "sub/file"), staleTarball, staleSpecTmp, path.join(staleSpecTmp, "sub"), path.join(staleSpecTmp, "sub/file"), staleTrash, path.join(staleTrash, "sub"), path.join(staleTrash, "sub/file"), staleRefTmp, staleLock]) {
      await age(p, 2 * HOUR);
    }
    // Old directory, but a file written a minute ago: still being unpacked.
    await age(freshTmp, 2 * HOUR);

    const result = await pruneActionCache({ root: cache, maxAgeMs: 30 * DAY, dryRun: false });
    for (const gone of [staleTmp, staleTarball, staleSpecTmp, staleTrash, staleRefTmp, staleLock]) assert.equal(existsSync(gone), false, gone);
    for (const kept of [freshTmp, freshLock, path.join(repoDir, sha("a"))]) assert.ok(existsSync(kept), kept);
    assert.equal(result.removed.filter((e) => e.kind === "temp").length, 5);
    assert.equal(result.removed.find((e) => e.path.endsWith(`${sha("c")}.tmp`))?.bytes, 5);
  });

  it("leaves shared/ alone unless asked, then prunes its old entries only", async () => {
    const cache = await freshRoot("shared");
    const oldTool = path.join(cache, "shared/node/18.0.0");
    const newTool = path.join(cache, "shared/node-new");
    await mkdir(oldTool, { recursive: true });
    await writeFile(path.join(oldTool, "bin"), "old");
    await mkdir(newTool, { recursive: true });
    await writeFile(path.join(newTool, "bin"), "new");
    for (const p of [path.join(oldTool, "bin"), oldTool, path.dirname(oldTool), path.join(newTool)]) await age(p, 60 * DAY);

    const without = await pruneActionCache({ root: cache, maxAgeMs: 30 * DAY, dryRun: false });
    assert.deepEqual(without.removed, []);
    assert.ok(existsSync(path.join(oldTool, "bin")));

    const withShared = await pruneActionCache({ root: cache, maxAgeMs: 30 * DAY, dryRun: false, includeShared: true });
    assert.deepEqual(withShared.removed.map((e) => `${e.kind} ${e.path} ${e.bytes}`), ["shared shared/node 3"]);
    assert.equal(existsSync(path.dirname(oldTool)), false);
    assert.ok(existsSync(path.join(newTool, "bin")), "an entry with a recent file stays");
  });

  it("formats sizes", () => {
    assert.equal(formatBytes(0), "0 B");
    assert.equal(formatBytes(999), "999 B");
    assert.equal(formatBytes(1234), "1.2 kB");
    assert.equal(formatBytes(56_700_000), "57 MB");
  });
});

describe("action cache gc with a running cache", () => {
  let api: GitHubApiTwin;
  let root: string;
  const endpoint = (): { apiUrl: string } => ({ apiUrl: api.url });
  let n = 0;

  before(async () => {
    api = await new GitHubApiTwin().start();
    root = await tempDir("actgc-live");
  });
  after(async () => {
    await api.close();
    await rm(root, { recursive: true, force: true });
  });

  /** Publishes the probe action under a new repo and seeds the cache with it, unused for 40 days. */
  async function seeded(): Promise<{ repo: string; commit: string; dir: string }> {
    const repo = `probe${++n}`;
    const commit = await api.publishDir("acme", repo, "v1", path.join(ACTIONS_SRC, "remote-probe"));
    const dir = path.join(repoCacheDir(path.join(root, "cache"), api.url, "acme", repo), commit);
    await cp(path.join(ACTIONS_SRC, "remote-probe"), dir, { recursive: true });
    // Files older than the .ready marker, as when unpacked (newer would mean "modified in place").
    for (const name of await listTree(dir)) await age(path.join(dir, name), 41 * DAY);
    await writeFile(`${dir}.ready`, `${commit}\n`);
    await writeFile(lastUsedStamp(dir), "");
    for (const file of [lastUsedStamp(dir), `${dir}.ready`, dir]) await age(file, 40 * DAY);
    return { repo, commit, dir };
  }

  const target = (name: string): string => path.join(root, "jobs", name);

  it("stamps a version when a job materializes it, once per process, so gc keeps it", async () => {
    const cache = new ActionCache({ root: path.join(root, "cache") });
    const { repo, commit, dir } = await seeded();
    await mkdir(path.join(root, "jobs"), { recursive: true });
    const started = Date.now();
    await cache.checkout(endpoint(), "acme", repo, commit, target(`${repo}-1`));
    const stamped = (await stat(lastUsedStamp(dir))).mtimeMs;
    assert.ok(stamped >= started - 1000, "stamp touched by the checkout");
    assert.equal(await readFile(path.join(target(`${repo}-1`), "file.txt"), "utf8"), "original content\n");

    const result = await pruneActionCache({ root: path.join(root, "cache"), maxAgeMs: 30 * DAY, dryRun: false });
    assert.deepEqual(result.removed, []);
    assert.ok(existsSync(path.join(dir, "file.txt")));

    // The second use in this process does not touch the stamp again.
    await age(lastUsedStamp(dir), 5 * DAY);
    const aged = (await stat(lastUsedStamp(dir))).mtimeMs;
    await new ActionCache({ root: path.join(root, "cache") }).checkout(endpoint(), "acme", repo, commit, target(`${repo}-2`));
    assert.equal((await stat(lastUsedStamp(dir))).mtimeMs, aged);
  });

  it("a job whose version was pruned after it was resolved fetches it again", async () => {
    const cache = new ActionCache({ root: path.join(root, "cache") });
    const { repo, commit, dir } = await seeded();
    await cache.checkout(endpoint(), "acme", repo, commit, target(`${repo}-1`));
    // Everything counts as old for a gc that thinks it is 60 days later.
    const result = await pruneActionCache({ root: path.join(root, "cache"), maxAgeMs: 30 * DAY, dryRun: false, now: Date.now() + 60 * DAY });
    assert.ok(result.removed.some((e) => e.detail === `${serverNamespace(api.url)}/acme/${repo}@${commit}`));
    assert.equal(existsSync(dir), false);

    const downloads = api.count("tarball");
    await cache.checkout(endpoint(), "acme", repo, commit, target(`${repo}-2`));
    assert.equal(api.count("tarball"), downloads + 1, "fetched again");
    assert.equal(await readFile(path.join(target(`${repo}-2`), "file.txt"), "utf8"), "original content\n");
    assert.ok(existsSync(path.join(dir, "file.txt")), "back in the cache");
  });

  it("gc racing with jobs materializing the same version never breaks a job's copy", async () => {
    for (let round = 0; round < 4; round++) {
      const cacheRoot = path.join(root, "cache");
      const { repo, commit } = await seeded();
      const cache = new ActionCache({ root: cacheRoot });
      const jobs = [1, 2, 3].map((i) => cache.checkout(endpoint(), "acme", repo, commit, target(`${repo}-race-${i}`)));
      const gc = pruneActionCache({ root: cacheRoot, maxAgeMs: 30 * DAY, dryRun: false, now: Date.now() + (round % 2) * 60 * DAY });
      await Promise.all([...jobs, gc]);
      for (const i of [1, 2, 3]) {
        const copy = target(`${repo}-race-${i}`);
        assert.deepEqual((await readdir(copy)).sort(), ["action.yml", "delete-me.txt", "file.txt", "lib"], `round ${round} job ${i}`);
        assert.equal(await readFile(path.join(copy, "file.txt"), "utf8"), "original content\n");
      }
      // No trash, lock or temp left behind by either side.
      const leftovers = (await readdir(repoCacheDir(cacheRoot, api.url, "acme", repo))).filter((name) => /trash|lock|tmp/.test(name));
      assert.deepEqual(leftovers, []);
    }
  });
});
