// Direct spawns pass a step's bytes on (StepContext.onOutputBytes) whole UTF-8 characters at a time per stream.
// stdout and stderr are combined and their combined bytes are decoded once for the console and remote logs: a
// character cut between two reads of stdout, with stderr's output read in between, became two U+FFFD there.
// The bytes themselves are unchanged (the step log holds exactly what the step wrote).
import { test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import { runProcess } from "../../../src/runners/process/run-process.js";

test("runProcess: each byte chunk ends on a character boundary; together they are the step's bytes", async () => {
  // 3-byte characters written at once: pipe reads of 64 KiB cut one (65536 is not a multiple of 3).
  const script = "process.stdout.write('€'.repeat(200000)); process.stderr.write('é-done\\n');";
  const chunks: Buffer[] = [];
  const outcome = await runProcess({ command: process.execPath, args: ["-e", script], cwd: os.tmpdir(), env: { ...process.env } as Record<string, string>, onOutputBytes: (chunk) => chunks.push(Buffer.from(chunk)) });
  assert.equal(outcome.exitCode, 0, outcome.error);
  const strict = new TextDecoder("utf-8", { fatal: true });
  for (const [i, chunk] of chunks.entries()) assert.doesNotThrow(() => strict.decode(chunk), `chunk ${i} of ${chunk.length} bytes cuts a character`);
  const all = Buffer.concat(chunks).toString("utf8");
  assert.equal(all.replace("é-done\n", ""), "€".repeat(200000), "stdout's bytes, none lost or changed");
  assert.ok(all.includes("é-done\n"));
});

test("runProcess: invalid UTF-8 still reaches the log byte for byte, a lead byte at the very end included", async () => {
  const script = "process.stdout.write(Buffer.from([0xff, 0x41, 0xe2, 0x82])); setTimeout(() => process.stdout.write(Buffer.from([0x41, 0xe2])), 50);";
  const chunks: Buffer[] = [];
  const outcome = await runProcess({ command: process.execPath, args: ["-e", script], cwd: os.tmpdir(), env: { ...process.env } as Record<string, string>, onOutputBytes: (chunk) => chunks.push(Buffer.from(chunk)) });
  assert.equal(outcome.exitCode, 0, outcome.error);
  assert.deepEqual([...Buffer.concat(chunks)], [0xff, 0x41, 0xe2, 0x82, 0x41, 0xe2]);
});
