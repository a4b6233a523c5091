// The words of the commands orun prints (src/util/shell-word.ts) read back to the same bytes in every POSIX shell
// here: dash (`sh` on Debian), bash, busybox sh and zsh, as a word and as an assignment's value. Control characters
// were written as bash's `$'…'`, which dash read as `$` followed by the quoted text: `orun run $'nl\nx.json'` looked
// for a file named `$nl\nx.json`. zsh read `orun run =y.json` as the path of a command named y.json. A bidi control
// (U+202E) was left raw in single quotes, reordering what the terminal showed of the printed line.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { shellWord } from "../../src/util/shell-word.js";
import { HIDDEN_CHAR } from "../../src/util/hidden-chars.js";
import { printable } from "../../src/util/printable.js";
import { provideZsh } from "../support/bash.js";

const run = promisify(execFile);

/** The bytes `shell` passes as the one argument written as `word` (printf %s of it, with an end marker). */
async function readBack(shell: string[], word: string): Promise<string> {
  const { stdout } = await run(shell[0]!, [...shell.slice(1), "-c", `printf '%s|' ${word}`], { encoding: "buffer" });
  return (stdout as Buffer).toString("utf8");
}

/** The bytes `shell` assigns to a variable written as `NAME=<word>` (the ORUN_* prefix of a printed command). */
async function assignedBack(shell: string[], word: string): Promise<string> {
  const { stdout } = await run(shell[0]!, [...shell.slice(1), "-c", `A=${word}; printf '%s|' "$A"`], { encoding: "buffer" });
  return (stdout as Buffer).toString("utf8");
}

const SHELLS = [["dash"], ["bash"], ["busybox", "sh"], ["zsh"]];

const WORDS = [
  "plain-1.json",
  "plan file.json",
  "it's",
  "nl\nx\u001b[31m.json",
  "a\u001b[31m'\\b\u0085%d%%s!x",
  "-dash\tx",
  "ends\n",
  "\n\n",
  "é\u0007'\"$HOME`id`",
  // zsh expands `=name` at a word's start, and `:=name` in an assignment, to the path of command name.
  "=ls",
  "=y.json",
  "a:=ls",
  // The bidi controls: embeddings and overrides, isolates, marks.
  "app@dev.b\u202eevil",
  "\u202a\u202b\u202c\u202d x \u2066\u2067\u2068\u2069\u200e\u200f\u061c",
  "-\u202e'",
  // Line and paragraph separators and characters that show nothing (src/util/hidden-chars.ts).
  "a\u2028b\u2029c",
  "zero\u200bwidth\u200c\u200d\u2060\ufeff\u00ad",
  "tag\u{e0072}\u{e0075}\u{e006e}",
];

describe("shellWord", () => {
  for (const shell of SHELLS) {
    it(`reads back to the same bytes as one word in ${shell.join(" ")}`, async () => {
      if (shell[0] === "zsh") await provideZsh();
      for (const word of WORDS) {
        assert.equal(await readBack(shell, shellWord(word)), `${word}|`, `${JSON.stringify(word)} as ${shellWord(word)}`);
        assert.equal(await assignedBack(shell, shellWord(word)), `${word}|`, `A=${shellWord(word)}`);
      }
    });
  }

  it("writes no hidden character (controls, bidi controls, zero-width ones) but a trailing newline, and plain words as they are", () => {
    assert.equal(shellWord("plain-1.json"), "plain-1.json");
    assert.equal(shellWord("it's"), "'it'\\''s'");
    assert.equal(shellWord("nl\nx\u001b[31m.json"), `"$(printf 'nl\\012x\\033[31m.json')"`);
    assert.equal(shellWord("a'\\%\u0085"), `"$(printf 'a\\047\\\\%%\\302\\205')"`);
    assert.equal(shellWord("b\u202eevil"), `"$(printf 'b\\342\\200\\256evil')"`);
    assert.equal(shellWord("a\u200bb"), `"$(printf 'a\\342\\200\\213b')"`);
    assert.equal(shellWord("a\u2028b"), `"$(printf 'a\\342\\200\\250b')"`);
    assert.equal(shellWord("café-日本-\u{1F600}"), "'café-日本-\u{1F600}'", "letters and emoji stay readable");
    for (const word of WORDS) {
      assert.doesNotMatch(shellWord(word).replace(/\n+'$/, "'"), HIDDEN_CHAR, JSON.stringify(word));
    }
  });

  it("writes as printf bytes every character printable escapes (one list of hidden characters)", () => {
    for (const char of ["\u0007", "\u009b", "\u202e", "\u2028", "\u200b", "\ufeff", "\u{e0041}", "\u00a0", "\u1680", "\u2000", "\u200a", "\u202f", "\u205f", "\u3000"]) {
      assert.notEqual(printable(char), char, JSON.stringify(char));
      assert.match(shellWord(`a${char}`), /^"\$\(printf 'a(\\[0-7]{3})+'\)"$/, JSON.stringify(char));
    }
  });
});
