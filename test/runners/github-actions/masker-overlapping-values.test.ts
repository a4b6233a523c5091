// rev30: two masked values that overlap in the text (the end of one is the start of the other) left a part of one
// in clear: Masker.mask replaced each value in turn (longest first), so once the first was `***` the second no
// longer matched. GitHub's runner (SecretMasker.MaskSecrets) finds every value's positions first and masks the union
// of their ranges. The uploaded log (job-log.ts), the error sent to the backend (hooks.ts report) and every GitHub
// Actions view use this Masker.
// Fixed: Masker.mask finds every place of every form first and replaces each run of overlapping places by one `***`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Masker } from "../../../src/runners/github-actions/masker.js";

describe("rev30: overlapping masked values", () => {
  it("masks the union of both values, leaving no part of either in clear", () => {
    const masker = new Masker();
    masker.add("alpha-7f3k");
    masker.add("7f3k-omega99");
    const masked = masker.mask("key=alpha-7f3k-omega99;");
    // Longest first: `7f3k-omega99` goes, and `alpha-7f3k` no longer matches — `alpha-` is left in clear.
    assert.ok(!masked.includes("alpha") && !masked.includes("omega"), `a part of a masked value is in clear: ${masked}`);
    assert.equal(masked, "key=***;");
  });
});
