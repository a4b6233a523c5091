// orun's own files under `.orun/` (the plan store's `latest.json`, `<id>.json`, `<name>.json`, and
// `compositions.lock.yaml`) were written through a symlink found in their place: a repository that commits
// `.orun/plans/latest.json -> ~/.bashrc` had `orun plan` overwrite that file (as root, /etc/passwd). The link
// is now replaced by the file (with a warning naming where it led) and its target is left as it was. A symlinked
// `.orun/plans` folder (a shared cache) is still written through. Targets here live in a temp folder.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

const ENV = `environments:\n  dev:\n    selectors:\n      components: ["*"]\ncomponents:\n  - {name: api, type: svc}\n`;
let outside: string;
before(async () => {
  outside = await fs.mkdtemp(path.join(os.tmpdir(), "orun-store-links-"));
});
after(async () => {
  await cleanupRepos();
  await fs.rm(outside, { recursive: true, force: true });
});

/** A file outside the repository, and a symlink to it planted at `.orun/<rel>` of a fresh repository. */
async function planted(rel: string): Promise<{ repo: string; link: string; target: string }> {
  const repo = await writeRepo(baseRepo(ENV));
  const target = path.join(outside, `${path.basename(repo)}-${path.basename(rel)}`);
  await fs.writeFile(target, "precious\n");
  const link = path.join(repo, ".orun", rel);
  await fs.mkdir(path.dirname(link), { recursive: true });
  await fs.symlink(target, link);
  return { repo, link, target };
}

async function assertReplaced(link: string, target: string, stderr: string): Promise<void> {
  assert.equal(await fs.readFile(target, "utf8"), "precious\n", "the link's target is untouched");
  assert.ok((await fs.lstat(link)).isFile(), `${link} is now a regular file`);
  // Said once, naming where the link led: a user's own link there loses its meaning, a planted one is worth knowing of.
  const warning = `warning: replaced the symbolic link ${link} (→ ${target}) with a file of its own; the link's target is left as it was\n`;
  assert.equal(stderr.split(warning).length - 1, 1, stderr);
}

test("orun plan replaces a symlink at .orun/plans/latest.json instead of writing the plan into its target", async () => {
  const { repo, link, target } = await planted("plans/latest.json");
  const result = await runOrun(["plan"], { cwd: repo, timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  await assertReplaced(link, target, result.stderr);
  assert.match(await fs.readFile(link, "utf8"), /"checksum"/);
});

test("orun plan --name replaces a symlink at .orun/plans/<name>.json", async () => {
  const { repo, link, target } = await planted("plans/release.json");
  const result = await runOrun(["plan", "--name", "release"], { cwd: repo, timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  await assertReplaced(link, target, result.stderr);
  const run = await runOrun(["get", "jobs", "--plan", "release"], { cwd: repo, timeoutMs: 30_000 });
  assert.equal(run.code, 0, run.stderr);
});

test("orun compositions lock replaces a symlink at .orun/compositions.lock.yaml", async () => {
  const { repo, link, target } = await planted("compositions.lock.yaml");
  const result = await runOrun(["compositions", "lock"], { cwd: repo, timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  await assertReplaced(link, target, result.stderr);
  assert.match(await fs.readFile(link, "utf8"), /kind: CompositionLock/);
});

test("a directory at .orun/plans/latest.json is refused naming it, and no plan file is written", async () => {
  const repo = await writeRepo(baseRepo(ENV));
  await fs.mkdir(path.join(repo, ".orun", "plans", "latest.json"), { recursive: true });
  const result = await runOrun(["plan"], { cwd: repo, timeoutMs: 30_000 });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /cannot store the plan: .*latest\.json is a directory/);
  assert.deepEqual(await fs.readdir(path.join(repo, ".orun", "plans")), ["latest.json"]);
});

test("a symlinked .orun/plans folder (a shared cache) is written through as a folder, without a warning", async () => {
  const repo = await writeRepo(baseRepo(ENV));
  const cache = await fs.mkdtemp(path.join(outside, "cache-"));
  await fs.mkdir(path.join(repo, ".orun"), { recursive: true });
  await fs.symlink(cache, path.join(repo, ".orun", "plans"));
  const result = await runOrun(["plan", "--name", "release"], { cwd: repo, timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /warning/);
  assert.ok((await fs.lstat(path.join(repo, ".orun", "plans"))).isSymbolicLink(), "the folder link is kept");
  assert.deepEqual((await fs.readdir(cache)).filter((name) => !/^[0-9a-f]{12}\.json$/.test(name)).sort(), ["latest.json", "release.json"]);
  const run = await runOrun(["get", "jobs", "--plan", "latest"], { cwd: repo, timeoutMs: 30_000 });
  assert.equal(run.code, 0, run.stderr);
});
