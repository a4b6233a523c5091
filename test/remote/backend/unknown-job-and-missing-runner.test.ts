// Spec 40 §7 conformance cases 23 and 24 for every coordination write: claim, update and heartbeat of an unknown
// job, or in a run never created, are 404; runnable of a run never created is 404; a body without runnerId is 400
// INVALID_REQUEST; update with status "cancelled" is 400.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, planOf, startTestBackend, testDatabase, tokenFor, type TestBackend, type TestDatabase } from "../helpers.js";

describe("coordination writes: unknown jobs and runs, missing runnerId", () => {
  let db: TestDatabase;
  let backend: TestBackend;
  let token: string;
  before(async () => {
    db = (await testDatabase("sqlite"))!;
    backend = await startTestBackend(db.url, { rateLimit: { capacity: 10_000, refillPerSecond: 10_000 } });
    token = await tokenFor(backend.store, "acme/widgets");
  });
  after(async () => {
    await backend?.stop();
    await db?.cleanup();
  });

  it("cases 23, 24: 404 for an unknown job or run on claim, update, heartbeat and runnable; 400 without runnerId", async () => {
    const call = (method: string, path: string, body?: unknown) => api(backend.url, token, method, path, body);
    assert.equal((await call("POST", "/v1/runs", { plan: planOf({ a: [] }), runId: "known" })).status, 201);
    const bodies: Record<string, unknown> = { claim: { runnerId: "r1" }, update: { runnerId: "r1", status: "success" }, heartbeat: { runnerId: "r1" } };
    for (const [action, body] of Object.entries(bodies)) {
      for (const path of [`/v1/runs/known/jobs/ghost/${action}`, `/v1/runs/never-created/jobs/a/${action}`]) {
        const res = await call("POST", path, body);
        assert.deepEqual([res.status, res.body.code], [404, "NOT_FOUND"], `${path}: ${res.text}`);
      }
      const { runnerId: _dropped, ...withoutRunner } = body as Record<string, unknown>;
      const missing = await call("POST", `/v1/runs/known/jobs/a/${action}`, withoutRunner);
      assert.deepEqual([missing.status, missing.body.code], [400, "INVALID_REQUEST"], `${action} without runnerId: ${missing.text}`);
      assert.match(String(missing.body.error), /runnerId/);
    }
    const runnable = await call("GET", "/v1/runs/never-created/runnable");
    assert.deepEqual([runnable.status, runnable.body.code], [404, "NOT_FOUND"], runnable.text);
    assert.equal((await call("POST", "/v1/runs/known/jobs/a/claim", { runnerId: "r1" })).body.claimed, true);
    const cancelled = await call("POST", "/v1/runs/known/jobs/a/update", { runnerId: "r1", status: "cancelled" });
    assert.deepEqual([cancelled.status, cancelled.body.code], [400, "INVALID_REQUEST"]);
    // Nothing above changed the job: it is still r1's and running.
    const jobs = await api<{ jobs: { jobId: string; status: string; runnerId: string }[] }>(backend.url, token, "GET", "/v1/runs/known/jobs");
    assert.deepEqual(jobs.body.jobs.map((j) => [j.jobId, j.status, j.runnerId]), [["a", "running", "r1"]]);
  });
});
