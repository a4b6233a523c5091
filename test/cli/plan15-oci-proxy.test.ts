// `orun plan` pulling an oci composition source through an HTTP proxy named by
// HTTP_PROXY/HTTPS_PROXY/NO_PROXY, as users behind a corporate proxy must. The
// proxy is a real CONNECT proxy on loopback (what squid and corporate proxies
// speak for HTTPS); the registry is the faithful local one of test/support.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { startFakeRegistry, type FakeRegistry } from "../support/oci-registry.js";
import { runOrun } from "../support/cli.js";
import { cleanupRepos, writeRepo } from "../planner/support.js";
import { rawTarGz } from "../planner/load/tar-writer.js";

const PACKAGE = rawTarGz([
  { name: "stack.yaml", content: "apiVersion: orun.io/v1\nkind: Stack\nmetadata: {name: remote-stack, version: 1.0.0}\n" },
  {
    name: "svc/compositions.yaml",
    content: `apiVersion: sourceplane.io/v1alpha1
kind: Composition
metadata: {name: svc}
spec:
  type: svc
  defaultJob: deploy
  parameterSchema: {type: object}
  jobs:
    - name: deploy
      steps: [{name: say, run: "echo hi"}]
`,
  },
]);

interface Proxy {
  url: string;
  /** `host:port` of every CONNECT it was asked for, with the Proxy-Authorization sent. */
  tunnels: { target: string; auth?: string }[];
  close(): Promise<void>;
}

/** A CONNECT proxy; with `requireAuth`, only a client sending those credentials gets a tunnel (else 407). */
async function startProxy(requireAuth?: string): Promise<Proxy> {
  const tunnels: Proxy["tunnels"] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => res.writeHead(405).end("CONNECT only"));
  server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    const auth = req.headers["proxy-authorization"];
    tunnels.push({ target: req.url ?? "", ...(auth ? { auth } : {}) });
    if (requireAuth && auth !== `Basic ${Buffer.from(requireAuth).toString("base64")}`) {
      client.end("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const [host, port] = (req.url ?? "").split(":");
    const upstream = net.connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    const drop = (): void => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on("error", drop);
    client.on("error", drop);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let registry: FakeRegistry;
let ref: string;
let cache: string;
before(async () => {
  registry = await startFakeRegistry();
  registry.push("platform/stack", "v1", [{ mediaType: "application/vnd.orun.stack.compositions.layer.v1+tar+gzip", bytes: PACKAGE }]);
  ref = `${registry.host}/platform/stack:v1`;
  cache = await fs.mkdtemp(path.join(os.tmpdir(), "orun-plan15-cache-"));
});
after(async () => {
  await registry.close();
  await cleanupRepos();
  await fs.rm(cache, { recursive: true, force: true });
});

async function repo(): Promise<string> {
  return writeRepo({
    "intent.yaml": `apiVersion: sourceplane.io/v1
kind: Intent
metadata: {name: proxied}
compositions:
  sources: [{name: platform, kind: oci, ref: "${ref}"}]
environments:
  dev: {selectors: {components: ["*"]}}
components:
  - {name: api, type: svc}
`,
  });
}

/** Proxy settings of a run: only these, whatever the machine's environment holds. */
function proxyEnv(settings: { http_proxy?: string; https_proxy?: string; no_proxy?: string }, cacheDir: string): NodeJS.ProcessEnv {
  return { HTTP_PROXY: "", HTTPS_PROXY: "", NO_PROXY: "", http_proxy: "", https_proxy: "", no_proxy: "", ...settings, ORUN_COMPOSITIONS_CACHE: cacheDir };
}

async function freshCache(): Promise<string> {
  return fs.mkdtemp(path.join(cache, "c-"));
}

test("HTTP_PROXY (with credentials in its URL) carries the manifest, token and blob requests through the proxy's tunnels", async () => {
  const proxy = await startProxy("corp:s3cret");
  try {
    const before = registry.requests.length;
    const result = await runOrun(["plan"], { cwd: await repo(), env: proxyEnv({ http_proxy: proxy.url.replace("//", "//corp:s3cret@") }, await freshCache()) });
    assert.equal(result.code, 0, result.stderr);
    // Every tunnel went to the registry or its blob storage, with the proxy's credentials.
    assert.ok(proxy.tunnels.some((t) => t.target === registry.host), JSON.stringify(proxy.tunnels));
    assert.ok(proxy.tunnels.length >= 2, "the blob storage (another origin) was reached through the proxy too");
    for (const t of proxy.tunnels) assert.equal(t.auth, `Basic ${Buffer.from("corp:s3cret").toString("base64")}`);
    assert.ok(registry.requests.slice(before).some((r) => r.path.startsWith("storage:")), "the layer was downloaded");
  } finally {
    await proxy.close();
  }
});

test("a proxy refusing the tunnel fails the pull, naming the source, the intent line and the proxy's answer", async () => {
  const proxy = await startProxy("corp:s3cret");
  try {
    const result = await runOrun(["plan"], { cwd: await repo(), env: proxyEnv({ https_proxy: "", http_proxy: proxy.url }, await freshCache()) });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /intent\.yaml:5/);
    assert.match(result.stderr, /failed to resolve oci composition source platform/);
    assert.match(result.stderr, /the proxy refused to connect to 127\.0\.0\.1:\d+ \(407 Proxy Authentication Required\); give the proxy.s credentials in its URL/);
    assert.equal(proxy.tunnels.length > 0, true, "the request went to the proxy");
  } finally {
    await proxy.close();
  }
});

test("NO_PROXY hosts are contacted directly; HTTPS_PROXY alone is not used for a plain-HTTP registry", async () => {
  const proxy = await startProxy();
  try {
    const bypassed = await runOrun(["plan"], { cwd: await repo(), env: proxyEnv({ http_proxy: proxy.url, no_proxy: "localhost,127.0.0.1" }, await freshCache()) });
    assert.equal(bypassed.code, 0, bypassed.stderr);
    const httpsOnly = await runOrun(["plan"], { cwd: await repo(), env: proxyEnv({ https_proxy: proxy.url }, await freshCache()) });
    assert.equal(httpsOnly.code, 0, httpsOnly.stderr);
    assert.deepEqual(proxy.tunnels, []);
  } finally {
    await proxy.close();
  }
});

test("a proxy setting that is not a URL is an error naming the variable, without the password", async () => {
  const result = await runOrun(["plan"], { cwd: await repo(), env: proxyEnv({ http_proxy: "socks5://me:hunter2@proxy:1080" }, await freshCache()) });
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /http_proxy is set to "socks5:\/\/me:\*\*\*@proxy:1080", which is not an http:\/\/ or https:\/\/ proxy URL/);
  assert.doesNotMatch(result.stderr, /hunter2/);
  assert.match(result.stderr, /intent\.yaml:5/);
});
