// A job another runner holds, waited for by a whole-plan runner's slot (deferrable: it gives way when a job becomes
// ready here): its long-polls grow from 1 s towards 8 s while nothing changes in the run, instead of a claim and a
// long-poll every second per slot (10 runners × 4 slots made ~70 requests a second); and a job becoming ready here
// ends the long-poll at once (the scheduler's onOthersReady), so the slot gives way without waiting for it. Real
// backend on loopback; the hooks' client records each long-poll it sends.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import type { AdmissionContext } from "../../src/runtime/hooks.js";
import { api, enc, startTestBackend, testDatabase, tokenFor, type TestBackend, type TestDatabase } from "./helpers.js";
import { until } from "../support/wait.js";

class PollRecordingClient extends BackendClient {
  readonly polls: { waitMs: number; signal?: AbortSignal }[] = [];
  override runnable(...args: Parameters<BackendClient["runnable"]>): ReturnType<BackendClient["runnable"]> {
    this.polls.push({ waitMs: args[1]?.waitMs ?? 0, signal: args[1]?.signal });
    return super.runnable(...args);
  }
}

const job = (id: string): PlanJob => {
  const [component, rest] = id.split("@") as [string, string];
  const [environment, name] = rest.split(".") as [string, string];
  return { id, name, component, environment, dependsOn: [], steps: [{ id: "main", phase: "main", run: "true" }] };
};

describe("a deferrable wait for a held job", () => {
  let db: TestDatabase;
  let backend: TestBackend;
  let token: string;
  before(async () => {
    db = (await testDatabase("sqlite"))!;
    backend = await startTestBackend(db.url);
    token = await tokenFor(backend.store, "acme/widgets");
  });
  after(async () => {
    await backend.stop();
    await db.cleanup();
  });

  /** Hooks of a whole-plan runner whose plan's first job another runner ("other") holds in remote run `runId`. */
  const held = async (runId: string) => {
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: runId }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job("a@dev.held")] };
    const client = new PollRecordingClient({ baseUrl: backend.url, auth: { kind: "token", token: async () => token } });
    const hooks = new RemoteHooks({ client, plan, runId, runnerId: "me", mode: "plan", say: () => undefined });
    await hooks.ensureRun();
    const claimed = await api(backend.url, token, "POST", `/v1/runs/${runId}/jobs/${enc("a@dev.held")}/claim`, { runnerId: "other" });
    assert.equal(claimed.body.claimed, true, claimed.text);
    return { plan, client, hooks };
  };

  it("long-polls longer each time nothing changed in the run", { timeout: 60_000 }, async () => {
    const { plan, client, hooks } = await held("backs-off");
    const context: AdmissionContext = { othersReady: () => false, wake: () => undefined, wakeDeferred: () => false, onOthersReady: () => () => undefined };
    const run = new AbortController();
    const admitted = hooks.beforeJob(plan.jobs[0]!, run.signal, context);
    // About 1 s, then 2 s and 4 s (±20%): the third long-poll is sent after about 3 s of a quiet run.
    await until(() => client.polls.length >= 3, "three long-polls of the held job", 30_000);
    const waits = client.polls.map((p) => p.waitMs);
    assert.ok(waits[0]! <= 1200 && waits[1]! >= 1600 && waits[2]! >= 3200, `waits ${waits.join(", ")} ms`);
    run.abort();
    assert.equal((await admitted).action, "skipped");
    await hooks.close();
  });

  it("does not back off while jobs wait deferred here: one ending on its runner is seen at the next look, within a second", { timeout: 60_000 }, async () => {
    // rev27b: a deferred job that ended on another runner readies its dependents here, but only a look at the run
    // notices it (this job's long-poll wakes for this job): with the back-off the dependents waited up to 8 s.
    const { plan, client, hooks } = await held("deferred-here");
    const context: AdmissionContext = { othersReady: () => false, wake: () => undefined, wakeDeferred: () => false, onOthersReady: () => () => undefined, hasDeferred: () => true };
    const run = new AbortController();
    const admitted = hooks.beforeJob(plan.jobs[0]!, run.signal, context);
    await until(() => client.polls.length >= 3, "three long-polls of the held job", 30_000);
    const waits = client.polls.map((p) => p.waitMs);
    assert.ok(waits.slice(0, 3).every((ms) => ms <= 1200), `waits ${waits.join(", ")} ms`);
    run.abort();
    assert.equal((await admitted).action, "skipped");
    await hooks.close();
  });

  it("gives way at once when a job becomes ready here: the long-poll in flight ends", { timeout: 60_000 }, async () => {
    const { plan, client, hooks } = await held("gives-way");
    let readyHere = false;
    const listeners = new Set<() => void>();
    const context: AdmissionContext = {
      othersReady: () => readyHere,
      wake: () => undefined,
      wakeDeferred: () => false,
      onOthersReady: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const admitted = hooks.beforeJob(plan.jobs[0]!, new AbortController().signal, context);
    await until(() => client.polls.length >= 1 && listeners.size === 1, "the held job's long-poll", 30_000);
    const inFlight = client.polls[0]!;
    readyHere = true;
    for (const listener of [...listeners]) listener();
    assert.equal((await admitted).action, "defer");
    assert.equal(inFlight.signal?.aborted, true, "the long-poll was ended, not waited out");
    assert.equal(listeners.size, 0, "and the wait no longer listens");
    await hooks.close();
  });
});
