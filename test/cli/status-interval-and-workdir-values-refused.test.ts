// Flag values out of range: `status --watch --interval 99999999h` spun redrawing as fast as it could (Node fires
// a timer past 2^31-1 ms at once, with a TimeoutOverflowWarning each round), and a negative interval or one of
// 0..199ms silently meant the 1s default; `run --workdir ""` (an unset variable in CI) ran as if the flag were absent.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, readdir, symlink } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

test("status --interval outside 200ms..24h is refused naming the flag; 200ms and 24h are accepted", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "i1"], { cwd: dir })).code, 0);
  for (const value of ["99999999h", "25h", "-1s", "-500ms", "0", "0s", "1ms", "199ms"]) {
    const result = await runOrun(["status", "--watch", "--interval", value], { cwd: dir, timeoutMs: 15_000 });
    assert.equal(result.code, 1, `${value}: ${result.stdout}`);
    assert.match(result.stderr, new RegExp(`^✕ option '--interval <duration>' argument '${value}' is invalid\\. expected a duration from 200ms to 24h`), value);
    assert.doesNotMatch(result.stderr, /TimeoutOverflowWarning/);
  }
  for (const value of ["200ms", "24h"]) {
    const ok = await runOrun(["status", "--watch", "--interval", value], { cwd: dir, timeoutMs: 15_000 });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Run: i1 .*State: completed/);
  }
});

test('run --workdir "" is refused like the other flags that name something, and records nothing', async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }]);
  const result = await runOrun(["run", "plan.json", "--workdir", ""], { cwd: dir });
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stderr, /^✕ option '--workdir <dir>' argument '' is invalid\. it is empty; leave the flag out instead\./);
  assert.deepEqual(await readdir(path.join(dir, ".orun", "executions")).catch(() => []), []);
});

test("run --workdir a symbolic link loop, or under a folder orun may not enter, says so, not `no such directory`; nothing is recorded", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }]);
  await symlink("loop-b", path.join(dir, "loop-a"));
  await symlink("loop-a", path.join(dir, "loop-b"));
  await mkdir(path.join(dir, "closed/inner"), { recursive: true });
  await chmod(path.join(dir, "closed"), 0o000);
  const cases: [string, RegExp][] = [
    ["loop-a", /^✕ --workdir \S+\/loop-a: a symbolic link loop\n$/],
    ["missing", /^✕ --workdir \S+\/missing: no such directory\n$/],
  ];
  // root enters any folder: the permission case is a non-root user's.
  if (process.getuid?.() !== 0) cases.push(["closed/inner", /^✕ --workdir \S+\/closed\/inner: permission denied\n$/]);
  for (const [value, refusal] of cases) {
    const result = await runOrun(["run", "plan.json", "--workdir", value], { cwd: dir });
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, refusal, value);
  }
  await chmod(path.join(dir, "closed"), 0o755);
  assert.deepEqual(await readdir(path.join(dir, ".orun", "executions")).catch(() => []), []);
});

test("status --interval with a unit it does not take (1d, 15mm) names the units it takes", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }]);
  for (const value of ["1d", "15mm", "1e3s"]) {
    const result = await runOrun(["status", "--watch", "--interval", value], { cwd: dir });
    assert.equal(result.code, 1, value);
    assert.match(result.stderr, /expected a duration with its unit \(ms, s, m or h\), such as 500ms, 2s or 1m/, value);
  }
});
