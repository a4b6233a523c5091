import { test } from "node:test";
import assert from "node:assert/strict";
import { CoordinatorError, initialJobs } from "../../../src/remote/backend/coordinator.js";
import type { BackendPlan } from "../../../src/remote/protocol.js";

const plan = (jobs: unknown[]): BackendPlan => ({ checksum: "sha256-x", jobs: jobs as BackendPlan["jobs"] });

function rejects(jobs: unknown[], message: string): void {
  assert.throws(
    () => initialJobs(plan(jobs)),
    (err: unknown) => err instanceof CoordinatorError && err.status === 400 && err.message === message,
    message,
  );
}

test("registration reports the first problem in plan order, as an HTTP 400", () => {
  rejects([{ jobId: "a" }, { jobId: "a" }, { jobId: "" }], "Duplicate jobId: a");
  rejects([{ jobId: "a" }, { jobId: " " }, { jobId: "a" }], "plan.jobs[1].jobId must be a non-empty string");
  rejects([{ jobId: "a", deps: ["ghost"] }, { jobId: "b", deps: "a" }], "Job a depends on unknown job ghost");
  rejects([{ jobId: "a", deps: [1] }, { jobId: "b", deps: ["ghost"] }], "plan.jobs[0].deps must be an array of job IDs");
});

test("a cycle is named from the first job in plan order that reaches it, following deps as listed", () => {
  rejects([{ jobId: "z", deps: ["y"] }, { jobId: "y", deps: ["x"] }, { jobId: "x", deps: ["y"] }], "Dependency cycle: y -> x -> y");
  rejects([{ jobId: "a", deps: ["a"] }], "Dependency cycle: a -> a");
  rejects(
    [
      { jobId: "r", deps: ["p", "q"] },
      { jobId: "q", deps: ["r"] },
      { jobId: "p", deps: [] },
    ],
    "Dependency cycle: r -> q -> r",
  );
});

test("a 20,000-job chain registers (the cycle check does not recurse) with deps de-duplicated", () => {
  const jobs = Array.from({ length: 20_000 }, (_, i) => ({ jobId: `j${i}`, deps: i === 0 ? [] : [`j${i - 1}`, `j${i - 1}`] })).reverse();
  const records = initialJobs(plan(jobs));
  assert.equal(records.length, 20_000);
  assert.equal(records[0]!.jobId, "j19999");
  assert.deepEqual(records[0]!.deps, ["j19998"]);
  assert.equal(records[0]!.position, 0);
  assert.equal(records[0]!.status, "pending");
});
