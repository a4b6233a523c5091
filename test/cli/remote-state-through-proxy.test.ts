// Remote state behind a corporate proxy: `orun run --remote-state` talks to a
// backend that only the CONNECT proxy HTTP_PROXY names can reach (the backend
// listens on loopback, reached as backend.test, a name only the proxy
// resolves), and on a GitHub Actions runner asks the OIDC token service
// (token.test, likewise) through it; the backend, behind the proxy too, fetches
// the issuer's discovery document and keys (issuer.test) through it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { startConnectProxy, type ConnectProxy } from "../support/connect-proxy.js";
import { startRemoteTestbed, type RemoteTestbed } from "../remote/helpers.js";
import { spawnOrun, startBackendProcess, writePlan } from "../remote/processes.js";

let bed: RemoteTestbed;
let proxy: ConnectProxy;
let plan: string;
/** The backend and the token service as the proxy knows them. */
let backendUrl: string;
let tokenRequestUrl: string;

before(async () => {
  bed = await startRemoteTestbed("orun-proxy15-remote-", (issuer) => ({ oidc: { issuer: issuer.issuer } }));
  proxy = await startConnectProxy({ names: ["backend.test", "token.test"] });
  backendUrl = bed.backend.url.replace("127.0.0.1", "backend.test");
  tokenRequestUrl = `${bed.issuer.tokenRequestUrl.replace("127.0.0.1", "token.test")}?repo=acme/widgets`;
  // The second job waits for the first through the backend: its runner polls it across the proxy.
  plan = await writePlan(bed.dir, "proxied", [
    { id: "db@dev.migrate", run: `echo migrated > ${path.join(bed.dir, "migrated")}` },
    { id: "api@dev.deploy", deps: ["db@dev.migrate"], run: `cat ${path.join(bed.dir, "migrated")}` },
  ]);
});
after(async () => {
  await proxy.close();
  await bed.close();
});

/** Only these proxy settings, whatever the machine's environment holds. */
function env(settings: { http_proxy?: string; https_proxy?: string; no_proxy?: string }, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...{ HTTP_PROXY: "", HTTPS_PROXY: "", NO_PROXY: "", http_proxy: "", https_proxy: "", no_proxy: "" },
    ...settings,
    GITHUB_ACTIONS: "",
    ORUN_TOKEN: bed.token,
    ORUN_BACKEND_RETRY_MS: "1500",
    ...extra,
  };
}

async function orun(args: string[], environment: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return spawnOrun(args, { cwd: bed.dir, env: environment }).done;
}

test("runs, status and logs reach a backend only the proxy HTTP_PROXY names can reach", async () => {
  const before = proxy.tunnels.length;
  const e = env({ http_proxy: proxy.url });
  const run = await orun(["run", plan, "--remote-state", "--backend-url", backendUrl, "--exec-id", "proxy15-r1"], e);
  assert.equal(run.code, 0, run.output);
  assert.equal(await readFile(path.join(bed.dir, "migrated"), "utf8"), "migrated\n");
  const status = await orun(["status", "--remote-state", "--backend-url", backendUrl, "--exec-id", "proxy15-r1", "--json"], e);
  assert.equal(status.code, 0, status.output);
  const jobs = (JSON.parse(status.output) as { state: { jobs: Record<string, { status: string }> } }).state.jobs;
  assert.deepEqual([jobs["db@dev.migrate"]?.status, jobs["api@dev.deploy"]?.status], ["completed", "completed"]);
  const logs = await orun(["logs", "--remote-state", "--backend-url", backendUrl, "--exec-id", "proxy15-r1", "--job", "api@dev.deploy"], e);
  assert.equal(logs.code, 0, logs.output);
  assert.match(logs.output, /migrated/);
  const tunnels = proxy.tunnels.slice(before);
  assert.ok(tunnels.length >= 3, "each process tunnelled to the backend");
  assert.deepEqual(new Set(tunnels.map((t) => t.target)), new Set([backendUrl.replace("http://", "")]));
});

