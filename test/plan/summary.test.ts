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

test("get jobs table, compact and tree keep their columns aligned when a job ID, component or environment is longer than the v2.3 widths", () => {
  const plan = stampPlan(goldenPlan());
  const long = "admin-console-pages-git-with-a-long-name@development-eu-west.verify-reconcile-and-publish";
  const jobs = [long, "api@dev.deploy"].map(job);
  const column = (lines: string[], word: string): number[] => lines.filter((l) => l.includes(word)).map((l) => l.indexOf(word));
  const table = renderJobs(plan, jobs, "table").split("\n");
  // The status column starts at one place on the header and every row (v2.3's widths: 48 + 18 + 14, padded wider when needed).
  const statusAt = table[0]!.indexOf("STATUS");
  assert.deepEqual(column(table.slice(1), "pending"), [statusAt, statusAt]);
  assert.equal(table[2]!.indexOf(" api ") + 1, table[0]!.indexOf("COMPONENT"));
  const envAt = table[0]!.indexOf("ENV");
  assert.equal(table[2]!.indexOf(" dev ") + 1, envAt);
  assert.equal(table[1]!.indexOf(" development-eu-west ") + 1, envAt);
  // The golden plan's short rows keep v2.3's exact widths.
  assert.equal(renderJobs(plan, ["api@dev.deploy"].map(job), "table").split("\n")[1], `○ ${"api@dev.deploy".padEnd(48)} ${"api".padEnd(18)} ${"dev".padEnd(14)} pending`);
  const compact = renderJobs(plan, jobs, "compact").split("\n").filter(Boolean);
  assert.equal(compact[0]!.indexOf("verify-reconcile-and-publish"), compact[1]!.indexOf("deploy"));
  const tree = renderJobs(plan, [job("api@dev.deploy"), job("api@dev.verify-reconcile-and-publish-everything")], "tree").split("\n").filter((l) => l.includes("pending"));
  assert.equal(tree[0]!.indexOf("pending"), tree[1]!.indexOf("pending"));
});
