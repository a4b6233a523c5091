// rev30: a step's `::add-mask::v` ended by a CR (the runner reads CR as a line end) on a line that reaches exactly an
// upload piece (1 MiB characters, 16 pipe reads of 64 KiB) goes up before the scanner has read the mask: the line's
// first MiB is uploaded with the value in clear. LineSplitter hands a line on only past MAX_LINE (size > 1 MiB), while
// JobLog flushes at length >= 1 MiB (job-log.ts output / uploadableEnd → Masker.safeCut, which knows no value yet).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import { startRemoteTestbed, type RemoteTestbed } from "../remote/helpers.js";

const SECRET = "s3cr3t-rev30-cr";
const MiB = 1024 * 1024;

async function remoteLog(bed: RemoteTestbed, runId: string, jobId: string): Promise<string> {
  const res = await fetch(`${bed.backend.url}/v1/runs/${runId}/logs/${encodeURIComponent(jobId)}`, { headers: { Authorization: `Bearer ${bed.token}` } });
  return res.status === 200 ? res.text() : "";
}

describe("rev30: a CR-ended add-mask on a line of exactly one upload piece", () => {
  let bed: RemoteTestbed;
  before(async () => {
    bed = await startRemoteTestbed("orun-rev30-cr-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
  });
  after(() => bed?.close());

  it("never uploads the masked value in clear", { timeout: 60_000 }, async () => {
    const job: PlanJob = { id: "cr@dev.build", name: "build", component: "cr", environment: "dev", dependsOn: [], steps: [{ id: "main", phase: "main", run: "x" }] };
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "cr" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job] };
    const client = new BackendClient({ baseUrl: bed.backend.url, auth: { kind: "token", token: async () => bed.token } });
    const hooks = new RemoteHooks({ client, plan, runId: "cr-line", runnerId: "me", mode: "plan", say: () => undefined, logSecrets: [bed.token] });
    assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
    // A progress line: the mask, then the value, CR-separated, in 64 KiB reads, 16 of them making one MiB exactly.
    const start = `::add-mask::${SECRET}\rusing ${SECRET}\r`;
    const line = start + "#".repeat(MiB - start.length);
    for (let at = 0; at < MiB; at += 64 * 1024) hooks.onStepOutput(job, "main", line.slice(at, at + 64 * 1024));
    hooks.onStepOutput(job, "main", "\rdone\n");
    await hooks.onStepFinished(job, "main", "", false);
    await hooks.afterJob(job, { status: "completed" });
    await hooks.close();
    const log = await remoteLog(bed, "cr-line", job.id);
    assert.ok(log.length > MiB, `the log is uploaded (${log.length} characters)`);
    assert.ok(!log.includes(SECRET), `the backend holds the masked value in clear: ${JSON.stringify(log.slice(0, 80))}`);
  });
});
