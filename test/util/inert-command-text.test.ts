// inertCommandText, ownLineText and quotingLineText (src/util/inert-command.ts): orun's own stderr lines under GitHub
// Actions, which must hold no workflow command for the runner however the text they quote is shaped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inertCommandText, ownLineText, quotingLineText } from "../../src/util/inert-command.js";
import { runnerLog, shapingLines } from "../support/gha-runner-log.js";

test("inertCommandText: every ##[ of a line and a :: after each kind of line break are made inert", () => {
  // The runner reads a line's first `##[`: leaving the second one active makes it the first the runner finds.
  const twice = inertCommandText("x ##[group]a ##[error]b\n##[endgroup]");
  assert.equal(twice, "x ##\\[group]a ##\\[error]b\n##\\[endgroup]");
  const { commands, log } = runnerLog(twice);
  assert.deepEqual(commands, []);
  assert.deepEqual(shapingLines(log), []);
  // A CR alone ends a line as much as LF or CRLF does (the runner reads lines as .NET's ReadLine splits them).
  assert.equal(inertCommandText("::a::1\r\n  ::b::2\r\t::c::3\n::d::4"), "\\::a::1\r\n  \\::b::2\r\t\\::c::3\n\\::d::4");
  assert.equal(inertCommandText("a :: b"), "a :: b", "a :: inside a line is no command");
});

test("ownLineText is inert only when GITHUB_ACTIONS is exactly true", () => {
  assert.equal(ownLineText("::error::x", { GITHUB_ACTIONS: "true" }), "\\::error::x");
  for (const value of [undefined, "", "false", "1"]) assert.equal(ownLineText("::error::x", { GITHUB_ACTIONS: value }), "::error::x", String(value));
});

test("quotingLineText: another program's text is escaped (line breaks kept) and inert under GitHub Actions", () => {
  const quoted = "denied\u001b[2J\u202e\r\n::error::forged";
  assert.equal(quotingLineText(quoted, {}), "denied\\u{1b}[2J\\u{202e}\n::error::forged");
  assert.equal(quotingLineText(quoted, { GITHUB_ACTIONS: "true" }), "denied\\u{1b}[2J\\u{202e}\n\\::error::forged");
});
