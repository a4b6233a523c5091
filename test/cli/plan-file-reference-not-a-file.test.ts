// A plan reference that is a path (a slash, or a .json/.yaml ending) names a file; one that exists but is a
// folder, a FIFO or a device was told "… is neither a stored plan nor a component" by `orun run` and "plan not
// found" by `get jobs --plan` / `describe plan`, as though nothing were there. Now each says what it is.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

test("run, get jobs --plan and describe plan name a plan-file reference that is a folder, a FIFO or a device", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }]);
  await mkdir(path.join(dir, "plans.json"));
  execFileSync("mkfifo", [path.join(dir, "pipe.json")]);
  const cases: [string, string, string][] = [
    ["./plans.json", path.join(dir, "plans.json"), "is a directory"],
    ["plans.json", path.join(dir, "plans.json"), "is a directory"],
    ["./pipe.json", path.join(dir, "pipe.json"), "is not a regular file"],
    ["/dev/null", "/dev/null", "is not a regular file"],
  ];
  for (const [ref, file, what] of cases) {
    for (const args of [["run", ref], ["get", "jobs", "--plan", ref], ["describe", "plan", ref]]) {
      const result = await runOrun(args, { cwd: dir, timeoutMs: 15_000 });
      assert.equal(result.code, 1, `${args.join(" ")}: ${result.stdout}`);
      assert.equal(result.stderr, `✕ ${file}: plan file ${ref} ${what}\n`, args.join(" "));
    }
  }
  assert.deepEqual(await readdir(path.join(dir, ".orun", "executions")).catch(() => []), [], "no record made");
});
