// `orun run --exec-id latest` is refused saying why: `latest` is the link to the newest record. It was refused
// with the rules of a valid ID ("use 1-128 letters, digits, …"), which `latest` meets, leaving the user to guess.
// Real orun processes, real records.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { lstat } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

test("run --exec-id latest (or ORUN_EXEC_ID=latest) is refused as reserved, and nothing is recorded under it; status and logs read the latest run by it", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.a", steps: [{ run: "echo hi" }] }]);
  const orun = (args: string[], env: NodeJS.ProcessEnv = {}) => runOrun(args, { cwd: dir, env });
  assert.equal((await orun(["run", "plan.json", "--exec-id", "first"])).code, 0);
  const reserved = /invalid exec id "latest" from (--exec-id|ORUN_EXEC_ID): "latest" is reserved for the link to the most recent run; pick another ID\n/;
  for (const [args, env] of [[["run", "plan.json", "--exec-id", "latest"], {}], [["run", "plan.json"], { ORUN_EXEC_ID: "latest" }]] as const) {
    const r = await orun([...args], env);
    assert.equal(r.code, 1, args.join(" "));
    assert.match(r.stderr, reserved, args.join(" "));
  }
  // The link still leads to the run made before, which status and logs read by it.
  assert.ok((await lstat(path.join(dir, ".orun/executions/latest"))).isSymbolicLink());
  assert.ok(existsSync(recordFile(dir, "first", "state.json")));
  const status = await orun(["status", "--exec-id", "latest"]);
  assert.deepEqual([status.code, /Run: first/.test(status.stdout)], [0, true], status.stdout + status.stderr);
  assert.equal((await orun(["logs", "--exec-id", "latest", "--raw"])).stdout, "hi\n");
  // The other rules keep their message.
  assert.match((await orun(["run", "plan.json", "--exec-id", "../x"])).stderr, /invalid exec id "\.\.\/x" from --exec-id: use 1-128 letters/);
});

test("an exec ID with a line break, or hundreds of characters long, is refused on one line: quoted as \\u{a}, a long one cut", async (t) => {
  // The ID was quoted raw: a line break in ORUN_EXEC_ID split the error over two lines, and a 2,000-character ID
  // filled the screen before the rule it broke.
  const dir = await planDir(t, [{ id: "app@dev.a", steps: [{ run: "echo hi" }] }]);
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [["run", "plan.json", "--exec-id", "run\n1"], {}, /^✕ invalid exec id "run\\u\{a\}1" from --exec-id: use 1-128 letters/],
    [["run", "plan.json"], { ORUN_EXEC_ID: "run\n1" }, /^✕ invalid exec id "run\\u\{a\}1" from ORUN_EXEC_ID: use 1-128 letters/],
    [["status"], { ORUN_EXEC_ID: "run\n1" }, /^✕ ORUN_EXEC_ID: execution not found: run\\u\{a\}1 \(unset it/],
    [["logs", "--exec-id", "run\n1"], {}, /^✕ execution not found: run\\u\{a\}1\n$/],
  ];
  for (const [args, env, expected] of cases) {
    const r = await runOrun(args, { cwd: dir, env });
    assert.equal(r.code, 1, args.join(" "));
    assert.match(r.stderr, expected, args.join(" "));
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  }
  const long = await runOrun(["run", "plan.json", "--exec-id", "x".repeat(2000)], { cwd: dir });
  assert.equal(long.code, 1);
  assert.match(long.stderr, /^✕ invalid exec id "x{70,80}… from --exec-id: use 1-128 letters/);
  assert.ok(long.stderr.length < 400, long.stderr);
  assert.equal(existsSync(path.join(dir, ".orun/executions")), false, "nothing recorded");
});
