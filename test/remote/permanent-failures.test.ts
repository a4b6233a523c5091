// Network failures retrying cannot mend fail at once, saying what to do,
// instead of being retried for the whole budget (2 minutes for the backend,
// six attempts for the OIDC token): a TLS certificate Node does not trust
// (hint: NODE_EXTRA_CA_CERTS), a port fetch refuses ("bad port"), a proxy
// wanting credentials (407) in front of the OIDC token service. Real servers
// on loopback: an HTTPS server with a self-signed certificate, a CONNECT proxy.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { BackendClient } from "../../src/remote/client.js";
import { GithubOidcTokenSource, TokenRequestError } from "../../src/remote/oidc-token.js";
import { startConnectProxy, type ConnectProxy } from "../support/connect-proxy.js";

const auth = { kind: "token" as const, token: async () => "orun_t" };

describe("network failures that retrying cannot mend", () => {
  let dir = "";
  let server: https.Server | undefined;
  let httpsUrl = "";
  let connections = 0;
  let proxy: ConnectProxy | undefined;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-permanent-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "c.pem")], { stdio: "ignore" });
    server = https.createServer({ key: await fs.readFile(path.join(dir, "k.pem")), cert: await fs.readFile(path.join(dir, "c.pem")) }, (_req, res) => res.end("{}"));
    server.on("connection", () => connections++);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    httpsUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Names outside loopback go through it (this process's fetch reads HTTP_PROXY on first use); loopback never does.
    proxy = await startConnectProxy({ requireAuth: "u:pw", names: ["token.corp"] });
    process.env.HTTP_PROXY = proxy.url;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await proxy?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("a backend with an untrusted certificate fails the first call, hinting NODE_EXTRA_CA_CERTS", async () => {
    connections = 0;
    const said: string[] = [];
    const started = Date.now();
    await assert.rejects(new BackendClient({ baseUrl: httpsUrl, auth, retryBudgetMs: 60_000, onRetrying: (m) => said.push(m) }).getRun("r"), (err: Error & { hint?: string }) => {
      assert.match(err.message, /^orun backend at https:\/\/127\.0\.0\.1:\d+: the TLS certificate of 127\.0\.0\.1:\d+ is not trusted: self[- ]signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
      assert.match(err.hint ?? "", /NODE_EXTRA_CA_CERTS/);
      return true;
    });
    assert.deepEqual([said, connections], [[], 1], "not retried");
    // Within a third of the 60 s retry budget: under load this first call took over 5 s.
    assert.ok(Date.now() - started < 20_000, `failed after ${Date.now() - started} ms`);
  });

  it("a backend URL on a port fetch refuses fails at once, naming the port", async () => {
    const said: string[] = [];
    const started = Date.now();
    await assert.rejects(new BackendClient({ baseUrl: "http://127.0.0.1:6000", auth, retryBudgetMs: 60_000, onRetrying: (m) => said.push(m) }).getRun("r"), (err: Error & { hint?: string }) => {
      assert.match(err.message, /^orun backend at http:\/\/127\.0\.0\.1:6000: port 6000 is one fetch refuses to connect to/);
      assert.match(err.hint ?? "", /another port/);
      return true;
    });
    assert.deepEqual(said, []);
    assert.ok(Date.now() - started < 20_000, `failed after ${Date.now() - started} ms`);
  });

  it("the OIDC token request fails at once on an untrusted certificate and on a proxy's 407", async () => {
    connections = 0;
    const tls = new GithubOidcTokenSource(`${httpsUrl}/token`, "request-token");
    await assert.rejects(tls.token(), (err: Error & { hint?: string }) => {
      assert.ok(err instanceof TokenRequestError && !err.transient, "not transient");
      assert.match(err.message, /^cannot fetch a GitHub Actions OIDC token from https:\/\/127\.0\.0\.1:\d+: the TLS certificate .* not trusted/);
      assert.match(err.hint ?? "", /NODE_EXTRA_CA_CERTS/);
      return true;
    });
    // Through the client, which retries transient token failures six times: one attempt.
    await assert.rejects(new BackendClient({ baseUrl: "http://127.0.0.1:2", auth: tls, retryBudgetMs: 60_000 }).getRun("r"), /not trusted/);
    assert.equal(connections, 2, "one connection per call");

    const proxied = new GithubOidcTokenSource("http://token.corp:2/token", "request-token");
    const started = Date.now();
    await assert.rejects(new BackendClient({ baseUrl: "http://127.0.0.1:2", auth: proxied, retryBudgetMs: 60_000 }).getRun("r"), (err: Error) => {
      assert.ok(err instanceof TokenRequestError && !err.transient, "not transient");
      assert.match(err.message, /^cannot fetch a GitHub Actions OIDC token from http:\/\/token\.corp:2: the proxy refused to connect to token\.corp:2 \(407 Proxy Authentication Required\)/);
      return true;
    });
    assert.equal(proxy!.tunnels.length, 1, "asked the proxy once");
    assert.ok(Date.now() - started < 20_000);
  });
});
