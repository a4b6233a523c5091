// `orun plan` pulling an oci composition source through an HTTP proxy named by
// HTTP_PROXY/HTTPS_PROXY/NO_PROXY, as users behind a corporate proxy must. The
// proxy (test/support/connect-proxy) is a real CONNECT proxy on loopback; the
// registry is the faithful local one of test/support, reached under a name
// only the proxy resolves (registry.test), as a registry outside the corporate
// network is. Loopback hosts are never proxied (Go's
// net/http rule, which orun v2.3 and docker follow): the registry's token
// service and blob storage, on 127.0.0.1, are contacted directly.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startFakeRegistry, type FakeRegistry } from "../support/oci-registry.js";
import { runOrun } from "../support/cli.js";
import { startConnectProxy, type ConnectProxy } from "../support/connect-proxy.js";
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

/** A CONNECT proxy resolving registry.test (the registry, which the client cannot resolve). */
function startProxy(requireAuth?: string): Promise<ConnectProxy> {
  return startConnectProxy({ names: [REGISTRY_NAME], ...(requireAuth ? { requireAuth } : {}) });
}

const REGISTRY_NAME = "registry.test";
let registry: FakeRegistry;
/** The registry as the proxy knows it: `registry.test:<port>`. */
let named: string;
let ref: string;
let cache: string;
before(async () => {
  registry = await startFakeRegistry();
  registry.push("platform/stack", "v1", [{ mediaType: "application/vnd.orun.stack.compositions.layer.v1+tar+gzip", bytes: PACKAGE }]);
  named = `${REGISTRY_NAME}:${registry.host.split(":")[1]}`;
  ref = `${named}/platform/stack:v1`;
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
  return { HTTP_PROXY: "", HTTPS_PROXY: "", NO_PROXY: "", http_proxy: "", https_proxy: "", no_proxy: "", ...settings, ORUN_COMPOSITIONS_CACHE: cacheDir, ORUN_INSECURE_REGISTRIES: named };
}

async function freshCache(): Promise<string> {
  return fs.mkdtemp(path.join(cache, "c-"));
}

test("HTTP_PROXY (with credentials in its URL) carries the registry's requests through the proxy; loopback hosts are contacted directly", async () => {
  const proxy = await startProxy("corp:s3cret");
  try {
    const before = registry.requests.length;
    const result = await runOrun(["plan"], { cwd: await repo(), env: proxyEnv({ http_proxy: proxy.url.replace("//", "//corp:s3cret@") }, await freshCache()) });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(proxy.tunnels.length > 0);
    for (const t of proxy.tunnels) assert.deepEqual(t, { target: named, auth: `Basic ${Buffer.from("corp:s3cret").toString("base64")}` });
    const served = registry.requests.slice(before).map((r) => r.path);
    assert.ok(served.some((p) => p.startsWith("/v2/platform/stack/manifests/")), "the manifest came through the tunnel");
    assert.ok(served.some((p) => p.startsWith("storage:")), "the layer came from the storage (127.0.0.1, not proxied)");
  } finally {
    await proxy.close();
  }
});

test("without a proxy setting the registry's name does not resolve: the pull fails naming the source", async () => {
  const result = await runOrun(["plan"], { cwd: await repo(), env: proxyEnv({}, await freshCache()) });
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /intent\.yaml:5.*failed to resolve oci composition source platform: http:\/\/registry\.test:\d+\/v2\/platform\/stack\/manifests\/v1: the DNS lookup of registry\.test failed \((ENOTFOUND|EAI_AGAIN); a misspelt registry host, or no network\?\)/);
});

test("a proxy refusing the tunnel fails the pull, naming the source, the intent line and the proxy's answer", async () => {
  const proxy = await startProxy("corp:s3cret");
  try {
    const result = await runOrun(["plan"], { cwd: await repo(), env: proxyEnv({ https_proxy: "", http_proxy: proxy.url }, await freshCache()) });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /intent\.yaml:5/);
    assert.match(result.stderr, /failed to resolve oci composition source platform/);
    assert.match(result.stderr, /the proxy refused to connect to registry\.test:\d+ \(407 Proxy Authentication Required\); give the proxy.s credentials in its URL/);
    assert.equal(proxy.tunnels.length > 0, true, "the request went to the proxy");
  } finally {
    await proxy.close();
  }
});

test("NO_PROXY hosts are not proxied, and HTTPS_PROXY is not used for a plain-HTTP registry (nor HTTP_PROXY for HTTPS)", async () => {
  const proxy = await startProxy();
  try {
    for (const settings of [{ http_proxy: proxy.url, no_proxy: "localhost,.test" }, { https_proxy: proxy.url }]) {
      const result = await runOrun(["plan"], { cwd: await repo(), env: proxyEnv(settings, await freshCache()) });
      assert.notEqual(result.code, 0, JSON.stringify(settings));
      assert.match(result.stderr, /the DNS lookup of registry\.test failed/, "registry.test was looked up directly");
    }
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
