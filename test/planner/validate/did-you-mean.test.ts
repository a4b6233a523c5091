import { test } from "node:test";
import assert from "node:assert/strict";
import { closestMatch, didYouMean, editDistance } from "../../../src/planner/validate/index.js";

test("edit distance counts substitutions, insertions, deletions and adjacent swaps", () => {
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("paht", "path"), 1);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("same", "same"), 0);
});

test("hints only suggest plausible typos", () => {
  assert.equal(closestMatch("selecters", ["selectors", "promotion", "env"]), "selectors");
  assert.equal(closestMatch("ENV", ["env", "path"]), "env");
  assert.equal(closestMatch("zzzz", ["env", "path"]), undefined);
  assert.equal(didYouMean("satisify", ["satisfy", "strategy"]), " (did you mean `satisfy`?)");
  assert.equal(didYouMean("x", []), "");
});
