// `orun gc --actions` through the built binary: a real cache root
// (ORUN_ACTIONS_CACHE) aged with fs.utimes, a real execution record, and the
// flags' bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readdir, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { makePlan, removeDir, tempDir, writePlan } from "../runtime/helpers.js";

const DAY = 86_400_000;
const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);

async function age(file: string, ms: number): Promise<void> {
  const when = new Date(Date.now() - ms);
  await utimes(file, when, when);
}

async function version(root: string, commit: string, usedAgo: number, bytes: number): Promise<string> {
  const dir = path.join(root, "acme/setup", commit);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "action.yml"), "x".repeat(bytes));
  await writeFile(`${dir}.ready`, `${commit}\n`);
  await writeFile(`${dir}.last-used`, "");
  for (const file of [path.join(dir, "action.yml"), `${dir}.ready`, `${dir}.last-used`, dir]) await age(file, usedAgo);
  return dir;
}

async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

test("orun gc --actions removes unused cached actions, not execution records; plain gc leaves the cache", async (t) => {
  const dir = await tempDir("orun-cli-gc-");
  t.after(() => removeDir(dir));
  const cache = path.join(dir, "cache");
  const env = { ORUN_ACTIONS_CACHE: cache };
  const old = await version(cache, A, 45 * DAY, 2500);
  const recent = await version(cache, B, 3 * DAY, 10);
  const locked = await version(cache, C, 45 * DAY, 10);
  await writeFile(`${locked}.lock`, "1\n");
  await mkdir(path.join(cache, "acme/setup/refs"), { recursive: true });
  await writeFile(path.join(cache, "acme/setup/refs/v1"), `${A}\n`);
  await writeFile(path.join(cache, "acme/setup/refs/v2"), `${B}\n`);
  await mkdir(path.join(cache, "shared/tool"), { recursive: true });
  await writeFile(path.join(cache, "shared/tool/bin"), "t");
  for (const p of ["shared/tool/bin", "shared/tool"]) await age(path.join(cache, p), 90 * DAY);
  await writePlan(dir, makePlan([{ id: "api@dev.build", steps: [{ run: "echo ok" }] }]));
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "only"], { cwd: dir })).code, 0);
  const before = await listTree(cache);

  const plain = await runOrun(["gc", "--all", "--dry-run"], { cwd: dir, env });
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout, "  Would remove only\n\nWould remove 1 execution\n", "plain gc: records only");

  const dry = await runOrun(["gc", "--actions", "--max-age", "30d", "--dry-run"], { cwd: dir, env });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`^  Would remove action acme/setup@${A} \\(2\\.5 kB\\)$`, "m"));
  assert.match(dry.stdout, new RegExp(`^  Would remove ref acme/setup/refs/v1 \\(→ ${A.slice(0, 12)}\\) \\(41 B\\)$`, "m"));
  assert.match(dry.stdout, new RegExp(`^  kept acme/setup/${C} \\(locked\\)$`, "m"));
  assert.match(dry.stdout, /^Would remove 2 action cache entries from .*, would free 2\.5 kB$/m);
  assert.doesNotMatch(dry.stdout, /shared|refs\/v2|Would remove only/);
  assert.deepEqual(await listTree(cache), before, "dry-run removed nothing");

  const gc = await runOrun(["gc", "--actions", "--keep-days", "30"], { cwd: dir, env });
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, new RegExp(`^  Removed action acme/setup@${A} \\(2\\.5 kB\\)$`, "m"));
  assert.match(gc.stdout, /\n\nRemoved 2 action cache entries from .*, freed 2\.5 kB\n$/);
  assert.doesNotMatch(gc.stdout, /only|execution/, "--actions prunes only the cache");
  assert.equal(existsSync(old), false);
  assert.equal(existsSync(path.join(cache, "acme/setup/refs/v1")), false);
  for (const kept of [recent, path.join(locked, "action.yml"), `${locked}.lock`, path.join(cache, "acme/setup/refs/v2"), path.join(cache, "shared/tool/bin")]) assert.ok(existsSync(kept), kept);
  assert.deepEqual((await readdir(path.join(dir, ".orun/executions"))).sort(), ["latest", "only"]);

  const shared = await runOrun(["gc", "--actions", "--actions-shared", "--max-age", "60"], { cwd: dir, env });
  assert.equal(shared.code, 0, shared.stderr);
  assert.match(shared.stdout, /^ {2}Removed shared tool cache shared\/tool \(1 B\)$/m);
  assert.equal(existsSync(path.join(cache, "shared/tool")), false);

  const none = await runOrun(["gc", "--actions"], { cwd: dir, env });
  assert.match(none.stdout, /^Nothing to clean up \(action cache .*\)\.$/m);
});

test("orun gc rejects bad age flags with a clear error and removes nothing", async (t) => {
  const dir = await tempDir("orun-cli-gc-bad-");
  t.after(() => removeDir(dir));
  const cache = path.join(dir, "cache");
  const old = await version(cache, A, 45 * DAY, 10);
  const cases: [string[], RegExp][] = [
    [["gc", "--actions", "--max-age", "3x"], /invalid --max-age "3x"/],
    [["gc", "--actions", "--max-age", "-1"], /invalid --max-age "-1"/],
    [["gc", "--actions", "--max-age", "5", "--keep-days", "6"], /--max-age and --keep-days both set the age limit/],
    [["gc", "--actions-shared"], /--actions-shared needs --actions/],
    [["gc", "--actions", "--keep-days", "soon"], /invalid number "soon"/],
    // A bad intent path is reported as other commands report it (gc --actions said "Nothing to clean up", exit 0).
    [["gc", "--actions", "-i", path.join(dir, "nope/intent.yaml")], new RegExp(`intent file not found: ${path.join(dir, "nope/intent.yaml").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`)],
  ];
  for (const [args, message] of cases) {
    const result = await runOrun(args, { cwd: dir, env: { ORUN_ACTIONS_CACHE: cache } });
    assert.notEqual(result.code, 0, args.join(" "));
    assert.match(result.stderr, message, args.join(" "));
    assert.ok(existsSync(path.join(old, "action.yml")), args.join(" "));
  }
});
