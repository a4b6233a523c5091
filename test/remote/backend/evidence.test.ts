// Which promotion-gate evidence a retention sweep keeps from the runs it deletes
// (migrations.ts evidenceOf): the same judgement as for a live run, one row per
// namespace, revision, component and environment.
import { test } from "node:test";
import assert from "node:assert/strict";
import { evidenceOf, type ExpiringJob } from "../../../src/remote/backend/store/migrations.js";

const job = (runId: string, jobId: string, status: string, updatedAt = "2020-01-01T00:00:00.000Z", revision = "rev", noEvidence: number | boolean = 0): ExpiringJob => ({
  namespace: "ns",
  run_id: runId,
  revision,
  updated_at: updatedAt,
  job_id: jobId,
  status,
  no_evidence: noEvidence,
});

test("evidence: a component and environment count when all their jobs in one run succeeded", () => {
  const rows = evidenceOf([job("r1", "web@qa.build", "success"), job("r1", "web@qa.test", "success"), job("r1", "db@qa.migrate", "success"), job("r1", "db@qa.seed", "failed"), job("r1", "web@prod.deploy", "pending")]);
  assert.deepEqual(rows, [["ns", "rev", "web", "qa", "r1", "2020-01-01T00:00:00.000Z"]]);
});

test("evidence: only component@environment.job IDs count, as the live query reads them (a dotted ID is no evidence)", () => {
  assert.deepEqual(evidenceOf([job("r1", "web.qa.build", "success"), job("r1", "plain", "success")]), []);
});

test("evidence: one row per key — the latest run's, and on equal times the greater run ID, whatever the row order", () => {
  const older = job("r1", "web@qa.build", "success", "2020-01-01T00:00:00.000Z");
  const newer = job("r2", "web@qa.build", "success", "2020-01-02T00:00:00.000Z");
  const tie = job("r3", "web@qa.build", "success", "2020-01-02T00:00:00.000Z");
  for (const order of [[older, newer, tie], [tie, newer, older], [newer, tie, older]]) {
    assert.deepEqual(evidenceOf(order), [["ns", "rev", "web", "qa", "r3", "2020-01-02T00:00:00.000Z"]]);
  }
  // Another revision is another key.
  assert.equal(evidenceOf([older, job("r9", "web@qa.build", "success", "2020-01-01T00:00:00.000Z", "rev-2")]).length, 2);
});

test("evidence: a component and environment with a job that ran other code than the run's revision (a retry after a fix) count for nothing", () => {
  const at = "2020-01-01T00:00:00.000Z";
  // As SQLite (0/1) and PostgreSQL (booleans) read the column.
  for (const [no, yes] of [[0, 1], [false, true]] as const) {
    const rows = evidenceOf([job("r1", "web@qa.build", "success", at, "rev", no), job("r1", "web@qa.test", "success", at, "rev", yes), job("r1", "db@qa.migrate", "success", at, "rev", no)]);
    assert.deepEqual(rows, [["ns", "rev", "db", "qa", "r1", at]]);
  }
});
