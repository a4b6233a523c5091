// `orun logs --raw` copies a log's bytes as they are; `--follow --raw` holds back only the first bytes of a
// UTF-8 character whose rest has not been written yet (incompleteCharacter), never invalid bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { incompleteCharacter, printLogs } from "../../src/runtime/logs.js";
import { removeDir, tempDir } from "./helpers.js";

test("incompleteCharacter counts the bytes of a character cut short at the end, and nothing else", () => {
  const count = (...bytes: number[]): number => incompleteCharacter(Buffer.from(bytes));
  assert.equal(count(), 0);
  assert.equal(count(0x61, 0x0a), 0);
  assert.equal(count(0x63, 0xc3), 1, "é's first byte");
  assert.equal(count(0xc3, 0xa9), 0, "é whole");
  assert.equal(count(0xe2, 0x82), 2, "€'s first two bytes");
  assert.equal(count(0xe2, 0x82, 0xac), 0, "€ whole");
  assert.equal(count(0xf0, 0x9f, 0x98), 3, "an emoji's first three bytes");
  assert.equal(count(0xf0, 0x9f, 0x98, 0x80), 0, "the emoji whole");
  assert.equal(count(0x6f, 0xff), 0, "an invalid byte is not held back");
  assert.equal(count(0xfe, 0x80), 0, "nor a continuation of one");
  assert.equal(count(0x80, 0x80, 0x80), 0, "nor stray continuation bytes");
});

test("printLogs --raw writes each log's bytes unchanged, invalid UTF-8 included; the text view decodes", async (t) => {
  const dir = await tempDir("orun-logs-bytes-");
  t.after(() => removeDir(dir));
  await mkdir(dir, { recursive: true });
  const bytes = Buffer.from([0xff, 0xfe, 0x6f, 0x6b, 0x0a, 0xe2, 0x82]);
  const file = path.join(dir, "s.log");
  await writeFile(file, bytes);
  const entry = { jobId: "api@dev.build", stepKey: "s", status: "completed", file } as Parameters<typeof printLogs>[0][number];
  const raw: Buffer[] = [];
  await printLogs([entry], (chunk) => raw.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)), { raw: true });
  assert.deepEqual(Buffer.concat(raw), bytes);
  let text = "";
  await printLogs([entry], (chunk) => (text += chunk.toString()));
  assert.equal(text, "── api@dev.build › s  (completed)\n\uFFFD\uFFFDok\n\uFFFD\n");
});

test("printLogs --raw puts a newline between two logs only where the first did not end its line, past an empty log too", async (t) => {
  const dir = await tempDir("orun-logs-bytes-");
  t.after(() => removeDir(dir));
  const entry = async (name: string, content: string) => {
    const file = path.join(dir, `${name}.log`);
    await writeFile(file, content);
    return { jobId: "api@dev.build", stepKey: name, status: "completed", file } as Parameters<typeof printLogs>[0][number];
  };
  const raw = async (entries: Parameters<typeof printLogs>[0]) => {
    const out: Buffer[] = [];
    await printLogs(entries, (chunk) => out.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)), { raw: true });
    return Buffer.concat(out).toString();
  };
  const [partial, empty, whole, last] = [await entry("partial", "no newline"), await entry("empty", ""), await entry("whole", "line\n"), await entry("last", "end")];
  assert.equal(await raw([partial, empty, whole, last]), "no newline\nline\nend", "glued: `no newlineline`; the last log is copied as it is");
  assert.equal(await raw([whole, last]), "line\nend");
});
