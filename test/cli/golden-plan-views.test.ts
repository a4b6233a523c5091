// The built CLI reads the golden plan of spec 12 §4.6 (a plan file orun v2.3
// wrote: dotted job IDs, its checksum over generatedAt too) and prints the
// samples of §5.4–§5.6 (job IDs in the canonical form, decision 1).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { jobUid } from "../../src/plan/checksum.js";
import { encodePlanJson } from "../../src/plan/format.js";
import { runOrun } from "../support/cli.js";
import { goldenPlan } from "../plan/golden.js";

const DIGEST = "c7806e6a6b2966e3ab335dad6be1993be9430ac8d2719cf206a366efefcca767";
let dir = "";

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-golden-"));
  const plan = goldenPlan();
  plan.metadata.checksum = `sha256-${DIGEST}`;
  for (const job of plan.jobs) job.uid = jobUid(DIGEST, job.id);
  const plans = path.join(dir, ".orun", "plans");
  await fs.mkdir(plans, { recursive: true });
  await fs.writeFile(path.join(plans, "c7806e6a6b29.json"), encodePlanJson(plan));
  await fs.writeFile(path.join(plans, "latest.json"), encodePlanJson(plan));
});
after(() => fs.rm(dir, { recursive: true, force: true }));

test("describe plan prints §5.6 for the golden plan", async () => {
  const run = await runOrun(["describe", "plan"], { cwd: dir });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(
    run.stdout,
    [
      "",
      "Plan: demo",
      "─".repeat(60),
      "Plan ID:      c7806e6a6b29",
      "Generated:    2026-01-01T00:00:00Z",
      `Checksum:     sha256-${DIGEST}`,
      "Concurrency:  4",
      "Fail Fast:    true",
      "Jobs:         3",
      "",
      "Jobs",
      "  ├─ db@dev.deploy (1 steps)",
      "  ├─ api@dev.deploy (3 steps) → db@dev.deploy",
      "  ├─ api@prod.deploy (1 steps) [gated on api@dev]",
      "",
    ].join("\n"),
  );
});

test("get jobs prints §5.5's tree, compact and table views for the golden plan", async () => {
  const tree = await runOrun(["get", "jobs"], { cwd: dir });
  assert.equal(tree.code, 0, tree.stderr);
  const row = (name: string): string => `    ○ ${name.padEnd(30)} pending`;
  assert.equal(tree.stdout, ["PLAN: demo (c7806e6) · 3 jobs", "", "api", "  dev", row("deploy"), "  prod", row("deploy"), "", "db", "  dev", row("deploy"), "", ""].join("\n"));
  const compact = await runOrun(["get", "jobs", "--view", "compact"], { cwd: dir });
  assert.equal(compact.stdout, ["○  db                       dev          deploy", "○  api                      dev          deploy", "○  api                      prod         deploy", ""].join("\n"));
  const wide = await runOrun(["get", "jobs", "-o", "wide"], { cwd: dir });
  assert.equal(
    wide.stdout,
    [
      `${"JOB ID".padEnd(50)} ${"COMPONENT".padEnd(18)} ${"ENV".padEnd(14)} STATUS`,
      ...[["db@dev.deploy", "db", "dev"], ["api@dev.deploy", "api", "dev"], ["api@prod.deploy", "api", "prod"]].map(
        ([id, c, e]) => `○ ${id!.padEnd(48)} ${c!.padEnd(18)} ${e!.padEnd(14)} pending`,
      ),
      "",
    ].join("\n"),
  );
});

test("get plans prints §5.4's table, and -o json's CreatedAt is Go's RFC3339Nano in local time", async () => {
  const table = await runOrun(["get", "plans"], { cwd: dir });
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^REVISION {8}JOBS {4}AGE {7}STATUS\nc7806e6a6b29 {4}3 {7}\S+ +● ready\nlatest {10}3 {7}\S+ +● ready\n\n2 revision\(s\) · latest: c7806e6a6b29\n$/);

  const file = path.join(dir, ".orun", "plans", "latest.json");
  // A known mtime with a fraction (utimes takes seconds; the file system may round it).
  await fs.utimes(file, 1767261600.25, 1767261600.25);
  const mtimeNs = (await fs.stat(file, { bigint: true })).mtimeNs;
  const fraction = mtimeNs % 1_000_000_000n ? `.${String(mtimeNs % 1_000_000_000n).padStart(9, "0").replace(/0+$/, "")}` : "";
  for (const [tz, local] of [
    ["UTC", "2026-01-01T10:00:00%Z"],
    ["Asia/Kolkata", "2026-01-01T15:30:00%+05:30"],
    ["America/St_Johns", "2026-01-01T06:30:00%-03:30"],
  ] as const) {
    const json = await runOrun(["get", "plans", "-o", "json"], { cwd: dir, env: { TZ: tz } });
    assert.equal(json.code, 0, json.stderr);
    const entries = JSON.parse(json.stdout) as { Name: string; CreatedAt: string }[];
    assert.equal(entries.find((e) => e.Name === "latest")!.CreatedAt, local.replace("%", fraction), tz);
  }
});
