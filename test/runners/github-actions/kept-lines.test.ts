// KeptLines: the first and last `limit` characters of a hook's output, the middle counted, and a section
// whose header fell in the middle headed "(continued)" (rev16ci #3).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { KeptLines } from "../../../src/runners/github-actions/kept-lines.js";

function keep(limit: number, lines: string[]): string[] {
  const kept = new KeptLines(limit);
  for (const line of lines) kept.push(line);
  return kept.lines();
}

describe("KeptLines", () => {
  it("keeps everything within the limit", () => {
    assert.deepEqual(keep(100, ["▸ Post a", "1", "2"]), ["▸ Post a", "1", "2"]);
  });

  it("drops the middle, counts it, and heads the kept end of a section whose header was dropped", () => {
    const lines = ["▸ Post a", "a1", "a2", "a3", "▸ Post b", "b1", "b2", "b3", "b4"];
    // 12 characters (newlines counted) at each end: "▸ Post a\na1\n" and "b1\nb2\nb3\nb4\n".
    assert.deepEqual(keep(12, lines), ["▸ Post a", "a1", "[… 3 lines (15 characters) not kept …]", "▸ Post b (continued)", "b1", "b2", "b3", "b4"]);
  });

  it("adds no (continued) line when the kept end starts at the section's header, nor when no section was opened", () => {
    assert.deepEqual(keep(12, ["▸ Post a", "a1", "a2", "a3", "a4", "▸ Post b", "b1"]), ["▸ Post a", "a1", "[… 3 lines (9 characters) not kept …]", "▸ Post b", "b1"]);
    assert.deepEqual(keep(4, ["1", "2", "3", "4", "5"]), ["1", "2", "[… 1 lines (2 characters) not kept …]", "4", "5"]);
  });

  it("length counts kept and dropped lines", () => {
    const kept = new KeptLines(4);
    for (const line of ["1", "2", "3", "4", "5"]) kept.push(line);
    assert.equal(kept.length, 5);
  });
});
