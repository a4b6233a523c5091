import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "./support/cli.js";

test("orun --version prints the package version", async () => {
  const result = await runOrun(["--version"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^\d+\.\d+\.\d+/);
});

// Spec 20 §1: every error is `✕ <message>` on stderr with exit code 1 — usage errors too.
test("an unknown command exits 1 with a ✕ message", async () => {
  const result = await runOrun(["frobnicate"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^✕ unknown command 'frobnicate'/);
});

test("usage errors (unknown option, missing value or argument) exit 1 with a ✕ message", async () => {
  for (const [args, message] of [
    [["run", "--bogus"], /^✕ unknown option '--bogus'/],
    [["run", "--concurrency"], /^✕ option '--concurrency <n>' argument missing/],
    [["describe"], /^✕ missing required argument 'kind'/],
  ] as const) {
    const result = await runOrun([...args]);
    assert.equal(result.code, 1, args.join(" "));
    assert.match(result.stderr, message);
  }
});
