// Words of the commands orun prints for the user to run (resume and retry hints, `orun plan`'s `→ orun run`):
// read back to the same bytes by any POSIX shell — dash (`sh` on Debian) as well as bash, zsh and ksh.

/**
 * `word` as one shell word: as it is when it holds only plain characters, else single-quoted. A control character
 * (a newline split the printed command over two lines, an ESC reached the terminal raw) or a bidi control (U+202E
 * reversed what the terminal showed of the line after it) is written as octal escapes of printf, the word becoming
 * `"$(printf '…')"`: `$'…'` was bash's, and dash read `$'a\nb'` as `$a\nb`. A command substitution drops trailing
 * newlines, so those stay literal newlines in single quotes after it.
 */
export function shellWord(word: string): string {
  if (!HIDDEN.test(word)) return /^[\w@%+=:,./-]+$/.test(word) && !ZSH_EQUALS.test(word) ? word : singleQuoted(word);
  const body = word.replace(/\n+$/, "");
  const trailing = word.slice(body.length);
  return (body ? `"$(printf '${[...body].map((char, i) => printfChar(char, i === 0)).join("")}')"` : "") + (trailing ? `'${trailing}'` : "");
}

/**
 * What a printed word must not hold raw: C0 controls, DEL and C1, and the bidi controls — the embeddings and overrides
 * (U+202A–U+202E), the isolates (U+2066–U+2069) and the marks (U+200E, U+200F, U+061C) — as util/printable.ts escapes.
 */
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** Where zsh (EQUALS, on by default) expands `=name` to a command's path: a word's start, and after `:` in an assignment. */
const ZSH_EQUALS = /^=|:=/;

/** Characters a printf format holds as octal bytes: `'` (it would end the format), `!` (bash's history expansion), controls and bidi controls. */
function escaped(char: string, first: boolean): boolean {
  // A leading `-` would read as an option of printf.
  return char === "'" || char === "!" || (first && char === "-") || HIDDEN.test(char);
}

function singleQuoted(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** One character of a printf format: `%` and `\` escaped, those `escaped` says as three-digit octal bytes. */
function printfChar(char: string, first: boolean): string {
  if (char === "%") return "%%";
  if (char === "\\") return "\\\\";
  if (!escaped(char, first)) return char;
  return [...Buffer.from(char, "utf8")].map((byte) => `\\${byte.toString(8).padStart(3, "0")}`).join("");
}
