// Big step output under remote state. The runtime keeps only a step's first MiB for its result; the remote log
// must still get the whole stream (up to the backend's --max-log-size), and past the cap say how much it lost.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun, writePlan } from "./processes.js";
import { until } from "../support/wait.js";

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

  it("a running step's lines reach the backend within seconds, before the step ends (logs --follow shows progress)", { timeout: 120_000 }, async () => {
    const go = path.join(bed.dir, "go-live");
    const plan = await writePlan(bed.dir, "live", [{ id: "live@dev.deploy", run: `echo first-line; printf 'partial'; while [ ! -f ${go} ]; do sleep 0.05; done; echo ' line'; echo last-line` }]);
    const run = spawnOrun(["run", plan, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "live"], { cwd: bed.dir, env: env() });
    let seen = "";
    await until(async () => {
      const res = await fetch(`${bed.backend.url}/v1/runs/live/logs/live%40dev.deploy`, { headers: { Authorization: `Bearer ${bed.token}` } });
      seen = res.status === 200 ? await res.text() : "";
      return seen.includes("first-line");
    }, "the running step's first line on the backend", 90_000); // a deadline, not a speed: it timed out at 20 s under load
    // The step is still waiting for the file: only whole lines went up, the partial one waits for its end.
    assert.equal(seen, "=== main ===\nfirst-line\n");
    await fs.writeFile(go, "");
    const result = await run.done;
    assert.equal(result.code, 0, result.output);
    assert.equal(await remoteLog(bed, "live", "live@dev.deploy"), "=== main ===\nfirst-line\npartial line\nlast-line\n");
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

/** The file the flooding step touches once it has written everything. */
const STEP_ENDED = "flood-step-ended";

describe("a backend slower than the step writes", () => {
  let bed: RemoteTestbed;
  let relay: http.Server;
  let relayUrl: string;
  before(async () => {
    bed = await startRemoteTestbed("orun-rem16-slowlog-", (issuer) => ({ oidc: { issuer: issuer.issuer }, maxLogBytes: 64 * MiB }));
    // Log appends wait for the step to end (it touches STEP_ENDED last), then take 500 ms each on their way to the
    // backend; everything else passes straight through. Held until then, the appends the runner sends while the step
    // writes are its first piece alone (one append is in flight at a time): what reaches the backend is that piece and
    // the queue, whatever the machine's speed. Let through as the step ran, a slow machine uploaded more meanwhile.
    const stepEnded = () => until(() => fs.stat(path.join(bed.dir, STEP_ENDED)).then(() => true, () => false), "the step's end", 60_000);
    const target = new URL(bed.backend.url);
    relay = http.createServer((req, res) => {
      const forward = () => {
        const out = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        out.on("error", () => res.destroy());
        req.pipe(out);
      };
      if (req.method === "POST" && req.url?.includes("/logs/")) void stepEnded().finally(() => setTimeout(forward, 500));
      else forward();
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  });
  after(async () => {
    relay?.closeAllConnections();
    await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
    await bed?.close();
  });

  it("keeps at most 16 MiB queued: what it drops is marked where it is missing, and every byte is accounted for", { timeout: 120_000 }, async () => {
    const plan = await writePlan(bed.dir, "flood", [{ id: "flood@dev.build", run: `${printer(48, "the-end")}; touch ${path.join(bed.dir, STEP_ENDED)}` }]);
    const run = await spawnOrun(["run", plan, "--remote-state", "--backend-url", relayUrl, "--exec-id", "flood"], {
      cwd: bed.dir,
      env: { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "" },
    }).done;
    assert.equal(run.code, 0, run.output.slice(-2000));
    const log = await remoteLog(bed, "flood", "flood@dev.build");
    assert.ok(log.startsWith("=== main ===\n"));
    const gaps = [...log.matchAll(/(?:^|\n)\[orun\] (\d+) bytes of step main not uploaded: the backend took this log more slowly than the step wrote it\n/g)];
    assert.ok(gaps.length >= 1, `no gap marker in ${Buffer.byteLength(log)} bytes`);
    const kept = log.replace(/[^x]/g, "").length;
    // The first piece and the 16 MiB queue, plus slack for the runner still reading the step's output file when the
    // step touched STEP_ENDED: on a loaded machine it read on as the held appends drained (18.2 MiB seen at load 15).
    // Without the cap every one of the 48 MiB would go up.
    assert.ok(kept <= 21 * MiB, `${kept} bytes of x uploaded: more than was allowed to queue`);
    // The x's uploaded and the bytes said to be missing add up to what the step wrote (x's and their newlines).
    const missing = gaps.reduce((sum, m) => sum + Number(m[1]), 0);
    const written = 48 * MiB + Math.ceil((48 * MiB) / 99) + "the-end\n".length;
    const uploadedOfStep = Buffer.byteLength(log) - "=== main ===\n".length - gaps.reduce((sum, m) => sum + Buffer.byteLength(m[0]), 0);
    assert.ok(Math.abs(uploadedOfStep + missing - written) <= gaps.length * 2, `uploaded ${uploadedOfStep} + missing ${missing} vs written ${written}`);
  });
});
