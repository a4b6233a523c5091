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
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import type { AdmissionContext } from "../../src/runtime/hooks.js";
import { repositoryIdFor } from "../support/oidc-issuer.js";
import { until } from "../support/wait.js";
import { api, enc, startRemoteTestbed, startTestBackend, testDatabase, tokenFor, type RemoteTestbed, type TestBackend, type TestDatabase } from "./helpers.js";
import { spawnOrun } from "./processes.js";

const NS = repositoryIdFor("acme/widgets");

const job = (id: string, run: string, dependsOn: string[] = []): PlanJob => {
  const [component, rest] = id.split("@");
  const [environment, name] = rest!.split(".");
  return { id, name: name!, component: component!, environment: environment!, dependsOn, steps: [{ id: "main", phase: "main", run }] };
};

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

/** Records the job each long-poll waits on. */
class PollRecordingClient extends BackendClient {
  readonly polled: (string | undefined)[] = [];
  override runnable(...args: Parameters<BackendClient["runnable"]>): ReturnType<BackendClient["runnable"]> {
    this.polled.push(args[1]?.job);
    return super.runnable(...args);
  }
}

describe("the runner's watch of deferred jobs' dependencies", () => {
  let db: TestDatabase;
  let backend: TestBackend;
  let token: string;
  before(async () => {
    db = (await testDatabase("sqlite"))!;
    // Long-polls held for up to 2 min: a watch that stays on a job picked again shows (it is left until it ends).
    backend = await startTestBackend(db.url, { maxLongPollMs: 120_000 });
    token = await tokenFor(backend.store, "acme/widgets");
  });
  after(async () => {
    await backend.stop();
    await db.cleanup();
  });

  it("moves to the next deferred job when the one it watches is picked again here", { timeout: 180_000 }, async () => {
    const runId = "watch-moves";
    const jobs = [job("base@stage.y1", "true"), job("base@stage.y2", "true"), job("app@dev.x1", "true", ["base@stage.y1"]), job("app@dev.x2", "true", ["base@stage.y2"])];
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: runId }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs };
    const client = new PollRecordingClient({ baseUrl: backend.url, auth: { kind: "token", token: async () => token } });
    const said: string[] = [];
    const hooks = new RemoteHooks({ client, plan, runId, runnerId: "me", mode: "plan", longPollMs: 120_000, say: (line) => void said.push(line) });
    await hooks.ensureRun();
    for (const held of ["base@stage.y1", "base@stage.y2"]) {
      const claimed = await api(backend.url, token, "POST", `/v1/runs/${runId}/jobs/${enc(held)}/claim`, { runnerId: "other" });
      assert.equal(claimed.body.claimed, true, claimed.text);
    }
    // Other jobs are always ready here: every admission of x1 and x2 defers them.
    let wakes = 0;
    const context: AdmissionContext = { othersReady: () => true, wake: () => undefined, wakeDeferred: () => (wakes++, true), onOthersReady: () => () => undefined };
    const run = new AbortController();
    const [, , x1, x2] = jobs;
    assert.equal((await hooks.beforeJob(x1!, run.signal, context)).action, "defer");
    assert.equal((await hooks.beforeJob(x2!, run.signal, context)).action, "defer");
    await until(() => client.polled.includes("app@dev.x1"), "the watch of x1's dependencies");
    // x1 picked again by a free slot (deferred again): the watch moves on to x2, and sees y2 end.
    assert.equal((await hooks.beforeJob(x1!, run.signal, context)).action, "defer");
    await until(() => client.polled.includes("app@dev.x2"), "the watch of x2's dependencies", 60_000);
    const done = await api(backend.url, token, "POST", `/v1/runs/${runId}/jobs/${enc("base@stage.y2")}/update`, { runnerId: "other", status: "success" });
    assert.equal(done.status, 200, done.text);
    await until(() => wakes > 0, "the deferred jobs to be woken", 30_000);
    assert.ok(said.some((line) => line.startsWith("○ dependencies of app@dev.x2 ended elsewhere in remote run watch-moves")), said.join("\n"));
    await hooks.close();
  });

  it("says a dependency's runner gave it up when the job waiting on it is deferred, not only once no job is ready here", { timeout: 60_000 }, async () => {
    // wake27: the "re-run it" advice was said on the waiting path only, so while ready jobs kept coming here it was
    // never said for a deferred job — the run looked like any wait on another runner.
    const runId = "abandoned-deferred";
    const jobs = [job("base@stage.y", "true"), job("app@dev.x", "true", ["base@stage.y"])];
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: runId }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs };
    const client = new PollRecordingClient({ baseUrl: backend.url, auth: { kind: "token", token: async () => token } });
    const said: string[] = [];
    const hooks = new RemoteHooks({ client, plan, runId, runnerId: "me", mode: "plan", say: (line) => void said.push(line) });
    await hooks.ensureRun();
    const claimed = await api(backend.url, token, "POST", `/v1/runs/${runId}/jobs/${enc("base@stage.y")}/claim`, { runnerId: "other" });
    assert.equal(claimed.body.claimed, true, claimed.text);
    const released = await api(backend.url, token, "POST", `/v1/runs/${runId}/jobs/${enc("base@stage.y")}/release`, { runnerId: "other", reason: "canceled" });
    assert.equal(released.status, 200, released.text);
    const context: AdmissionContext = { othersReady: () => true, wake: () => undefined, wakeDeferred: () => false, onOthersReady: () => () => undefined };
    const run = new AbortController();
    for (let i = 0; i < 2; i++) assert.equal((await hooks.beforeJob(jobs[1]!, run.signal, context)).action, "defer");
    const advice = said.filter((line) => line.startsWith("! base@stage.y: its runner was canceled and released it and no runner has taken it over; re-run it in this run:"));
    assert.equal(advice.length, 1, said.join("\n"));
    await hooks.close();
  });
});
