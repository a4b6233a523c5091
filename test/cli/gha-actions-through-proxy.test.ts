// `orun run` with the github-actions runner behind a corporate proxy: the
// remote action's ref lookup and tarball download go through the CONNECT proxy
// HTTP_PROXY names (test/support/connect-proxy). The GitHub API twin is
// reached under a name only the proxy resolves (api.github.test), as
// api.github.com is from a network whose only way out is the proxy.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { startConnectProxy, type ConnectProxy } from "../support/connect-proxy.js";
import { GitHubApiTwin } from "../support/github-api.js";
import { ACTIONS_SRC, makeJob, makePlan } from "../runners/github-actions/helpers.js";

const API_NAME = "api.github.test";
let api: GitHubApiTwin;
let proxy: ConnectProxy;
let work: string;
/** The twin as the proxy knows it: `http://api.github.test:<port>`. */
let apiUrl: string;

before(async () => {
  api = await new GitHubApiTwin().start();
  await api.publishDir("acme", "probe", "v1", path.join(ACTIONS_SRC, "remote-probe"));
  apiUrl = api.url.replace("127.0.0.1", API_NAME);
  proxy = await startConnectProxy({ names: [API_NAME], requireAuth: "corp:s3cret" });
  work = await mkdtemp(path.join(os.tmpdir(), "orun-proxy15-gha-"));
  const plan = makePlan([makeJob("svc@dev.build", [{ id: "probe", use: "acme/probe@v1" }, { id: "show", run: 'echo "probed=${{ steps.probe.outputs.inode != \'\' }}"' }])], "proxied-actions");
  await writeFile(path.join(work, "plan.json"), JSON.stringify(plan));
});
after(async () => {
  await proxy.close();
  await api.close();
  await rm(work, { recursive: true, force: true });
});

let runs = 0;
/** Runs the plan with only these proxy settings, whatever the machine's environment holds, and a fresh action cache. */
async function run(settings: { http_proxy?: string; https_proxy?: string; no_proxy?: string }): Promise<{ code: number | null; out: string }> {
  const n = ++runs;
  const env = {
    ...{ HTTP_PROXY: "", HTTPS_PROXY: "", NO_PROXY: "", http_proxy: "", https_proxy: "", no_proxy: "" },
    ...settings,
    GITHUB_API_URL: apiUrl,
    GITHUB_TOKEN: "ghs_proxied",
    GITHUB_ACTIONS: "",
    ORUN_RUNNER: "",
    ORUN_ACTIONS_CACHE: path.join(work, `cache-${n}`),
  };
  const r = await runOrun(["run", "plan.json", "--runner", "github-actions", "--exec-id", `proxy15-gha-${n}`, "--verbose"], { cwd: work, env, timeoutMs: 60_000 });
  return { code: r.code, out: r.stdout + r.stderr };
}

const withCredentials = (url: string): string => url.replace("//", "//corp:s3cret@");

test("the action's ref lookup and tarball download go through the proxy HTTP_PROXY names, with its credentials", async () => {
  const tunnelsBefore = proxy.tunnels.length;
  const requestsBefore = api.requests.length;
  const r = await run({ http_proxy: withCredentials(proxy.url) });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /probed=true/);
  const tunnels = proxy.tunnels.slice(tunnelsBefore);
  assert.ok(tunnels.length > 0, "the proxy was asked for a tunnel");
  for (const t of tunnels) assert.deepEqual(t, { target: apiUrl.replace("http://", ""), auth: `Basic ${Buffer.from("corp:s3cret").toString("base64")}` });
  const served = api.requests.slice(requestsBefore).map((q) => q.path);
  assert.ok(served.some((p) => p.startsWith("/repos/acme/probe/commits/v1")), served.join(", "));
  assert.ok(served.some((p) => p.startsWith("/_codeload/acme/probe/")), "the tarball, after the API's redirect, came through the proxy too");
});

test("without a proxy setting the API's name does not resolve: the run fails naming the action and the URL", async () => {
  const r = await run({});
  assert.notEqual(r.code, 0);
  assert.match(r.out, /resolve acme\/probe@v1: cannot reach http:\/\/api\.github\.test:\d+\/repos\/acme\/probe\/commits\/v1: the DNS lookup of api\.github\.test failed \((ENOTFOUND|EAI_AGAIN); no network\?\)/);
});

test("NO_PROXY and a proxy for the other scheme leave the API unproxied; a refused tunnel and a bad proxy URL are named", async () => {
  const tunnelsBefore = proxy.tunnels.length;
  for (const settings of [{ http_proxy: withCredentials(proxy.url), no_proxy: ".test" }, { https_proxy: withCredentials(proxy.url) }]) {
    const r = await run(settings);
    assert.notEqual(r.code, 0, JSON.stringify(settings));
    assert.match(r.out, /cannot reach http:\/\/api\.github\.test:\d+\/.*the DNS lookup of api\.github\.test failed \((ENOTFOUND|EAI_AGAIN)/, JSON.stringify(settings));
  }
  assert.equal(proxy.tunnels.length, tunnelsBefore, "no tunnel asked for");

  const refused = await run({ http_proxy: proxy.url });
  assert.notEqual(refused.code, 0);
  assert.match(refused.out, /resolve acme\/probe@v1: cannot reach .*: the proxy refused to connect to api\.github\.test:\d+ \(407 Proxy Authentication Required\); give the proxy's credentials/);

  const bad = await run({ http_proxy: "socks5://me:hunter2@proxy:1080" });
  assert.notEqual(bad.code, 0);
  assert.match(bad.out, /resolve acme\/probe@v1: http_proxy is set to "socks5:\/\/me:\*\*\*@proxy:1080", which is not an http:\/\/ or https:\/\/ proxy URL/);
  assert.doesNotMatch(bad.out, /hunter2/);
});
