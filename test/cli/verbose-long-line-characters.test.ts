// `orun run --verbose` shows a line too long to hold (1 Mi UTF-16 units, text.ts MAX_PARTIAL_LINE) in pieces; a piece
// ends between characters, never between the two halves of a 4-byte one (an emoji), which would print as U+FFFD.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { ORUN_BIN } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

test("--verbose passes a long line of 4-byte characters to the console byte for byte", async (t) => {
  const count = 600_000;
  const line = `x${"😀".repeat(count)}`;
  // "x" first: every 1 Mi-unit cut then falls on a high surrogate.
  const script = `process.stdout.write("x" + "\\u{1F600}".repeat(${count}) + "\\n")`;
  const dir = await planDir(t, [{ id: "a@dev.emit", steps: [{ run: `'${process.execPath}' -e '${script}'` }] }]);
  const stdout = await new Promise<Buffer>((resolve, reject) => {
    const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--verbose", "--exec-id", "v"], { cwd: dir, env: { ...process.env, NO_COLOR: "1" } });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`orun exited ${code}`))));
  });
  // The step's output lines, each behind the console's "│ " prefix; the pieces of the one long line joined.
  const marker = Buffer.from("│ ");
  const pieces: Buffer[] = [];
  let at = 0;
  while (at < stdout.length) {
    const end = stdout.indexOf(0x0a, at) < 0 ? stdout.length : stdout.indexOf(0x0a, at);
    const lineBytes = stdout.subarray(at, end);
    const prefix = lineBytes.indexOf(marker);
    if (prefix >= 0 && lineBytes.subarray(prefix + marker.length).some((byte) => byte >= 0x80)) pieces.push(lineBytes.subarray(prefix + marker.length));
    at = end + 1;
  }
  assert.ok(pieces.length > 1, "the line was shown in pieces");
  assert.ok(Buffer.concat(pieces).equals(Buffer.from(line)), "the pieces hold the line's bytes exactly");
  assert.equal(stdout.includes(Buffer.from("\uFFFD")), false, "no replacement character");
});
