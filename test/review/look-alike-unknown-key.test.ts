// rev29c — 820840b names a look-alike letter only in a refused name or pattern value. An unknown key with one is
// refused as `environments.dev.ѕelectors: unknown key "ѕelectors" (did you mean \`selectors\`?)` (Cyrillic ѕ,
// U+0455): the key and the suggestion read the same, and nothing says which character is wrong.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, DEV_API, HEADER, writeRepo } from "../planner/support.js";

after(cleanupRepos);

test("an unknown key that differs from a known one by a look-alike letter names that letter", async () => {
  const dir = await writeRepo(baseRepo(DEV_API, { "intent.yaml": HEADER + DEV_API.replace("selectors:", "ѕelectors:") }));
  const run = await runOrun(["validate"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stderr, /unknown key "ѕelectors"/, run.stderr);
  assert.match(run.stderr, /"ѕ" \(U\+0455\) is not an ASCII letter/, `the key reads as its suggestion: ${run.stderr}`);
});
