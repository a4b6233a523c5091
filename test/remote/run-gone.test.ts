// A remote run deleted while a job of it runs (its database reset, or a
// retention that should not have taken it): the runner says the run is gone,
// stops the job at once — its result can be recorded nowhere — and exits 1,
// instead of printing "heartbeat failed: Run not found" every beat, running
// the job to the end and failing with a bare "Run not found".
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { sql, startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { countMatches, spawnOrun } from "./processes.js";
import { until } from "../support/wait.js";

describe("a remote run deleted under a running job", () => {
  let bed: RemoteTestbed | undefined;
  before(async () => {
    bed = await startRemoteTestbed("orun-gone-", (issuer) => ({ oidc: { issuer: issuer.issuer }, leaseMs: 2000, sweepIntervalMs: 3600_000 }));
  });
  after(() => bed?.close());

  it("stops the job, says the run is gone and exits 1", { timeout: 120_000 }, async () => {
    const { dir, backend, token, db } = bed!;
    const started = path.join(dir, "started");
    const finished = path.join(dir, "finished");
    const job = (id: string, run: string, deps: string[] = []): PlanJob => {
      const [component, rest] = id.split("@");
      const [environment, name] = rest.split(".");
      return { id, name, component, environment, dependsOn: deps, steps: [{ id: "main", phase: "main", run }] };
    };
    const plan: Plan = {
      apiVersion: "orun.io/v1",
      kind: "Plan",
      metadata: { name: "gone" },
      execution: { concurrency: 1, failFast: true },
      spec: {},
      jobs: [job("a@dev.x", `touch ${started}; sleep 20; touch ${finished}`), job("b@dev.x", "echo b-ran", ["a@dev.x"])],
    };
    const planFile = path.join(dir, "gone.json");
    await fs.writeFile(planFile, JSON.stringify(plan));
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, GITHUB_ACTIONS: "", ORUN_EXEC_ID: "gone-running" };
    const runner = spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env });
    await until(() => fs.access(started).then(() => true, () => false), "a to start", 60_000);
    for (const table of ["log_chunks", "jobs", "runs"]) await sql(db.url, `DELETE FROM ${table} WHERE run_id = $1`, ["gone-running"]);

    const r = await runner.done;
    assert.equal(r.code, 1, r.output);
    // Nothing is handed on and there is no run to rejoin: the job is not "released".
    assert.doesNotMatch(r.output, /released|hands it on|another runner|rejoin/, r.output);
    assert.match(r.output, /✗ x .*failed\n.*step {2}main\n.*error stopped here: its remote run is gone from the backend, so no runner takes the job on/, r.output);
    // The local record says so too: failed for that reason, not left pending as if another runner had it.
    const records = path.join(dir, ".orun", "executions");
    const record = (await fs.readdir(records)).find((d) => d.startsWith("gone-running."))!;
    const state = JSON.parse(await fs.readFile(path.join(records, record, "state.json"), "utf8")) as { jobs: Record<string, { status: string; lastError?: string; reason?: string }> };
    assert.equal(state.jobs["a@dev.x"]?.status, "failed", JSON.stringify(state));
    assert.match(state.jobs["a@dev.x"]?.lastError ?? "", /^stopped here: its remote run is gone from the backend/);
    assert.equal(state.jobs["a@dev.x"]?.reason, undefined);
    assert.match(r.output, /! job a@dev\.x: remote run gone-running is gone from the backend \(deleted by its retention, or its database was reset\); stopping it here/);
    assert.match(r.output, /✕ remote run gone-running is gone from the backend at http:\/\/127\.0\.0\.1:\d+ while job a@dev\.x ran: .*the job's result could not be recorded \(start the run again under a new --exec-id\)/);
    assert.equal(countMatches(r.output, /heartbeat for a@dev\.x failed/), 0, r.output);
    assert.doesNotMatch(r.output, /b-ran/);
    assert.equal(await fs.access(finished).then(() => true, () => false), false, "the job was stopped, not run to its end");
  });
});
