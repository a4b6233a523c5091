import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalizePlan, orderJobs, planChecksum } from "../../src/runtime/graph.js";
import { makePlan } from "./helpers.js";
import { computePlanChecksum } from "../../src/plan/checksum.js";

test("topological order puts dependencies first and breaks ties by smallest ID", () => {
  const plan = makePlan([
    { id: "web@dev.deploy", dependsOn: ["web@dev.build", "api@dev.deploy"], steps: [] },
    { id: "web@dev.build", steps: [] },
    { id: "api@dev.deploy", dependsOn: ["api@dev.build"], steps: [] },
    { id: "api@dev.build", steps: [] },
  ]);
  assert.deepEqual(
    orderJobs(plan.jobs).map((job) => job.id),
    ["api@dev.build", "api@dev.deploy", "web@dev.build", "web@dev.deploy"],
  );
});

test("a cycle is reported with its path", () => {
  const plan = makePlan([
    { id: "a@dev.x", dependsOn: ["b@dev.x"], steps: [] },
    { id: "b@dev.x", dependsOn: ["a@dev.x"], steps: [] },
    { id: "c@dev.x", steps: [] },
  ]);
  assert.throws(() => orderJobs(plan.jobs), /cycle detected in plan jobs: (a@dev\.x → b@dev\.x → a@dev\.x|b@dev\.x → a@dev\.x → b@dev\.x)/);
});

test("a cycle through thousands of jobs is named by its ends and a count, not job by job", () => {
  const n = 5000;
  const plan = makePlan(Array.from({ length: n }, (_, i) => ({ id: `c${i}@dev.x`, dependsOn: [`c${(i + 1) % n}@dev.x`], steps: [] })));
  assert.throws(
    () => orderJobs(plan.jobs),
    (err: Error) => {
      assert.match(err.message, /^cycle detected in plan jobs: c0@dev\.x → .* → … \d+ more … → .* → c0@dev\.x$/);
      assert.ok(err.message.length < 400, `${err.message.length} characters`);
      return true;
    },
  );
});

test("an unknown dependency names the job and the missing ID", () => {
  const plan = makePlan([{ id: "a@dev.x", dependsOn: ["ghost@dev.x"], steps: [] }]);
  assert.throws(() => orderJobs(plan.jobs), /job a@dev\.x depends on unknown job ghost@dev\.x/);
});

test("dotted v2 job IDs and dependencies are canonicalised", () => {
  const plan = makePlan([
    { id: "api.dev.build", component: "api", environment: "dev", name: "build", steps: [] },
    { id: "api.dev.deploy", component: "api", environment: "dev", name: "deploy", dependsOn: ["api.dev.build"], steps: [] },
  ]);
  const canonical = canonicalizePlan(plan);
  assert.deepEqual(canonical.jobs.map((job) => job.id), ["api@dev.build", "api@dev.deploy"]);
  assert.deepEqual(canonical.jobs[1]!.dependsOn, ["api@dev.build"]);
});

test("plan checksum: the recorded one wins; otherwise it ignores generatedAt and changes with content", () => {
  const plan = makePlan([{ id: "a@dev.x", steps: [{ run: "true" }] }]);
  const recorded = computePlanChecksum(plan);
  assert.equal(planChecksum({ ...plan, metadata: { ...plan.metadata, checksum: recorded } }), recorded);
  const one = planChecksum({ ...plan, metadata: { ...plan.metadata, generatedAt: "2026-01-01T00:00:00Z" } });
  const two = planChecksum({ ...plan, metadata: { ...plan.metadata, generatedAt: "2027-01-01T00:00:00Z" } });
  assert.equal(one, two);
  assert.match(one, /^sha256-[0-9a-f]{64}$/);
  assert.notEqual(planChecksum(makePlan([{ id: "a@dev.x", steps: [{ run: "false" }] }])), one);
});
