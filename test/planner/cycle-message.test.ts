// A cycle closing a long chain (c0 depends on c5999, each c<i> on c<i-1>) is
// named by its first and last steps with a count of the rest: the message
// listed every job, 119 KB for 6,000 components.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatCycle } from "../../src/model/dag.js";
import { parsePlan } from "../../src/plan/store.js";
import { assertAcyclic } from "../../src/planner/resolve.js";
import { goldenPlan } from "../plan/golden.js";

test("a cycle through thousands of jobs is named by its ends and a count, short cycles in full", () => {
  const n = 6000;
  const g = new Map<string, string[]>();
  for (let i = 0; i < n; i++) g.set(`c${i}@dev.deploy`, [`c${(i + n - 1) % n}@dev.deploy`]);
  let message = "";
  assert.throws(() => assertAcyclic(g), (err: Error) => ((message = err.message), true));
  assert.ok(message.length < 400, `${message.length} characters`);
  assert.equal(
    message,
    "cycle detection failed: cycle detected in job dependencies: c0@dev.deploy → c5999@dev.deploy → c5998@dev.deploy → c5997@dev.deploy → c5996@dev.deploy → c5995@dev.deploy → … 5989 more … → c5@dev.deploy → c4@dev.deploy → c3@dev.deploy → c2@dev.deploy → c1@dev.deploy → c0@dev.deploy",
  );
  const short = new Map([
    ["a@dev.x", ["b@dev.x"]],
    ["b@dev.x", ["a@dev.x"]],
  ]);
  assert.throws(() => assertAcyclic(short), { message: "cycle detection failed: cycle detected in job dependencies: a@dev.x → b@dev.x → a@dev.x" });
});

test("a cycle one job over the limit is named in full, not with '… 1 more …'", () => {
  const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `j${i}`);
  assert.equal(formatCycle(ids(13)), ids(13).join(" → "));
  assert.equal(formatCycle(ids(12)), ids(12).join(" → "));
  assert.match(formatCycle(ids(14)), / → … 2 more … → /);
});

test("a plan file's cycle reads as the compiler's: each job depends on the next", () => {
  const plan = structuredClone(goldenPlan());
  // api.dev.deploy already depends on db.dev.deploy: db → api.prod → api.dev → db.
  const byId = new Map(plan.jobs.map((j) => [j.id, j]));
  byId.get("db.dev.deploy")!.dependsOn = ["api.prod.deploy"];
  byId.get("api.prod.deploy")!.dependsOn = ["api.dev.deploy"];
  assert.throws(() => parsePlan(plan, "plan.json"), /cycle detected in plan jobs: db@dev\.deploy → api@prod\.deploy → api@dev\.deploy → db@dev\.deploy/);
});
