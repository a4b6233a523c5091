// Fixed: a --job refusal without --exec-id suggests the missing dependencies and then the job itself under one new ID;
// its approval note now covers every job it suggests, the job asked for included (rev31 #5). Worked out from the
// dependencies alone, pasted, the dependency ran and the job was blocked unannounced.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { inShell } from "../support/resume-hint.js";
import { planDir } from "../runtime/helpers.js";

const env = { NO_COLOR: "1", ORUN_EXEC_ID: "" };
const JOBS = [
  { id: "app@dev.build", steps: [{ id: "main", run: "touch built" }] },
  { id: "app@prod.deploy", dependsOn: ["app@dev.build"], policies: { requireApproval: "true" }, steps: [{ id: "main", run: "touch deployed" }] },
];

test("a --job refusal without --exec-id whose suggestion ends with this job says when this job requires approval", async (t) => {
  const dir = await planDir(t, JOBS, { name: "chain" }, "orun-job-deps-");
  const refused = await runOrun(["run", "plan.json", "--job", "app@prod.deploy"], { cwd: dir, env });
  assert.equal(refused.code, 1, refused.stdout);
  const match = /\(run it first, then this job, in a new execution(?: \(([^)]*)\))?: (orun run .*)\)$/m.exec(refused.stderr);
  assert.ok(match, refused.stderr);
  const pasted = await inShell(t, match[2]!, dir);
  assert.ok(existsSync(path.join(dir, "built")), pasted.output);
  assert.match(pasted.output, /blocked · policy requireApproval/, "pasted, the job is blocked for want of --approve");
  // What the suggestion should have said before it was pasted, as it does for a dependency that requires approval.
  assert.equal(match[1], "app@prod.deploy requires approval: add --approve to approve it", refused.stderr);
});
