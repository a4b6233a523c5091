// `orun status --remote-state`: a running job whose runner the backend leaves out (another backend may) reads
// `on ?`, not `on undefined`; `--json` gives meta.planName the run's plan name when this machine stores the run's
// plan (`.orun/plans/<id>.json`: the backend names plans by ID only), and an empty string otherwise (the key
// stays, as spec 40 §4.9 and local status have it). Real processes: the built CLI against a real backend and the v2 stand-in.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { Plan } from "../../src/model/plan.js";
import { computePlanChecksum } from "../../src/plan/checksum.js";
import { savePlan } from "../../src/plan/store.js";
import { backendPlan } from "../../src/remote/plan-payload.js";
import { api, backendOnStore } from "./helpers.js";
import { spawnOrun } from "./processes.js";
import { startV2Backend } from "./v2-backend.js";

describe("orun status --remote-state: plan name and unnamed runners", () => {
  const on = backendOnStore("sqlite", {}, "acme/plan-name");
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-status-plan-name-"));
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
  });

  it("--json names the run's plan where the plan is stored, and leaves it empty where it is not", async () => {
    const plan: Plan = {
      apiVersion: "orun.io/v1",
      kind: "Plan",
      metadata: { name: "nightly-release" },
      execution: { concurrency: 1, failFast: false },
      spec: {},
      jobs: [{ id: "app@dev.build", name: "build", component: "app", environment: "dev", dependsOn: [], steps: [{ id: "main", phase: "main", run: "true" }] }],
    };
    plan.metadata.checksum = computePlanChecksum(plan);
    const runId = `plan-name-${Date.now()}`;
    assert.equal((await api(on.backend.url, on.token, "POST", "/v1/runs", { plan: backendPlan(plan), runId })).status, 201);
    const stored = await tempDir();
    await savePlan(stored, plan); // what `orun plan` and a compiling `orun run` leave on their machine
    const elsewhere = await tempDir();
    const meta = async (cwd: string) => {
      const r = await spawnOrun(["status", "--remote-state", "--exec-id", runId, "--json"], { cwd, env: { ORUN_TOKEN: on.token, ORUN_BACKEND_URL: on.backend.url, GITHUB_ACTIONS: "" } }).done;
      assert.equal(r.code, 0, r.output);
      return (JSON.parse(r.output) as { meta: Record<string, unknown> }).meta;
    };
    const here = await meta(stored);
    assert.equal(here.planName, "nightly-release");
    assert.equal(here.planId, backendPlan(plan).checksum);
    assert.equal((await meta(elsewhere)).planName, "", "no stored plan: planName is empty, as spec 40 §4.9 keeps the key (local status too)");
  });

  it("text shows a running job whose runner the backend left out as 'on ?'", async () => {
    const v2 = await startV2Backend();
    try {
      const at = new Date().toISOString();
      const job = { jobId: "app@dev.build", component: "app", status: "running" as const, deps: [], runnerId: null, startedAt: at, finishedAt: null, lastError: null, heartbeatAt: at };
      delete (job as { runnerId?: unknown }).runnerId; // left out of the backend's answer altogether
      v2.runs.set("unnamed", { runId: "unnamed", checksum: "0123456789ab", status: "running", createdAt: at, updatedAt: at, jobs: new Map([[job.jobId, job]]) });
      const r = await spawnOrun(["status", "--remote-state", "--backend-url", v2.url, "--exec-id", "unnamed"], { cwd: await tempDir(), env: { ORUN_TOKEN: "orun_t", GITHUB_ACTIONS: "", ORUN_BACKEND_URL: "" } }).done;
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /^ {2}● app@dev\.build {2}running .* on \?$/m);
      assert.doesNotMatch(r.output, /undefined/);
    } finally {
      await v2.close();
    }
  });
});
