// Spec 10 §1.1: -i/--intent, -c/--config-dir and --all are global flags: they may come before the command.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import os from "node:os";
import { hoistGlobalFlags } from "../../src/cli/main.js";
import { PROJECT_ROOT, runOrun } from "../support/cli.js";

test("leading global flags move behind the command (before a --), anything else stays put", () => {
  const argv = (...rest: string[]) => ["node", "orun", ...rest];
  assert.deepEqual(hoistGlobalFlags(argv("-i", "x/intent.yaml", "plan", "-e", "dev")), argv("plan", "-e", "dev", "-i", "x/intent.yaml"));
  assert.deepEqual(hoistGlobalFlags(argv("--intent=x.yaml", "--all", "-c", "regs", "get", "jobs")), argv("get", "jobs", "--intent=x.yaml", "--all", "-c", "regs"));
  assert.deepEqual(hoistGlobalFlags(argv("-i", "x", "run", "p.json", "--", "-i")), argv("run", "p.json", "-i", "x", "--", "-i"));
  assert.deepEqual(hoistGlobalFlags(argv("plan", "-i", "x")), argv("plan", "-i", "x"), "already behind the command");
  assert.deepEqual(hoistGlobalFlags(argv("--version")), argv("--version"));
  assert.deepEqual(hoistGlobalFlags(argv("-i")), argv("-i"), "a flag without its value is commander's to report");
});

test("orun -i <intent> validate works from anywhere, like orun validate -i <intent>", async () => {
  const intent = path.join(PROJECT_ROOT, "examples/platform/intent.yaml");
  const before = await runOrun(["-i", intent, "validate"], { cwd: os.tmpdir() });
  assert.equal(before.code, 0, before.stdout + before.stderr);
  const after = await runOrun(["validate", "-i", intent], { cwd: os.tmpdir() });
  assert.equal(before.stdout, after.stdout);
  const refused = await runOrun(["-i", intent, "backend", "token", "list"], { cwd: os.tmpdir() });
  assert.notEqual(refused.code, 0, "a command without -i still refuses it");
});

test("a leading --all is refused before gc and status, whose own --all means something else (gc: remove every execution)", async () => {
  const argv = (...rest: string[]) => ["node", "orun", ...rest];
  assert.throws(() => hoistGlobalFlags(argv("--all", "gc", "--dry-run")), /--all before "gc" is the global scope flag, which gc does not take; its own --all removes every finished execution but the promotion-gate evidence/);
  assert.throws(() => hoistGlobalFlags(argv("-i", "x", "--all", "status")), /its own --all lists every execution/);
  assert.deepEqual(hoistGlobalFlags(argv("-i", "x", "gc")), argv("gc", "-i", "x"), "other global flags still move");
  const r = await runOrun(["--all", "gc", "--dry-run"], { cwd: os.tmpdir() });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^✕ --all before "gc"/);
});
