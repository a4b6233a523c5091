// RecordMaskReader (src/runtime/output/gha-logs.ts): `orun status --watch` inside GitHub Actions reads a record's masks
// at each poll; each read takes only what each step log gained since the last (a 200 MB log is not read again every
// poll), a step's unterminated last line once the step has ended, and a log written anew from its start.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, open, writeFile } from "node:fs/promises";
import path from "node:path";
import { RecordMaskReader } from "../../src/runtime/output/gha-logs.js";
import { removeDir, tempDir } from "./helpers.js";

test("RecordMaskReader reads what each log gained, a last line once its step ended, and a log rewritten from its start", async (t) => {
  const dir = await tempDir("orun-record-masks-");
  t.after(() => removeDir(dir));
  const file = path.join(dir, "s1.log");
  const entry = (status: string) => [{ jobId: "j", stepKey: "s1", file, status }];
  const reader = new RecordMaskReader();
  const masked = (text: string) => reader.masker.mask(text);

  await writeFile(file, "::add-mask::first-value\n::add-mask::sec");
  await reader.read(entry("running"));
  assert.equal(masked("first-value second-value"), "*** second-value");

  // The start of the log changed in place: a reader that read it again would learn "other-value".
  const handle = await open(file, "r+");
  await handle.write("::add-mask::other-value\n", 0);
  await handle.close();
  await appendFile(file, "ond-value\n::add-mask::last-value");
  await reader.read(entry("running"));
  assert.equal(masked("other-value second-value last-value"), "other-value *** last-value");

  // The step ended: its last line, without a newline, is a whole line.
  await reader.read(entry("completed"));
  assert.equal(masked("last-value"), "***");

  // Written anew, shorter than what was read of it: read from its start.
  await writeFile(file, "::add-mask::again-value\n");
  await reader.read(entry("completed"));
  assert.equal(masked("again-value other-value"), "*** other-value");
});
