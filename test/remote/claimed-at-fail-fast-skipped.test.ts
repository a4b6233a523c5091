// A job this runner had claimed when fail-fast tripped never started: the backend records it skipped with the stop's
// reason (`not started: fail-fast after X failed`), as the run's jobs the stop kept from starting, not as a failure,
// so retrying X reopens it with them. Before, it was recorded failed (tolerated) and stayed failed after X's retry.
// A real `orun backend serve` (SQLite) on loopback; the runner's hooks in-process, driven as the executor drives them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { servedBackend } from "./backend-process-bed.js";

const job = (id: string): PlanJob => {
  const [component, rest] = id.split("@") as [string, string];
  const [environment, name] = rest.split(".") as [string, string];
  return { id, name, component, environment, dependsOn: [], steps: [{ id: "main", phase: "main", run: "true" }] };
};

describe("remote fail-fast: a job claimed as it trips", () => {
  const served = servedBackend("sqlite");

  it("is recorded skipped with the stop's reason, and retrying the failed job reopens it", async () => {
    const lint = job("api@dev.lint");
    const ci = job("api@dev.ci");
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "ff" }, execution: { concurrency: 2, failFast: true }, spec: {}, jobs: [lint, ci] };
    const client = new BackendClient({ baseUrl: served.backend.url, auth: { kind: "token", token: async () => served.token } });
    const said: string[] = [];
    const runId = "ff-claimed-1";
    const hooks = new RemoteHooks({ client, plan, runId, runnerId: "me", mode: "plan", say: (line) => void said.push(line) });
    const run = new AbortController();
    const decision = await hooks.beforeJob(ci, run.signal);
    assert.equal(decision.action === "run" && decision.claimed, true, JSON.stringify(decision));

    // Another job of this runner fails meanwhile (reported as the executor reports it): the run stops.
    const lintClaim = await client.claim(runId, lint.id, "me");
    assert.equal(lintClaim.claimed, true);
    await client.update(runId, lint.id, { runnerId: "me", status: "failed", error: "step main: exit status 1" }, { lease: lintClaim.leaseToken });
    // This runner's fail-fast reaches the claimed job before its first step: handed back to the hooks as held.
    const reason = "not started: fail-fast after api@dev.lint failed";
    run.abort(reason);
    hooks.onJobNotRun(ci, "blocked", reason);
    await hooks.close();

    const recorded = await client.jobStatus(runId, ci.id);
    assert.deepEqual({ status: recorded.status, lastError: recorded.lastError }, { status: "skipped", lastError: reason });
    assert.ok(said.includes(`! job api@dev.ci was claimed but not started: this runner stopped starting jobs (fail-fast after api@dev.lint failed); it is recorded as skipped (not started) in remote run ${runId}, as the jobs the run's stop kept from starting`), said.join("\n"));

    // Retrying lint reopens the run, and ci with it.
    const retried = await client.claim(runId, lint.id, "me", { retry: true });
    assert.equal(retried.retried, true, JSON.stringify(retried));
    assert.deepEqual(retried.reopened, [ci.id]);
    assert.equal((await client.jobStatus(runId, ci.id)).status, "pending");
  });
});
