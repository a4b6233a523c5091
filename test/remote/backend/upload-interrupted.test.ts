// A log upload cut off mid-body (a runner killed while uploading), on both
// stores: nothing of it is stored, the job's log stays appendable at its old
// offset, and the backend does not report the client's disconnect as an
// internal error (it logged a stack trace for every one).
import assert from "node:assert/strict";
import net from "node:net";
import { describe, it } from "node:test";
import { api, backendOnStore, enc, planOf, type StoreKind } from "../helpers.js";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`an interrupted log upload on ${kind}`, () => {
    const logged: string[] = [];
    const on = backendOnStore(kind, { log: (m) => logged.push(m) });

    it("stores nothing of it, keeps the log appendable, and logs no internal error", async (t) => {
      if (!on.db) return t.skip("PostgreSQL unavailable");
      const job = enc("a@dev.x");
      assert.equal((await api(on.backend.url, on.token, "POST", "/v1/runs", { plan: planOf({ "a@dev.x": [] }), runId: "cut" })).status, 201);
      assert.equal((await api(on.backend.url, on.token, "POST", `/v1/runs/cut/jobs/${job}/claim`, { runnerId: "r" })).body.claimed, true);
      assert.equal((await api(on.backend.url, on.token, "POST", `/v1/runs/cut/logs/${job}?append=true&offset=0&runnerId=r`, "first\n")).status, 200);

      // Half of a declared 1000-byte body, then the connection drops.
      const received = new Promise<import("node:http").IncomingMessage>((resolve) =>
        on.backend.server.on("request", (req: import("node:http").IncomingMessage) => {
          if (req.headers["content-length"] === "1000") resolve(req);
        }),
      );
      const { port } = new URL(on.backend.url);
      const socket = net.connect(Number(port), "127.0.0.1");
      await new Promise<void>((resolve) => socket.on("connect", resolve));
      socket.write(`POST /v1/runs/cut/logs/${job}?append=true&offset=6&runnerId=r HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${on.token}\r\nContent-Length: 1000\r\n\r\n${"y".repeat(500)}`);
      // Once the server is reading it (an append is written only after the whole body), the connection drops.
      const req = await received;
      const closed = new Promise((resolve) => req.on("close", resolve));
      socket.destroy();
      await closed;
      // The handler's rejection runs right after the close.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal((await api(on.backend.url, on.token, "GET", `/v1/runs/cut/logs/${job}`)).text, "first\n", "nothing of the cut upload is stored");

      const next = await api<{ bytes: number }>(on.backend.url, on.token, "POST", `/v1/runs/cut/logs/${job}?append=true&offset=6&runnerId=r`, "second\n");
      assert.equal(next.status, 200, next.text);
      assert.equal(next.body.bytes, 13);
      assert.equal((await api(on.backend.url, on.token, "GET", `/v1/runs/cut/logs/${job}`)).text, "first\nsecond\n");
      assert.deepEqual(logged, [], "a client's disconnect is not an internal error");
    });
  });
}
