// A log append that landed though its answers were lost, sent again with later output that takes the log over the
// backend's cap. The resync skips the landed part — but the cap's cut (413) was made from the whole re-sent text,
// landed part included: the step that had landed was in the log twice, and the count of dropped bytes was wrong.
// Real backend with a small cap, behind a relay that drops the answers to log uploads.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import { computePlanChecksum } from "../../src/plan/checksum.js";
import type { Plan, PlanJob } from "../../src/model/plan.js";
import { api, backendOnStore, enc } from "./helpers.js";
import { startAnswerDroppingRelay, type AnswerDroppingRelay } from "./answer-dropping-relay.js";

const CAP = 200;

describe("a landed append re-sent with output past the backend's cap", () => {
  const on = backendOnStore("sqlite", { maxLogBytes: CAP });
  let relay: AnswerDroppingRelay;
  before(async () => (relay = await startAnswerDroppingRelay(() => on.backend.url)));
  after(() => relay.close());

  it("the landed step is in the log once, and the cap's marker counts only what was not uploaded", async () => {
    const job: PlanJob = { id: "a@dev.x", name: "x", component: "a", environment: "dev", dependsOn: [], steps: [] };
    const plan: Plan = { apiVersion: "orun.io/v1", kind: "Plan", metadata: { name: "p", checksum: "" }, execution: { concurrency: 1, failFast: false }, spec: {}, jobs: [job] };
    plan.metadata.checksum = computePlanChecksum(plan);
    const lines: string[] = [];
    const client = new BackendClient({ baseUrl: relay.url, auth: { kind: "token", token: async () => on.token }, retryBudgetMs: 400, onRetrying: () => undefined });
    const hooks = new RemoteHooks({ client, plan, runId: "resync-cap", runnerId: "me", mode: "job", say: (l) => lines.push(l) });
    const big = `${"x".repeat(299)}\n`;
    try {
      assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
      relay.lose = 1_000;
      await hooks.onStepFinished(job, "s1", "one\n");
      relay.lose = 0;
      await hooks.onStepFinished(job, "s2", big);
      await hooks.afterJob(job, { status: "completed" });
    } finally {
      await hooks.close();
    }
    const log = (await api(on.backend.url, on.token, "GET", `/v1/runs/resync-cap/logs/${enc("a@dev.x")}`)).text;
    assert.equal(log.split("=== s1 ===").length - 1, 1, `${log}\n${lines.join("\n")}`);
    assert.ok(log.startsWith("=== s1 ===\none\n=== s2 ===\n"), `${log}\n${lines.join("\n")}`);
    assert.ok(Buffer.byteLength(log) <= CAP, log);
    // What reached the log of s2's section plus what the marker says was dropped is all of s2's section.
    const marker = /\[orun\] log truncated at the backend's \d+-byte cap: (\d+) bytes of step \S+ dropped/.exec(log);
    assert.match(marker?.[0] ?? "", /of step s2 dropped/, log);
    assert.ok(marker, log);
    const keptOfS2 = Buffer.byteLength(log.slice("=== s1 ===\none\n".length, marker.index));
    const s2Section = Buffer.byteLength(`=== s2 ===\n${big}`);
    assert.equal(keptOfS2 + Number(marker[1]), s2Section, log);
  });
});
