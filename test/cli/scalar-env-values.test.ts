// Spec 20 §5 layer 3 and §9 conformance case 36's `job.env {N: 3}` → `N=3`: a plan's env values may be numbers or
// booleans (a hand-written or v2 plan); the step sees them as Go prints them (`3`, `true`, `1.5`), job env and step
// env alike.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

test("case 36: job env {N: 3, B: true, F: 1.5} and step env {S: 2} reach the step as 3, true, 1.5 and 2", async (t) => {
  const dir = await planDir(t, [
    {
      id: "api@dev.env",
      env: { N: 3, B: true, F: 1.5 } as unknown as Record<string, string>,
      steps: [{ env: { S: 2 } as unknown as Record<string, string>, run: 'printf "%s|%s|%s|%s" "$N" "$B" "$F" "$S" > env.out' }],
    },
  ]);
  const run = await runOrun(["run", "plan.json", "--exec-id", "scalars"], { cwd: dir });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(await readFile(path.join(dir, "env.out"), "utf8"), "3|true|1.5|2");
});
