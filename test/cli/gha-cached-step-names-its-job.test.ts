// (rev28) inside GitHub Actions with --concurrency > 1 every step group, job header and footer names its job inline
// (seed 000 "Concurrent output"; fe9fd8d), and a skipped step's line does too — but the line of a step a resume skips
// (step28, GithubActionsRenderer.stepCached) prints only its number and key: two jobs resumed at once print two
// identical `⚡  01 one  cached` lines, under whichever job's header came last.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

test("under --concurrency > 1 a resumed job's cached step line names its job, as its groups do", async (t) => {
  const job = (id: string) => ({ id, steps: [{ id: "one", run: "echo one" }, { id: "two", run: "[ -f fixed ] || exit 3" }] });
  const dir = await planDir(t, [job("api@dev.build"), job("web@dev.build")]);
  const args = ["run", "plan.json", "--exec-id", "E", "--runner", "local", "--concurrency", "2"];
  const env = { GITHUB_ACTIONS: "true" };
  const first = await runOrun(args, { cwd: dir, env });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  await writeFile(path.join(dir, "fixed"), "");
  const resumed = await runOrun(args, { cwd: dir, env });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, /::group::✓ {2}api·dev\/build › 02 two/, "the groups name their job");
  for (const label of ["api·dev/build", "web·dev/build"]) assert.ok(resumed.stdout.includes(`${label} › 01 one  cached`), `no cached line names ${label}:\n${resumed.stdout}`);
});
