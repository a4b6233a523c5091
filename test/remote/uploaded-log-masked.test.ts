// What a step masked (`::add-mask::v`), the runner's backend token (ORUN_TOKEN, which steps inherit) and the host's
// secrets (ORUN_SECRET_*, GITHUB_TOKEN, a GitHub runner's tokens) never reach
// the backend in clear: the runner masks each job's log before it uploads it, as GitHub masks a log before it stores
// it (sec29: a step echoing either put it in the log every reader of the namespace is served). The local execution
// record keeps the raw output; the remote readers read the masked log (`::add-mask::***` in it) without harm.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import { api, startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun, writePlan } from "./processes.js";
import { until } from "../support/wait.js";

const SECRET = "s3cr3t-upmask29";
const MiB = 1024 * 1024;

async function remoteLog(bed: RemoteTestbed, runId: string, jobId: string): Promise<string> {
  const res = await fetch(`${bed.backend.url}/v1/runs/${runId}/logs/${encodeURIComponent(jobId)}`, { headers: { Authorization: `Bearer ${bed.token}` } });
  return res.status === 200 ? res.text() : "";
}

/** Every file under `dir`'s execution records, read whole. */
async function recordText(dir: string): Promise<string> {
  const root = path.join(dir, ".orun/executions");
  const files = (await fs.readdir(root, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
  return (await Promise.all(files.map((file) => fs.readFile(path.join(file.parentPath, file.name), "utf8")))).join("\n");
}

describe("the log a runner uploads is masked", () => {
  let bed: RemoteTestbed;
  before(async () => {
    bed = await startRemoteTestbed("orun-upmask29-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
  });
  after(() => bed?.close());

  const env = () => ({ ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "" });
  const remote = (runId: string) => ["--remote-state", "--backend-url", bed.backend.url, "--exec-id", runId];

  it("`orun run --remote-state`: the masked value, the token and a value split between two chunks are `***` on the backend, raw in the local record", { timeout: 120_000 }, async () => {
    const go = path.join(bed.dir, "go-on");
    const plan = await writePlan(bed.dir, "masked", [
      {
        id: "a@dev.mint",
        // The split value's second half is printed only once the first lines are on the backend (its first half held).
        run: `echo "::add-mask::${SECRET}"; echo "value ${SECRET}"; echo "token $ORUN_TOKEN"; printf 'split ${SECRET.slice(0, 5)}'; while [ ! -f ${go} ]; do sleep 0.05; done; printf '${SECRET.slice(5)} end\\n'`,
      },
      { id: "b@dev.use", deps: ["a@dev.mint"], run: `echo "b uses ${SECRET}"` },
    ]);
    const run = spawnOrun(["run", plan, ...remote("masked")], { cwd: bed.dir, env: env() });
    let seen = "";
    await until(async () => (seen = await remoteLog(bed, "masked", "a@dev.mint")).includes("token"), "the running step's first lines on the backend", 30_000);
    assert.equal(seen, "=== main ===\n::add-mask::***\nvalue ***\ntoken ***\n");
    await fs.writeFile(go, "");
    const result = await run.done;
    assert.equal(result.code, 0, result.output);

    const a = await remoteLog(bed, "masked", "a@dev.mint");
    assert.equal(a, "=== main ===\n::add-mask::***\nvalue ***\ntoken ***\nsplit *** end\n");
    // Another job run here after it hides what it masked too, as orun's GitHub Actions views do.
    assert.equal(await remoteLog(bed, "masked", "b@dev.use"), "=== main ===\nb uses ***\n");

    const record = await recordText(bed.dir);
    assert.match(record, new RegExp(`value ${SECRET}\n`));
    assert.ok(record.includes(`token ${bed.token}\n`), "the local record keeps the step's raw output");
    assert.match(record, new RegExp(`split ${SECRET} end`));
  });

  it("the host's secrets the local runner's steps inherit (ORUN_SECRET_*, GITHUB_TOKEN, a GitHub runner's tokens) are `***` on the backend, raw in the local record", { timeout: 120_000 }, async () => {
    const dir = path.join(bed.dir, "host-secrets");
    await fs.mkdir(dir, { recursive: true });
    const secrets = {
      ORUN_SECRET_DEPLOY_KEY: "deploy-key-mask30",
      GITHUB_TOKEN: "ghs_github-token-mask30",
      ACTIONS_RUNTIME_TOKEN: "runtime-token-mask30",
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "id-request-token-mask30",
    };
    const names = Object.keys(secrets);
    const plan = await writePlan(dir, "host-secrets", [{ id: "a@dev.leak", run: names.map((name) => `echo "${name}=$${name}"`).join("; ") }]);
    const result = await spawnOrun(["run", plan, ...remote("host-secrets")], { cwd: dir, env: { ...env(), ...secrets } }).done;
    assert.equal(result.code, 0, result.output);
    assert.equal(await remoteLog(bed, "host-secrets", "a@dev.leak"), `=== main ===\n${names.map((name) => `${name}=***\n`).join("")}`);
    const record = await recordText(dir);
    for (const [name, value] of Object.entries(secrets)) assert.ok(record.includes(`${name}=${value}\n`), `the local record keeps ${name} raw`);
  });

  it("`orun logs --remote-state` and `status` read the masked log, in and outside GitHub Actions; `***` is handed on as no mask", { timeout: 120_000 }, async () => {
    const logs = await spawnOrun(["logs", ...remote("masked"), "--job", "a@dev.mint"], { cwd: bed.dir, env: env() }).done;
    assert.equal(logs.code, 0, logs.output);
    assert.match(logs.output, /value \*\*\*\n/);
    assert.match(logs.output, /split \*\*\* end\n/);

    const inGithub = { ...env(), GITHUB_ACTIONS: "true" };
    const ghLogs = await spawnOrun(["logs", ...remote("masked")], { cwd: bed.dir, env: inGithub }).done;
    assert.equal(ghLogs.code, 0, ghLogs.output);
    assert.match(ghLogs.output, /value \*\*\*\n/);
    assert.match(ghLogs.output, /b uses \*\*\*\n/);
    // What orun hands the runner before its stop-commands marker: no `::add-mask::***` (masking `***` hides nothing).
    const handed = ghLogs.output.slice(0, ghLogs.output.indexOf("::stop-commands::"));
    assert.doesNotMatch(handed, /::add-mask::\*\*\*/, ghLogs.output);
    assert.doesNotMatch(ghLogs.output, new RegExp(SECRET));

    const status = await spawnOrun(["status", ...remote("masked"), "--detailed"], { cwd: bed.dir, env: inGithub }).done;
    assert.equal(status.code, 0, status.output);
    assert.doesNotMatch(status.output, /::add-mask::\*\*\*/, status.output);
  });

  it("a line longer than an upload piece goes in parts, none cutting through a masked value; a step's result output and the job's reported error are masked too", { timeout: 60_000 }, async () => {
    const job: PlanJob = { id: "long@dev.build", name: "build", component: "long", environment: "dev", dependsOn: [], steps: [{ id: "main", phase: "main", run: "x" }, { id: "post", phase: "post", run: "x" }] };
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "long" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job] };
    const client = new BackendClient({ baseUrl: bed.backend.url, auth: { kind: "token", token: async () => bed.token } });
    const hooks = new RemoteHooks({ client, plan, runId: "long-line", runnerId: "me", mode: "plan", say: () => undefined, logSecrets: [bed.token] });
    assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
    hooks.onStepOutput(job, "main", `::add-mask::${SECRET}\n`);
    // The first chunk takes the step's text past a piece and ends inside the value; the second ends it.
    const filler = "x".repeat(MiB);
    hooks.onStepOutput(job, "main", `${filler}${SECRET.slice(0, 5)}`);
    hooks.onStepOutput(job, "main", `${SECRET.slice(5)} ${bed.token.slice(0, 4)}`);
    hooks.onStepOutput(job, "main", `${bed.token.slice(4)}\n`);
    await hooks.onStepFinished(job, "main", "", false);
    // A runner that streamed nothing: the step's result output is its log.
    await hooks.onStepFinished(job, "post", `post saw ${SECRET} and ${bed.token}`, false);
    await hooks.afterJob(job, { status: "failed", error: `post failed: ${SECRET} ${bed.token}` });
    await hooks.close();
    const log = await remoteLog(bed, "long-line", job.id);
    assert.equal(log, `=== main ===\n::add-mask::***\n${filler}*** ***\n=== post ===\npost saw *** and ***\n`);
    const jobs = await api<{ jobs: { lastError: string | null }[] }>(bed.backend.url, bed.token, "GET", "/v1/runs/long-line/jobs");
    assert.equal(jobs.body.jobs[0]?.lastError, "post failed: *** ***");
  });
});
