// An unknown key close to a known one names its look-alike letter, as a refused name does: `ѕelectors` (Cyrillic ѕ,
// U+0455) and its suggestion `selectors` read the same, so the message says which character is wrong (rev29c #6).
// Real CLI, temp repos.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../../support/cli.js";
import { baseRepo, cleanupRepos, DEV_API, HEADER, writeRepo } from "../support.js";

after(cleanupRepos);

test("an unknown key that differs from a known one by a look-alike letter names that letter", async () => {
  const dir = await writeRepo(baseRepo(DEV_API, { "intent.yaml": HEADER + DEV_API.replace("selectors:", "ѕelectors:") }));
  const run = await runOrun(["validate"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stderr, /unknown key "ѕelectors"/, run.stderr);
  assert.match(run.stderr, /"ѕ" \(U\+0455\) is not an ASCII letter/, `the key reads as its suggestion: ${run.stderr}`);
});
