// rev29b: 55c0241 counts a job taken over by another runner failed in the run's summary — and executePlan derives the
// local record's metadata status from that summary (summary.executionStatus), while state.json and metadata's counts
// keep the job completed ("its record keeps what ran here"). The runner's own record now reads `State: failed`
// beside `✓ 1 completed · ✗ 0 failed · 100%` (metadata.json: status "failed", jobDone 1 of 1, jobFailed 0), and
// nothing in it says why; before 55c0241 it said completed. Expected: the record's status agrees with its jobs (or
// names the job whose result was not recorded). Real `orun run --remote-state` and `orun status` processes, a real
// backend on loopback; the takeover as in test/remote/taken-over-json-summary.test.ts.
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

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-rev29b-taken-record-"));
});
after(async () => {
  killAllChildren();
  await fs.rm(dir, { recursive: true, force: true });
});

it("the local record of a runner whose only job was taken over does not say failed beside no failed job", { timeout: 120_000 }, async () => {
  const db = (await testDatabase("sqlite")) as TestDatabase;
  const backend = await startTestBackend(db.url, { leaseMs: LEASE_MS, sweepIntervalMs: 3_600_000 });
  const runId = "taken-record";
  try {
    const token = await tokenFor(backend.store, "acme/widgets");
    const started = path.join(dir, "started");
    const finish = path.join(dir, "finish");
    const planFile = await writePlan(dir, "taken", [{ id: "a@dev.work", run: `touch ${started}; while [ ! -f ${finish} ]; do sleep 0.05; done` }]);
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: runId, GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
    const runner = spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env });
    await until(() => existsSync(started), "a to start", 60_000);
    const clock = { now: new Date(Date.now() + LEASE_MS + 1000), leaseMs: LEASE_MS };
    const taken = await backend.store.mutateRun(NS, runId, { jobIds: ["a@dev.work"], deps: true }, (state) =>
      claimJob(state, "a@dev.work", "other-runner", clock, { claimKey: "takers-claim-key-0123456789", newLease: "takers-lease-secret" }),
    );
    assert.equal(taken?.takeover, true, JSON.stringify(taken));
    await fs.writeFile(finish, "");
    const r = await runner.done;
    assert.equal(r.code, 1, r.output);

    const execId = (await fs.readdir(path.join(dir, ".orun", "executions")))[0]!;
    const status = await runOrun(["status", "--exec-id", execId, "--json"], { cwd: dir, env: { ...env, ORUN_BACKEND_URL: "" } });
    const doc = JSON.parse(status.stdout) as { meta: { status: string; jobTotal: number; jobDone: number; jobFailed: number } };
    const text = await runOrun(["status", "--exec-id", execId], { cwd: dir, env: { ...env, ORUN_BACKEND_URL: "" } });
    const { meta } = doc;
    assert.deepEqual([meta.status, meta.jobFailed], ["failed", 1], `the record's status agrees with its jobs:\n${status.stdout}`);
    assert.match(text.stdout, /its result was not recorded in remote run [\w-]+: another runner took the job over/, text.stdout);
  } finally {
    await backend.stop();
    await db.cleanup();
  }
});
