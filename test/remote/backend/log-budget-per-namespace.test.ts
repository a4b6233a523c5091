// rev30b — sec30 (b5b776b) bounds the log bytes all uploads in progress hold at once (16 × --max-log-size) with one
// backend-wide count (context.ts logBytesReceiving). Without --allow-owner/--allow-repo every GitHub repository gets a
// namespace of its own, and any of them can fill that count: a few uploads declaring the cap and sending it slowly
// (each held up to --request-timeout, 60 s, and started again) make every other namespace's log uploads 503 — their
// runners retry for their budget and then drop the logs. One namespace's uploads should not take another's room.
// Fixed: a namespace's uploads hold at most a quarter of the budget (routes/logs.ts reserveBody), fix30b.
import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { api, backendOnStore, planOf, tokenFor } from "../helpers.js";

describe("rev30b: the log budget across namespaces", () => {
  // Room for two 1000-byte bodies at a time.
  const on = backendOnStore("sqlite", { requestTimeoutMs: 10_000, maxLogBytes: 1000, maxBufferedLogBytes: 2000 }, "mallory/slow");

  it("one namespace's slow uploads do not turn away another namespace's upload", async () => {
    const other = await tokenFor(on.backend.store, "acme/widgets");
    const run = async (token: string, runId: string, jobs: string[]) => {
      assert.equal((await api(on.backend.url, token, "POST", "/v1/runs", { plan: planOf(Object.fromEntries(jobs.map((j) => [j, []]))), runId })).status, 201);
      for (const job of jobs) assert.equal((await api(on.backend.url, token, "POST", `/v1/runs/${runId}/jobs/${job}/claim`, { runnerId: `r${job}` })).body.claimed, true);
    };
    await run(on.token, "slow", ["a", "b"]);
    await run(other, "honest", ["c"]);
    // Mallory's two uploads declare the cap and send 10 bytes each, then wait.
    const held = ["a", "b"].map((job) => {
      const req = http.request(`${on.backend.url}/v1/runs/slow/logs/${job}?append=true&offset=0&runnerId=r${job}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${on.token}`, "Content-Length": "1000" },
      });
      req.on("error", () => undefined);
      req.write("x".repeat(10));
      return req;
    });
    try {
      // Both are being received once a further upload of Mallory's own is turned away.
      for (let tries = 0; ; tries++) {
        const probe = await api(on.backend.url, on.token, "POST", "/v1/runs/slow/logs/a?append=true&offset=0&runnerId=ra", "p");
        if (probe.status === 503) break;
        assert.ok(tries < 200, `Mallory's uploads never took the budget: ${probe.status} ${probe.text}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const honest = await api(on.backend.url, other, "POST", "/v1/runs/honest/logs/c?append=true&offset=0&runnerId=rc", "build ok\n");
      assert.equal(honest.status, 200, `another namespace's upload: ${honest.status} ${honest.text}`);
    } finally {
      for (const req of held) req.destroy();
    }
  });
});
