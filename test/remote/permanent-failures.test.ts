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

  it("a backend whose certificate has expired fails the first call, naming the expiry", async (t) => {
    // Signed by `openssl ca`, the one openssl 3.0 command that takes dates in the past: valid for one day in 2020.
    const ca = path.join(dir, "expired");
    await fs.mkdir(ca);
    await fs.writeFile(path.join(ca, "index.txt"), "");
    await fs.writeFile(path.join(ca, "serial"), "01\n");
    await fs.writeFile(
      path.join(ca, "ca.cnf"),
      `[ca]\ndefault_ca = c\n[c]\ndatabase = ${ca}/index.txt\nserial = ${ca}/serial\nnew_certs_dir = ${ca}\ndefault_md = sha256\npolicy = p\nx509_extensions = e\n[p]\ncommonName = supplied\n[e]\nsubjectAltName = IP:127.0.0.1\n`,
    );
    const file = (name: string) => path.join(ca, name);
    execFileSync("openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", file("k.pem"), "-out", file("r.csr")], { stdio: "ignore" });
    execFileSync("openssl", ["ca", "-batch", "-config", file("ca.cnf"), "-selfsign", "-keyfile", file("k.pem"), "-in", file("r.csr"), "-out", file("c.pem"), "-startdate", "20200101000000Z", "-enddate", "20200102000000Z"], { stdio: "ignore" });
    const expired = https.createServer({ key: await fs.readFile(file("k.pem")), cert: await fs.readFile(file("c.pem")) }, (_req, res) => res.end("{}"));
    let calls = 0;
    expired.on("connection", () => calls++);
    await new Promise<void>((resolve) => expired.listen(0, "127.0.0.1", resolve));
    t.after(() => new Promise((resolve) => (expired.closeAllConnections(), expired.close(resolve))));
    const said: string[] = [];
    // A short budget: retried as an outage (the code missing from the list), the call ends in seconds, not minutes.
    const client = new BackendClient({ baseUrl: `https://127.0.0.1:${(expired.address() as AddressInfo).port}`, auth, retryBudgetMs: 5_000, onRetrying: (m) => said.push(m) });
    await assert.rejects(client.getRun("r"), (err: Error & { hint?: string }) => {
      assert.match(err.message, /^orun backend at https:\/\/127\.0\.0\.1:\d+: the TLS certificate of 127\.0\.0\.1:\d+ is not trusted: certificate has expired \(CERT_HAS_EXPIRED\)/);
      assert.match(err.hint ?? "", /NODE_EXTRA_CA_CERTS/);
      return true;
    });
    assert.deepEqual([said, calls], [[], 1], "not retried");
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
