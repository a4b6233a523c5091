// (rev28) RecordMaskReader (src/runtime/output/gha-logs.ts) tells a rewritten step log only by its being shorter than
// what was read of it. A resume moves a job's earlier logs aside when the job starts again (setAsideJobLogs) and the
// step writes a new file in their place (StepLog opens with O_TRUNC): `orun status --watch` inside GitHub Actions that
// read the earlier log, and polls once the new one has grown past it, reads the new one from the old length — the
// `::add-mask::` its step printed first is never learned, and a job error quoting that value is printed in clear.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { RecordMaskReader } from "../../src/runtime/output/gha-logs.js";
import { removeDir, tempDir } from "../runtime/helpers.js";

test("a step log replaced by a new, longer file (a resume ran the step again) is read from its start", async (t) => {
  const dir = await tempDir("orun-rev28b-masks-");
  t.after(() => removeDir(dir));
  const file = path.join(dir, "s1.log");
  const entry = (status: string) => [{ jobId: "j", stepKey: "s1", file, status }];
  const reader = new RecordMaskReader();

  // The earlier run's log of the step, read by the watcher at its first poll.
  await writeFile(file, "::add-mask::earlier-value\nstep failed\n");
  await reader.read(entry("failed"));
  assert.equal(reader.masker.mask("earlier-value"), "***");

  // The resume starts the job again: the earlier log is moved aside, the step writes a new one, longer by the next poll.
  await rm(file);
  await reader.read(entry("running"));
  await writeFile(file, `::add-mask::resumed-secret\n${"more output\n".repeat(10)}`);
  await reader.read(entry("running"));
  assert.equal(reader.masker.mask("token=resumed-secret"), "token=***", "the new log's mask was learned");
});
