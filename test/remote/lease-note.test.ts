// The runner's outage notice adds when a running job stops here (its lease). Whether to add it is decided on what the
// client says happened (an outage, or the backend answering again), not on the notice's wording: before, leaseNote
// matched the message against /is not answering/, so rewording the notice would silently drop the lease deadline.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { BackendClient } from "../../src/remote/client.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import { computePlanChecksum } from "../../src/plan/checksum.js";

describe("RemoteHooks.leaseNote", () => {
  it("names the running job's lease deadline for an outage, and nothing for a recovery or with no job running", async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const path = new URL(req.url!, "http://x").pathname;
        const body = path === "/v1/runs" ? { runId: "r", status: "running", createdAt: "" } : path.endsWith("/claim") ? { claimed: true, leaseMs: 60_000 } : { ok: true };
        res.writeHead(path === "/v1/runs" ? 201 : 200, { "Content-Type": "application/json" }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const jobs = [{ id: "a@dev.x", name: "x", component: "a", environment: "dev", dependsOn: [], steps: [] }];
      const plan = { apiVersion: "orun.io/v1" as const, kind: "Plan" as const, metadata: { name: "p", checksum: "" }, execution: { concurrency: 1, failFast: true }, spec: {}, jobs };
      plan.metadata.checksum = computePlanChecksum(plan);
      const client = new BackendClient({ baseUrl, auth: { kind: "token", token: async () => "orun_t" }, onRetrying: () => undefined });
      const hooks = new RemoteHooks({ client, plan, runId: "r", runnerId: "me", mode: "plan", say: () => undefined });
      try {
        assert.equal(hooks.leaseNote("outage"), "", "no job runs here yet");
        const decision = await hooks.beforeJob(jobs[0], new AbortController().signal);
        assert.equal(decision.action, "run");
        assert.match(hooks.leaseNote("outage"), /^; running job a@dev\.x stops here at \d\d:\d\d:\d\d UTC unless a heartbeat reaches the backend by then \(its lease\)$/);
        assert.equal(hooks.leaseNote("recovered"), "");
      } finally {
        await hooks.close();
      }
    } finally {
      server.close();
    }
  });
});
