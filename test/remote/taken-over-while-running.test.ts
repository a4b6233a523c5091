// A runner whose job another runner's claim took over while it ran (its lease lapsed on the backend's clock) finishes
// the job, but the backend refuses its result: the runner exits 1, and what it says of the job must agree.
// rev29 #2: `run --json` said the run completed, the job succeeded. rev29b #1: the runner's own record said
// `State: failed` beside `✓ 1 completed · ✗ 0 failed`. rev29c #4: the `again` line named the taken-over job, which its
// command rightly does not retry (the other runner's result counts). mask30 #3: the job's own line said ✓ (the text and
// live views; `✓ … completed` in GitHub Actions) above a summary that counted it failed. Real `orun run --remote-state` processes and a
// real backend on loopback; the takeover is a claim made through the store with a clock past the lease.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, it } from "node:test";
import { claimJob } from "../../src/remote/backend/coordinator.js";
import { repositoryIdFor } from "../support/oidc-issuer.js";
import { until } from "../support/wait.js";
import { runOrun } from "../support/cli.js";
import { startTestBackend, testDatabase, tokenFor, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, writePlan } from "./processes.js";

const NS = repositoryIdFor("acme/widgets");
const LEASE_MS = 600_000;
const NOT_RECORDED = /its result was not recorded in remote run [\w-]+: another runner took the job over/;

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-taken-over-"));
});
after(async () => {
  killAllChildren();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * Runs `jobs` (a, and b when `alsoFailing`: a job that fails here) in remote run `runId` with `args`; once `taken` has
 * started, another runner's claim takes it over; then the steps end (`moreEnv` on top of the runner's environment). Returns the runner's outcome and its folder.
 */
async function runTakenOver(runId: string, args: string[], alsoFailing = false, moreEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string; cwd: string; env: NodeJS.ProcessEnv }> {
  const db = (await testDatabase("sqlite")) as TestDatabase;
  const backend = await startTestBackend(db.url, { leaseMs: LEASE_MS, sweepIntervalMs: 3_600_000 });
  const cwd = path.join(dir, runId);
  await fs.mkdir(cwd);
  try {
    const token = await tokenFor(backend.store, "acme/widgets");
    const started = path.join(cwd, "started");
    const finish = path.join(cwd, "finish");
    const waitForFinish = `while [ ! -f ${finish} ]; do sleep 0.05; done`;
    const planFile = await writePlan(cwd, "taken", [
      ...(alsoFailing ? [{ id: "b@dev.work", run: `${waitForFinish}; exit 3` }] : []),
      { id: "a@dev.work", run: `touch ${started}; ${waitForFinish}` },
    ]);
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: runId, GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "", ...moreEnv };
    const runner = spawnOrun(["run", planFile, "--remote-state", ...args], { cwd, env });
    await until(() => existsSync(started), "a to start", 60_000);
    const clock = { now: new Date(Date.now() + LEASE_MS + 1000), leaseMs: LEASE_MS };
    const taken = await backend.store.mutateRun(NS, runId, { jobIds: ["a@dev.work"], deps: true }, (state) =>
      claimJob(state, "a@dev.work", "other-runner", clock, { claimKey: "takers-claim-key-0123456789", newLease: "takers-lease-secret" }),
    );
    assert.equal(taken?.takeover, true, JSON.stringify(taken));
    await fs.writeFile(finish, "");
    const r = await runner.done;
    assert.equal(r.code, 1, r.output);
    return { ...r, cwd, env: { ...env, ORUN_BACKEND_URL: "" } };
  } finally {
    await backend.stop();
    await db.cleanup();
  }
}

it("run --json counts the taken-over job failed and marks it notRecorded", { timeout: 120_000 }, async () => {
  const r = await runTakenOver("taken-json", ["--json"]);
  const json = /^\{\n[\s\S]*?\n\}$/m.exec(r.output)?.[0];
  assert.ok(json, `one JSON document on stdout:\n${r.output}`);
  const summary = JSON.parse(json) as { status: string; counts: Record<string, number>; jobs: { id: string; status: string; error?: string; notRecorded?: boolean }[] };
  assert.equal(summary.status, "failed", `exit 1: the JSON summary must not say the run completed:\n${json}`);
  assert.deepEqual([summary.counts.succeeded, summary.counts.failed], [0, 1], json);
  const job = summary.jobs.find((j) => j.id === "a@dev.work");
  assert.equal(job?.status, "failed", json);
  assert.equal(job?.notRecorded, true, json);
  assert.match(job?.error ?? "", NOT_RECORDED, json);
});

it("the runner's own record says the job failed, and why, as its metadata does", { timeout: 120_000 }, async () => {
  const r = await runTakenOver("taken-record", []);
  const execId = (await fs.readdir(path.join(r.cwd, ".orun", "executions"))).find((name) => name !== "latest")!;
  const status = await runOrun(["status", "--exec-id", execId, "--json"], { cwd: r.cwd, env: r.env });
  const { meta } = JSON.parse(status.stdout) as { meta: { status: string; jobFailed: number } };
  assert.deepEqual([meta.status, meta.jobFailed], ["failed", 1], `the record's status agrees with its jobs:\n${status.stdout}`);
  const text = await runOrun(["status", "--exec-id", execId], { cwd: r.cwd, env: r.env });
  assert.match(text.stdout, NOT_RECORDED, text.stdout);
});

it("the again line names only the jobs its retry command retries, not the job taken over", { timeout: 120_000 }, async () => {
  const r = await runTakenOver("taken-retry", [], true);
  const again = r.output.split("\n").find((line) => line.includes("again "));
  assert.ok(again !== undefined, `b failed here: a retry line is given:\n${r.output}`);
  assert.match(again, /--job b@dev\.work/, again);
  assert.doesNotMatch(again, /a@dev\.work/, `a's result is the other runner's: neither the line nor its command names it:\n${r.output}`);
});

it("the job's line says it failed, and why, as the summary counts it: plain text and GitHub Actions groups", { timeout: 180_000 }, async () => {
  const text = await runTakenOver("taken-line", []);
  const line = text.output.split("\n").find((l) => /^\s*[✓✗] a·dev\/work /.test(l));
  assert.match(line ?? "", /^\s*✗ /, `a's line:\n${text.output}`);
  assert.match(text.output, NOT_RECORDED, text.output);
  assert.match(text.output, /✗ Failed in .*\n.*1 failed/, text.output);

  const groups = await runTakenOver("taken-line-gha", [], false, { GITHUB_ACTIONS: "true" });
  assert.match(groups.output, /✕ \S+ failed · /, groups.output);
  assert.doesNotMatch(groups.output, /✓ \S+ completed · /, groups.output);
  assert.match(groups.output, /::error::.*its result was not recorded in remote run/, groups.output);
});
