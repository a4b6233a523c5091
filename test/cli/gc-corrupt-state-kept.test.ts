// `orun gc --all` removed a record whose state.json was truncated (or a directory), exit 0: gc-evidence.ts read past
// the unreadable state as "no successes", so a record that was the promotion-gate evidence of a revision went with
// it, and the state the user could have repaired was lost. gc keeps such a record, naming the file and what is wrong
// with it, exits 1 (--dry-run 0), and removes it once the user has deleted the file. Real orun processes on real
// records in a temp folder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, recordFile } from "../runtime/helpers.js";

const executions = async (dir: string): Promise<string[]> => (await readdir(path.join(dir, ".orun/executions"))).filter((name) => name !== "latest").sort();

test("gc keeps a record whose state.json is truncated or a directory, naming the file; exit 1 (--dry-run 0); removes it once the file is deleted", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ run: "echo built" }] }], { name: "gc" }, "orun-gc-state-");
  for (const id of ["plain", "truncated", "dirstate"]) assert.equal((await runOrun(["run", "plan.json", "--exec-id", id], { cwd: dir })).code, 0);
  const state = (id: string): string => recordFile(dir, id, "state.json");
  const truncated = (await readFile(state("truncated"), "utf8")).slice(0, 40);
  await writeFile(state("truncated"), truncated);
  await rm(state("dirstate"));
  await mkdir(state("dirstate"));

  for (const args of [["gc", "--all", "--dry-run"], ["gc", "--all"]]) {
    const gc = await runOrun(args, { cwd: dir, timeoutMs: 15_000 });
    const dryRun = args.includes("--dry-run");
    assert.equal(gc.code, dryRun ? 0 : 1, `${args.join(" ")}: ${gc.stdout}${gc.stderr}`);
    assert.equal(gc.stderr, dryRun ? "" : "✕ gc kept 2 executions whose state.json it could not read (named above): fix or delete the file, then run orun gc again\n");
    assert.doesNotMatch(gc.stderr + gc.stdout, /^\s+at /m, "no stack trace");
    assert.ok(gc.stdout.includes(`  kept truncated (state unreadable: ${state("truncated")}: corrupt execution state (invalid JSON:`), gc.stdout);
    assert.ok(gc.stdout.includes(`  kept dirstate (state unreadable: ${state("dirstate")}: cannot read execution state: it is a directory;`), gc.stdout);
    assert.doesNotMatch(gc.stdout, /(Would remove|Removed) (truncated|dirstate)\b/);
    assert.match(gc.stdout, dryRun ? /Would remove plain\n/ : /Removed plain\n/);
  }
  assert.deepEqual(await executions(dir), ["dirstate", "truncated"]);
  assert.equal(await readFile(state("truncated"), "utf8"), truncated, "the state the user may repair is left as it was");

  // The user deletes the unreadable files: the records go, and gc exits 0.
  await rm(state("truncated"));
  await rm(state("dirstate"), { recursive: true });
  const gc = await runOrun(["gc", "--all"], { cwd: dir });
  assert.equal(gc.code, 0, gc.stdout + gc.stderr);
  assert.deepEqual(await executions(dir), []);
});
