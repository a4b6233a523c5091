// rev31 review: f4eb28c bounds a running step's upload by what its mask scanner has read
// (JobLog.uploadableEnd: min(end, text.length - scanner.unread)). On a line over 1 MiB the scanner reads a piece of
// exactly MAX_LINE characters, so that bound is a fixed place in the line, and it is taken over Masker.safeCut's
// place: a masked value lying across it is cut through. Each upload is masked alone, so the value's two halves go
// up in clear, one after the other in the stored log — the value whole, in clear, on the backend.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import { startRemoteTestbed, type RemoteTestbed } from "../remote/helpers.js";

const SECRET = "s3cr3t-rev31cut";
const MiB = 1024 * 1024;

describe("rev31: a running step's upload cut at its mask scanner's piece", () => {
  let bed: RemoteTestbed;
  before(async () => {
    bed = await startRemoteTestbed("orun-rev31cut-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
  });
  after(() => bed?.close());

  it("never cuts through a masked value the scanner's 1 MiB piece ends inside", { timeout: 60_000 }, async () => {
    const job: PlanJob = { id: "long@dev.build", name: "build", component: "long", environment: "dev", dependsOn: [], steps: [{ id: "main", phase: "main", run: "x" }] };
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "long" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job] };
    const client = new BackendClient({ baseUrl: bed.backend.url, auth: { kind: "token", token: async () => bed.token } });
    const hooks = new RemoteHooks({ client, plan, runId: "scanner-cut", runnerId: "me", mode: "plan", say: () => undefined, logSecrets: [bed.token] });
    assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
    hooks.onStepOutput(job, "main", `::add-mask::${SECRET}\n`);
    // One chunk: the line's first MAX_LINE characters end 6 characters into the value; more of the line follows it.
    hooks.onStepOutput(job, "main", `${"x".repeat(MiB - 6)}${SECRET}${"y".repeat(100)}`);
    hooks.onStepOutput(job, "main", " end\n");
    await hooks.onStepFinished(job, "main", "", false);
    await hooks.afterJob(job, { status: "completed" });
    await hooks.close();
    const res = await fetch(`${bed.backend.url}/v1/runs/scanner-cut/logs/${encodeURIComponent(job.id)}`, { headers: { Authorization: `Bearer ${bed.token}` } });
    const log = await res.text();
    assert.equal(res.status, 200, log.slice(0, 300));
    const at = log.indexOf(SECRET);
    assert.equal(at, -1, `the value is on the backend in clear: …${log.slice(Math.max(0, at - 10), at + SECRET.length + 10)}…`);
    assert.ok(log.endsWith(`${"x".repeat(10)}***${"y".repeat(100)} end\n`), log.slice(-150));
  });
});
