// rev30b — sec30 (b5b776b) bounds the log bytes all uploads in progress hold at once (16 × --max-log-size) with one
// backend-wide count (context.ts logBytesReceiving). Without --allow-owner/--allow-repo every GitHub repository gets a
// namespace of its own, and any of them can fill that count: a few uploads declaring the cap and sending it slowly
// (each held up to --request-timeout, 60 s, and started again) make every other namespace's log uploads 503 — their
// runners retry for their budget and then drop the logs. One namespace's uploads should not take another's room.
// Fixed: a namespace's uploads hold at most a quarter of the budget (routes/logs.ts reserveBody), fix30b.
import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { until } from "../../support/wait.js";
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

/** POSTs `path` declaring a body of `declared` bytes and sending none of it: the answer, given before any is read. */
function declaring(url: string, token: string, path: string, declared: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Length": String(declared) } });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    req.on("error", (err) => (req.destroyed ? undefined : reject(err)));
    req.flushHeaders();
  });
}

// mut30b's L4: an upload declaring more than --max-log-size is counted at the cap, which is all it can ever hold (it is
// refused 413 before its body is read). Counted at its declared size, it took a 503 (retry shortly) from a namespace
// with another upload in progress, and its runner retried for minutes an upload that can never be taken.
describe("an upload declaring more than the log cap, beside another upload in progress", () => {
  // A namespace's share is 2000 bytes: two 1000-byte bodies at a time.
  const on = backendOnStore("sqlite", { requestTimeoutMs: 60_000, maxLogBytes: 1000, maxBufferedLogBytes: 8000 }, "acme/oversized");

  it("is refused as too large (413), not as the budget being busy (503)", async () => {
    const runId = "oversized";
    assert.equal((await api(on.backend.url, on.token, "POST", "/v1/runs", { plan: planOf({ a: [], b: [], c: [] }), runId })).status, 201);
    for (const job of ["a", "b", "c"]) assert.equal((await api(on.backend.url, on.token, "POST", `/v1/runs/${runId}/jobs/${job}/claim`, { runnerId: `r${job}` })).body.claimed, true);
    const hold = (job: string) => {
      const req = http.request(`${on.backend.url}/v1/runs/${runId}/logs/${job}?append=true&offset=0&runnerId=r${job}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${on.token}`, "Content-Length": "1000" },
      });
      req.on("error", () => undefined);
      req.write("x".repeat(10));
      return req;
    };
    const [kept, dropped] = [hold("a"), hold("b")];
    try {
      // Both are being received (the namespace's share is full) once a 1-byte upload is turned away.
      await until(async () => (await api(on.backend.url, on.token, "POST", `/v1/runs/${runId}/logs/c?append=true&offset=0&runnerId=rc`, "p")).status === 503, "both uploads to hold the share");
      // One goes; its room comes back when the server sees it gone. The other is still being received throughout.
      dropped.destroy();
      const path = `/v1/runs/${runId}/logs/c?append=true&offset=0&runnerId=rc`;
      let answer = { status: 0, text: "" };
      await until(async () => (answer = await declaring(on.backend.url, on.token, path, 5000)).status !== 503, "the oversized upload to be judged on its size, not the budget", 20_000);
      assert.equal(answer.status, 413, answer.text);
      assert.match(answer.text, /exceeds 1000 bytes/);
    } finally {
      kept.destroy();
      dropped.destroy();
    }
  });
});
