// The proxy-aware fetch against real proxies on loopback that misbehave: one
// that hangs up on the tunnel request, one that never answers it. Each must
// cost one tunnel attempt, fail with words, and leave nothing that keeps the
// process alive (rev15plan #1). NO_PROXY is matched as Go's httpproxy does (#5),
// credentials never show in messages (#6), and undici is loaded only when a
// proxy variable is set (#11).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AddressInfo } from "node:net";
import { parseNoProxy, proxyAwareFetch, proxyRefusal, redactProxy, useProxy } from "../../src/util/proxy-fetch.js";
import { startConnectProxy } from "../support/connect-proxy.js";
import { until } from "../support/wait.js";

const MODULE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/util/proxy-fetch.js");

interface BadProxy {
  url: string;
  /** Connections it accepted. */
  connections: number;
  /** Connections the client has closed. */
  closed: number;
  close(): Promise<void>;
}

/** A proxy that reads the tunnel request, then hangs up ("drop") or never answers ("stall"). */
async function badProxy(mode: "drop" | "stall"): Promise<BadProxy> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0, closed: 0 };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on("close", () => {
      state.closed++;
      sockets.delete(socket);
    });
    socket.on("error", () => undefined);
    socket.once("data", () => {
      if (mode === "drop") socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return state.connections;
    },
    get closed() {
      return state.closed;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const opened: BadProxy[] = [];
after(async () => {
  for (const p of opened) await p.close();
});

function innermost(err: unknown): Error {
  let e = err as Error & { cause?: unknown };
  while (e.cause instanceof Error) e = e.cause as Error & { cause?: unknown };
  return e;
}

test("a proxy that hangs up on the tunnel request costs one attempt and a clear error", async () => {
  const proxy = await badProxy("drop");
  opened.push(proxy);
  const f = proxyAwareFetch({ http_proxy: proxy.url });
  const err = await f("http://registry.test:5000/v2/").then(
    () => assert.fail("fetch succeeded"),
    (e: unknown) => e,
  );
  assert.match(innermost(err).message, /the proxy http:\/\/127\.0\.0\.1:\d+ closed the connection on the tunnel request to registry\.test:5000/);
  // Give a retrying client the time to storm; one connection is all it may open.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(proxy.connections, 1);
});

test("the request's signal cancels a tunnel the proxy never answers: its connection is closed", async () => {
  const proxy = await badProxy("stall");
  opened.push(proxy);
  const f = proxyAwareFetch({ HTTPS_PROXY: proxy.url });
  const err = await f("https://registry.test/v2/", { signal: AbortSignal.timeout(200) }).then(
    () => assert.fail("fetch succeeded"),
    (e: unknown) => e,
  );
  assert.equal((err as Error).name, "TimeoutError", String(err));
  // The close reaches the proxy asynchronously: wait for it with a deadline a loaded machine meets, not 2 s of polls.
  await until(() => proxy.closed >= 1, "the proxy to see its tunnel closed", 10_000).catch(() => undefined);
  assert.equal(proxy.connections, 1);
  assert.equal(proxy.closed, 1, "the stalled tunnel's connection was closed");
});

test("a process whose fetch timed out on a stalled proxy exits at once (nothing keeps the event loop alive)", async () => {
  const proxy = await badProxy("stall");
  opened.push(proxy);
  const script = `
    const { proxyAwareFetch } = await import(${JSON.stringify(MODULE)});
    try { await proxyAwareFetch({ http_proxy: ${JSON.stringify(proxy.url)} })("http://registry.test/", { signal: AbortSignal.timeout(200) }); }
    catch (e) { console.log("failed:", e.name); }`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  // A hang guard, not a speed target: before the fix the child lived 300 s.
  const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("exit", (c, s) => resolve([c, s])));
  clearTimeout(guard);
  assert.equal(signal, null, "the child had to be killed: it did not exit");
  assert.equal(code, 0);
  assert.match(out, /failed: TimeoutError/);
});

test("a 407 names the proxy's answer; with credentials in the URL it says they were not accepted", async () => {
  const proxy = await startConnectProxy({ requireAuth: "corp:s3cret" });
  try {
    for (const [setting, hint] of [
      [proxy.url, /give the proxy's credentials in its URL/],
      [proxy.url.replace("//", "//corp:wrong@"), /it did not accept the credentials in the proxy URL/],
    ] as const) {
      const err = await proxyAwareFetch({ http_proxy: setting })("http://registry.test:5000/v2/").then(
        () => assert.fail("fetch succeeded"),
        (e: unknown) => e,
      );
      const said = proxyRefusal(err, "http://registry.test:5000/v2/") ?? "";
      assert.match(said, /the proxy refused to connect to registry\.test:5000 \(407 Proxy Authentication Required\)/);
      assert.match(said, hint);
    }
  } finally {
    await proxy.close();
  }
});

test("a request through a working proxy succeeds and the proxy sees one tunnel with the credentials", async () => {
  const server = http.createServer((_req, res) => res.end("hello"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const proxy = await startConnectProxy({ names: ["far.test"] });
  try {
    const res = await proxyAwareFetch({ HTTP_PROXY: proxy.url.replace("//", "//u%40x:p%3Aw@") })(`http://far.test:${port}/`);
    assert.equal(await res.text(), "hello");
    assert.deepEqual(proxy.tunnels, [{ target: `far.test:${port}`, auth: `Basic ${Buffer.from("u@x:p:w").toString("base64")}` }]);
  } finally {
    await proxy.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("NO_PROXY matches as Go's httpproxy: CIDR, IP literals with or without brackets, host:port, domain suffixes, *", () => {
  const cases: [string, string, string, boolean][] = [
    ["10.0.0.0/8", "10.200.0.1", "80", false],
    ["10.0.0.0/8", "11.0.0.1", "80", true],
    ["fd00::/8", "[fd00::5]", "443", false],
    ["fd00::1", "[fd00::1]", "443", false],
    ["[fd00::1]", "[fd00::1]", "443", false],
    ["[fd00::1]:443", "[fd00::1]", "443", false],
    ["[fd00::1]:80", "[fd00::1]", "443", true],
    ["192.168.1.5", "192.168.1.5", "8080", false],
    ["registry.test:5000", "registry.test", "5000", false],
    ["registry.test:5000", "registry.test", "5001", true],
    ["corp.example", "a.corp.example", "443", false],
    ["corp.example", "corp.example", "443", false],
    ["corp.example", "xcorp.example", "443", true],
    [".corp.example", "corp.example", "443", true],
    ["*.corp.example", "a.corp.example", "443", false],
    ["*", "anything.test", "443", false],
    ["", "localhost", "80", false],
    ["", "127.0.0.7", "80", false],
    ["", "[::1]", "80", false],
    [" , :80", "other.test", "80", true],
  ];
  for (const [noProxy, host, port, proxied] of cases) {
    assert.equal(useProxy(parseNoProxy(noProxy), host, port), proxied, `NO_PROXY=${noProxy} ${host}:${port}`);
  }
});

test("the first non-empty variable wins, upper case before lower (Go's getEnvAny); an empty one hides nothing", async () => {
  const proxy = await startConnectProxy({ names: ["far.test"] });
  const server = http.createServer((_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    // An empty no_proxy does not hide NO_PROXY: far.test goes direct and does not resolve.
    const err = await proxyAwareFetch({ http_proxy: proxy.url, no_proxy: "", NO_PROXY: "far.test" })(`http://far.test:${port}/`).then(
      () => assert.fail("went through the proxy"),
      (e: unknown) => e,
    );
    assert.match(innermost(err).message, /getaddrinfo/);
    assert.deepEqual(proxy.tunnels, []);
    // HTTP_PROXY is read before http_proxy.
    const res = await proxyAwareFetch({ HTTP_PROXY: proxy.url, http_proxy: "http://127.0.0.1:1" })(`http://far.test:${port}/`);
    assert.equal(await res.text(), "ok");
    assert.equal(proxy.tunnels.length, 1);
  } finally {
    await proxy.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("a bad proxy URL's message hides everything between :// and the host's @ but the user name", () => {
  assert.equal(redactProxy("http://user:hun@ter2@[bad"), "http://user:***@[bad");
  assert.equal(redactProxy("socks5://user:hun/ter2@host"), "socks5://user:***@host");
  assert.equal(redactProxy("socks5://hunter2token@host"), "socks5://***@host");
  assert.equal(redactProxy("http://proxy:3128"), "http://proxy:3128");
  assert.throws(() => proxyAwareFetch({ https_proxy: "http://user:hun@ter2@[bad" }), (e: Error) => {
    assert.match(e.message, /https_proxy is set to "http:\/\/user:\*\*\*@\[bad"/);
    assert.doesNotMatch(e.message, /hun|ter2/);
    return true;
  });
});

test("undici is loaded only when a proxy variable is set", async () => {
  const script = (env: Record<string, string>): string => `
    import { createRequire } from "node:module";
    const { proxyAwareFetch } = await import(${JSON.stringify(MODULE)});
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes("/node_modules/undici/"));
    const f = proxyAwareFetch(${JSON.stringify(env)});
    await f("http://127.0.0.1:1/").catch(() => undefined);
    console.log(loaded() ? "undici" : "none");`;
  for (const [env, expected] of [
    [{}, "none"],
    [{ https_proxy: "http://127.0.0.1:1" }, "undici"],
  ] as const) {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script(env)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => child.on("exit", resolve));
    assert.equal(out.trim(), expected, JSON.stringify(env));
  }
});

test("an https:// proxy URL naming a plain-HTTP proxy says so, not that the server lacks HTTPS", async () => {
  const proxy = await startConnectProxy();
  try {
    const err = await proxyAwareFetch({ https_proxy: proxy.url.replace("http:", "https:") })("https://registry.test/v2/").then(
      () => assert.fail("fetch succeeded"),
      (e: unknown) => e,
    );
    const message = innermost(err).message;
    assert.match(message, /the proxy https:\/\/127\.0\.0\.1:\d+ does not speak TLS; if it is a plain-HTTP proxy, give it as http:\/\/127\.0\.0\.1:\d+/);
    assert.doesNotMatch(message, /wrong version number/);
  } finally {
    await proxy.close();
  }
});
