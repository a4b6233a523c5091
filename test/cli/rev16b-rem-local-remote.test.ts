// The remote log of a job run with remote state holds what the local execution record holds: `orun logs --raw`
// and `orun logs --remote-state --raw` print the same output for each step — a step's partial last line, a retried
// step's attempts with their marker, multi-byte text, a step printing nothing, and output in pieces over time.
// (One difference is by design: a step's section ends a line remotely, so a partial last line gains a newline.)
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { startRemoteTestbed, type RemoteTestbed } from "../remote/helpers.js";

describe("remote and local logs of one run", () => {
  let bed: RemoteTestbed;
  let env: NodeJS.ProcessEnv;
  const steps = ["lines", "partial", "retried", "silent", "paced"];
  before(async () => {
    bed = await startRemoteTestbed("orun-rev16b-rem-lr-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
    env = { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "", NO_COLOR: "1" };
    const plan: Plan = {
      apiVersion: "orun.io/v1",
      kind: "Plan",
      metadata: { name: "lr" },
      execution: { concurrency: 1, failFast: false },
      spec: {},
      jobs: [
        {
          id: "web@dev.deploy",
          name: "deploy",
          component: "web",
          environment: "dev",
          dependsOn: [],
          steps: [
            { id: "lines", phase: "main", run: "echo one; echo 'ünïcode 🚀 two'" },
            { id: "partial", phase: "main", run: "printf 'no newline at the end'" },
            { id: "retried", phase: "main", run: "if [ -f tried ]; then echo second; else touch tried; printf 'first'; exit 1; fi", retry: 1 },
            { id: "silent", phase: "main", run: "true" },
            { id: "paced", phase: "main", run: "echo a; sleep 0.3; printf 'b'; sleep 0.3; echo c" },
          ],
        },
      ],
    };
    const file = path.join(bed.dir, "lr.json");
    await fs.writeFile(file, JSON.stringify(plan));
    const run = await runOrun(["run", file, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "lr-run"], { cwd: bed.dir, env, timeoutMs: 60_000 });
    assert.equal(run.code, 0, run.stdout + run.stderr);
  });
  after(() => bed?.close());

  for (const step of steps) {
    it(`step ${step}: the same output locally and remotely`, async () => {
      const local = await runOrun(["logs", "--exec-id", "lr-run", "--job", "web@dev.deploy", "--step", step, "--raw"], { cwd: bed.dir, env });
      const remote = await runOrun(["logs", "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "lr-run", "--job", "web@dev.deploy", "--step", step, "--raw"], { cwd: bed.dir, env });
      assert.equal(local.code, 0, local.stderr);
      assert.equal(remote.code, 0, remote.stderr);
      // A section of the remote log ends a line (the next step's header follows it): a step whose output did not
      // end with a newline reads with one there (the local record has the bytes as written).
      const expected = step === "partial" ? `${local.stdout}\n` : local.stdout;
      assert.equal(JSON.stringify(remote.stdout), JSON.stringify(expected), `local: ${local.stderr}\nremote: ${remote.stderr}`);
    });
  }
});
