// rev29c — 8a07363: the retry command leaves a taken-over job out (the other runner's result counts), but the text
// summary's `again` line still names it: it lists every job the summary counts failed (text.ts failedHere), the
// taken-over one too since a1ee2a3/55c0241. A runner with a failed here and b taken over says
// `again   retry a@dev.work, b@dev.work in this run if they failed: orun run … --job a@dev.work …` — naming b,
// which the command does not retry and which must not be (its result, the other runner's, counts).
// Fixed: the summary marks the job notRecorded, and the line names only the jobs its command retries.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, it } from "node:test";
import { claimJob } from "../../src/remote/backend/coordinator.js";
import { repositoryIdFor } from "../support/oidc-issuer.js";
import { until } from "../support/wait.js";
import { startTestBackend, testDatabase, tokenFor, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, writePlan } from "./processes.js";

const NS = repositoryIdFor("acme/widgets");
const LEASE_MS = 600_000;

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-rev29c-taken-retry-"));
});
after(async () => {
  killAllChildren();
  await fs.rm(dir, { recursive: true, force: true });
});

it("the again line names only the jobs its retry command retries, not a job taken over", { timeout: 120_000 }, async () => {
  const db = (await testDatabase("sqlite")) as TestDatabase;
  const backend = await startTestBackend(db.url, { leaseMs: LEASE_MS, sweepIntervalMs: 3_600_000 });
  const runId = "taken-retry";
  try {
    const token = await tokenFor(backend.store, "acme/widgets");
    const started = path.join(dir, "started");
    const finish = path.join(dir, "finish");
    const planFile = await writePlan(dir, "taken", [
      { id: "a@dev.work", run: `while [ ! -f ${finish} ]; do sleep 0.05; done; exit 3` },
      { id: "b@dev.work", run: `touch ${started}; while [ ! -f ${finish} ]; do sleep 0.05; done` },
    ]);
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: runId, GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
    const runner = spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env });
    await until(() => existsSync(started), "b to start", 60_000);
    const clock = { now: new Date(Date.now() + LEASE_MS + 1000), leaseMs: LEASE_MS };
    const taken = await backend.store.mutateRun(NS, runId, { jobIds: ["b@dev.work"], deps: true }, (state) =>
      claimJob(state, "b@dev.work", "other-runner", clock, { claimKey: "takers-claim-key-0123456789", newLease: "takers-lease-secret" }),
    );
    assert.equal(taken?.takeover, true, JSON.stringify(taken));
    await fs.writeFile(finish, "");
    const r = await runner.done;
    assert.equal(r.code, 1, r.output);
    const again = r.output.split("\n").find((line) => line.includes("again "));
    assert.ok(again !== undefined, `a failed here: a retry line is given:\n${r.output}`);
    assert.match(again, /--job a@dev\.work/, again);
    assert.doesNotMatch(again, /b@dev\.work/, `b's result is the other runner's: the line names it, its command does not retry it:\n${r.output}`);
  } finally {
    await backend.stop();
    await db.cleanup();
  }
});
