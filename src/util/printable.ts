// Text from a record or a backend (job IDs, step keys, errors, reasons), made safe to print. A record may come from
// anywhere (a CI artifact, a checkout) and a backend may be another's: an escape sequence in it would drive the
// terminal, a bidi control would reorder what the line shows, a tab would pass for spaces. Each such character is
// shown as `\u{hex}` (ESC as `\u{1b}`, U+202E as `\u{202e}`): it names the character, so an operator can type the ID
// back (bash: $'\u202e'), where a `?` would hide it and glob in a shell. docs/running.md
// (Execution records, beside orun status) describes the form.

import { HIDDEN_CHAR, HIDDEN_CHARS } from "./hidden-chars.js";

/** Anything outside printable ASCII (asciiOnly). */
const NOT_ASCII = /[^\x20-\x7e]/gu;

export interface PrintableOptions {
  /** At most this many characters once escaped, the last one `…` when cut. */
  max?: number;
  /** Every character outside printable ASCII escaped (é as `\u{e9}`), line breaks too: a backend's text kept ASCII. */
  asciiOnly?: boolean;
  /** Line feeds kept (a message of several lines); otherwise each run of line breaks is one space. */
  keepLineBreaks?: boolean;
}

/** `text` with the characters that could rewrite or disguise a terminal line shown as `\u{hex}`. */
export function printable(text: string, options: PrintableOptions = {}): string {
  let shown: string;
  if (options.asciiOnly) shown = text.replace(NOT_ASCII, escapeChar);
  else {
    // A lone CR would return to the line's start and let the rest overwrite it: only CRLF counts as a line break.
    const breaks = options.keepLineBreaks ? text.replace(/\r\n/g, "\n") : text.replace(/[\r\n]+/g, " ");
    // Line feeds left are kept ones: every other hidden character (util/hidden-chars.ts) is escaped.
    shown = breaks.replace(HIDDEN_CHARS, (char) => (char === "\n" ? char : escapeChar(char)));
  }
  return options.max === undefined ? shown : cut(shown, options.max, PRINTABLE_UNIT);
}

/**
 * One `\u{hex}` or one whole character (an emoji's two halves together). printable leaves a backslash of the text as
 * it is, so it is one character: paired with the next (a JSON escape), the one before a hidden character's `\u{7}`
 * took that escape's backslash and the cut fell inside the rest.
 */
const PRINTABLE_UNIT = /\\u\{[0-9a-f]+\}|[\s\S]/gu;
/** quoted's units: its JSON escapes (`\"`, `\\`) too, where a text's backslash is always doubled. */
const QUOTED_UNIT = /\\u\{[0-9a-f]+\}|\\[\s\S]|[\s\S]/gu;

/**
 * `text` in at most `max` characters, the last `…` when cut. The cut falls between `units` (escapes and characters),
 * never inside one: a `\u{a}` cut to `\u` hid the line break it was there to name, and half an emoji printed as U+FFFD.
 */
function cut(text: string, max: number, units: RegExp): string {
  if (text.length <= max) return text;
  let kept = "";
  for (const [unit] of text.matchAll(units)) {
    if (kept.length + unit.length > max - 1) break;
    kept += unit;
  }
  return `${kept}…`;
}

function escapeChar(char: string): string {
  return `\\u{${char.codePointAt(0)!.toString(16)}}`;
}

/** A JSON escape (a `\\` pair first, so `\\u001b` stays text) or a hidden character JSON leaves raw (DEL, C1, bidi). */
const JSON_ESCAPE_OR_HIDDEN = new RegExp(String.raw`\\\\|\\u([0-9a-f]{4})|\\([bfnrt])|${HIDDEN_CHAR.source}`, "gu");
const JSON_LETTER: Record<string, string> = { b: "8", f: "c", n: "a", r: "d", t: "9" };

/**
 * `value` quoted in a message as JSON writes it (`"api"`, `["a","b"]`, `3`; `"` and `\` backslashed), but every
 * hidden character in printable's `\u{hex}` form: JSON writes ESC as `\u001b` and a tab as `\t` but leaves C1 and bidi
 * controls raw, which the printed message then showed as `\u{202e}` beside them. An ordinary name reads as JSON's.
 * `max`: longer than that many characters, it is cut (to `max`, on whole escapes and characters) and ends `…`.
 */
export function quoted(value: unknown, max?: number): string {
  const json = JSON.stringify(value) ?? String(value);
  const text = json.replace(JSON_ESCAPE_OR_HIDDEN, (match: string, hex: string | undefined, letter: string | undefined) => {
    if (match === "\\\\") return match;
    if (hex !== undefined) return `\\u{${parseInt(hex, 16).toString(16)}}`;
    if (letter !== undefined) return `\\u{${JSON_LETTER[letter]}}`;
    return escapeChar(match);
  });
  // Cut short, the whole of a long string buries the message around it.
  return max === undefined ? text : cut(text, max, QUOTED_UNIT);
}
