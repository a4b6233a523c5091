// Files orun reads besides a record's own state (its `.lock`, the legacy `.orun-state.json` every `orun run`
// migrates, the stored plans `get plans` lists) are read as record files are: a FIFO there (or a link to one) hung
// `status`, `status --all`, `gc` and `run --exec-id` for ever, and a link to another file had that file's first
// bytes quoted in the error. Each CLI runs as a child with a deadline: a hang shows as a kill (code null).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

const DEADLINE_MS = 15_000;
const SECRET = "root:$6$SECRETHASH:19000:0:99999:7:::\n";

const mkfifo = (file: string): void => void execFileSync("mkfifo", [file]);

async function oneJobRepo(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  return planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }], { name: "planted" }, "orun-planted-");
}

test("a FIFO, or a link to one, where a record's .lock belongs never hangs status, status --all, gc or run", async (t) => {
  const dir = await oneJobRepo(t);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "x1"], { cwd: dir })).code, 0);
  const fifo = path.join(dir, "elsewhere.fifo");
  mkfifo(fifo);
  const lock = recordFile(dir, "x1", ".lock");
  const plants: [string, () => Promise<void>, RegExp][] = [
    ["a FIFO", async () => mkfifo(lock), /the execution lock is not a regular file/],
    ["a link to a FIFO", () => symlink(fifo, lock), /the execution lock is a symbolic link, not a lock file/],
  ];
  for (const [what, plant, refusal] of plants) {
    await plant();
    for (const args of [["status", "--exec-id", "x1"], ["status", "--all"], ["gc", "--all", "--dry-run"], ["gc", "--all"]]) {
      const r = await runOrun(args, { cwd: dir, timeoutMs: DEADLINE_MS });
      // gc keeps the record, naming the lock it cannot read, and exits 1 (--dry-run 0; gc-unreadable-lock-kept-named.test.ts).
      const gc = args[0] === "gc";
      assert.equal(r.code, gc && !args.includes("--dry-run") ? 1 : 0, `${args.join(" ")} with ${what} as the lock: ${r.stdout}${r.stderr}`);
      if (gc) assert.match(r.stdout, /kept x1 \(lock unreadable: /, `${args.join(" ")} with ${what} as the lock`);
    }
    const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "x1"], { cwd: dir, timeoutMs: DEADLINE_MS });
    assert.equal(run.code, 1, `run with ${what} as the lock: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, new RegExp(`${lock.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: ${refusal.source}`), what);
    assert.ok((await readdir(recordFile(dir, "x1", "."))).includes("state.json"), `the record survives ${what}`);
    await rm(lock);
  }
});

test("a socket where a record's .lock belongs is no lock file: run and gc say to remove it, not to wait for it to be readable", async (t) => {
  const dir = await oneJobRepo(t);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "s1"], { cwd: dir })).code, 0);
  const lock = recordFile(dir, "s1", ".lock");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(lock, resolve));
  try {
    const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "s1"], { cwd: dir, timeoutMs: DEADLINE_MS });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(run.stderr, `✕ ${lock}: the execution lock is a socket, not a lock file; remove it if no run is using this execution\n`);
    const kept = `  kept s1 (lock unreadable: a socket, ${lock}; remove it if no run is using this execution)\n`;
    const dryRun = await runOrun(["gc", "--all", "--dry-run"], { cwd: dir, timeoutMs: DEADLINE_MS });
    assert.equal(dryRun.code, 0, dryRun.stdout + dryRun.stderr);
    assert.equal(dryRun.stdout, kept);
    const gc = await runOrun(["gc", "--all"], { cwd: dir, timeoutMs: DEADLINE_MS });
    assert.equal(gc.code, 1, gc.stdout + gc.stderr);
    assert.equal(gc.stdout, kept);
    assert.equal(gc.stderr, "✕ gc kept 1 execution whose lock it could not read or take over: see the note above for what to remove, then run orun gc again\n");
    assert.ok((await readdir(recordFile(dir, "s1", "."))).includes("state.json"), "the record survives");
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  // Removed as told: gc removes the record.
  await rm(lock, { force: true });
  const gc = await runOrun(["gc", "--all"], { cwd: dir, timeoutMs: DEADLINE_MS });
  assert.equal(gc.code, 0, gc.stdout + gc.stderr);
  assert.deepEqual(await readdir(path.join(dir, ".orun/executions")), []);
});

test("a legacy .orun-state.json that is a link is refused, never waited on nor quoted, and nothing is migrated", async (t) => {
  const dir = await oneJobRepo(t);
  const secret = path.join(dir, "secret");
  await writeFile(secret, SECRET, { mode: 0o600 });
  const fifo = path.join(dir, "elsewhere.fifo");
  mkfifo(fifo);
  const legacy = path.join(dir, ".orun-state.json");
  for (const target of [fifo, secret]) {
    await symlink(target, legacy);
    const run = await runOrun(["run", "plan.json"], { cwd: dir, timeoutMs: DEADLINE_MS });
    assert.equal(run.code, 1, `${target}: ${run.stdout}${run.stderr}`);
    assert.equal(run.stderr, `✕ ${legacy}: cannot read the legacy state file to migrate it: it is a symbolic link (move it aside to run without migrating it)\n`);
    assert.doesNotMatch(run.stdout + run.stderr, /SECRET|root:/);
    await rm(legacy);
  }
  assert.equal(await readFile(secret, "utf8"), SECRET);
  const executions = await readdir(path.join(dir, ".orun/executions")).catch(() => [] as string[]);
  assert.deepEqual(
    executions.filter((name) => name.startsWith("migrated-")),
    [],
  );
});

test("get plans never quotes a stored plan that links to a file that is no plan", async (t) => {
  const dir = await oneJobRepo(t);
  const secret = path.join(dir, "secret");
  await writeFile(secret, SECRET, { mode: 0o600 });
  const plans = path.join(dir, ".orun/plans");
  await mkdir(plans, { recursive: true });
  await symlink(secret, path.join(plans, "latest.json"));
  for (const args of [["get", "plans"], ["get", "plans", "-o", "json"]]) {
    const r = await runOrun(args, { cwd: dir, timeoutMs: DEADLINE_MS });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /SECRET|root:/, args.join(" "));
    assert.match(r.stdout + r.stderr, /unreadable/, args.join(" "));
  }
  assert.equal(await readFile(secret, "utf8"), SECRET);
});
