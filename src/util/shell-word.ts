// Words of the commands orun prints for the user to run (resume and retry hints, `orun plan`'s `→ orun run`):
// read back to the same bytes by any POSIX shell — dash (`sh` on Debian) as well as bash, zsh and ksh.
import { hasControlCharacter } from "../plan/validate.js";

/**
 * `word` as one shell word: as it is when it holds only plain characters, else single-quoted. A control character
 * (a newline split the printed command over two lines, an ESC reached the terminal raw) is written as an octal
 * escape of printf, the word becoming `"$(printf '…')"`: `$'…'` was bash's, and dash read `$'a\nb'` as `$a\nb`.
 * A command substitution drops trailing newlines, so those stay literal newlines in single quotes after it.
 */
export function shellWord(word: string): string {
  if (!hasControlCharacter(word)) return /^[\w@%+=:,./-]+$/.test(word) && !ZSH_EQUALS.test(word) ? word : singleQuoted(word);
  const body = word.replace(/\n+$/, "");
  const trailing = word.slice(body.length);
  return (body ? `"$(printf '${[...body].map((char, i) => printfChar(char, i === 0)).join("")}')"` : "") + (trailing ? `'${trailing}'` : "");
}

/** Where zsh (EQUALS, on by default) expands `=name` to a command's path: a word's start, and after `:` in an assignment. */
const ZSH_EQUALS = /^=|:=/;

/** Characters a printf format holds as octal bytes: `'` (it would end the format), `!` (bash's history expansion), controls. */
function escaped(char: string, first: boolean): boolean {
  // A leading `-` would read as an option of printf.
  return char === "'" || char === "!" || (first && char === "-") || hasControlCharacter(char);
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
