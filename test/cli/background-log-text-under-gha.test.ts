// A --background run inside GitHub Actions (GITHUB_ACTIONS=true) writes run.log in the text format: the ::group::
// presenter, its stop-commands markers and ::error:: annotations are for GitHub's live log, and a log file is read
// as text (by `cat`, by an upload step). The runner choice stays GitHub Actions' (the github-actions runner).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";
import { processGone, until } from "../support/wait.js";

test("--background under GITHUB_ACTIONS=true: run.log holds the text view, not ::group:: lines", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ id: "compile", run: "echo compiled; echo oops; exit 3" }] }], { name: "bg-gha" });
  const env = { GITHUB_ACTIONS: "true" };
  const started = await runOrun(["run", "plan.json", "--background", "--exec-id", "bg"], { cwd: dir, env });
  assert.equal(started.code, 0, started.stdout + started.stderr);
  const watch = await runOrun(["status", "--exec-id", "bg", "--watch"], { cwd: dir, env, timeoutMs: 60_000 });
  assert.equal(watch.code, 1, watch.stdout + watch.stderr);
  // The detached child may still be writing its last lines: wait for it to exit before reading run.log.
  const child = Number((await readFile(recordFile(dir, "bg", "pid"), "utf8")).trim());
  await until(() => processGone(child), `the background child ${child} to exit`);
  const log = await readFile(recordFile(dir, "bg", "run.log"), "utf8");
  assert.doesNotMatch(log, /^::|::group::|::stop-commands::|::error::/m, log);
  assert.match(log, /✗ build {2}\d+\.\ds {2}/, log);
  assert.match(log, /\n✗ Failed in \d+\.\ds\n/, log);
  // Still the github-actions runner, as GITHUB_ACTIONS=true picks it.
  assert.match(log, /\n {2}Scope: .* · github-actions\n/, log);
});
