import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { ORUN_BIN } from "../support/cli.js";

test("a reader that closes stdout early (`orun … | head`) does not crash orun", async () => {
  const child = spawn(process.execPath, [ORUN_BIN, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy(); // the reader is gone before orun writes
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.doesNotMatch(stderr, /EPIPE|Unhandled 'error' event/);
  assert.equal(code, 0);
});
