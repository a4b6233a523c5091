// Whole-number flags read with Number() took what is no number a user types: `backend serve --port ""` (an unset
// `$PORT`) is 0, so the backend listened on a random port; `--port 0x4650` and `--port 1.8e4` were 18000;
// `--max-log-size 1e99` a cap no store holds; `run --concurrency 0x10` ran 16 jobs at once. Each is refused now,
// naming the flag and the value, exit 1, before a server starts or a job runs. Real orun processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, removeDir, tempDir } from "../runtime/helpers.js";

test("backend serve refuses --port and --max-log-size that are not plain digits, naming the flag", async (t) => {
  const dir = await tempDir("orun-number-flags-");
  t.after(() => removeDir(dir));
  const cases: [string, string, string][] = [
    ["--port", "", '✕ --port: expected a non-negative integer, got ""\n'],
    ["--port", "0x4650", '✕ --port: expected a non-negative integer, got "0x4650"\n'],
    ["--port", "1.8e4", '✕ --port: expected a non-negative integer, got "1.8e4"\n'],
    ["--max-log-size", "1e99", '✕ --max-log-size: expected a non-negative integer, got "1e99"\n'],
    ["--max-log-size", "99999999999999999999", '✕ --max-log-size: expected a non-negative integer, got "99999999999999999999"\n'],
  ];
  for (const [flag, value, message] of cases) {
    // A server that wrongly starts is killed by the timeout and fails the exit-code check.
    const result = await runOrun(["backend", "serve", "--port", "0", "--database", `sqlite:${path.join(dir, "b.db")}`, flag, value], { cwd: dir, timeoutMs: 10_000 });
    assert.equal(result.code, 1, `${flag} ${JSON.stringify(value)}: ${result.stdout}${result.stderr}`);
    assert.equal(result.stderr, message);
    assert.doesNotMatch(result.stdout, /listening/);
  }
});

test("run --concurrency refuses hex and exponent forms, and runs no job", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "numbers" }, "orun-number-flags-");
  for (const value of ["0x10", "1e9", "2.0"]) {
    const result = await runOrun(["run", "plan.json", "--concurrency", value], { cwd: dir, timeoutMs: 15_000 });
    assert.equal(result.code, 1, `--concurrency ${value}: ${result.stdout}${result.stderr}`);
    assert.equal(result.stderr, `✕ invalid --concurrency "${value}": expected a whole number ≥ 1\n`);
    assert.doesNotMatch(result.stdout, /built/);
  }
  const ok = await runOrun(["run", "plan.json", "--concurrency", "2"], { cwd: dir, timeoutMs: 15_000 });
  assert.equal(ok.code, 0, ok.stderr);
});
