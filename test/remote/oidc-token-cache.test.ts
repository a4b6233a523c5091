// The GitHub Actions OIDC token cache against GitHub's rate-limited token endpoint: a token the backend refuses
// is fetched afresh once however many requests were in flight with it, and a runner whose clock runs ahead of
// the issuer's still reuses its token. A loopback token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL) counts fetches
// and hands out tokens the local issuer signs.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { generateKeyPair } from "jose";
import { BackendClient } from "../../src/remote/client.js";
import { GithubOidcTokenSource } from "../../src/remote/oidc-token.js";
import { startRemoteTestbed, type RemoteTestbed } from "./helpers.js";

describe("GitHub Actions OIDC token cache", () => {
  let bed: RemoteTestbed;
  let endpoint: http.Server;
  let tokenUrl: string;
  let fetches = 0;
  /** What the next token fetch hands out. */
  let mint: () => Promise<string>;

  before(async () => {
    bed = await startRemoteTestbed("orun-rem16-token-", (issuer) => ({ oidc: { issuer: issuer.issuer }, rateLimit: { capacity: 100_000, refillPerSecond: 100_000 } }));
    endpoint = http.createServer((_req, res) => {
      fetches++;
      void mint().then((value) => {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ value }));
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
    tokenUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/token`;
    const creator = new BackendClient({ baseUrl: bed.backend.url, auth: { kind: "token", token: async () => bed.token } });
    await creator.createRun({ plan: { checksum: "c0ffee", jobs: [{ jobId: "api@dev.build", component: "api", deps: [] }] }, runId: "token-cache" });
  });
  after(async () => {
    endpoint?.closeAllConnections();
    await new Promise<void>((resolve) => (endpoint ? endpoint.close(() => resolve()) : resolve()));
    await bed?.close();
  });

  it("32 requests refused with the same stale token fetch one fresh token between them, not one each", async () => {
    const { privateKey: retiredKey } = await generateKeyPair("RS256");
    // The cached token is signed with a key the issuer no longer publishes: the backend refuses it (401).
    mint = () => bed.issuer.sign("acme/widgets", { key: retiredKey });
    const auth = new GithubOidcTokenSource(tokenUrl, "request-token");
    const client = new BackendClient({ baseUrl: bed.backend.url, auth, onRetrying: () => undefined });
    await auth.token();
    mint = () => bed.issuer.sign("acme/widgets");
    fetches = 0;
    const results = await Promise.allSettled(Array.from({ length: 32 }, () => client.getRun("token-cache")));
    assert.deepEqual(
      results.filter((r) => r.status === "rejected").map((r) => String(r.reason)),
      [],
    );
    assert.equal(fetches, 1, `${fetches} token fetches after one refused token`);
  });

  it("a runner whose clock is 10 minutes ahead of the issuer's reuses its 5-minute token", async () => {
    // As this machine sees it, the token was issued 10 minutes ago and expired 5 minutes ago.
    mint = () => bed.issuer.sign("acme/widgets", { claims: { iat: Math.floor(Date.now() / 1000) - 600, nbf: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) - 300 } });
    const auth = new GithubOidcTokenSource(tokenUrl, "request-token");
    fetches = 0;
    const first = await auth.token();
    for (let i = 0; i < 20; i++) assert.equal(await auth.token(), first);
    assert.equal(fetches, 1);
  });

  it("a token without exp is not reused; one that lives under two minutes is refreshed halfway", async () => {
    const now = () => Math.floor(Date.now() / 1000);
    mint = () => bed.issuer.sign("acme/widgets", { claims: { exp: undefined } });
    const noExp = new GithubOidcTokenSource(tokenUrl, "request-token");
    fetches = 0;
    await noExp.token();
    await noExp.token();
    assert.equal(fetches, 2);
    mint = () => bed.issuer.sign("acme/widgets", { claims: { iat: now(), exp: now() + 2 } });
    const brief = new GithubOidcTokenSource(tokenUrl, "request-token");
    fetches = 0;
    await brief.token();
    await brief.token();
    assert.equal(fetches, 1, "reused within the first half of its life");
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await brief.token();
    assert.equal(fetches, 2, "fetched afresh past halfway");
  });
});
