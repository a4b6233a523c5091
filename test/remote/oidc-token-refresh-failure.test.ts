// A GitHub OIDC token's refresh failing (the token service down for a moment) while the cached token still lives:
// the cached token is used until it really expires. Before, every request in the refresh window failed with the
// token service's error even though its token was still good.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { GithubOidcTokenSource, TokenRequestError } from "../../src/remote/oidc-token.js";

/** An unsigned JWT living `seconds` from now (the cache reads its claims, never its signature). */
function jwt(seconds: number, n: number): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "none" })}.${part({ iat: now, exp: now + seconds, n })}.sig`;
}

describe("an OIDC token refresh that fails while the cached token lives", () => {
  let endpoint: http.Server;
  let url: string;
  let up = true;
  let fetches = 0;
  before(async () => {
    endpoint = http.createServer((_req, res) => {
      fetches++;
      if (!up) return void res.writeHead(503).end("down");
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ value: jwt(4, fetches) }));
    });
    await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/token`;
  });
  after(async () => {
    endpoint?.closeAllConnections();
    await new Promise<void>((resolve) => (endpoint ? endpoint.close(() => resolve()) : resolve()));
  });

  it("answers with the cached token until it expires, then fails with the service's error", { timeout: 20_000 }, async () => {
    const source = new GithubOidcTokenSource(url, "request-token", "orun");
    const first = await source.token();
    up = false;
    // A 4 s token is refreshed halfway (2 s) and good until 3 s (a quarter of its life kept as margin).
    await new Promise((resolve) => setTimeout(resolve, 2_300));
    const before = fetches;
    assert.equal(await source.token(), first, "the refresh failed, the cached token still lives");
    assert.equal(fetches, before + 1, "the refresh was tried");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await assert.rejects(source.token(), (err: unknown) => err instanceof TokenRequestError && /HTTP 503/.test(err.message) && err.transient);
    up = true;
    assert.notEqual(await source.token(), first, "a fresh token once the service is back");
  });

  it("a token the backend refused is not reused when its refresh fails", async () => {
    up = true;
    const source = new GithubOidcTokenSource(url, "request-token", "orun");
    const token = await source.token();
    up = false;
    source.invalidate(token);
    await assert.rejects(source.token(), TokenRequestError);
    up = true;
  });
});
