// A job's log that would end within a marker's length of the backend's cap still ends with the truncation marker:
// once the backend named its cap (its append answers do), an append that would leave no room for the marker is cut
// with it instead. Before, the next step's output met a 413 with no room left and the log ended without the marker
// (upmask29: masking whole lines moved the 1 MiB pieces' ends so that big-step-logs met exactly this).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";

const CAP = 4096;

describe("the truncation marker near the backend's cap", () => {
  let bed: RemoteTestbed;
  before(async () => {
    bed = await startRemoteTestbed("orun-marker-room-", (issuer) => ({ oidc: { issuer: issuer.issuer }, maxLogBytes: CAP }));
  });
  after(() => bed?.close());

  it("a step whose output would take the log to 10 bytes below the cap is cut there with the marker, the next step's output counted", async () => {
    const steps = ["first", "fill", "more"].map((id) => ({ id, phase: "main" as const, run: "x" }));
    const job: PlanJob = { id: "cap@dev.build", name: "build", component: "cap", environment: "dev", dependsOn: [], steps };
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "cap" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job] };
    const client = new BackendClient({ baseUrl: bed.backend.url, auth: { kind: "token", token: async () => bed.token } });
    const said: string[] = [];
    const hooks = new RemoteHooks({ client, plan, runId: "marker-room", runnerId: "me", mode: "plan", say: (line) => said.push(line) });
    assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
    const first = "=== first ===\nhello\n";
    await hooks.onStepFinished(job, "first", "hello\n", false);
    const fill = `${"y".repeat(CAP - 10 - first.length - "=== fill ===\n".length - 1)}\n`;
    await hooks.onStepFinished(job, "fill", fill, false);
    await hooks.onStepFinished(job, "more", "more output\n", false);
    await hooks.afterJob(job, { status: "completed" });
    await hooks.close();
    const res = await fetch(`${bed.backend.url}/v1/runs/marker-room/logs/${encodeURIComponent(job.id)}`, { headers: { Authorization: `Bearer ${bed.token}` } });
    const log = await res.text();
    assert.ok(Buffer.byteLength(log) <= CAP, `${Buffer.byteLength(log)} bytes`);
    assert.ok(log.startsWith(`${first}=== fill ===\nyyy`), log.slice(0, 100));
    assert.match(log, new RegExp(`\\n\\[orun\\] log truncated at the backend's ${CAP}-byte cap: \\d+ bytes of step fill dropped; later output of this job is not uploaded\\n$`), log.slice(-300));
    assert.ok(said.some((line) => /truncated at the backend's size cap: \d+ bytes not uploaded/.test(line)), said.join("\n"));
  });
});
