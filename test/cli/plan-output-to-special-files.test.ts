// `orun plan -o PATH` where PATH is not a plain file (rev15plan #2): the plan
// was renamed over whatever was there, so a device node became a regular file
// (this replaced the machine's /dev/null when run as root), a FIFO was
// replaced instead of written, and a symlink was replaced by the plan. Every
// special file here is made in a temp folder, never under /dev.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

const ENV = `environments:\n  dev:\n    selectors:\n      components: ["*"]\ncomponents:\n  - {name: api, type: svc}\n`;
let repo: string;
let tmp: string;
before(async () => {
  repo = await writeRepo(baseRepo(ENV));
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "orun-fixplan15-out-"));
});
after(async () => {
  await cleanupRepos();
  await fs.rm(tmp, { recursive: true, force: true });
});

async function plan(out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runOrun(["plan", "-o", out], { cwd: repo, timeoutMs: 30_000 });
}

test("a FIFO is written, not replaced: its reader gets the plan and it stays a FIFO", async () => {
  const fifo = path.join(tmp, "plan-pipe");
  execFileSync("mkfifo", [fifo]);
  // The reader is a child process: one blocked opening a FIFO that orun replaced can be killed.
  const reader = spawn("cat", [fifo], { stdio: ["ignore", "pipe", "inherit"] });
  let text = "";
  reader.stdout.on("data", (c: Buffer) => (text += c.toString("utf8")));
  const read = new Promise((resolve) => reader.on("exit", resolve));
  const result = await plan(fifo);
  const stillFifo = (await fs.lstat(fifo)).isFIFO();
  if (!stillFifo) reader.kill("SIGKILL");
  await read;
  assert.equal(result.code, 0, result.stderr);
  assert.ok((JSON.parse(text) as { jobs: unknown[] }).jobs.length > 0);
  assert.ok(stillFifo, "still a FIFO");
});

test("a character device (a null device made in a temp folder) is written in place and stays a device", { skip: process.getuid?.() !== 0 && "mknod needs root" }, async () => {
  const node = path.join(tmp, "null");
  execFileSync("mknod", [node, "c", "1", "3"]);
  const result = await plan(node);
  assert.equal(result.code, 0, result.stderr);
  assert.ok((await fs.lstat(node)).isCharacterDevice(), "still a character device");
});

test("a symlink is written through: the link stays, its target (existing or not) holds the plan", async () => {
  for (const existing of [true, false]) {
    const real = path.join(tmp, `real-${existing}.json`);
    const link = path.join(tmp, `link-${existing}.json`);
    if (existing) await fs.writeFile(real, "old");
    await fs.symlink(path.basename(real), link);
    const result = await plan(link);
    assert.equal(result.code, 0, result.stderr);
    assert.ok((await fs.lstat(link)).isSymbolicLink(), "the link is still a link");
    assert.ok((JSON.parse(await fs.readFile(real, "utf8")) as { metadata: { checksum?: string } }).metadata.checksum, "the target holds the plan");
  }
});

test("a symlink to /proc/self/fd/1 (what /dev/stdout is) writes the plan to orun's stdout", async () => {
  const link = path.join(tmp, "stdout.json");
  await fs.symlink("/proc/self/fd/1", link);
  // Through a shell pipe (a FIFO, as in `orun plan -o /dev/stdout | jq`): a test runner's pipes are sockets.
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile("sh", ["-c", 'node "$0" plan -o "$1" | cat', ORUN_BIN, link], { cwd: repo, timeout: 30_000 }, (err, out, errOut) =>
      err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
    ),
  );
  assert.match(stdout, /"checksum"/);
  assert.ok((await fs.lstat(link)).isSymbolicLink(), "the link is still a link");
});

test("a regular file is still replaced atomically and a directory is refused by name", async () => {
  const file = path.join(tmp, "plain.json");
  await fs.writeFile(file, "old");
  assert.equal((await plan(file)).code, 0);
  assert.ok((JSON.parse(await fs.readFile(file, "utf8")) as { metadata: { checksum?: string } }).metadata.checksum);
  const dir = path.join(tmp, "a-dir");
  await fs.mkdir(dir);
  const refused = await plan(dir);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /a-dir is a directory/);
});
