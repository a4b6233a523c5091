// Words of the commands orun prints for the user to run (resume and retry hints, `orun plan`'s `→ orun run`):
// read back to the same bytes by any POSIX shell — dash (`sh` on Debian) as well as bash, zsh and ksh.
import { HIDDEN_CHAR } from "./hidden-chars.js";

/**
 * `word` as one shell word: as it is when it holds only plain characters, else single-quoted. A hidden character
 * (util/hidden-chars.ts: a newline split the printed command over two lines, an ESC reached the terminal raw, U+202E
 * reversed what the terminal showed of the line after it, a zero-width space hid in it) is written as octal escapes
 * of printf, the word becoming `"$(printf '…')"`: `$'…'` was bash's, and dash read `$'a\nb'` as `$a\nb`. A command
 * substitution drops trailing newlines, so those stay literal newlines in single quotes after it.
 */
export function shellWord(word: string): string {
  if (!HIDDEN_CHAR.test(word)) return /^[\w@%+=:,./-]+$/.test(word) && !ZSH_EQUALS.test(word) ? word : singleQuoted(word);
  const body = word.replace(/\n+$/, "");
  const trailing = word.slice(body.length);
  return (body ? `"$(printf '${[...body].map((char, i) => printfChar(char, i === 0)).join("")}')"` : "") + (trailing ? `'${trailing}'` : "");
}

/** Where zsh (EQUALS, on by default) expands `=name` to a command's path: a word's start, and after `:` in an assignment. */
const ZSH_EQUALS = /^=|:=/;

/** Characters a printf format holds as octal bytes: `'` (it would end the format), `!` (bash's history expansion), hidden characters (util/hidden-chars.ts). */
function escaped(char: string, first: boolean): boolean {
  // A leading `-` would read as an option of printf.
  return char === "'" || char === "!" || (first && char === "-") || HIDDEN_CHAR.test(char);
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
