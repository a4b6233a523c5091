// rev30: under `--runner github-actions` a step's `::add-mask::v` ended by a lone CR (`printf '::add-mask::v\rprogress\n'`)
// masked "v\rprogress" as one value: WorkflowCommands.line (workflow-commands.ts) read a line up to its LF only, and
// Masker.add splits a value on LF alone. GitHub's runner reads CR as a line end (as StepMaskScanner, which the other
// runners' uploads use, does), so it masks `v`. The runner's output hides the command line, so the job's uploaded log
// (job-log.ts) never saw it either: the value was on the backend in clear, as in the local record — the same step
// with `\n` gave `value ***` in both.
// Fixed: CommandProcessor.line reads each CR-separated part of a line as a command candidate of its own.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startRemoteTestbed, type RemoteTestbed } from "../../remote/helpers.js";
import { spawnOrun, writePlan } from "../../remote/processes.js";

const SECRET = "s3cr3t-rev30-gha";

describe("rev30: a CR-ended add-mask under the github-actions runner", () => {
  let bed: RemoteTestbed;
  before(async () => {
    bed = await startRemoteTestbed("orun-rev30-ghacr-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
  });
  after(() => bed?.close());

  it("hides the value in the uploaded log and the local record", { timeout: 120_000 }, async () => {
    const plan = await writePlan(bed.dir, "ghacr", [{ id: "g@dev.build", run: `printf '::add-mask::${SECRET}\\rprogress 1\\n'; echo "value ${SECRET}"` }]);
    const env = { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "" };
    const run = await spawnOrun(["run", plan, "--runner", "github-actions", "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "ghacr"], { cwd: bed.dir, env }).done;
    assert.equal(run.code, 0, run.output);
    const res = await fetch(`${bed.backend.url}/v1/runs/ghacr/logs/${encodeURIComponent("g@dev.build")}`, { headers: { Authorization: `Bearer ${bed.token}` } });
    const uploaded = await res.text();
    assert.match(uploaded, /value /, uploaded);
    assert.ok(!uploaded.includes(SECRET), `the backend holds the masked value in clear: ${JSON.stringify(uploaded)}`);
    const root = path.join(bed.dir, ".orun/executions");
    const logs = (await fs.readdir(root, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile() && entry.name.endsWith(".log"));
    const local = (await Promise.all(logs.map((file) => fs.readFile(path.join(file.parentPath, file.name), "utf8")))).join("\n");
    assert.ok(!local.includes(`value ${SECRET}`), `the local step log shows the value in clear: ${JSON.stringify(local)}`);
  });
});
