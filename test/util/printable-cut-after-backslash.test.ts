// rev30: printable's cut (5b67864) treated `\` + the next character as one unit (meant for quoted's JSON escapes).
// printable does not escape a backslash of the text, so one right before a hidden character paired with the escape's
// own backslash, and `u{7}` was then cut character by character: `orun status --exec-id $'rrr…r\\\a…'` said
// `execution not found: rrr…r\u{…`.
// Fixed: printable cuts on `\u{hex}` escapes and single characters; only quoted's cut pairs JSON escapes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { printable } from "../../src/util/printable.js";
import { ExecutionNotFound } from "../../src/runtime/records/store.js";

describe("rev30: a cut after a literal backslash", () => {
  it("never falls inside the \\u{hex} escape that follows it", () => {
    const text = `ab\\\u0007${"x".repeat(100)}`;
    for (let max = 4; max <= 12; max++) {
      const shown = printable(text, { max });
      assert.doesNotMatch(shown, /\\u(\{[0-9a-f]*)?…$/, `max ${max}: ${shown}`);
    }
  });

  it("the not-found message of a long exec ID ends on a whole escape", () => {
    const ref = `${"r".repeat(75)}\\\u0007${"x".repeat(10)}`;
    const { message } = new ExecutionNotFound(ref);
    assert.doesNotMatch(message, /\\u(\{[0-9a-f]*)?…$/, message);
  });
});
