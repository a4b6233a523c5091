// A runner walking a plan (no --job) defers a job another runner holds and, with nothing else ready, waits on the next
// held job. When the first deferred job then completes on its runner, its dependents are claimable: the walker must
// look at its deferred jobs again and run them, not sit on the held job it waits for until that one ends (rev26 #3:
// c stayed pending behind b). Real `orun run --remote-state` processes, a real backend on loopback.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { repositoryIdFor } from "../support/oidc-issuer.js";
import { until } from "../support/wait.js";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";
import { spawnOrun } from "./processes.js";

const NS = repositoryIdFor("acme/widgets");

describe("a deferred job that ends on its runner while the walker waits on another held job", () => {
  let bed: RemoteTestbed | undefined;
  before(async () => {
    bed = await startRemoteTestbed("orun-deferred-ended-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
  });
  after(() => bed?.close());

  it("readies its dependents on the walker at once: they run while the other held job still runs", { timeout: 180_000 }, async () => {
    const { dir, backend, token } = bed!;
    const gate = (name: string) => ({ started: path.join(dir, `${name}-started`), go: path.join(dir, `${name}-go`) });
    const a = gate("a");
    const b = gate("b");
    const held = (g: { started: string; go: string }) => `touch ${g.started}; while [ ! -f ${g.go} ]; do sleep 0.05; done`;
    const job = (id: string, run: string, dependsOn: string[] = []): PlanJob => {
      const [component, rest] = id.split("@");
      const [environment, name] = rest!.split(".");
      return { id, name: name!, component: component!, environment: environment!, dependsOn, steps: [{ id: "main", phase: "main", run }] };
    };
    const jobs = [job("a@dev.short", held(a)), job("b@dev.long", held(b)), job("c@dev.after", "echo c-ran", ["a@dev.short"])];
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "deferred-ended" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs };
    const file = path.join(dir, "plan.json");
    await fs.writeFile(file, JSON.stringify(plan, null, 2));
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: "deferred-ended-1", GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
    const status = async (id: string) => (await backend.store.getRun(NS, "deferred-ended-1"))?.jobs.find((j) => j.jobId === id)?.status;

    const holderA = spawnOrun(["run", file, "--job", "a@dev.short", "--remote-state"], { cwd: dir, env });
    await until(() => existsSync(a.started), "a to start on its runner", 60_000);
    const holderB = spawnOrun(["run", file, "--job", "b@dev.long", "--remote-state"], { cwd: dir, env });
    await until(() => existsSync(b.started), "b to start on its runner", 60_000);
    // One slot: it defers a (b is ready), then, nothing else ready, waits on b.
    const walker = spawnOrun(["run", file, "--remote-state"], { cwd: dir, env });
    await until(() => /● job b@dev\.long is running/.test(walker.output()), "the walker to wait on b", 60_000);

    await fs.writeFile(a.go, "");
    assert.equal((await holderA.done).code, 0);
    // c needs only a: the walker runs it while b is still held (before: only once b ended).
    await until(async () => (await status("c@dev.after")) === "success", "c to run on the walker while b is held", 60_000);
    assert.equal(await status("b@dev.long"), "running");

    await fs.writeFile(b.go, "");
    assert.equal((await holderB.done).code, 0);
    const w = await walker.done;
    assert.equal(w.code, 0, w.output);
    // Its lines in order: a found completed, c run here, then b found completed once it ended.
    const at = (pattern: RegExp) => w.output.search(pattern);
    assert.ok(at(/✓ job a@dev\.short already completed in remote run/) >= 0, w.output);
    assert.ok(at(/✓ job a@dev\.short already completed/) < at(/^\s+✓ after\b/m), w.output);
    assert.ok(at(/^\s+✓ after\b/m) < at(/✓ job b@dev\.long already completed/), w.output);
  });
});
