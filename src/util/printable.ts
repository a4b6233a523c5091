// Text from a record or a backend (job IDs, step keys, errors, reasons), made safe to print. A record may come from
// anywhere (a CI artifact, a checkout) and a backend may be another's: an escape sequence in it would drive the
// terminal, a bidi control would reorder what the line shows, a tab would pass for spaces. Each such character is
// shown as `\u{hex}` (ESC as `\u{1b}`, U+202E as `\u{202e}`): it names the character, so an operator can type the ID
// back (bash: $'\u202e'), where a `?` would hide it and glob in a shell. docs/running.md
// (Execution records, beside orun status) describes the form.

import { HIDDEN_CHARS } from "./hidden-chars.js";

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
  const max = options.max;
  return max === undefined || shown.length <= max ? shown : `${shown.slice(0, Math.max(0, max - 1))}…`;
}

function escapeChar(char: string): string {
  return `\\u{${char.codePointAt(0)!.toString(16)}}`;
}
