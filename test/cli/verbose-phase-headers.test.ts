// `orun run -v` heads a job's set-up and clean-up steps (spec 20 §3.5: a phase header whenever the phase changes to
// pre or post; §6.3 `◦ Pre-steps`): the steps are listed in phase order, and the headers say which phase each is in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

const LOCAL_ENV = { ORUN_REMOTE_STATE: undefined, ORUN_BACKEND_URL: undefined, ORUN_EXEC_ID: undefined, GITHUB_ACTIONS: undefined };

test("-v prints `◦ Pre-steps` before a job's pre steps and `◦ Post-steps` before its post steps, prefixed under concurrency", async (t) => {
  const dir = await planDir(t, [
    {
      id: "a@dev.x",
      steps: [
        { id: "clean", phase: "post", run: "echo cleaned" },
        { id: "build", run: "echo built" },
        { id: "setup", phase: "pre", run: "echo set-up" },
      ],
    },
    { id: "b@dev.y", steps: [{ id: "only", run: "echo only" }] },
  ]);
  for (const concurrency of ["1", "2"]) {
    const run = await runOrun(["run", "plan.json", "-v", "--concurrency", concurrency], { cwd: dir, env: LOCAL_ENV });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const prefix = concurrency === "1" ? "" : "a·dev/x › ";
    const lines = run.stdout.split("\n").map((line) => line.trim());
    const at = (text: string): number => {
      const index = lines.findIndex((line) => line.startsWith(text));
      assert.ok(index >= 0, `${text} missing:\n${run.stdout}`);
      return index;
    };
    const pre = at(`◦ ${prefix}Pre-steps`);
    const post = at(`◦ ${prefix}Post-steps`);
    assert.ok(pre < at(`● ${prefix}setup (1/3)`), run.stdout);
    assert.ok(at(`● ${prefix}setup (1/3)`) < at(`● ${prefix}build (2/3)`), run.stdout);
    assert.ok(at(`✓ ${prefix}build`) < post && post < at(`● ${prefix}clean (3/3)`), run.stdout);
    // Once each, and none for the job of main steps alone.
    assert.equal(lines.filter((line) => line.includes("Pre-steps")).length, 1, run.stdout);
    assert.equal(lines.filter((line) => line.includes("Post-steps")).length, 1, run.stdout);
  }
  // The compact view lists no steps, so no phase headers either.
  const compact = await runOrun(["run", "plan.json"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(compact.code, 0, compact.stderr);
  assert.doesNotMatch(compact.stdout, /Pre-steps|Post-steps/);
});
