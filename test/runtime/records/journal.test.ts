// The transition journal beside state.json (records/journal.ts): what readers fold in, and when the writer
// may remove it. Real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { StateWriter, emptyState, foldedJournal, journalWithoutState, readStateFile } from "../../../src/runtime/records/state.js";
import { JOURNAL_FILE } from "../../../src/runtime/records/journal.js";
import { removeDir, tempDir } from "../helpers.js";
import { until } from "../../support/wait.js";

async function setup(t: { after(fn: () => Promise<void>): void }): Promise<{ file: string; journal: string }> {
  const dir = await tempDir("orun-journal-");
  t.after(() => removeDir(dir));
  return { file: path.join(dir, "state.json"), journal: path.join(dir, JOURNAL_FILE) };
}

test("a settled job is in the journal at once, before state.json is written; readers fold it in; flush() removes the journal", async (t) => {
  const { file, journal } = await setup(t);
  const state = emptyState("e", "sha256-x");
  const writer = new StateWriter(file, state, 60_000);
  state.jobs["a@dev.one"] = { status: "running", steps: { s1: "running" } };
  writer.schedule(); // the first write goes out now; the next waits a minute
  await until(() => existsSync(file), "the first write");
  state.jobs["a@dev.one"] = { status: "completed", steps: { s1: "completed" }, finishedAt: "2026-01-01T00:00:00Z" };
  writer.settled("a@dev.one");
  assert.match(await readFile(journal, "utf8"), /^\{"job":"a@dev\.one","state":\{"status":"completed"/);
  const read = (await readStateFile(file))!;
  assert.equal(read.jobs["a@dev.one"]?.status, "completed");
  assert.equal(read.jobs["a@dev.one"]?.finishedAt, "2026-01-01T00:00:00Z");
  assert.ok(foldedJournal(read), "a resume knows state.json must be rewritten before the journal goes");
  await writer.flush();
  assert.equal(existsSync(journal), false);
  const after = (await readStateFile(file))!;
  assert.equal(after.jobs["a@dev.one"]?.status, "completed");
  assert.equal(foldedJournal(after), false);
});

test("a job settled while state.json is being written is held by a later write before the journal goes", async (t) => {
  const { file, journal } = await setup(t);
  const state = emptyState("e", "sha256-x");
  const writer = new StateWriter(file, state, 0);
  state.jobs["a@dev.one"] = { status: "completed", steps: {} };
  writer.settled("a@dev.one");
  // A write serialized before the next settle does not hold it: the journal must outlive that write.
  const pending = writer.flush();
  state.jobs["a@dev.two"] = { status: "failed", steps: {}, lastError: "boom" };
  writer.settled("a@dev.two");
  await pending;
  await writer.flush();
  assert.equal(existsSync(journal), false, "removed once the last write holds both");
  const saved = (await readStateFile(file))!;
  assert.deepEqual(Object.keys(saved.jobs).sort(), ["a@dev.one", "a@dev.two"]);
});

test("a torn last line is ignored, a bad line anywhere else is an error naming file and line, a journal without state.json is shown but flagged", async (t) => {
  const { file, journal } = await setup(t);
  await writeFile(journal, '{"job":"a@dev.one","state":{"status":"completed","steps":{}}}\n');
  const orphan = (await readStateFile(file))!;
  assert.equal(orphan.jobs["a@dev.one"]?.status, "completed", "readers show what it holds");
  assert.ok(journalWithoutState(orphan), "a run refuses it: the plan it ran is unknown");
  await writeFile(file, JSON.stringify(emptyState("e", "sha256-x")));
  assert.equal(journalWithoutState((await readStateFile(file))!), false);
  await writeFile(journal, '{"job":"a.dev.one","state":{"status":"completed","steps":{}}}\n{"job":"a@dev.two","state":{"sta');
  const read = (await readStateFile(file))!;
  assert.deepEqual(Object.keys(read.jobs), ["a@dev.one"], "dotted IDs are canonicalised; the torn line is dropped");
  await appendFile(journal, "\n");
  await assert.rejects(readStateFile(file), (err: Error) => err.message.includes(`${journal}:2`) && /corrupt execution journal at line 2/.test(err.message));
  await writeFile(journal, '{"job":"a@dev.one","state":{"status":"exploded","steps":{}}}\n');
  // Perhaps a newer orun's status: unreadable here, not called corrupt.
  await assert.rejects(readStateFile(file), (err: Error) => /line 1 state\.status.*unknown status "exploded"/.test(err.message) && !/corrupt/.test(err.message));
  await writeFile(journal, '{"state":{"status":"completed","steps":{}}}\n');
  await assert.rejects(readStateFile(file), /expected \{job, state\}/);
});
