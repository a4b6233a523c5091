// `orun logs` inside GitHub Actions (src/runtime/output/gha-logs.ts), below the CLI: what the log writer prints
// around a record's output, and which masks a remote log's step sections hold.
import { test } from "node:test";
import assert from "node:assert/strict";
import { githubLogWriter, logTextMasks, masksOf } from "../../src/runtime/output/gha-logs.js";

/** The writer over a log masking `hidden` (of a job shown), and what it printed. */
function writerOver(hidden: string): { writer: ReturnType<typeof githubLogWriter>; printed: () => string } {
  let printed = "";
  const writer = githubLogWriter(masksOf(new Map([["api@dev.build", [hidden]]])), (chunk) => (printed += chunk));
  return { writer, printed: () => printed };
}

test("githubLogWriter: masks first, output between one stop-commands pair, a line ended by CR printed at once, nothing added to a log that ended its line", () => {
  const { writer, printed } = writerOver("s3cret");
  const token = /::stop-commands::(orun-stop-logs-[0-9a-f]{16})\n/.exec(printed())?.[1];
  assert.ok(token, printed());
  assert.equal(printed(), `::add-mask::s3cret\n::stop-commands::${token}\n`);
  writer.write("progress 50%\r");
  assert.equal(printed().endsWith("progress 50%\r"), true, "a progress line ended by CR is shown as it comes, not held for a LF");
  writer.write("key s3");
  writer.write(Buffer.from("cret done\n"));
  writer.end();
  assert.equal(printed(), `::add-mask::s3cret\n::stop-commands::${token}\nprogress 50%\rkey *** done\n::${token}::\n`);
});

test("githubLogWriter: a last line without a newline is ended before the closing marker", () => {
  const { writer, printed } = writerOver("x");
  writer.write("tail");
  writer.end();
  assert.match(printed(), /\ntail\n::orun-stop-logs-[0-9a-f]{16}::\n$/);
});

test("logTextMasks reads each step's section on its own: a step that stopped commands does not hide the next step's masks", () => {
  const log = ["=== one ===\n", "::stop-commands::tok\n", "::add-mask::not-a-mask\n", "=== two ===\n", "::add-mask::two-secret\n"].join("");
  assert.deepEqual(logTextMasks(log, new Set([0, 3])), ["two-secret"]);
});

test("masksOf hides every job's values but hands the runner only those of the jobs shown", () => {
  const { masker, values } = masksOf(new Map([["a", ["alpha"]], ["b", ["beta"]]]), new Set(["a"]));
  assert.deepEqual(values, ["alpha"]);
  assert.equal(masker.mask("alpha beta"), "*** ***");
});
