// A runner of an `--env` slice defers a job whose dependency is outside the slice and held by another runner (its claim
// answers depsWaiting) while a ready job takes its one slot. When that dependency ends on its runner, the deferred job
// must be woken and run next, ahead of the jobs that keep becoming ready here — not only once none is left (rem27 §6:
// nothing watched a deferred job's dependencies while every slot ran). Real `orun run --remote-state` processes, a real
// backend on loopback.
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

describe("a job deferred for a dependency another runner holds outside the slice", () => {
  let bed: RemoteTestbed | undefined;
  before(async () => {
    bed = await startRemoteTestbed("orun-deferred-deps-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
  });
  after(() => bed?.close());

  it("is woken when the dependency ends, and runs before the jobs that became ready here since", { timeout: 180_000 }, async () => {
    const { dir, backend, token } = bed!;
    const gate = (name: string) => ({ started: path.join(dir, `${name}-started`), go: path.join(dir, `${name}-go`) });
    const y = gate("y");
    const b = gate("b");
    const held = (g: { started: string; go: string }) => `touch ${g.started}; while [ ! -f ${g.go} ]; do sleep 0.05; done`;
    const job = (id: string, run: string, dependsOn: string[] = []): PlanJob => {
      const [component, rest] = id.split("@");
      const [environment, name] = rest!.split(".");
      return { id, name: name!, component: component!, environment: environment!, dependsOn, steps: [{ id: "main", phase: "main", run }] };
    };
    // The dev slice: a waits on stage's y (held elsewhere); b takes the slot; c becomes ready once b ends.
    const jobs = [
      job("base@stage.y", held(y)),
      job("app@dev.a", "echo a-ran", ["base@stage.y"]),
      job("app@dev.b", held(b)),
      job("app@dev.c", "echo c-ran", ["app@dev.b"]),
    ];
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "deferred-deps" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs };
    const file = path.join(dir, "plan.json");
    await fs.writeFile(file, JSON.stringify(plan, null, 2));
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: "deferred-deps-1", GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
    const status = async (id: string) => (await backend.store.getRun(NS, "deferred-deps-1"))?.jobs.find((j) => j.jobId === id)?.status;

    const holder = spawnOrun(["run", file, "--job", "base@stage.y", "--remote-state"], { cwd: dir, env });
    await until(() => existsSync(y.started), "y to start on its runner", 60_000);
    // One slot: a is deferred (b is ready), then b holds the slot.
    const walker = spawnOrun(["run", file, "--env", "dev", "--remote-state"], { cwd: dir, env });
    await until(() => existsSync(b.started), "b to start on the walker", 60_000);
    assert.equal(await status("app@dev.a"), "pending");

    await fs.writeFile(y.go, "");
    assert.equal((await holder.done).code, 0);
    // The walker notices while its slot still runs b (before: nothing looked until the slot was free).
    await until(() => /○ dependencies of app@dev\.a ended elsewhere in remote run deferred-deps-1: it runs next here/.test(walker.output()), "the walker to wake a", 60_000);

    await fs.writeFile(b.go, "");
    const w = await walker.done;
    assert.equal(w.code, 0, w.output);
    assert.equal(await status("app@dev.a"), "success");
    // a took the slot b left, ahead of c, which b's end made ready here.
    const at = (pattern: RegExp) => w.output.search(pattern);
    assert.ok(at(/^\s+✓ a\b/m) >= 0 && at(/^\s+✓ c\b/m) >= 0, w.output);
    assert.ok(at(/^\s+✓ a\b/m) < at(/^\s+✓ c\b/m), w.output);
  });
});
