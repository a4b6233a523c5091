// rev31 review: sec30 answers a log upload it refuses before reading its body with Connection: close (refuseBeforeBody,
// reserveBody's 503), so the server never drains a body nobody reads (bd5de18). An upload whose declared
// Content-Length is over --max-log-size is refused just as unread (readBody's 413, before any byte is read), but
// without Connection: close: the server then reads and discards the whole declared body (up to its request timeout)
// to keep the connection alive.
import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { api, backendOnStore, planOf } from "../remote/helpers.js";

describe("rev31: a log upload declaring more than --max-log-size", () => {
  const on = backendOnStore("sqlite", { requestTimeoutMs: 10_000, maxLogBytes: 1000 }, "acme/declared");

  it("is refused (413) before its body is read, closing the connection", async () => {
    assert.equal((await api(on.backend.url, on.token, "POST", "/v1/runs", { plan: planOf({ a: [] }), runId: "declared" })).status, 201);
    assert.equal((await api(on.backend.url, on.token, "POST", "/v1/runs/declared/jobs/a/claim", { runnerId: "ra" })).body.claimed, true);
    const answer = await new Promise<{ status: number; connection?: string }>((resolve, reject) => {
      const req = http.request(`${on.backend.url}/v1/runs/declared/logs/a?append=true&offset=0&runnerId=ra`, {
        method: "POST",
        headers: { Authorization: `Bearer ${on.token}`, "Content-Length": String(50 * 1024 * 1024) },
      });
      req.on("response", (res) => {
        res.resume();
        res.on("end", () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
        });
      });
      req.on("error", (err) => (req.destroyed ? undefined : reject(err)));
      req.write(Buffer.alloc(64 * 1024, 0x61));
    });
    assert.equal(answer.status, 413);
    assert.equal(answer.connection, "close", "the 413 leaves the connection open: the server drains the 50 MiB nobody reads");
  });
});
