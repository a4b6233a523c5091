// A chain whose head lost its runner, with real runners (`orun run <plan-id>
// --job … --remote-state` processes): A's runner is killed mid-job; B waits on
// A and C waits on B. Once A's lease expires, both waiting runners say that A's
// runner stopped and print the command that re-runs it in this run — C too,
// though A is not its direct dependency — and that command, run as printed,
// finishes the chain.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { computePlanChecksum } from "../../src/plan/checksum.js";
import { savePlan } from "../../src/plan/store.js";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun } from "./processes.js";
import { until } from "../support/wait.js";
import { inShell } from "../support/resume-hint.js";

describe("a chain behind a job whose runner died", () => {
  let bed: RemoteTestbed | undefined;
  before(async () => {
    // Short long-polls: a waiting runner asks again every second, so it hears of the abandoned job promptly.
    bed = await startRemoteTestbed("orun-abandoned-", (issuer) => ({ oidc: { issuer: issuer.issuer }, leaseMs: 5000, sweepIntervalMs: 200, maxLongPollMs: 1000 }));
  });
  after(() => bed?.close());

  it("names the dead runner's job to every runner waiting behind it, with a re-run command that works", { timeout: 180_000 }, async (t) => {
    const { dir, backend, token } = bed!;
    const marker = path.join(dir, "a-started");
    const ledger = path.join(dir, "ledger");
    const job = (id: string, run: string, deps: string[] = []): PlanJob => {
      const [component, rest] = id.split("@");
      const [environment, name] = rest.split(".");
      return { id, name, component, environment, dependsOn: deps, steps: [{ id: "main", phase: "main", run }] };
    };
    // a's first attempt hangs (its runner is killed); a re-run finds the marker and finishes.
    const plan: Plan = {
      apiVersion: "orun.io/v1",
      kind: "Plan",
      metadata: { name: "chain" },
      execution: { concurrency: 1, failFast: false },
      spec: {},
      jobs: [
        job("a@dev.x", `if [ -f ${marker} ]; then echo a >> ${ledger}; else touch ${marker}; sleep 120; fi`),
        job("b@dev.x", `echo b >> ${ledger}`, ["a@dev.x"]),
        job("c@dev.x", `echo c >> ${ledger}`, ["b@dev.x"]),
      ],
    };
    plan.metadata.checksum = computePlanChecksum(plan);
    const { id: planId } = await savePlan(dir, plan);
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, GITHUB_ACTIONS: "", ORUN_EXEC_ID: "chain-1" };
    const runner = (jobId: string) => spawnOrun(["run", planId, "--job", jobId, "--remote-state"], { cwd: dir, env });

    const a = runner("a@dev.x");
    await until(async () => (await fs.stat(marker).catch(() => undefined)) !== undefined, "a to start", 60_000);
    a.child.kill("SIGKILL");
    await a.done;
    const b = runner("b@dev.x");
    const c = runner("c@dev.x");
    const told = (out: string) => new RegExp(`! a@dev\\.x: its runner stopped \\(lease expired\\) and no runner has taken it over; re-run it in this run: (orun run ${planId} --backend-url ${backend.url.replace(/\./g, "\\.")} --job a@dev\\.x --exec-id chain-1 --remote-state)`).exec(out);
    await until(() => told(b.output()) !== null && told(c.output()) !== null, "both waiting runners to name a", 60_000);

    // The command as printed, pasted through sh: it names the backend, the run and the job itself (the token aside).
    const rerun = await inShell(t, told(c.output())![1]!, dir, { ORUN_TOKEN: token });
    assert.equal(rerun.code, 0, rerun.output);
    for (const [name, r] of [["b", await b.done], ["c", await c.done]] as const) assert.equal(r.code, 0, `${name}: ${r.output}`);
    assert.equal(await fs.readFile(ledger, "utf8"), "a\nb\nc\n");
  });
});
