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
];

describe("shellWord", () => {
  for (const shell of SHELLS) {
    it(`reads back to the same bytes as one word in ${shell.join(" ")}`, async () => {
      for (const word of WORDS) {
        assert.equal(await readBack(shell, shellWord(word)), `${word}|`, `${JSON.stringify(word)} as ${shellWord(word)}`);
        assert.equal(await assignedBack(shell, shellWord(word)), `${word}|`, `A=${shellWord(word)}`);
      }
    });
  }

  it("writes no control character (bidi controls included) but a trailing newline, and plain words as they are", () => {
    assert.equal(shellWord("plain-1.json"), "plain-1.json");
    assert.equal(shellWord("it's"), "'it'\\''s'");
    assert.equal(shellWord("nl\nx\u001b[31m.json"), `"$(printf 'nl\\012x\\033[31m.json')"`);
    assert.equal(shellWord("a'\\%\u0085"), `"$(printf 'a\\047\\\\%%\\302\\205')"`);
    assert.equal(shellWord("b\u202eevil"), `"$(printf 'b\\342\\200\\256evil')"`);
    for (const word of WORDS) {
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(shellWord(word).replace(/\n+'$/, "'"), /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/, JSON.stringify(word));
    }
  });
});
