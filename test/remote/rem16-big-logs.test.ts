// Big step output under remote state. The runtime keeps only a step's first MiB for its result; the remote log
// must still get the whole stream (up to the backend's --max-log-size), and past the cap say how much it lost.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun, writePlan } from "./processes.js";

const MiB = 1024 * 1024;

/** A step printing `mib` MiB of x in lines of 99 (the last one shorter), then a line `tail`. */
function printer(mib: number, tail: string): string {
  return `head -c ${mib * MiB} /dev/zero | tr '\\0' 'x' | fold -w 99; echo; echo ${tail}`;
}

async function remoteLog(bed: RemoteTestbed, runId: string, jobId: string): Promise<string> {
  const res = await fetch(`${bed.backend.url}/v1/runs/${runId}/logs/${encodeURIComponent(jobId)}`, { headers: { Authorization: `Bearer ${bed.token}` } });
  assert.equal(res.status, 200);
  return res.text();
}

describe("remote logs of steps printing megabytes", () => {
  let bed: RemoteTestbed;
  before(async () => {
    bed = await startRemoteTestbed("orun-rem16-biglog-", (issuer) => ({ oidc: { issuer: issuer.issuer }, maxLogBytes: 8 * MiB }));
  });
  after(() => bed?.close());

  const env = () => ({ ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "" });

  it("a 3 MiB step under the 8 MiB cap reaches the backend whole, its last line included", { timeout: 120_000 }, async () => {
    const plan = await writePlan(bed.dir, "big", [{ id: "big@dev.build", run: printer(3, "the-last-line") }]);
    const run = await spawnOrun(["run", plan, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "big-whole"], { cwd: bed.dir, env: env() }).done;
    assert.equal(run.code, 0, run.output.slice(-2000));
    assert.doesNotMatch(run.output, /truncated/);
    const log = await remoteLog(bed, "big-whole", "big@dev.build");
    const lines = log.split("\n");
    assert.equal(lines[0], "=== main ===");
    assert.equal(log.endsWith("\nthe-last-line\n"), true, JSON.stringify(log.slice(-200)));
    assert.doesNotMatch(log, /output truncated/);
    // Every byte the step wrote, once: the header, 3 MiB of x (with fold's newlines), the last line.
    const xs = log.replace(/[^x]/g, "").length;
    assert.equal(xs, 3 * MiB);
  });

  it("a 12 MiB step over the cap keeps what fits, ends with the marker, and the runner counts the bytes it dropped", { timeout: 120_000 }, async () => {
    const plan = await writePlan(bed.dir, "huge", [{ id: "huge@dev.build", run: printer(12, "never-uploaded") }]);
    const run = await spawnOrun(["run", plan, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "big-capped"], { cwd: bed.dir, env: env() }).done;
    assert.equal(run.code, 0, run.output.slice(-2000));
    const log = await remoteLog(bed, "big-capped", "huge@dev.build");
    assert.ok(Buffer.byteLength(log) <= 8 * MiB);
    assert.ok(Buffer.byteLength(log) > 7 * MiB, `kept ${Buffer.byteLength(log)} bytes of an 8 MiB cap`);
    assert.match(log, /\n\[orun\] log truncated at the backend's 8388608-byte cap: \d+ bytes of step main dropped; later output of this job is not uploaded\n$/);
    assert.doesNotMatch(log, /never-uploaded/);
    const dropped = Number(/truncated at the backend's size cap: (\d+) bytes not uploaded/.exec(run.output)?.[1]);
    // fold puts a newline between lines of 99, echo one after the last: one per started line.
    const written = "=== main ===\n".length + 12 * MiB + Math.ceil((12 * MiB) / 99) + "never-uploaded\n".length;
    // What was not uploaded is what the step wrote less what the backend kept (give or take the marker line).
    assert.ok(Math.abs(dropped - (written - Buffer.byteLength(log))) < 300, `dropped ${dropped}, wrote ${written}, kept ${Buffer.byteLength(log)}`);
  });

  it("a retried step's attempts are all in the log, each retry marked as in the local step log", async () => {
    const job: PlanJob = { id: "r@dev.build", name: "build", component: "r", environment: "dev", dependsOn: [], retries: 2, steps: [{ id: "main", phase: "main", run: "x" }] };
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "retried" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job] };
    const client = new BackendClient({ baseUrl: bed.backend.url, auth: { kind: "token", token: async () => bed.token } });
    const hooks = new RemoteHooks({ client, plan, runId: "retried", runnerId: "me", mode: "plan", say: () => undefined });
    assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
    hooks.onStepOutput(job, "main", "attempt 1\n");
    hooks.onStepRetry(job, "main", 2, 3);
    hooks.onStepOutput(job, "main", "attempt 2\nok");
    await hooks.onStepFinished(job, "main", "attempt 2\nok", false);
    await hooks.afterJob(job, { status: "completed" });
    await hooks.close();
    assert.equal(await remoteLog(bed, "retried", job.id), "=== main ===\nattempt 1\n\n↻ retry 2/3\nattempt 2\nok\n");
  });
});
