// rev29: a runner whose job was taken over while it ran says on stderr that its result was not recorded and exits 1
// (f67b571) — but under `orun run --json` the one document a script reads says the run succeeded: `status: "completed"`,
// the job counted succeeded, nothing naming the job whose result the backend refused. The exit status and the summary
// disagree, and a script that reads the JSON (spec README 6: "--json prints a real JSON summary") takes the run for
// a success. The summary should say so (e.g. the job `notRecorded`, the status not `success`). Real `orun run
// --remote-state --json` process, a real backend on loopback; the takeover as in late-result-taken-over.test.ts.
// Fixed: the summary counts the job failed, its error saying its result was not recorded.
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
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-rev29-taken-json-"));
});
after(async () => {
  killAllChildren();
  await fs.rm(dir, { recursive: true, force: true });
});

it("run --json of a runner whose job was taken over does not say the run succeeded", { timeout: 120_000 }, async () => {
  const db = (await testDatabase("sqlite")) as TestDatabase;
  const backend = await startTestBackend(db.url, { leaseMs: LEASE_MS, sweepIntervalMs: 3_600_000 });
  const runId = "taken-json";
  try {
    const token = await tokenFor(backend.store, "acme/widgets");
    const started = path.join(dir, "started");
    const finish = path.join(dir, "finish");
    const planFile = await writePlan(dir, "taken", [{ id: "a@dev.work", run: `touch ${started}; while [ ! -f ${finish} ]; do sleep 0.05; done` }]);
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: runId, GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
    const runner = spawnOrun(["run", planFile, "--remote-state", "--json"], { cwd: dir, env });
    await until(() => existsSync(started), "a to start", 60_000);
    const clock = { now: new Date(Date.now() + LEASE_MS + 1000), leaseMs: LEASE_MS };
    const taken = await backend.store.mutateRun(NS, runId, { jobIds: ["a@dev.work"], deps: true }, (state) =>
      claimJob(state, "a@dev.work", "other-runner", clock, { claimKey: "takers-claim-key-0123456789", newLease: "takers-lease-secret" }),
    );
    assert.equal(taken?.takeover, true, JSON.stringify(taken));
    await fs.writeFile(finish, "");
    const r = await runner.done;
    assert.equal(r.code, 1, r.output);

    const json = /^\{\n[\s\S]*?\n\}$/m.exec(r.output)?.[0];
    assert.ok(json, `one JSON document on stdout:\n${r.output}`);
    const summary = JSON.parse(json) as { status: string; counts: Record<string, number>; jobs: { id: string; status: string; error?: string; notRecorded?: boolean }[] };
    assert.equal(summary.status, "failed", `exit 1: the JSON summary must not say the run completed:\n${json}`);
    assert.deepEqual([summary.counts.succeeded, summary.counts.failed], [0, 1], json);
    const job = summary.jobs.find((j) => j.id === "a@dev.work");
    assert.equal(job?.status, "failed", json);
    assert.equal(job?.notRecorded, true, json);
    assert.match(job?.error ?? "", /not recorded in remote run taken-json: another runner took the job over/, json);
  } finally {
    await backend.stop();
    await db.cleanup();
  }
});
