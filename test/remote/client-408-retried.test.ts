// rev30b — sec30 (7d958bc) has the backend answer a request whose body is slower than --request-timeout (at least
// 1s) with 408 and close the connection. The runner's client retries 5xx, 429 and network failures but throws any
// other 4xx as the backend's refusal (client.ts: `res.status !== 429 && res.status < 500`): a 408 — a slow link,
// not a refusal, which HTTP lets a client repeat — becomes a BackendError. For a log upload, JobLog takes a
// BackendError as "refused" and sends nothing more of the job's log; a heartbeat or result fails outright.
// Fixed: the client retries a 408 as it retries 429 and 5xx (client.ts RETRYABLE_4XX), fix30b.
import assert from "node:assert/strict";
import net from "node:net";
import { describe, it } from "node:test";
import { BackendClient, BackendError } from "../../src/remote/client.js";
import { api, backendOnStore, enc, planOf } from "./helpers.js";

/** A TCP relay to `port` that passes what the client sends on at `bytesPerTick` every 50 ms (a slow uplink). */
async function slowUplink(port: number, bytesPerTick: number): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, "127.0.0.1");
    sockets.add(client).add(upstream);
    let queued = Buffer.alloc(0);
    const timer = setInterval(() => {
      if (queued.length === 0) return;
      upstream.write(queued.subarray(0, bytesPerTick));
      queued = queued.subarray(bytesPerTick);
    }, 50);
    client.on("data", (chunk: Buffer) => (queued = Buffer.concat([queued, chunk])));
    upstream.pipe(client);
    const end = () => {
      clearInterval(timer);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("rev30b: a log upload slower than the backend's --request-timeout", () => {
  const on = backendOnStore("sqlite", { requestTimeoutMs: 1_000 }, "acme/slow");

  it("is retried as a failure of the link, not thrown as the backend refusing it (408)", async () => {
    const runId = `slow-${Date.now()}`;
    assert.equal((await api(on.backend.url, on.token, "POST", "/v1/runs", { plan: planOf({ "a@dev.x": [] }), runId })).status, 201);
    assert.equal((await api(on.backend.url, on.token, "POST", `/v1/runs/${runId}/jobs/${enc("a@dev.x")}/claim`, { runnerId: "rA" })).body.claimed, true);
    const relay = await slowUplink(Number(new URL(on.backend.url).port), 8 * 1024);
    try {
      const notices: string[] = [];
      const client = new BackendClient({ baseUrl: relay.url, auth: { kind: "token", token: async () => on.token }, retryBudgetMs: 2_500, onRetrying: (m) => notices.push(m) });
      // 256 KiB at ~160 KiB/s: about 1.6 s, past the backend's 1 s.
      const err = await client.appendLog(runId, "a@dev.x", "x".repeat(256 * 1024), 0, "rA").then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(!(err instanceof BackendError && err.status === 408), `a 408 was thrown as the backend's refusal, not retried: ${String(err)}`);
    } finally {
      await relay.close();
    }
  });
});