test("on a GitHub Actions runner the OIDC token request goes through the proxy too", async () => {
  const before = proxy.tunnels.length;
  const requests = bed.issuer.tokenRequests();
  const e = env(
    { http_proxy: proxy.url },
    { ORUN_TOKEN: "", GITHUB_ACTIONS: "true", ACTIONS_ID_TOKEN_REQUEST_URL: tokenRequestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: bed.issuer.requestToken },
  );
  const run = await orun(["run", plan, "--remote-state", "--backend-url", backendUrl, "--exec-id", "proxy15-r2", "--job", "db@dev.migrate"], e);
  assert.equal(run.code, 0, run.output);
  assert.ok(bed.issuer.tokenRequests() > requests, "a token was requested");
  const targets = new Set(proxy.tunnels.slice(before).map((t) => t.target));
  assert.ok(targets.has(new URL(tokenRequestUrl).host), [...targets].join(", "));
  assert.ok(targets.has(new URL(backendUrl).host), [...targets].join(", "));
});

test("without the proxy the backend's name does not resolve; NO_PROXY is honoured; a proxy asking for credentials fails at once", async () => {
  for (const settings of [{}, { http_proxy: proxy.url, no_proxy: "backend.test" }]) {
    const r = await orun(["run", plan, "--remote-state", "--backend-url", backendUrl, "--exec-id", "proxy15-r3"], env(settings));
    assert.notEqual(r.code, 0, JSON.stringify(settings));
    assert.match(r.output, /orun backend at http:\/\/backend\.test:\d+ is unavailable: (ENOTFOUND|EAI_AGAIN)/, JSON.stringify(settings));
  }

  const guarded = await startConnectProxy({ names: ["backend.test"], requireAuth: "corp:s3cret" });
  try {
    const refused = await orun(["run", plan, "--remote-state", "--backend-url", backendUrl, "--exec-id", "proxy15-r4"], env({ http_proxy: guarded.url }, { ORUN_BACKEND_RETRY_MS: "30000" }));
    assert.notEqual(refused.code, 0);
    assert.match(refused.output, /orun backend at http:\/\/backend\.test:\d+: the proxy refused to connect to backend\.test:\d+ \(407 Proxy Authentication Required\); give the proxy's credentials/);
    assert.equal(guarded.tunnels.length, 1, "not retried");
  } finally {
    await guarded.close();
  }
});

test("the backend fetches the issuer's discovery document and keys through the proxy", async () => {
  // The issuer as seen from outside: its discovery document and keys under issuer.test (only the proxy resolves it).
  const served: string[] = [];
  const front = http.createServer((req, res) => {
    served.push(req.url ?? "");
    const send = (body: unknown): void => void res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(body));
    if (req.url === "/.well-known/openid-configuration") return send({ issuer: frontUrl, jwks_uri: `${frontUrl}/keys` });
    void fetch(`${bed.issuer.issuer}/.well-known/jwks`).then(async (r) => send(await r.json()));
  });
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  const frontUrl = `http://issuer.test:${(front.address() as AddressInfo).port}`;
  const issuerProxy = await startConnectProxy({ names: ["issuer.test"] });
  const backend = await startBackendProcess(`sqlite:${path.join(bed.dir, "issuer-test.db")}`, ["--oidc-issuer", frontUrl], 0, env({ http_proxy: issuerProxy.url }));
  try {
    const token = await bed.issuer.sign("acme/widgets", { claims: { iss: frontUrl } });
    const res = await fetch(`${backend.url}/v1/runs/nothing-here`, { headers: { Authorization: `Bearer ${token}` } });
    const body = await res.text();
    assert.equal(res.status, 404, body);
    assert.match(body, /run not found/i, "authenticated: the token verified against keys fetched through the proxy");
    assert.deepEqual(served, ["/.well-known/openid-configuration", "/keys"]);
    assert.ok(issuerProxy.tunnels.length > 0 && issuerProxy.tunnels.every((t) => t.target === new URL(frontUrl).host));
  } finally {
    await backend.stop();
    await issuerProxy.close();
    front.closeAllConnections();
    await new Promise<void>((resolve) => front.close(() => resolve()));
  }
});
