// A local run's resume command as its record keeps it (src/runtime/resume-words.ts): paths inside the record's root
// relative to it, rebuilt under where the root is when status prints it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { commandOf, isRecordedWords, recordedResume, resolvedCommand, type CommandWord } from "../../src/runtime/resume-words.js";

describe("resume words", () => {
  const words: CommandWord[] = [
    { env: "ORUN_CONFIG_DIR", path: "/r/repo" },
    "orun run",
    { path: "/r/repo/-dash.json", plan: true },
    "--exec-id",
    "x1",
    "-i",
    { path: "/r/repo/intent.yaml" },
    "--workdir",
    { path: "/r/repo/wd\n/." },
    "--config-dir",
    { path: "/r/outside dir" },
  ];

  it("prints paths as they are, a plan file as a word orun run reads as a file", () => {
    assert.equal(commandOf(words), `ORUN_CONFIG_DIR=/r/repo orun run /r/repo/-dash.json --exec-id x1 -i /r/repo/intent.yaml --workdir "$(printf '/r/repo/wd\\012/.')" --config-dir '/r/outside dir'`);
  });

  it("records paths inside the root relative to it (the root itself as .), those outside absolute", () => {
    const { resumeCommand, resumeWords } = recordedResume(words, "/r/repo");
    assert.equal(resumeCommand, `ORUN_CONFIG_DIR=. orun run ./-dash.json --exec-id x1 -i intent.yaml --workdir "$(printf 'wd\\012/.')" --config-dir '/r/outside dir'`);
    assert.deepEqual(resumeWords.filter((word) => typeof word !== "string"), [
      { root: "", env: "ORUN_CONFIG_DIR" },
      { root: "-dash.json", plan: true },
      { root: "intent.yaml" },
      { root: "wd\n/." },
    ]);
    assert.ok(isRecordedWords(JSON.parse(JSON.stringify(resumeWords))));
  });

  it("rebuilds the command under where the root is now; a sibling folder sharing the root's prefix is outside it", () => {
    const { resumeWords } = recordedResume(words, "/r/repo");
    assert.equal(resolvedCommand(resumeWords, "/s/moved"), `ORUN_CONFIG_DIR=/s/moved orun run /s/moved/-dash.json --exec-id x1 -i /s/moved/intent.yaml --workdir "$(printf '/s/moved/wd\\012/.')" --config-dir '/r/outside dir'`);
    assert.deepEqual(recordedResume(["-i", { path: "/r/repo2/intent.yaml" }], "/r/repo").resumeWords, ["-i", "/r/repo2/intent.yaml"]);
  });

  it("refuses what is not a list of recorded words (a variable's name is printed as it is)", () => {
    for (const bad of ["orun run", [{ path: "/x" }], [{ root: 1 }], [{ root: "a", plan: "yes" }], [{ root: "a", env: "X;touch pwned" }], [null]]) assert.equal(isRecordedWords(bad), false, JSON.stringify(bad));
  });
});
