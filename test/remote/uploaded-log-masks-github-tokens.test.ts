// rev30: the uploaded log hides the runner's ORUN_TOKEN (logSecrets, remote/cli.ts) but not the GitHub job's own
// service credentials, which steps inherit the same way: ACTIONS_ID_TOKEN_REQUEST_TOKEN (what the runner itself
// mints its OIDC tokens with, oidc-token.ts — whoever holds it can mint the workflow's OIDC tokens, for the backend
// and for cloud roles, while the job lives) and ACTIONS_RUNTIME_TOKEN. GitHub masks both in its own log, and orun's
// github-actions runner masks both (job-state.ts); under the local runner a step that prints its environment hands
// them in clear to every reader of the run's logs. Fixed: the upload masker hides the host's secrets
// (src/runtime/host-secrets.ts: ORUN_SECRET_*, GITHUB_TOKEN and these two), mask30.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun, writePlan } from "./processes.js";

const REQUEST_TOKEN = "reqtok-rev30-0123456789abcdef";
const RUNTIME_TOKEN = "rttok-rev30-0123456789abcdef";

describe("rev30: GitHub's job credentials in the uploaded log", () => {
  let bed: RemoteTestbed;
  before(async () => {
    bed = await startRemoteTestbed("orun-rev30-ghtok-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
  });
  after(() => bed?.close());

  it("are `***` on the backend, as ORUN_TOKEN is", { timeout: 120_000 }, async () => {
    const plan = await writePlan(bed.dir, "ghtok", [{ id: "t@dev.build", run: `echo "req $ACTIONS_ID_TOKEN_REQUEST_TOKEN"; echo "rt $ACTIONS_RUNTIME_TOKEN"; echo "orun $ORUN_TOKEN"` }]);
    const env = { ORUN_TOKEN: bed.token, ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN, ACTIONS_RUNTIME_TOKEN: RUNTIME_TOKEN, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "" };
    const run = await spawnOrun(["run", plan, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "ghtok"], { cwd: bed.dir, env }).done;
    assert.equal(run.code, 0, run.output);
    const res = await fetch(`${bed.backend.url}/v1/runs/ghtok/logs/${encodeURIComponent("t@dev.build")}`, { headers: { Authorization: `Bearer ${bed.token}` } });
    const uploaded = await res.text();
    assert.match(uploaded, /orun \*\*\*\n/, uploaded);
    assert.equal(uploaded, "=== main ===\nreq ***\nrt ***\norun ***\n");
  });
});
