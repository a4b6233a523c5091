// A folder under a discovery root that cannot be read failed `orun plan` / `orun validate` with
// "failed to scan <dir>: <code>" alone: no intent file, no `discovery.roots` field, no word of discovery. The
// folder here is one whose path is longer than the kernel takes (ENAMETOOLONG), which fails for root too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { baseRepo, cleanupRepos, writeRepo } from "../planner/support.js";

const ENV = `discovery:\n  roots: [services]\nenvironments:\n  dev:\n    selectors:\n      components: ["*"]\ncomponents:\n  - {name: api, type: svc}\n`;

test("a folder discovery cannot read is named with its root, the intent's line and field; exit 1", async (t) => {
  const repo = await writeRepo(baseRepo(ENV, { "services/keep.txt": "" }));
  // rm -rf first: fs.rm fails on paths past PATH_MAX.
  t.after(async () => {
    execFileSync("rm", ["-rf", path.join(repo, "services")]);
    await cleanupRepos();
  });
  // 18 levels of 250-character names: past PATH_MAX (4096) from the repository's absolute path.
  execFileSync("python3", ["-c", 'import os,sys\nfd=os.open(sys.argv[1],os.O_RDONLY)\nfor _ in range(18):\n  os.mkdir("d"*250,dir_fd=fd); n=os.open("d"*250,os.O_RDONLY,dir_fd=fd); os.close(fd); fd=n', path.join(repo, "services")]);
  for (const command of ["validate", "plan"]) {
    const result = await runOrun([command], { cwd: repo, timeoutMs: 30_000 });
    assert.equal(result.code, 1, `${command}: ${result.stdout}`);
    assert.match(result.stderr, /✕ intent\.yaml:\d+: discovery\.roots\[0\]: failed to scan discovery root services: cannot read services\/d{250}\/.*\(ENAMETOOLONG\)/, command);
    assert.match(result.stderr, /narrow discovery\.roots/, command);
  }
});
