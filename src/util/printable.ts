// Text from a record or a backend (job IDs, step keys, errors, reasons), made safe to print. A record may come from
// anywhere (a CI artifact, a checkout) and a backend may be another's: an escape sequence in it would drive the
// terminal, a bidi control would reorder what the line shows, a tab would pass for spaces. Each such character is
// shown as `\u{hex}` (ESC as `\u{1b}`, U+202E as `\u{202e}`): it names the character, so an operator can type the ID
// back (bash: $'\u202e'), where a `?` would hide it and glob in a shell. docs/running.md
// (Execution records, beside orun status) describes the form.

// C0 controls but the line feed (tab included), DEL, C1, and the bidi controls: the embeddings and overrides
// (U+202A–U+202E), the isolates (U+2066–U+2069) and the marks (U+200E, U+200F, U+061C).
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
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
    shown = breaks.replace(HIDDEN, escapeChar);
  }
  const max = options.max;
  return max === undefined || shown.length <= max ? shown : `${shown.slice(0, Math.max(0, max - 1))}…`;
}

function escapeChar(char: string): string {
  return `\\u{${char.codePointAt(0)!.toString(16)}}`;
}
