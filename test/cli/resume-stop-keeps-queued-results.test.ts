// A resumed record's jobs that a stop (fail-fast, Ctrl-C) leaves in the queue keep the result an earlier run recorded
// for them (failed, its steps, its error) and their logs read as that result's: the job did not run again, so nothing
// new is known of it. The run says it was not run this time. Before, they were rewritten `skipped` with the stop's
// reason, and `orun logs` labelled their earlier output `(skipped)`. Real orun processes, real records.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { PROJECT_ROOT, runOrun } from "../support/cli.js";
import { until } from "../support/wait.js";
import { planDir, readJson, recordFile } from "../runtime/helpers.js";
import { startOrun } from "../runners/github-actions/helpers.js";

interface Entry {
  status: string;
  reason?: string;
  steps: Record<string, string>;
  lastError?: string;
}

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;

const jobsOf = async (dir: string, execId: string): Promise<Record<string, Entry>> => (await readJson<{ jobs: Record<string, Entry> }>(recordFile(dir, execId, "state.json"))).jobs;

/**
 * Two independent jobs, run one at a time: a first, then b. Both fail in the first run (no fail-fast); in the resume
 * a fails again (after waiting on <dir>/started ... when `hold`), and b is left in the queue by the stop.
 */
async function failedTwice(t: Parameters<typeof planDir>[0], hold: boolean): Promise<{ dir: string; before: Record<string, Entry> }> {
  const wait = hold ? `test -f go && { touch started; sleep 30; }; ` : "";
  const dir = await planDir(t, [
    { id: "a@dev.x", steps: [{ run: `echo a-tried; ${wait}exit 1` }] },
    { id: "b@dev.y", steps: [{ run: "echo b-tried; exit 2" }] },
  ], { concurrency: 1, failFast: false }, "orun-resume-stop-");
  const first = await runOrun(["run", "plan.json", "--exec-id", "e1"], { cwd: dir });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  const before = await jobsOf(dir, "e1");
  assert.equal(before["b@dev.y"]?.status, "failed");
  assert.match(before["b@dev.y"]?.lastError ?? "", /exit status 2/);
  return { dir, before };
}

/** b's record and logs are those of its earlier failure. */
async function assertBKept(dir: string, before: Record<string, Entry>): Promise<void> {
  assert.deepEqual((await jobsOf(dir, "e1"))["b@dev.y"], before["b@dev.y"]);
  const logs = await runOrun(["logs", "--exec-id", "e1", "--job", "b@dev.y"], { cwd: dir });
  assert.equal(logs.code, 0, logs.stdout + logs.stderr);
  assert.match(logs.stdout, /── b@dev\.y › s1 {2}\(failed\)\nb-tried\n/);
}

test("a resume that fail-fast stops: the job left in the queue keeps its earlier failed result, and the run says so", async (t) => {
  const { dir, before } = await failedTwice(t, false);
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "e1", "--fail-fast"], { cwd: dir });
  assert.equal(resumed.code, 1, resumed.stdout + resumed.stderr);
  assert.match(resumed.stdout, /○ y {2}skipped · not started: fail-fast after a@dev\.x failed: not run this time \(its failed result from an earlier run stands\)/);
  await assertBKept(dir, before);
  // The record still counts both failures.
  const meta = await readJson<{ status: string; jobFailed: number; jobSkipped?: number }>(recordFile(dir, "e1", "metadata.json"));
  assert.equal(meta.status, "failed");
  assert.equal(meta.jobFailed, 2);
  assert.ok(!meta.jobSkipped, JSON.stringify(meta));
});

test("a resume that fail-fast stops: its --json summary counts the job whose earlier failure stands as failed, as state and status do", async (t) => {
  const { dir, before } = await failedTwice(t, false);
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "e1", "--fail-fast", "--json"], { cwd: dir });
  assert.equal(resumed.code, 1, resumed.stdout + resumed.stderr);
  const summary = JSON.parse(resumed.stdout) as { counts: Record<string, number>; jobs: { id: string; status: string; reason?: string; error?: string }[] };
  const schema = JSON.parse(await readFile(path.join(PROJECT_ROOT, "schemas/output/run.schema.json"), "utf8")) as object;
  const validate = addFormats(new Ajv({ strict: true, allErrors: true, strictTypes: false, strictRequired: false })).compile(schema);
  assert.ok(validate(summary), JSON.stringify(validate.errors));
  assert.deepEqual(summary.counts, { total: 2, succeeded: 0, failed: 2, skipped: 0, blocked: 0, cached: 0, waiting: 0, released: 0 });
  const b = summary.jobs.find((job) => job.id === "b@dev.y");
  assert.deepEqual([b?.status, b?.reason], ["failed", "not started: fail-fast after a@dev.x failed: not run this time (its failed result from an earlier run stands)"]);
  assert.equal(b?.error, before["b@dev.y"]?.lastError);
  await assertBKept(dir, before);
  // `orun status` says the same of the record.
  const status = await runOrun(["status", "--exec-id", "e1", "--json"], { cwd: dir });
  const meta = (JSON.parse(status.stdout) as { meta: { jobFailed: number; jobSkipped?: number } }).meta;
  assert.deepEqual([meta.jobFailed, meta.jobSkipped ?? 0], [summary.counts.failed, summary.counts.skipped]);
});

test("a resume that Ctrl-C stops: the job left in the queue keeps its earlier failed result, and the run says so", async (t) => {
  const { dir, before } = await failedTwice(t, true);
  await writeFile(path.join(dir, "go"), "");
  const orun = startOrun(["run", "plan.json", "--exec-id", "e1"], dir, {});
  try {
    await until(() => existsSync(path.join(dir, "started")), "a's step to start");
    process.kill(orun.pid, "SIGINT");
    assert.equal(await orun.exited, 130, orun.output());
  } finally {
    orun.kill();
  }
  assert.match(orun.output(), /○ y {2}skipped · run canceled: not run this time \(its failed result from an earlier run stands\)/);
  await assertBKept(dir, before);
});

test("a fresh record's job left in the queue by fail-fast is still recorded skipped with the stop's reason", async (t) => {
  const dir = await planDir(t, [
    { id: "a@dev.x", steps: [{ run: "exit 1" }] },
    { id: "b@dev.y", steps: [{ run: "echo b-ran" }] },
  ], { concurrency: 1, failFast: true }, "orun-resume-stop-");
  const run = await runOrun(["run", "plan.json", "--exec-id", "f1"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const b = (await jobsOf(dir, "f1"))["b@dev.y"];
  assert.equal(b?.status, "skipped");
  assert.equal(b.reason, "not started: fail-fast after a@dev.x failed");
});
