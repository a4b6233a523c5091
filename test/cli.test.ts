import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "./support/cli.js";

test("orun --version prints the package version", async () => {
  const result = await runOrun(["--version"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^\d+\.\d+\.\d+/);
});

test("an unknown command exits non-zero with a message", async () => {
  const result = await runOrun(["frobnicate"]);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /unknown command/i);
});
