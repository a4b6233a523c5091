// Connections through a CONNECT proxy are kept alive and reused: every backend request opened a tunnel of its own
// (a 50-job remote run: 151 requests, 151 tunnels). One agent per proxy setting serves every fetch made with it;
// NO_PROXY still decides per host; idle tunnels do not keep the process alive.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { proxyAwareFetch } from "../../src/util/proxy-fetch.js";
import { startConnectProxy, type ConnectProxy } from "../support/connect-proxy.js";
import { startRemoteTestbed, type RemoteTestbed } from "../remote/helpers.js";
import { spawnOrun, writePlan } from "../remote/processes.js";

const MODULE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/util/proxy-fetch.js");

let server: http.Server;
let port: number;
let accepted = 0;
let proxy: ConnectProxy;

before(async () => {
  server = http.createServer((req, res) => {
    // A little wait, so concurrent requests overlap.
    setTimeout(() => res.writeHead(200, { "content-type": "text/plain" }).end(`hello ${req.url}`), 5);
  });
  server.on("connection", () => accepted++);
  // Its answers say "Keep-Alive: timeout=60": undici then keeps an idle connection about a minute (4 s by default),
  // so a round slowed by a loaded machine still finds its tunnels open, and a process held by one is held that long.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  proxy = await startConnectProxy({ names: ["svc.test", "other.test"] });
});
after(async () => {
  await proxy.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test("100 requests, 4 at a time, through the proxy reuse a few tunnels (was: one each)", async () => {
  const f = proxyAwareFetch({ http_proxy: proxy.url });
  const before = proxy.tunnels.length;
  for (let round = 0; round < 25; round++) {
    const bodies = await Promise.all([0, 1, 2, 3].map(async (i) => (await f(`http://svc.test:${port}/r${round}-${i}`)).text()));
    assert.deepEqual(bodies, [0, 1, 2, 3].map((i) => `hello /r${round}-${i}`));
  }
  const tunnels = proxy.tunnels.length - before;
  process.stdout.write(`# 100 requests, 4 concurrent: ${tunnels} tunnel(s)\n`);
  // A connection is free again a moment after its answer was read: the next round may open a few more, no more.
  assert.ok(tunnels >= 1 && tunnels <= 8, `${tunnels} tunnels for 100 requests`);
  // Another fetch made with the same setting shares the connections.
  const again = proxyAwareFetch({ http_proxy: proxy.url });
  assert.equal(await (await again(`http://svc.test:${port}/shared`)).text(), "hello /shared");
  assert.equal(proxy.tunnels.length - before, tunnels, "the same proxy setting reuses the same kept-alive tunnels");
});

test("NO_PROXY still goes direct on the shared agent, per host", async () => {
  const f = proxyAwareFetch({ HTTP_PROXY: proxy.url, NO_PROXY: "svc.test" });
  const tunnelsBefore = proxy.tunnels.length;
  const acceptedBefore = accepted;
  // Loopback is never proxied.
  assert.equal(await (await f(`http://127.0.0.1:${port}/direct`)).text(), "hello /direct");
  // svc.test is in NO_PROXY: asked for directly, and only the proxy can resolve it.
  await assert.rejects(f(`http://svc.test:${port}/not-proxied`));
  assert.equal(proxy.tunnels.length, tunnelsBefore, "no tunnel for a NO_PROXY or loopback host");
  // other.test is not: through the proxy, on the same agent.
  assert.equal(await (await f(`http://other.test:${port}/proxied`)).text(), "hello /proxied");
  assert.deepEqual(
    proxy.tunnels.slice(tunnelsBefore).map((t) => t.target),
    [`other.test:${port}`],
  );
  assert.equal(accepted - acceptedBefore, 2, "one direct connection, one through the tunnel");
});

test("a process that fetched through the proxy exits at once: kept-alive tunnels do not hold it", async () => {
  const script = `
    const { proxyAwareFetch } = await import(${JSON.stringify(MODULE)});
    const f = proxyAwareFetch({ http_proxy: ${JSON.stringify(proxy.url)} });
    for (let i = 0; i < 3; i++) console.log(await (await f("http://svc.test:${port}/x" + i)).text());`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  let lastAnswerAt = 0;
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.endsWith("/x2\n")) lastAnswerAt = Date.now();
  });
  const guard = setTimeout(() => child.kill("SIGKILL"), 120_000);
  let exitedAt = 0;
  child.on("exit", () => (exitedAt = Date.now()));
  // "close" comes once the output is read too (an exit can be seen before the last line is).
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (c, s) => resolve([c, s])));
  clearTimeout(guard);
  assert.equal(signal, null, "the child had to be killed: it did not exit");
  assert.equal(code, 0);
  assert.equal(out, "hello /x0\nhello /x1\nhello /x2\n");
  // A process held by an idle tunnel would exit about a minute after its last answer (the server's keep-alive hint).
  // Timed from that answer, not from the spawn: on a loaded machine Node's start, and its exit, take seconds.
  assert.ok(exitedAt - lastAnswerAt < 30_000, `exited ${exitedAt - lastAnswerAt} ms after its last answer`);
});

test("a 50-job remote run through HTTP_PROXY opens a handful of tunnels, not one per request", { timeout: 300_000 }, async () => {
  let bed: RemoteTestbed | undefined;
  try {
    bed = await startRemoteTestbed("orun-rev16rem-proxy-", (issuer) => ({ oidc: { issuer: issuer.issuer }, rateLimit: { capacity: 100_000, refillPerSecond: 100_000 } }));
    let requests = 0;
    bed.backend.server.on("request", () => requests++);
    const jobs = Array.from({ length: 50 }, (_, i) => ({ id: `c${String(i).padStart(2, "0")}@dev.build`, run: "echo ok" }));
    const plan = await writePlan(bed.dir, "many", jobs);
    const named = proxyNamed(bed.backend.url);
    const before = proxy.tunnels.length;
    const run = await spawnOrun(["run", plan, "--remote-state", "--backend-url", named, "--exec-id", "proxied-many", "--concurrency", "8"], {
      cwd: bed.dir,
      env: { HTTP_PROXY: "", HTTPS_PROXY: "", NO_PROXY: "", http_proxy: proxy.url, https_proxy: "", no_proxy: "", ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "" },
    }).done;
    assert.equal(run.code, 0, run.output);
    const tunnels = proxy.tunnels.slice(before).filter((t) => t.target.startsWith("svc.test:")).length;
    process.stdout.write(`# 50 jobs, concurrency 8, through HTTP_PROXY: ${requests} backend requests over ${tunnels} tunnel(s)\n`);
    assert.ok(requests >= 100, `${requests} requests`);
    // A connection per concurrent job (claim, heartbeat and log upload overlap) at most, never one per request.
    assert.ok(tunnels <= 2 * 8 + 2, `${tunnels} tunnels for ${requests} requests`);
  } finally {
    await bed?.close();
  }
});

/** The backend's loopback URL under a name only the proxy resolves (so a request reaching it went through the proxy). */
function proxyNamed(url: string): string {
  return url.replace("127.0.0.1", "svc.test");
}
