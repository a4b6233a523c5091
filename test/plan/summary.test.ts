import { test } from "node:test";
import assert from "node:assert/strict";
import type { PlanJob } from "../../src/model/plan.js";
import { stampPlan } from "../../src/plan/checksum.js";
import { renderJobs } from "../../src/plan/summary.js";
import { goldenPlan } from "./golden.js";

const job = (id: string): PlanJob => {
  const [component, rest] = id.split("@") as [string, string];
  const [environment, name] = rest.split(".") as [string, string];
  return { id, name, job: name, component, environment, steps: [] } as PlanJob;
};

test("get jobs tree: components and environments in byte order, jobs of one environment in plan order", () => {
  const plan = stampPlan(goldenPlan());
  const jobs = ["web@prod.z-last", "api@prod.deploy", "web@dev.build", "Api@dev.deploy", "web@prod.a-first", "api@dev.deploy"].map(job);
  const status = (j: PlanJob): string => (j.id === "web@dev.build" ? "completed" : "pending");
  const lines = renderJobs(plan, jobs, "tree", status).split("\n").slice(2);
  assert.deepEqual(lines.map((l) => l.trimEnd()), [
    "Api",
    "  dev",
    "    ○ deploy                         pending",
    "",
    "api",
    "  dev",
    "    ○ deploy                         pending",
    "  prod",
    "    ○ deploy                         pending",
    "",
    "web",
    "  dev",
    "    ✓ build                          completed",
    "  prod",
    "    ○ z-last                         pending",
    "    ○ a-first                        pending",
    "",
    "",
  ]);
});
