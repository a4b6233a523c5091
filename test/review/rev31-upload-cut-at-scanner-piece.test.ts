// rev31 review: f4eb28c bounds a running step's upload by what its mask scanner has read
// (JobLog.uploadableEnd: min(end, text.length - scanner.unread)). On a line over 1 MiB the scanner reads a piece of
// exactly MAX_LINE characters, so that bound is a fixed place in the line, and it is taken over Masker.safeCut's
// place: a masked value lying across it is cut through. Each upload is masked alone, so the value's two halves go
// up in clear, one after the other in the stored log — the value whole, in clear, on the backend.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import { startRemoteTestbed, type RemoteTestbed } from "../remote/helpers.js";
import { spawnOrun, writePlan } from "../remote/processes.js";

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

  it("`orun run --remote-state`: a host secret the local runner's step prints across the scanner's 1 MiB piece is `***` on the backend", { timeout: 120_000 }, async () => {
    const dir = path.join(bed.dir, "local");
    await fs.mkdir(dir, { recursive: true });
    const secret = "deploy-key-rev31e2e";
    // Written at once (the step's first chunk past a piece holds the value and more), then the line held open.
    await fs.writeFile(path.join(dir, "line.txt"), `${"x".repeat(MiB - 6)}${secret}${"y".repeat(100)}`);
    const plan = await writePlan(dir, "local", [{ id: "a@dev.long", run: "cat line.txt; sleep 1; echo ' end'" }]);
    const env = { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "", ORUN_RUNNER: "", ORUN_SECRET_DEPLOY_KEY: secret };
    const result = await spawnOrun(["run", plan, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "local"], { cwd: dir, env }).done;
    assert.equal(result.code, 0, result.output);
    const log = await (await fetch(`${bed.backend.url}/v1/runs/local/logs/a%40dev.long`, { headers: { Authorization: `Bearer ${bed.token}` } })).text();
    const at = log.indexOf(secret);
    assert.equal(at, -1, `the host secret is on the backend in clear: …${log.slice(Math.max(0, at - 10), at + secret.length + 10)}…`);
  });
});
