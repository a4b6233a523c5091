import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, chmod, mkdir, readFile, readdir, stat, writeFile, cp, rm } from "node:fs/promises";
import path from "node:path";
import { ActionCache, repoCacheDir } from "../../../src/runners/github-actions/action-cache.js";
import { GitHubApiTwin } from "../../support/github-api.js";
import { closedPort, until } from "../../support/wait.js";
import { ACTIONS_SRC, failedSetUp, makeHarness, makeJob, runJob, tempDir } from "./helpers.js";

describe("github-actions runner: remote actions", () => {
  let api: GitHubApiTwin;
  let cacheRoot: string;
  let probeSha: string;
  let monoSha: string;

  before(async () => {
    api = await new GitHubApiTwin().start();
    cacheRoot = await tempDir("shared-cache");
    probeSha = await api.publishDir("acme", "probe", "v1", path.join(ACTIONS_SRC, "remote-probe"));
    const mono = await tempDir("mono");
    await cp(path.join(ACTIONS_SRC, "remote-probe"), path.join(mono, "tools/probe"), { recursive: true });
    await writeFile(path.join(mono, "README.md"), "monorepo root\n");
    monoSha = await api.publishDir("acme", "mono", "release/v2", mono);
    await rm(mono, { recursive: true, force: true });
  });
  after(async () => {
    await api.close();
    await rm(cacheRoot, { recursive: true, force: true });
  });

  /** Where the twin's acme/<repo> is cached (see action-sources.test.ts for the layout). */
  const repoDir = (repo: string): string => repoCacheDir(cacheRoot, api.url, "acme", repo);
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ GITHUB_API_URL: api.url, ...extra });

  it("resolves a ref once for N concurrent jobs, downloads once, and hard-links each job's copy where that is safe", async () => {
    api.commitDelayMs = 150;
    const h = await makeHarness({ actionsCache: cacheRoot, hostEnv: env({ GITHUB_TOKEN: "ghs_twintoken" }) });
    try {
      const before = api.requests.length;
      const jobs = ["a", "b", "c", "d"].map((n) => makeJob(`svc-${n}@dev.remote`, [{ id: "probe", use: "acme/probe@v1" }, { id: "echo", run: "echo inode=${{ steps.probe.outputs.inode }}" }]));
      const runs = await Promise.all(jobs.map((job) => runJob(h, job)));
      const made = api.requests.slice(before);
      assert.equal(made.filter((r) => r.path.includes("/commits/")).length, 1, "one ref lookup for 4 jobs");
      assert.equal(made.filter((r) => r.path.includes("/tarball/")).length, 1, "one download for 4 jobs");
      assert.ok(made.every((r) => r.authorization === "Bearer ghs_twintoken"), "GITHUB_TOKEN sent as a bearer token");
      const cached = path.join(repoDir("probe"), probeSha, "file.txt");
      const cacheInode = String((await stat(cached)).ino);
      // Read-only bits do not stop root: there every job gets a copy (see the in-place write test below).
      const linked = await h.runner.cache.hardLinksSafe();
      assert.equal(linked, process.getuid?.() !== 0);
      for (const r of runs) {
        assert.equal(r.steps[0].error, undefined, r.steps[0].output);
        assert.match(r.steps[0].output, /original content\nhelper from lib/);
        if (linked) assert.equal(r.steps[0].outputs?.inode, cacheInode, "job copy is a hard link of the cache");
        else assert.notEqual(r.steps[0].outputs?.inode, cacheInode, "job copy is a copy, not a link");
        assert.equal(r.steps[1].output, `inode=${r.steps[0].outputs?.inode}`);
      }
      if (!linked) assert.equal((await stat(cached)).nlink, 1, "no job holds a link to the cached file");
      assert.equal((await readFile(path.join(repoDir("probe"), "refs/v1"), "utf8")).trim(), probeSha);
      assert.equal(h.runner.cache.apiRequests, 2);
    } finally {
      api.commitDelayMs = 0;
      await h.dispose();
    }
  });

  it("serves a second run from the disk tier with zero API calls, and a job's writes leave the cache intact", async () => {
    const h = await makeHarness({ actionsCache: cacheRoot, hostEnv: env() });
    try {
      const before = api.requests.length;
      const r = await runJob(h, makeJob("svc@dev.writer", [{ id: "probe", use: "acme/probe@v1", with: { modify: "true" } }]));
      assert.equal(r.steps[0].error, undefined, r.steps[0].output);
      assert.match(r.steps[0].output, /changed content/);
      assert.equal(api.requests.length, before, "no API request at all");
      const cacheDir = path.join(repoDir("probe"), probeSha);
      assert.equal(await readFile(path.join(cacheDir, "file.txt"), "utf8"), "original content\n");
      assert.equal(await readFile(path.join(cacheDir, "delete-me.txt"), "utf8"), "bye\n");
      assert.deepEqual((await readdir(cacheDir)).sort(), ["action.yml", "delete-me.txt", "file.txt", "lib"]);
      // Cache files are read-only, so nothing can edit them in place by accident.
      assert.equal((await stat(path.join(cacheDir, "file.txt"))).mode & 0o222, 0);
    } finally {
      await h.dispose();
    }
  });

  it("a job writing into its action's files in place changes neither the cache nor another job's copy", async () => {
    const h = await makeHarness({ actionsCache: cacheRoot, hostEnv: env() });
    const signals = await tempDir("signals");
    const [readerReady, go] = [path.join(signals, "reader-ready"), path.join(signals, "go")];
    // The reader takes its copy, waits while the writer appends to its own, then reads its copy again.
    const reader = runJob(h, makeJob("svc@dev.reader", [
      { id: "probe", use: "acme/probe@v1" },
      { id: "wait", run: `touch ${readerReady}; until [ -f ${go} ]; do sleep 0.02; done` },
      { id: "read", run: 'cat "${{ steps.probe.outputs.dir }}/file.txt"' },
    ]));
    try {
      await until(() => existsSync(readerReady), "the reader job's copy");
      const writer = await runJob(h, makeJob("svc@dev.in-place", [{ id: "probe", use: "acme/probe@v1", with: { append: "written by the writer job" } }]));
      await writeFile(go, "");
      const read = await reader;
      assert.equal(writer.steps[0].error, undefined, writer.steps[0].output);
      assert.match(writer.steps[0].output, /original content\nwritten by the writer job$/, "the writer changed its own copy");
      assert.equal(read.steps[2].error, undefined, read.steps[2].output);
      assert.equal(read.steps[2].output, "original content", "the reader's copy is untouched");
      const cached = path.join(repoDir("probe"), probeSha, "file.txt");
      assert.equal(await readFile(cached, "utf8"), "original content\n", "the cache is untouched");
    } finally {
      await writeFile(go, "");
      await reader;
      await h.dispose();
      await rm(signals, { recursive: true, force: true });
    }
  });

  it("keeps hard links for a user whom read-only bits stop (as nobody when the tests run as root)", async () => {
    const base = await tempDir("non-root");
    try {
      await chmod(base, 0o777);
      const cacheModule = new URL("../../../src/runners/github-actions/action-cache.js", import.meta.url).href;
      const script = `
        import { appendFile, chmod, mkdir, stat, writeFile } from "node:fs/promises";
        import path from "node:path";
        import { ActionCache } from ${JSON.stringify(cacheModule)};
        const base = process.argv[1];
        const cache = new ActionCache({ root: path.join(base, "cache") });
        const tree = path.join(base, "cache", "tree");
        await mkdir(tree, { recursive: true });
        await writeFile(path.join(tree, "file.txt"), "original\\n");
        await chmod(path.join(tree, "file.txt"), 0o444);
        const mode = await cache.materialize(tree, path.join(base, "job"));
        const [cached, copy] = await Promise.all([stat(path.join(tree, "file.txt")), stat(path.join(base, "job", "file.txt"))]);
        const refused = await appendFile(path.join(base, "job", "file.txt"), "x").then(() => "written", (err) => err.code);
        console.log(JSON.stringify({ safe: await cache.hardLinksSafe(), mode, sameInode: cached.ino === copy.ino, refused }));
      `;
      const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const child = spawnSync(process.execPath, ["--input-type=module", "-e", script, base], { ...asNobody, encoding: "utf8", timeout: 30_000 });
      assert.equal(child.status, 0, child.stderr);
      assert.deepEqual(JSON.parse(child.stdout), { safe: true, mode: "hardlink", sameInode: true, refused: "EACCES" });
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it("a job's copied action files are its own to write (as nobody when the tests run as root); the cache stays read-only", async () => {
    const base = await tempDir("non-root-copy");
    try {
      await chmod(base, 0o777);
      const cacheModule = new URL("../../../src/runners/github-actions/action-cache.js", import.meta.url).href;
      const script = `
        import { appendFile, chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
        import path from "node:path";
        import { ActionCache } from ${JSON.stringify(cacheModule)};
        const base = process.argv[1];
        const cache = new ActionCache({ root: path.join(base, "cache"), forceCopy: true });
        const tree = path.join(base, "cache", "tree");
        await mkdir(tree, { recursive: true });
        await writeFile(path.join(tree, "file.txt"), "original\\n");
        await chmod(path.join(tree, "file.txt"), 0o444);
        const mode = await cache.materialize(tree, path.join(base, "job"));
        const written = await appendFile(path.join(base, "job", "file.txt"), "x").then(() => "written", (err) => err.code);
        const cached = await readFile(path.join(tree, "file.txt"), "utf8");
        console.log(JSON.stringify({ mode, written, cached, cacheMode: (await stat(path.join(tree, "file.txt"))).mode & 0o777 }));
      `;
      const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
      const child = spawnSync(process.execPath, ["--input-type=module", "-e", script, base], { ...asNobody, encoding: "utf8", timeout: 30_000 });
      assert.equal(child.status, 0, child.stderr);
      assert.deepEqual(JSON.parse(child.stdout), { mode: "copy", written: "written", cached: "original\n", cacheMode: 0o444 });
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it("two caches unpacking one commit at once both use it (the later takes the earlier's)", async () => {
    const sha = await api.publishDir("acme", "race", "v1", path.join(ACTIONS_SRC, "remote-probe"));
    // Two caches on one root (two orun processes), neither seeing the other's download in memory: both find no
    // unpacked tree, both download, and the later rename finds the earlier's tree in place.
    const caches = [new ActionCache({ root: cacheRoot }), new ActionCache({ root: cacheRoot })];
    const downloads = api.count("tarball");
    const dirs = await Promise.all(caches.map((cache) => cache.ensureContent({ apiUrl: api.url }, "acme", "race", sha)));
    assert.equal(api.count("tarball"), downloads + 2, "both downloaded: the race this is about happened");
    assert.deepEqual(dirs, [path.join(repoDir("race"), sha), path.join(repoDir("race"), sha)]);
    assert.equal(await readFile(path.join(dirs[0]!, "file.txt"), "utf8"), "original content\n");
    assert.deepEqual((await readdir(repoDir("race"))).filter((n) => n.startsWith(".tmp-")), [], "no unpacking folder left");
  });

  it("discards and re-fetches a cached tree that was modified in place through a hard link", async () => {
    const cached = path.join(repoDir("probe"), probeSha, "file.txt");
    // What an in-place write through a job's hard link (possible as root) does to the shared file.
    await chmod(cached, 0o644);
    await appendFile(cached, "tampered\n");
    const h = await makeHarness({ actionsCache: cacheRoot, hostEnv: env() });
    try {
      const downloads = api.count("tarball");
      const r = await runJob(h, makeJob("svc@dev.after-tamper", [{ id: "probe", use: "acme/probe@v1" }]));
      assert.equal(r.steps[0].error, undefined, r.steps[0].output);
      assert.doesNotMatch(r.steps[0].output, /tampered/);
      assert.equal(api.count("tarball"), downloads + 1, "fetched again");
      assert.equal(await readFile(cached, "utf8"), "original content\n");
      assert.deepEqual((await readdir(repoDir("probe"))).sort(), [probeSha, `${probeSha}.last-used`, `${probeSha}.ready`, "refs"], "no trash left; the last-used stamp of orun gc --actions");
    } finally {
      await h.dispose();
    }
  });

  it("copies instead of hard-linking when the job folder is on another file system", async () => {
    const shmDev = (await stat("/dev/shm").catch(() => undefined))?.dev;
    const cacheDev = (await stat(cacheRoot)).dev;
    const crossFs = shmDev !== undefined && shmDev !== cacheDev;
    // /dev/shm is a tmpfs here; where it is not a separate device, force the copy path instead.
    const h = await makeHarness({ actionsCache: cacheRoot, hostEnv: env(), scratchBase: crossFs ? "/dev/shm" : undefined, runner: crossFs ? {} : { actionsLink: "copy" } });
    try {
      const r = await runJob(h, makeJob("svc@dev.xfs", [{ id: "probe", use: "acme/probe@v1" }]));
      assert.equal(r.steps[0].error, undefined, r.steps[0].output);
      const cacheInode = String((await stat(path.join(repoDir("probe"), probeSha, "file.txt"))).ino);
      assert.notEqual(r.steps[0].outputs?.inode, cacheInode);
      assert.match(r.steps[0].output, /original content/);
    } finally {
      await h.dispose();
    }
  });

  it("forced copy mode copies on the same file system", async () => {
    const h = await makeHarness({ actionsCache: cacheRoot, hostEnv: env({ ORUN_ACTIONS_LINK: "copy" }) });
    try {
      const r = await runJob(h, makeJob("svc@dev.copy", [{ id: "probe", use: "acme/probe@v1" }]));
      const cacheInode = String((await stat(path.join(repoDir("probe"), probeSha, "file.txt"))).ino);
      assert.notEqual(r.steps[0].outputs?.inode, cacheInode);
    } finally {
      await h.dispose();
    }
  });

  it("runs an action from a repository sub-path and a ref containing a slash", async () => {
    const h = await makeHarness({ actionsCache: cacheRoot, hostEnv: env() });
    try {
      const r = await runJob(h, makeJob("svc@dev.mono", [{ id: "probe", use: "acme/mono/tools/probe@release/v2" }]));
      assert.equal(r.steps[0].error, undefined, r.steps[0].output);
      assert.match(r.steps[0].output, /original content\nhelper from lib/);
      assert.equal((await readFile(path.join(repoDir("mono"), "refs/release_v2"), "utf8")).trim(), monoSha);
      assert.equal(await readFile(path.join(repoDir("mono"), monoSha, "README.md"), "utf8"), "monorepo root\n");
    } finally {
      await h.dispose();
    }
  });

  it("runs a remote node action, pinned by SHA without any ref lookup", async () => {
    const sha = await api.publishDir("acme", "hello", "v3", path.join(ACTIONS_SRC, "hello-node"));
    const h = await makeHarness({ actionsCache: cacheRoot, hostEnv: env() });
    try {
      const commits = api.count("commits");
      const r = await runJob(h, makeJob("svc@dev.node", [{ id: "n", use: `acme/hello@${sha.toUpperCase()}`, with: { label: "remote" } }, { id: "m", run: "echo ${{ steps.n.outputs.legacy }}" }]));
      assert.equal(r.steps[0].error, undefined, r.steps[0].output);
      assert.equal(r.steps[0].outputs?.label, "remote");
      assert.equal(r.steps[1].output, "remote-legacy");
      assert.equal(api.count("commits"), commits, "a full SHA needs no lookup");
    } finally {
      await h.dispose();
    }
  });

  it("fails clearly for an unknown ref and an unreachable API, leaving nothing behind", async () => {
    const h = await makeHarness({ actionsCache: cacheRoot, hostEnv: env() });
    const port = await closedPort();
    const down = await makeHarness({ hostEnv: { GITHUB_API_URL: `http://127.0.0.1:${port}` } });
    try {
      // Resolved at job start (GitHub's "Set up job"): the job fails there, naming the step and the action.
      const unknown = await failedSetUp(h, makeJob("svc@dev.unknown", [{ id: "x", use: "acme/probe@v404" }]));
      assert.match(unknown, /^set up job: step x \(use: acme\/probe@v404\): resolve acme\/probe@v404: .*\/repos\/acme\/probe\/commits\/v404 answered 404/);
      const unreachable = await failedSetUp(down, makeJob("svc@dev.down", [{ id: "x", use: "acme/probe@v1" }]));
      assert.match(unreachable, /^set up job: step x \(use: acme\/probe@v1\): resolve acme\/probe@v1: cannot reach http:\/\/127\.0\.0\.1:\d+\/repos\/acme\/probe\/commits\/v1: ECONNREFUSED/);
    } finally {
      await h.dispose();
      await down.dispose();
    }
  });

  for (const [label, entries, pattern] of [
    ["a `../` path", [{ path: "acme-evil-1/action.yml", content: "name: x\nruns:\n  using: node20\n  main: a.js\n" }, { path: "acme-evil-1/../../escaped.txt", content: "pwned" }], /unsafe action tarball: path "acme-evil-1\/\.\.\/\.\.\/escaped\.txt" leaves the archive root/],
    ["an absolute path", [{ path: "/tmp/orun-absolute-escape.txt", content: "pwned" }], /unsafe action tarball: absolute path/],
    ["an escaping symlink", [{ path: "acme-evil-1/", type: "Directory" }, { path: "acme-evil-1/link", type: "SymbolicLink", linkpath: "../../../etc" }], /symlink "acme-evil-1\/link" -> "..\/..\/..\/etc" points outside the action/],
  ] as const) {
    it(`rejects a tarball with ${label}`, async () => {
      const root = await tempDir("evil-root");
      const cache = path.join(root, "cache");
      await mkdir(cache);
      const repo = `evil-${label.replace(/\W+/g, "-")}`;
      api.publishRaw("acme", repo, "v1", entries.map((e) => ({ ...e })));
      const h = await makeHarness({ actionsCache: cache, hostEnv: env() });
      try {
        assert.match(await failedSetUp(h, makeJob("svc@dev.evil", [{ id: "x", use: `acme/${repo}@v1` }])), pattern);
        assert.deepEqual(await readdir(root), ["cache"], "nothing written next to the cache");
        const repoDir = repoCacheDir(cache, api.url, "acme", repo);
        assert.deepEqual(await readdir(repoDir), ["refs"], "no content dir, no leftovers");
        await assert.rejects(stat("/tmp/orun-absolute-escape.txt"));
      } finally {
        await h.dispose();
        await rm(root, { recursive: true, force: true });
      }
    });
  }
});
