// Which failures a runner reports as `tolerated` (they do not stop a failFast
// run, as in a local run): only `onFailure: continue` steps failed. A step
// without it, a finalizer error, or a failure outside the steps trips
// fail-fast; a canceled job is released, not reported. Against a scripted backend on loopback, as the runner sends it.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { CANCELED_RELEASED_REASON } from "../../src/runtime/job-executor.js";

describe("remote hooks: tolerated failures", () => {
  const updates: Record<string, unknown>[] = [];
  const releases: Record<string, unknown>[] = [];
  let server: http.Server;
  let baseUrl: string;
  before(async () => {
    server = http.createServer((req, res) => {
      let raw = "";
      req.on("data", (d: Buffer) => (raw += d.toString()));
      req.on("end", () => {
        const path = new URL(req.url ?? "/", "http://x").pathname;
        if (path.endsWith("/update")) updates.push(JSON.parse(raw) as Record<string, unknown>);
        if (path.endsWith("/release")) releases.push(JSON.parse(raw) as Record<string, unknown>);
        const body = path === "/v1/runs" ? { runId: "r", status: "running", createdAt: "" } : path.endsWith("/claim") ? { claimed: true, leaseMs: 60_000 } : path.includes("/logs/") ? { ok: true, bytes: 1 } : { ok: true };
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const job: PlanJob = {
    id: "api@dev.ci",
    name: "ci",
    component: "api",
    environment: "dev",
    dependsOn: [],
    steps: [
      { id: "test", phase: "main", run: "true" },
      { id: "lint", phase: "pre", run: "false", onFailure: "continue" },
      { id: "cleanup", phase: "post", run: "true" },
    ],
  };
  const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "p" }, execution: { concurrency: 1, failFast: true }, spec: {}, jobs: [job] };

  /** Runs one job through the hooks: its steps' outcomes, then the job's result (`released`: the executor's verdict); returns the update sent. */
  const report = async (failedSteps: string[], error: string, stop?: (run: AbortController) => void, released?: string) => {
    const hooks = new RemoteHooks({ client: new BackendClient({ baseUrl, auth: { kind: "token", token: async () => "t" } }), plan, runId: "r", runnerId: "me", mode: "job", say: () => undefined });
    const run = new AbortController();
    assert.equal((await hooks.beforeJob(job, run.signal)).action, "run");
    stop?.(run);
    for (const key of ["lint", "test", "cleanup"]) await hooks.onStepFinished(job, key, `${key} output\n`, failedSteps.includes(key));
    await hooks.afterJob(job, { status: "failed", error, ...(released ? { released } : {}) });
    await hooks.close();
    return updates.at(-1);
  };

  it("only onFailure: continue steps failed → tolerated", async () => {
    assert.deepEqual(await report(["lint"], "step lint: exit status 1"), { runnerId: "me", status: "failed", error: "step lint: exit status 1", tolerated: true });
  });

  it("a job cancelled on its runner (Ctrl-C, SIGTERM) → no result at all: given back (released), it stops that runner, not the run", async () => {
    const before = updates.length;
    await report(["test"], "step test: signal: terminated", (run) => run.abort(), CANCELED_RELEASED_REASON);
    assert.equal(updates.length, before, JSON.stringify(updates.slice(before)));
    assert.deepEqual(releases.at(-1), { runnerId: "me", reason: "canceled while it ran (step test: signal: terminated)" });
  });

  it("a step without onFailure: continue, a finalizer error, or a cancel → not tolerated", async () => {
    for (const [failed, error] of [
      [["lint", "test"], "step test: exit status 2"],
      [["test"], "step test: exit status 2"],
      [["lint"], "job finalizer: docker rm failed"],
      [[], "step test: canceled before it started"],
    ] as const) {
      // Local fail-fast stopping admission (a reason of its own) while the job ran is no cancel of the job.
      const sent2 = await report([...failed], error, (run) => run.abort("not started: fail-fast after z@dev.x failed"));
      assert.equal(sent2?.tolerated, undefined, `${failed.join("+")}: ${error} (fail-fast elsewhere in this runner)`);
      const sent = await report([...failed], error);
      assert.equal(sent?.tolerated, undefined, `${failed.join("+")}: ${error}`);
      assert.equal(sent?.status, "failed");
    }
  });
});
