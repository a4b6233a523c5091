// A runner walking a plan (no --job) moves on from a job another runner holds (runners-share-work.test.ts). When that
// runner dies (kill -9), the job must be taken over soon after its lease lapses, not only once the walker has run
// every other ready job (rem26: with slots that move on, the takeover waited for the walker's queue to drain).
// Real `orun run --remote-state` processes, a real backend on loopback with a 5 s lease.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { repositoryIdFor } from "../support/oidc-issuer.js";
import { until } from "../support/wait.js";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun } from "./processes.js";

const NS = repositoryIdFor("acme/widgets");
const LEASE_MS = 5_000;
const WORK_JOBS = 12;
const WORK_SECONDS = 2;

describe("a job whose runner died, deferred by a runner walking the plan", () => {
  let bed: RemoteTestbed | undefined;
  before(async () => {
    // The sweeper stays out of it (a claim of a lapsed lease takes the job over by itself).
    bed = await startRemoteTestbed("orun-dead-holder-", (issuer) => ({ oidc: { issuer: issuer.issuer }, leaseMs: LEASE_MS, sweepIntervalMs: 600_000 }));
  });
  after(() => bed?.close());

  it("is taken over by the walker soon after its lease lapses, while other jobs are still ready there", { timeout: 180_000 }, async () => {
    const { dir, backend, token } = bed!;
    const started = path.join(dir, "held-started");
    const killed = path.join(dir, "holder-killed");
    const job = (id: string, run: string): PlanJob => {
      const [component, rest] = id.split("@");
      const [environment, name] = rest!.split(".");
      return { id, name: name!, component: component!, environment: environment!, dependsOn: [], steps: [{ id: "main", phase: "main", run }] };
    };
    // The held job hangs on its first runner (killed there); taken over, it ends at once.
    const jobs = [job("a@dev.held", `if [ -f ${killed} ]; then exit 0; fi; touch ${started}; sleep 600`)];
    for (let i = 0; i < WORK_JOBS; i++) jobs.push(job(`w@dev.work${String(i).padStart(2, "0")}`, `sleep ${WORK_SECONDS}`));
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "dead-holder" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs };
    const file = path.join(dir, "plan.json");
    await fs.writeFile(file, JSON.stringify(plan, null, 2));
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: "dead-holder-1", GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
    const jobsNow = async () => (await backend.store.getRun(NS, "dead-holder-1"))?.jobs ?? [];
    const held = async () => (await jobsNow()).find((j) => j.jobId === "a@dev.held");

    const holder = spawnOrun(["run", file, "--job", "a@dev.held", "--remote-state"], { cwd: dir, env });
    await until(() => existsSync(started), "a to start on its first runner", 60_000);
    const holderId = (await held())?.runnerId;
    // One slot: it finds a held, moves on to the work jobs, one after another.
    const walker = spawnOrun(["run", file, "--remote-state"], { cwd: dir, env });
    await until(async () => (await jobsNow()).some((j) => j.jobId.startsWith("w@") && j.status === "running"), "the walker to move on to a work job", 60_000);

    holder.child.kill("SIGKILL");
    await holder.done;
    await fs.writeFile(killed, "");
    const beat = (await held())!.heartbeatAt!;
    const lapse = Date.parse(beat) + LEASE_MS;

    // When the walker's claim took a over (another runner holds it, or it already ended).
    let takenAt = 0;
    await until(
      async () => {
        const a = await held();
        if (!a || (a.status === "running" && a.runnerId === holderId)) return false;
        if (a.status === "pending") return false;
        takenAt = Date.now();
        return true;
      },
      "a to be taken over",
      120_000,
    );
    const workLeft = (await jobsNow()).filter((j) => j.jobId.startsWith("w@") && j.status === "pending").length;
    console.log(`lease lapsed → takeover: ${takenAt - lapse} ms; work jobs still pending then: ${workLeft} of ${WORK_JOBS}`);
    // Before: the walker came back to a only once every work job had run (~24 s after it moved on).
    assert.ok(workLeft > 0, `a was taken over only after the walker ran every other job (${takenAt - lapse} ms after its lease lapsed)`);
    // Within the work job the slot was running when the lease lapsed, plus start-up slack under load.
    assert.ok(takenAt - lapse < WORK_SECONDS * 1000 + 4_000, `takeover came ${takenAt - lapse} ms after the lease lapsed`);

    const w = await walker.done;
    assert.equal(w.code, 0, w.output);
    assert.match(w.output, /↻ taking over job a@dev\.held from a previous runner/);
    const finalJobs = await jobsNow();
    assert.deepEqual(
      finalJobs.filter((j) => j.status !== "success").map((j) => `${j.jobId}: ${j.status}`),
      [],
    );
    // Claimed twice in all: by the runner that died, then once by the walker.
    assert.equal(finalJobs.find((j) => j.jobId === "a@dev.held")!.attempts, 2);
  });
});
