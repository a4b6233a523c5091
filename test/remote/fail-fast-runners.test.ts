// Fail-fast across real runners (`orun run --job … --remote-state` processes):
// in a failFast plan, a job failing on one runner stops the run on the others
// — a runner waiting for a dependency that is still running exits non-zero
// with a clear message as soon as the failure lands, and a runner started
// after it starts nothing — while the job already running elsewhere finishes.
// Ordering is observed through files the steps write, not sleeps.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun } from "./processes.js";
import { until } from "../support/wait.js";

describe("fail-fast across runners, and a run that goes while runners wait", () => {
  let bed: RemoteTestbed | undefined;
  before(async () => {
    bed = await startRemoteTestbed("orun-failfast-", (issuer) => ({ oidc: { issuer: issuer.issuer }, leaseMs: 6000, sweepIntervalMs: 200 }));
  });
  after(() => bed?.close());

  it("a failure on one runner stops the others from starting jobs; the running job finishes", { timeout: 180_000 }, async () => {
    const { dir, backend, token } = bed!;
    const file = (name: string) => path.join(dir, name);
    const job = (id: string, run: string, deps: string[] = []): PlanJob => {
      const [component, rest] = id.split("@");
      const [environment, name] = rest.split(".");
      return { id, name, component, environment, dependsOn: deps, steps: [{ id: "main", phase: "main", run }] };
    };
    const ledger = file("ledger");
    const plan: Plan = {
      apiVersion: "orun.io/v1",
      kind: "Plan",
      metadata: { name: "ff" },
      execution: { concurrency: 2, failFast: true },
      spec: {},
      jobs: [
        job("db@dev.migrate", `while [ ! -f ${file("fail")} ]; do sleep 0.05; done; echo db >> ${ledger}; exit 3`),
        job("cache@dev.warm", `echo cache-started >> ${ledger}; while [ ! -f ${file("finish")} ]; do sleep 0.05; done; echo cache-done >> ${ledger}`),
        job("api@dev.deploy", `echo api >> ${ledger}`, ["cache@dev.warm"]),
        job("web@dev.deploy", `echo web >> ${ledger}`),
      ],
    };
    const planFile = file("plan.json");
    await fs.writeFile(planFile, JSON.stringify(plan));
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, GITHUB_ACTIONS: "", ORUN_EXEC_ID: "ff-1" };
    const runner = (jobId: string) => spawnOrun(["run", planFile, "--job", jobId, "--remote-state"], { cwd: dir, env });

    const cache = runner("cache@dev.warm");
    await until(async () => (await fs.readFile(ledger, "utf8").catch(() => "")).includes("cache-started"), "cache to start", 60_000);
    const api = runner("api@dev.deploy");
    const db = runner("db@dev.migrate");
    await until(() => /waiting for dependencies of api@dev\.deploy/.test(api.output()) && /db@dev\.migrate/.test(db.output()), "api to wait and db to run", 60_000);

    await fs.writeFile(file("fail"), "");
    const rdb = await db.done;
    assert.equal(rdb.code, 1, rdb.output);
    const rapi = await api.done;
    assert.equal(rapi.code, 1, rapi.output);
    assert.match(rapi.output, /✕ remote run ff-1 stopped: its plan is failFast and db@dev\.migrate failed; job api@dev\.deploy and any others not started here will not run/);
    assert.doesNotMatch(rapi.output, /does not stop remote run/, "this backend confirms the run is failFast: no v2 caveat");
    assert.ok(rapi.exitedAt - rdb.exitedAt < 10_000, `the waiting runner stopped ${rapi.exitedAt - rdb.exitedAt} ms after the failure`);

    // A runner started after the failure starts nothing.
    const late = await runner("web@dev.deploy").done;
    assert.equal(late.code, 1, late.output);
    assert.match(late.output, /remote run ff-1 stopped: its plan is failFast and db@dev\.migrate failed/);

    // The job that was running finishes, and its result counts.
    await fs.writeFile(file("finish"), "");
    const rcache = await cache.done;
    assert.equal(rcache.code, 0, rcache.output);
    assert.deepEqual((await fs.readFile(ledger, "utf8")).trim().split("\n").sort(), ["cache-done", "cache-started", "db"], "neither api nor web ran");

    const status = await spawnOrun(["status", "--remote-state", "--json"], { cwd: dir, env }).done;
    const jobs = (JSON.parse(status.output) as { meta: { status: string }; state: { jobs: Record<string, { status: string; lastError?: string }> } });
    assert.equal(jobs.meta.status, "failed");
    assert.deepEqual(Object.fromEntries(Object.entries(jobs.state.jobs).map(([id, j]) => [id, j.status])), {
      "db@dev.migrate": "failed",
      "cache@dev.warm": "completed",
      "api@dev.deploy": "skipped",
      "web@dev.deploy": "skipped",
    });
  });

  it("Ctrl-C on one runner stops only that runner: its cancelled job does not stop a failFast run", { timeout: 120_000 }, async () => {
    const { dir, backend, token } = bed!;
    const file = (name: string) => path.join(dir, name);
    const job = (id: string, run: string): PlanJob => {
      const [component, rest] = id.split("@");
      const [environment, name] = rest.split(".");
      return { id, name, component, environment, dependsOn: [], steps: [{ id: "main", phase: "main", run }] };
    };
    const plan: Plan = {
      apiVersion: "orun.io/v1",
      kind: "Plan",
      metadata: { name: "ctrl-c" },
      execution: { concurrency: 1, failFast: true },
      spec: {},
      jobs: [job("long@dev.x", `touch ${file("long-started")}; sleep 60`), job("later@dev.x", "echo later-ran")],
    };
    const planFile = file("ctrl-c.json");
    await fs.writeFile(planFile, JSON.stringify(plan));
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, GITHUB_ACTIONS: "", ORUN_EXEC_ID: "ctrl-c-1" };
    const long = spawnOrun(["run", planFile, "--job", "long@dev.x", "--remote-state"], { cwd: dir, env });
    await until(async () => (await fs.stat(file("long-started")).catch(() => undefined)) !== undefined, "long to start", 60_000);
    long.child.kill("SIGINT");
    const rl = await long.done;
    assert.equal(rl.code, 130, rl.output);
    const state = await backend.store.getRun((await backend.store.listTokens())[0]!.namespace, "ctrl-c-1");
    assert.equal(state?.jobs.find((j) => j.jobId === "long@dev.x")?.status, "pending", "the cancelled job is given back (released), not failed");
    assert.equal(state?.run.stoppedReason, null, "but the run did not stop");
    const later = await spawnOrun(["run", planFile, "--job", "later@dev.x", "--remote-state", "--verbose"], { cwd: dir, env }).done;
    assert.equal(later.code, 0, later.output);
    assert.match(later.output, /later-ran/);
  });

  it("a runner waiting in a run that retention deleted says the run is gone, not 'Run not found'", { timeout: 120_000 }, async () => {
    const { dir, backend, token } = bed!;
    const job = (id: string, deps: string[] = []): PlanJob => {
      const [component, rest] = id.split("@");
      const [environment, name] = rest.split(".");
      return { id, name, component, environment, dependsOn: deps, steps: [{ id: "main", phase: "main", run: "echo ran" }] };
    };
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "gone" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job("a@dev.x"), job("b@dev.x", ["a@dev.x"])] };
    const planFile = path.join(dir, "gone.json");
    await fs.writeFile(planFile, JSON.stringify(plan));
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, GITHUB_ACTIONS: "", ORUN_EXEC_ID: "gone-1" };
    const waiter = spawnOrun(["run", planFile, "--job", "b@dev.x", "--remote-state"], { cwd: dir, env });
    await until(() => /waiting for dependencies of b@dev\.x/.test(waiter.output()), "b to wait", 60_000);
    // Nothing in the run changes (a is never claimed): retention deletes it.
    assert.ok((await backend.store.deleteRunsUpdatedBefore(new Date(Date.now() + 60_000).toISOString())) >= 1);
    const r = await waiter.done;
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /✕ remote run gone-1 is gone from the backend at http:\/\/127\.0\.0\.1:\d+ while job b@dev\.x waited: deleted by its retention \(--retention\) after nothing in it changed, or its database was reset \(start the run again under a new --exec-id\)/);
  });
});
