// The "latest" is reserved refusal cuts the exec ID it quotes at 80 characters, as the other refusal does: an
// ORUN_EXEC_ID of "latest" and 500 tabs no longer fills the screen with \u{9} (rev29c #8). Real CLI, temp repos.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, DEV_API, writeRepo } from "../planner/support.js";

after(cleanupRepos);

test("the latest refusal quotes a long exec ID cut, as the other refusal does", async () => {
  const dir = await writeRepo(baseRepo(DEV_API));
  const run = await runOrun(["run", "--dry-run"], { cwd: dir, env: { ORUN_EXEC_ID: `latest${"\t".repeat(500)}` } });
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stderr, /"latest" is reserved/, run.stderr);
  assert.ok(run.stderr.length < 400, `cut, not ${run.stderr.length} characters: ${run.stderr.slice(0, 200)}…`);
});
