// Spec 20 §6.6 / §9 conformance case 10: under GITHUB_ACTIONS=true a job's header lists its dependencies with their
// status and says `✓ k/n ready`; a job with none has no `dependencies` section.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

test("case 10: deps both completed → ✓ lines padded to the longest ID and `✓ 2/2 ready`; no deps → no dependencies section", async (t) => {
  const dir = await planDir(t, [
    { id: "network@production.apply", steps: [{ id: "net", run: "echo net" }] },
    { id: "iam@production.apply", steps: [{ id: "iam", run: "echo iam" }] },
    { id: "app@production.deploy", dependsOn: ["network@production.apply", "iam@production.apply"], steps: [{ id: "ship", run: "echo ship" }] },
  ]);
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "deps"], { cwd: dir, env: { GITHUB_ACTIONS: "true" } });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const header = (id: string): string => {
    const start = run.stdout.indexOf(`\n  job-id      ${id}\n`);
    assert.ok(start > 0, `${id}'s header:\n${run.stdout}`);
    return run.stdout.slice(start, run.stdout.indexOf("\nsteps\n", start));
  };
  const sep = "─".repeat(60);
  assert.ok(
    header("app@production.deploy").endsWith(
      [`\n\n${sep}`, "dependencies", "", "  ✓  network@production.apply  completed", "  ✓  iam@production.apply      completed", "", "✓ 2/2 ready", "", sep].join("\n"),
    ),
    header("app@production.deploy"),
  );
  for (const id of ["network@production.apply", "iam@production.apply"]) assert.doesNotMatch(header(id), /dependencies/, id);
});
