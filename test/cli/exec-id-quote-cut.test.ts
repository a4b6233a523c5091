// A refused or not-found exec ID is quoted as \u{hex} and cut (util/printable.ts cut) between whole escapes and
// characters: never inside a `\u{a}` (the line break it was quoted to name) nor between an emoji's two halves
// (printed as U+FFFD) (rev29c #7). Real CLI, temp repos.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, DEV_API, writeRepo } from "../planner/support.js";

after(cleanupRepos);

test("a cut exec ID in run's refusal and status's not-found never ends inside an escape or a character", async () => {
  const dir = await writeRepo(baseRepo(DEV_API));
  const cases: [string, string[], Record<string, string>][] = [
    ["run, a line break at the cut", ["run", "--dry-run"], { ORUN_EXEC_ID: `${"x".repeat(74)}\ny` }],
    ["run, an emoji at the cut", ["run", "--dry-run"], { ORUN_EXEC_ID: `a${"😀".repeat(60)}` }],
    ["status, a line break at the cut", ["status", "--exec-id", `${"x".repeat(76)}\ny`], {}],
  ];
  for (const [what, args, env] of cases) {
    const run = await runOrun(args, { cwd: dir, env });
    assert.equal(run.code, 1, `${what}: ${run.stdout}`);
    assert.match(run.stderr, /(invalid exec id|execution not found)/, `${what}: ${run.stderr}`);
    assert.doesNotMatch(run.stderr, /\\u(\{[0-9a-f]*)?…/, `${what}: cut inside an escape: ${run.stderr}`);
    assert.ok(!run.stderr.includes("\ufffd"), `${what}: cut inside a character: ${run.stderr}`);
  }
});
