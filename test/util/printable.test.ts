// The one helper that makes record and backend text safe to print (src/util/printable.ts): every control and bidi
// character as `\u{hex}`, line breaks as a space (or kept), cut to `max`, and the backend's ASCII-only form.
import { test } from "node:test";
import assert from "node:assert/strict";
import { printable, quoted } from "../../src/util/printable.js";

test("controls, TAB and bidi controls are shown as \\u{hex}; other text, é and emoji included, is kept", () => {
  assert.equal(printable("a\u001b[31mb\u0007c\u009b2J"), "a\\u{1b}[31mb\\u{7}c\\u{9b}2J");
  assert.equal(printable("job\tid\u007f"), "job\\u{9}id\\u{7f}");
  const bidi = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c"];
  assert.equal(printable(bidi.join("")), "\\u{202a}\\u{202b}\\u{202c}\\u{202d}\\u{202e}\\u{2066}\\u{2067}\\u{2068}\\u{2069}\\u{200e}\\u{200f}\\u{61c}");
  assert.equal(printable("café \u{1F600} ok"), "café \u{1F600} ok");
  assert.equal(printable(printable("x\u001by")), "x\\u{1b}y", "escaping twice changes nothing");
});

test("line breaks become one space, or are kept (a lone CR is escaped: it would overwrite the line)", () => {
  assert.equal(printable("first\r\n\nsecond\rthird"), "first second third");
  assert.equal(printable("first\r\nsecond\rthird\n\u001b[2J", { keepLineBreaks: true }), "first\nsecond\\u{d}third\n\\u{1b}[2J");
});

test("asciiOnly escapes everything outside printable ASCII; max cuts with …", () => {
  assert.equal(printable("é\n\u202e", { asciiOnly: true }), "\\u{e9}\\u{a}\\u{202e}");
  assert.equal(printable("abcdef", { max: 4 }), "abc…");
  assert.equal(printable("abcd", { max: 4 }), "abcd");
  // The cut keeps whole escapes and characters: never `\u{1b` or half an emoji.
  assert.equal(printable("\u001bxyz", { max: 6, asciiOnly: true }), "…");
  assert.equal(printable("\u001bxyz", { max: 8, asciiOnly: true }), "\\u{1b}x…");
  assert.equal(printable("a\u{1F600}\u{1F600}", { max: 4 }), "a\u{1F600}…");
});

test("line and paragraph separators and the characters that show nothing are escaped; é, 日本 and emoji are kept", () => {
  assert.equal(printable("a\u2028b\u2029c"), "a\\u{2028}b\\u{2029}c");
  assert.equal(printable("a\u200bb\u200cc\u200dd\u2060e\ufefff\u00adg"), "a\\u{200b}b\\u{200c}c\\u{200d}d\\u{2060}e\\u{feff}f\\u{ad}g");
  // The tag characters spell ASCII no terminal shows: `app` followed by an invisible "run".
  assert.equal(printable("app\u{e0072}\u{e0075}\u{e006e}"), "app\\u{e0072}\\u{e0075}\\u{e006e}");
  assert.equal(printable("a\u2028b", { keepLineBreaks: true }), "a\\u{2028}b");
  const readable = "café 日本 \u{1F600} \u2764\ufe0f naïve \u0645\u0631\u062d\u0628\u0627";
  assert.equal(printable(readable), readable, "letters, emoji and the variation selector that picks an emoji's look");
});

test("every control, space but U+0020, line or paragraph separator and default-ignorable character is escaped, but the variation selectors", () => {
  // Unicode's own classes, against the one list (src/util/hidden-chars.ts) printable and shellWord share.
  const hidden = /^(?! )[\p{Cc}\p{Zs}\p{Zl}\p{Zp}\p{Bidi_Control}\p{Default_Ignorable_Code_Point}]$/u;
  const variationSelector = /^[\ufe00-\ufe0f\u{e0100}-\u{e01ef}]$/u;
  const missed: string[] = [];
  for (let code = 0; code <= 0x10ffff; code++) {
    if (code >= 0xd800 && code <= 0xdfff) continue;
    const char = String.fromCodePoint(code);
    if (char === "\n" || !hidden.test(char) || variationSelector.test(char)) continue;
    // Line breaks kept: a lone CR is escaped too (folded, it would be a space).
    if (printable(char, { keepLineBreaks: true }) !== `\\u{${code.toString(16)}}`) missed.push(code.toString(16));
  }
  assert.deepEqual(missed, []);
});

test("quoted: a value as JSON quotes it, each hidden character as \\u{hex} (printable's form), plain names as JSON's", () => {
  assert.equal(quoted("api"), '"api"');
  assert.equal(quoted('say "hi" \\ there'), '"say \\"hi\\" \\\\ there"');
  assert.equal(quoted("a\u001b[31m\tb\nc\u202ed\u009be\u200bf"), '"a\\u{1b}[31m\\u{9}b\\u{a}c\\u{202e}d\\u{9b}e\\u{200b}f"');
  // Text that spells an escape stays text: its backslash is JSON's `\\`.
  assert.equal(quoted("\\u001b"), '"\\\\u001b"');
  assert.equal(quoted(["a\u0007", 3, true, null]), '["a\\u{7}",3,true,null]');
  assert.equal(quoted(42), "42");
  assert.equal(quoted(undefined), "undefined");
  assert.equal(quoted("café 日本 \u{1F600}"), '"café 日本 \u{1F600}"');
  // Cut to `max` on whole escapes and characters.
  assert.equal(quoted("abcdefgh", 6), '"abcd…');
  assert.equal(quoted("abc\ndef", 8), '"abc…');
  assert.equal(quoted('ab"cd', 5), '"ab…');
});
