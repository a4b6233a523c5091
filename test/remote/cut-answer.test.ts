// An answer whose connection drops after its headers (a proxy or load
// balancer hanging up mid-body) is retried like any network failure, for
// every call: create, claim, log append, update, status and log reads. A real
// backend behind a relay on loopback that cuts the first answer of each kind
// of call after its headers and 3 body bytes; the repeats count once on the
// backend. Before, the client read the body outside its retry loop: the run
// failed with undici's bare "terminated" and the job stayed running. A cut
// OIDC token answer is a transient failure too (the client retries it), not
// an answer without a token.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { BackendClient } from "../../src/remote/client.js";
import { GithubOidcTokenSource, TokenRequestError } from "../../src/remote/oidc-token.js";
import { api, backendOnStore, enc, planOf, type StoreKind } from "./helpers.js";

interface CuttingRelay {
  url: string;
  /** Requests seen per kind of call (method and path, no query). */
  seen: Map<string, number>;
  close(): Promise<void>;
}

/** Forwards to `target`; the first answer of each kind of call is cut after its headers and 3 bytes of its body. */
async function cuttingRelay(target: string): Promise<CuttingRelay> {
  const seen = new Map<string, number>();
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const kind = `${req.method} ${(req.url ?? "").split("?")[0]}`;
      const count = (seen.get(kind) ?? 0) + 1;
      seen.set(kind, count);
      const headers = { ...req.headers, host: upstream.host };
      const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
        const body: Buffer[] = [];
        answer.on("data", (c: Buffer) => body.push(c));
        answer.on("end", () => {
          const whole = Buffer.concat(body);
          const out: http.OutgoingHttpHeaders = { ...answer.headers, "content-length": whole.length };
          delete out["transfer-encoding"];
          delete out.connection;
          res.writeHead(answer.statusCode ?? 502, out);
          if (count > 1 || whole.length <= 3) return res.end(whole);
          res.write(whole.subarray(0, 3));
          setTimeout(() => res.socket?.destroy(), 50);
        });
      });
      forward.on("error", () => res.socket?.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`answers cut after their headers on ${kind}`, () => {
    const on = backendOnStore(kind);
    let relay: CuttingRelay | undefined;
    before(async () => {
      if (on.db) relay = await cuttingRelay(on.backend.url);
    });
    after(() => relay?.close());

    it("every call is retried and succeeds; the backend counts each once", async (t) => {
      if (!on.db || !relay) return t.skip("PostgreSQL unavailable");
      const said: string[] = [];
      const client = new BackendClient({ baseUrl: relay.url, auth: { kind: "token", token: async () => on.token }, retryBudgetMs: 10_000, onRetrying: (m) => said.push(m) });
      const a = "a@dev.x";
      const created = await client.createRun({ plan: planOf({ [a]: [], "b@dev.x": [a] }), runId: "cut" });
      assert.equal(created.runId, "cut");
      // The repeated claim (its first answer cut) proves it is the same claim by its claim key: it gets the lease secret.
      const claim = await client.claim("cut", a, "r1");
      assert.equal(claim.claimed, true);
      const lease = claim.leaseToken;
      assert.match(lease ?? "", /^[A-Za-z0-9_-]{43}$/);
      assert.equal((await client.appendLog("cut", a, "one\n", 0, "r1", { lease })).bytes, 4);
      assert.equal((await client.update("cut", a, { runnerId: "r1", status: "success" }, { lease })).ok, true);
      assert.equal((await client.jobStatus("cut", a)).status, "success");
      assert.equal(await client.readLog("cut", a), "one\n");
      assert.equal((await client.readLogFrom("cut", a, 1)).content.toString(), "ne\n");
      assert.equal((await client.getRun("cut")).status, "running");

      const path = (p: string) => `/v1/runs/cut${p}`;
      for (const call of ["POST /v1/runs", `POST ${path(`/jobs/${enc(a)}/claim`)}`, `POST ${path(`/logs/${enc(a)}`)}`, `POST ${path(`/jobs/${enc(a)}/update`)}`, `GET ${path(`/jobs/${enc(a)}/status`)}`, "GET /v1/runs/cut"]) {
        assert.ok((relay.seen.get(call) ?? 0) >= 2, `${call} was cut and repeated (${relay.seen.get(call)})`);
      }
      assert.equal(relay.seen.get(`GET ${path(`/logs/${enc(a)}`)}`), 3, "both log reads: one cut, each answered");
      assert.match(said[0] ?? "", /is not answering \(the connection closed mid-answer/);

      const jobs = (await api<{ jobs: { jobId: string; status: string; attempts: number; logBytes: number }[] }>(on.backend.url, on.token, "GET", "/v1/runs/cut/jobs")).body.jobs;
      assert.deepEqual(jobs.map((j) => [j.jobId, j.status, j.attempts, j.logBytes]), [[a, "success", 1, 4], ["b@dev.x", "pending", 0, 0]], "each repeat counted once");
    });
  });
}

describe("an OIDC token answer cut after its headers", () => {
  it("is a transient failure (the client retries it), not a token response without value", async () => {
    let answers = 0;
    const server = http.createServer((_req, res) => {
      const body = JSON.stringify({ value: "the-token" });
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
      if (++answers > 1) return res.end(body);
      res.write(body.slice(0, 3));
      setTimeout(() => res.socket?.destroy(), 50);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const source = new GithubOidcTokenSource(`http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, "request-token");
      await assert.rejects(source.token(), (err: Error) => {
        assert.ok(err instanceof TokenRequestError && err.transient, `transient: ${err.message}`);
        assert.match(err.message, /OIDC token .*: the connection closed mid-answer/);
        return true;
      });
      assert.equal(await source.token(), "the-token");
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
