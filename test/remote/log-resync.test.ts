// A log append that landed though every answer to it was lost (the runner's
// client gave up retrying): the runner's next append is refused as out of
// order, naming the log's size, and goes there — the rest of the job's log
// still reaches the backend. Before, every later append met the same refusal
// and the job's log stopped at the lost answer. Real backend, with a proxy
// in front that drops the answers to log uploads.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import { computePlanChecksum } from "../../src/plan/checksum.js";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { api, backendOnStore, enc } from "./helpers.js";
import { startAnswerDroppingRelay, type AnswerDroppingRelay } from "./answer-dropping-relay.js";

describe("a log append whose answers were all lost", () => {
  const on = backendOnStore("sqlite");
  let proxy: AnswerDroppingRelay;
  before(async () => (proxy = await startAnswerDroppingRelay(() => on.backend.url)));
  after(() => proxy.close());

  it("the next append goes where the landed one ended", async () => {
    const job: PlanJob = { id: "a@dev.x", name: "x", component: "a", environment: "dev", dependsOn: [], steps: [] };
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "p", checksum: "" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job] };
    plan.metadata.checksum = computePlanChecksum(plan);
    const lines: string[] = [];
    const client = new BackendClient({ baseUrl: proxy.url, auth: { kind: "token", token: async () => on.token }, retryBudgetMs: 400, onRetrying: () => undefined });
    const hooks = new RemoteHooks({ client, plan, runId: "resync", runnerId: "me", mode: "job", say: (l) => lines.push(l) });
    try {
      assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
      proxy.lose = 1_000;
      await hooks.onStepFinished(job, "s1", "one\n");
      assert.match(lines.join("\n"), /! log upload for a@dev\.x failed: orun backend at http:\/\/127\.0\.0\.1:\d+ is unavailable/);
      proxy.lose = 0;
      await hooks.onStepFinished(job, "s2", "two\n");
      await hooks.afterJob(job, { status: "completed" });
    } finally {
      await hooks.close();
    }
    // The failure is said once, and that the upload resumed with nothing lost (its piece went with the next).
    assert.equal(lines.filter((l) => l.includes("log upload") && l.includes("failed")).length, 1, lines.join("\n"));
    assert.ok(lines.some((l) => /log upload for a@dev\.x resumed: nothing was lost/.test(l)), lines.join("\n"));
    assert.equal((await api(on.backend.url, on.token, "GET", `/v1/runs/resync/logs/${enc("a@dev.x")}`)).text, "=== s1 ===\none\n=== s2 ===\ntwo\n");
  });
});
