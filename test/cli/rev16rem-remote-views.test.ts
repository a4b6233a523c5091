// `orun logs --remote-state --raw` and `orun status --remote-state --detailed`, against a real backend and a run
// made by a real runner. --raw printed a run header, a job line and `=== deploy ===` before the step's output (a
// local --raw prints the output alone); --detailed showed nothing more than the plain status, in silence.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan } from "../../src/model/plan.js";
import { runOrun } from "../support/cli.js";
import { startRemoteTestbed, type RemoteTestbed } from "../remote/helpers.js";

describe("remote logs --raw and status --detailed", () => {
  let bed: RemoteTestbed;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    bed = await startRemoteTestbed("orun-rev16rem-views-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
    env = { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "", NO_COLOR: "1" };
    const plan: Plan = {
      apiVersion: "orun.io/v1",
      kind: "Plan",
      metadata: { name: "views" },
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
            { id: "build", phase: "main", run: "echo built-it" },
            { id: "deploy", phase: "main", run: "echo deploying; echo 'ünïcode done'" },
          ],
        },
        { id: "api@dev.deploy", name: "deploy", component: "api", environment: "dev", dependsOn: [], steps: [{ id: "migrate", phase: "main", run: "echo migrating; exit 3" }] },
      ],
    };
    const file = path.join(bed.dir, "views.json");
    await fs.writeFile(file, JSON.stringify(plan));
    const run = await runOrun(["run", file, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "views-run"], { cwd: bed.dir, env, timeoutMs: 60_000 });
    assert.equal(run.code, 1, run.stdout + run.stderr);
  });
  after(() => bed?.close());

  const read = (args: string[]) => runOrun([...args, "--remote-state", "--backend-url", bed.backend.url, "--exec-id", "views-run"], { cwd: bed.dir, env });

  it("logs --raw --job --step prints only that step's output", async () => {
    const r = await read(["logs", "--job", "web@dev.deploy", "--step", "deploy", "--raw"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "deploying\nünïcode done\n");
  });

  it("logs --raw of a job prints its steps' output without header lines; without --raw the headers stay", async () => {
    const raw = await read(["logs", "--job", "web@dev.deploy", "--raw"]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal(raw.stdout, "built-it\ndeploying\nünïcode done\n");
    const plain = await read(["logs", "--job", "web@dev.deploy"]);
    assert.match(plain.stdout, /^views-run {2}failed/);
    assert.match(plain.stdout, /=== deploy ===\ndeploying\n/);
  });

  it("logs --raw --follow of a finished run prints the output alone, and a step with no match says so on stderr", async () => {
    const follow = await read(["logs", "--job", "web@dev.deploy", "--step", "deploy", "--raw", "--follow"]);
    assert.equal(follow.code, 1, follow.stderr);
    assert.equal(follow.stdout, "deploying\nünïcode done\n");
    const none = await read(["logs", "--job", "web@dev.deploy", "--step", "nope", "--raw"]);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, "");
    assert.match(none.stderr, /No logs match/);
  });

  it("status --detailed names the failed step and says where step status is kept", async () => {
    const plain = await read(["status"]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, /Steps:/);
    const detailed = await read(["status", "--detailed"]);
    assert.equal(detailed.code, 0, detailed.stderr);
    assert.match(detailed.stdout, /✗ api@dev\.deploy .*\n {6}✗ step migrate {2}failed\n/);
    assert.match(detailed.stdout, /Steps: the backend records jobs, not steps/);
    assert.match(detailed.stdout, /orun logs --remote-state --exec-id views-run --job <job> \[--step <step>\]/);
  });
});
