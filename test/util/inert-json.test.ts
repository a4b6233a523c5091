// inertJsonText (src/util/inert-command.ts): a JSON document orun prints into a GitHub Actions log, each string masked
// and without `##[`, which the runner reads as a command anywhere in a line — still the same JSON to its reader.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inertJsonText } from "../../src/util/inert-command.js";
import { Masker } from "../../src/runners/github-actions/masker.js";
import { runnerLog, shapingLines } from "../support/gha-runner-log.js";

const value = {
  "##[group]key": ["##[error]x", 'quote " back \\ slash', "line\n::error::y\n##[endgroup]", "\ud800 lone", 3, null, true],
  nested: { "a##[": "##[##[", empty: "" },
};

test("inertJsonText: the same JSON once parsed, no line a workflow command or a group or error line to GitHub's view", () => {
  for (const indent of [0, 2]) {
    const text = inertJsonText(JSON.stringify(value, null, indent));
    assert.deepEqual(JSON.parse(text), value);
    assert.ok(!text.includes("##["), text);
    const { commands, log } = runnerLog(text);
    assert.deepEqual(commands, [], text);
    assert.deepEqual(shapingLines(log), [], text);
  }
});

test("inertJsonText with a mask: each string, keys too, hides the values however JSON escapes them", () => {
  const masker = new Masker();
  masker.add('s3"cr\\3t');
  const doc = { 'id s3"cr\\3t': 'error: s3"cr\\3t ##[error]' };
  const text = inertJsonText(JSON.stringify(doc, null, 2), (s) => masker.mask(s));
  assert.deepEqual(JSON.parse(text), { "id ***": "error: *** ##[error]" });
  assert.ok(!text.includes("cr"), text);
});
