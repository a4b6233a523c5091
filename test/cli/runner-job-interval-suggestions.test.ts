// Newcomer audit (fuprun15): a mistyped runner or job gets a "did you mean", and a bad --interval names the flag
// and the form it takes (it said Go's `time: invalid duration`). Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

test("--runner and ORUN_RUNNER: a typo or a familiar name suggests the runner", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "true" }] }]);
  const cases: [string, string][] = [
    ["dokcer", "docker"],
    ["lcoal", "local"],
    ["github-action", "github-actions"],
    ["gha", "github-actions"],
    ["podman", "docker"],
  ];
  for (const [typed, meant] of cases) {
    const flag = await runOrun(["run", "plan.json", "--runner", typed], { cwd: dir });
    assert.equal(flag.code, 1, typed);
    assert.equal(flag.stderr, `✕ option '--runner <name>' argument '${typed}' is invalid. expected one of local, docker, github-actions (did you mean ${meant}?).\n`);
    const env = await runOrun(["run", "plan.json"], { cwd: dir, env: { ORUN_RUNNER: typed } });
    assert.equal(env.code, 1, typed);
    assert.equal(env.stderr, `✕ unsupported runner "${typed}" from ORUN_RUNNER (supported: docker, github-actions, local; did you mean ${meant}?)\n`);
  }
  const far = await runOrun(["run", "plan.json", "--runner", "kubernetes"], { cwd: dir });
  assert.equal(far.stderr, "✕ option '--runner <name>' argument 'kubernetes' is invalid. expected one of local, docker, github-actions.\n");
  assert.deepEqual(await readdir(path.join(dir, ".orun", "executions")).catch(() => []), []);
});

test("--job naming no job suggests the closest IDs (either ID form), else those containing it", async (t) => {
  const dir = await planDir(t, [
    { id: "api@dev.build", steps: [{ run: "true" }] },
    { id: "api@dev.test", steps: [{ run: "true" }] },
    { id: "web@dev.build", steps: [{ run: "true" }] },
  ]);
  for (const typed of ["api@dev.biuld", "api.dev.biuld"]) {
    const typo = await runOrun(["run", "plan.json", "--job", typed], { cwd: dir });
    assert.equal(typo.code, 1);
    assert.equal(typo.stderr, `✕ job not found: ${typed} (did you mean api@dev.build?)\n`);
  }
  const part = await runOrun(["run", "plan.json", "--job", "build"], { cwd: dir });
  assert.equal(part.stderr, "✕ job not found: build (did you mean api@dev.build, web@dev.build?)\n");
  const none = await runOrun(["run", "plan.json", "--job", "zzz@prod.deploy"], { cwd: dir });
  assert.equal(none.stderr, "✕ job not found: zzz@prod.deploy (list jobs with orun get jobs)\n");
  assert.deepEqual(await readdir(path.join(dir, ".orun", "executions")).catch(() => []), [], "nothing recorded");
  // A --background start is refused the same way, by the parent, before it makes a record (rev15rec #4).
  const bg = await runOrun(["run", "plan.json", "--background", "--exec-id", "bg1", "--job", "api@dev.biuld"], { cwd: dir });
  assert.equal(bg.code, 1, bg.stdout);
  assert.equal(bg.stderr, "✕ job not found: api@dev.biuld (did you mean api@dev.build?)\n");
  assert.deepEqual(await readdir(path.join(dir, ".orun", "executions")).catch(() => []), [], "nothing recorded");
});

test("status --interval takes a duration with its unit; anything else names the flag and the form", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "true" }] }]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "w1"], { cwd: dir })).code, 0);
  for (const bad of ["abc", "5", "1x"]) {
    const result = await runOrun(["status", "--watch", "--interval", bad], { cwd: dir });
    assert.equal(result.code, 1, bad);
    assert.equal(result.stderr, `✕ option '--interval <duration>' argument '${bad}' is invalid. expected a duration with its unit (ms, s, m or h), such as 500ms, 2s or 1m.\n`);
  }
  const watched = await runOrun(["status", "--watch", "--interval", "300ms"], { cwd: dir });
  assert.equal(watched.code, 0, watched.stderr);
  assert.match(watched.stdout, /Run: w1 .*State: completed/);
  assert.match((await runOrun(["status", "--help"], { cwd: dir })).stdout, /--interval <duration> +refresh interval for --watch, from 200ms to 24h \(e\.g\.\s+500ms, 2s\) \(default:\s+1s\)/);
});
