// Newcomer audit (fuprun15): the help of status and logs says what their flags do for them (they reused run's
// wording), and gc's line in `orun --help` fits one line. Real processes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";

/** A command's help on one line (wrapping undone), so phrases can be matched whole. */
async function help(args: string[]): Promise<string> {
  const result = await runOrun([...args, "--help"]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.replace(/\s+/g, " ");
}

test("status and logs --help: --remote-state reads the run from the backend, --exec-id defaults to ORUN_EXEC_ID", async () => {
  for (const command of ["status", "logs"]) {
    const text = await help([command]);
    assert.match(text, /--remote-state read the run from the orun backend instead of this machine's records/, command);
    assert.doesNotMatch(text, /coordinate through/, command);
    assert.match(text, /--exec-id <id> execution to read \(default: ORUN_EXEC_ID, else the latest; prefixes accepted/, command);
  }
  // run keeps its own wording: there the backend coordinates the runners.
  assert.match(await help(["run"]), /--remote-state coordinate through the orun backend/);
});

test("orun --help lists gc in one short line; gc --help keeps the detail", async () => {
  const root = await runOrun(["--help"]);
  const line = root.stdout.split("\n").find((l) => /^ {2}gc /.test(l));
  assert.ok(line, root.stdout);
  assert.ok(line.length <= 100, `${line.length} characters: ${line}`);
  assert.match(line, /gc \[options\] +Remove old execution records and unused stored plans$/);
  assert.match(await help(["gc"]), /a record is kept while it is among the newest --keep and younger than --max-age/);
});
