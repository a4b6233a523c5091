// rev30b — user30 (b8a6390) refuses a NUL byte in a plan file's env values at load, naming the field, but not in an
// env *name*: the job starts and its step fails with "sh: arguments and environment must not contain NUL bytes",
// no field named — what the commit set out to end. An environment name can hold a NUL no more than a value.
// Fixed: env names and a `use:` step's `with:` names and text values (its INPUT_* environment) are checked too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, type JobSpec } from "../runtime/helpers.js";

test("a NUL byte in a plan file's env name or a with: input is refused at load naming the env, before any job runs", async (t) => {
  const edits: [string, JobSpec][] = [
    ["jobs[0].env", { id: "app@dev.b", env: { "X\u0000Y": "a" }, steps: [{ run: "touch ran" }] }],
    ["jobs[0].steps[0].env", { id: "app@dev.b", steps: [{ run: "touch ran", env: { "Y\u0000": "b" } }] }],
    ["jobs[0].steps[1].with.path", { id: "app@dev.b", steps: [{ run: "touch ran" }, { use: "actions/cache@v4", with: { path: "a\u0000b" } }] }],
    ["jobs[0].steps[1].with.p", { id: "app@dev.b", steps: [{ run: "touch ran" }, { use: "actions/cache@v4", with: { "p\u0000": "x" } }] }],
  ];
  for (const [field, job] of edits) {
    const dir = await planDir(t, [job]);
    const run = await runOrun(["run", "plan.json", "--exec-id", "nulkey"], { cwd: dir });
    assert.equal(run.code, 1, `${field}: ${run.stdout}`);
    assert.ok(!(await fs.stat(path.join(dir, ".orun/executions/nulkey")).catch(() => undefined)), `${field}: refused at load, no record started: ${run.stdout}`);
    assert.match(run.stderr, new RegExp(`plan\\.json \\(${field.replace(/[.[\]]/g, "\\$&")}[^)]*\\): invalid plan: .*NUL`), `${field}: ${run.stderr}`);
    assert.ok(!(await fs.stat(path.join(dir, "ran")).catch(() => undefined)), `${field}: nothing ran`);
  }
});
