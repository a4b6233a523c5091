// rev30: a step's `::add-mask::v` ended by a CR (the runner reads CR as a line end) on a line that reached exactly an
// upload piece (1 MiB characters, 16 pipe reads of 64 KiB) went up before the scanner had read the mask: the line's
// first MiB was uploaded with the value in clear. LineSplitter handed a line on only past MAX_LINE (size > 1 MiB), while
// JobLog flushed at length >= 1 MiB (job-log.ts output / uploadableEnd → Masker.safeCut, which knew no value yet).
// Fixed: the step's scanner reads a line at its CR, and JobLog never uploads past what the scanner has read (and
// flushes past a piece, > 1 MiB, as the scanner reads).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";

const SECRET = "s3cr3t-rev30-cr";
const MiB = 1024 * 1024;

async function remoteLog(bed: RemoteTestbed, runId: string, jobId: string): Promise<string> {
  const res = await fetch(`${bed.backend.url}/v1/runs/${runId}/logs/${encodeURIComponent(jobId)}`, { headers: { Authorization: `Bearer ${bed.token}` } });
  return res.status === 200 ? res.text() : "";
}

/** The log the backend holds of a one-step job whose step printed `chunks`, uploaded through RemoteHooks. */
async function uploaded(bed: RemoteTestbed, runId: string, chunks: string[]): Promise<string> {
  const job: PlanJob = { id: "cr@dev.build", name: "build", component: "cr", environment: "dev", dependsOn: [], steps: [{ id: "main", phase: "main", run: "x" }] };
  const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "cr" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job] };
  const client = new BackendClient({ baseUrl: bed.backend.url, auth: { kind: "token", token: async () => bed.token } });
  const hooks = new RemoteHooks({ client, plan, runId, runnerId: "me", mode: "plan", say: () => undefined, logSecrets: [bed.token] });
  assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
  for (const chunk of chunks) hooks.onStepOutput(job, "main", chunk);
  await hooks.onStepFinished(job, "main", "", false);
  await hooks.afterJob(job, { status: "completed" });
  await hooks.close();
  return remoteLog(bed, runId, job.id);
}

describe("rev30: a CR-ended add-mask on a line of exactly one upload piece", () => {
  let bed: RemoteTestbed;
  before(async () => {
    bed = await startRemoteTestbed("orun-rev30-cr-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
  });
  after(() => bed?.close());

  it("never uploads the masked value in clear", { timeout: 60_000 }, async () => {
    // A progress line: the mask, then the value, CR-separated, in 64 KiB reads, 16 of them making one MiB exactly.
    const start = `::add-mask::${SECRET}\rusing ${SECRET}\r`;
    const line = start + "#".repeat(MiB - start.length);
    const chunks: string[] = [];
    for (let at = 0; at < MiB; at += 64 * 1024) chunks.push(line.slice(at, at + 64 * 1024));
    const log = await uploaded(bed, "cr-line", [...chunks, "\rdone\n"]);
    assert.ok(!log.includes(SECRET), `the backend holds the masked value in clear: ${JSON.stringify(log.slice(0, 80))}`);
    assert.ok(log === `=== main ===\n${line.split(SECRET).join("***")}\rdone\n`, `the whole log, masked, is uploaded: ${JSON.stringify(log.slice(0, 80))} (${log.length} characters)`);
  });

  it("uploads no part of a line past a CR whose mask command has not ended yet, however long the line", { timeout: 60_000 }, async () => {
    // The line (from its LF) is past a piece, so a part of it goes up while the step runs; its last CR-ended part
    // is a mask whose end (the next CR) has not arrived: the part after that CR waits for it.
    const progress = "#".repeat(MiB - 100);
    const value = `${SECRET}-${"x".repeat(200)}`;
    const log = await uploaded(bed, "cr-pending", [`${progress}\r`, `::add-mask::${value}`, `\rusing ${value}\n`]);
    assert.ok(!log.includes(SECRET), `the backend holds the masked value in clear: ${JSON.stringify(log.slice(MiB - 120, MiB + 40))}`);
    assert.ok(log === `=== main ===\n${progress}\r::add-mask::***\rusing ***\n`, `the whole log, masked, is uploaded (${log.length} characters)`);
  });
});
