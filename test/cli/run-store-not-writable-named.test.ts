// `orun run` against a `.orun/` it cannot write (a file where plans/ or executions/ belongs here; in life, a
// folder left by `sudo orun run` or a container) failed with Node's raw error naming a temp file:
// "EEXIST: file already exists, mkdir …" or "EACCES: permission denied, mkdir '…/<id>.<pid>.<hex>.new.tmp'".
// Now the error names the store folder and the reason, as `orun plan` does, and nothing is recorded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

test("orun run of a fresh plan with a file where .orun/plans belongs names the folder and the reason", async (t) => {
  t.after(cleanupRepos);
  const repo = await writeRepo(baseRepo(`environments:\n  dev:\n    selectors:\n      components: ["*"]\ncomponents:\n  - {name: api, type: svc}\n`));
  await mkdir(path.join(repo, ".orun"));
  await writeFile(path.join(repo, ".orun", "plans"), "not a folder\n");
  const result = await runOrun(["run"], { cwd: repo, timeoutMs: 30_000 });
  assert.equal(result.code, 1, result.stdout);
  assert.equal(result.stderr, `✕ cannot write the plan to ${path.join(repo, ".orun", "plans")}: a part of the path is a file, not a directory\n`);
  assert.equal(await readFile(path.join(repo, ".orun", "plans"), "utf8"), "not a folder\n");
});

test("orun run of a plan file with a file where .orun/executions belongs names the folder and the reason", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }]);
  await mkdir(path.join(dir, ".orun"));
  await writeFile(path.join(dir, ".orun", "executions"), "not a folder\n");
  for (const args of [["run", "plan.json"], ["run", "plan.json", "--exec-id", "x1"]]) {
    const result = await runOrun(args, { cwd: dir });
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.stderr, `✕ ${path.join(dir, ".orun", "executions")}: cannot create an execution record here: a part of the path is a file, not a directory\n`, args.join(" "));
  }
  assert.equal(await readFile(path.join(dir, ".orun", "executions"), "utf8"), "not a folder\n");
});
