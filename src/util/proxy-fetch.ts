// fetch through the proxy the environment names, for every network call orun
// makes (OCI registries, GitHub's API, the backend, the OIDC token service and
// issuer). Node 20's own fetch ignores HTTP_PROXY/HTTPS_PROXY/NO_PROXY, so a
// user behind a corporate proxy could reach none of them.
//
// The tunnel is opened here (one CONNECT per connection, bounded by a timeout
// and by the signals of the requests waiting for it) rather than by undici's
// ProxyAgent, which retries a tunnel the proxy drops without limit (thousands a
// second) and is not cancelled by the request's signal. Connections are kept
// alive and reused — one undici Agent per proxy setting, shared by every fetch
// made with it — so a run's hundreds of backend requests cost a few tunnels,
// not one each; idle ones do not keep the process alive (undici unrefs them).
// undici is imported only when a proxy variable is set: every compile loads
// this module, few use a proxy.
import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import type { Dispatcher, buildConnector } from "undici";
import { OrunError, errorMessage } from "./errors.js";

/** How long a proxy may take to open a tunnel (CONNECT answer and, for https targets, the TLS handshake). */
const TUNNEL_TIMEOUT_MS = 30_000;

/**
 * A fetch that reads the proxy settings as Go's net/http (orun v2.3, docker, oras) does
 * (golang.org/x/net/http/httpproxy FromEnvironment): HTTPS_PROXY/https_proxy for https URLs,
 * HTTP_PROXY/http_proxy for http ones (neither stands in for the other), the first non-empty of
 * the upper- and lower-case names, never for loopback hosts or those NO_PROXY/no_proxy lists. A
 * setting that is not an http(s) URL is an OrunError naming the variable (without its password).
 */
export function proxyAwareFetch(env: NodeJS.ProcessEnv = process.env): typeof fetch {
  const plain = proxySetting(env, "HTTP_PROXY");
  const secure = proxySetting(env, "HTTPS_PROXY");
  if (!plain && !secure) return ((url: string | URL | Request, init?: RequestInit) => globalThis.fetch(url, init)) as typeof fetch;
  const noProxy = parseNoProxy(firstSet(env, "NO_PROXY")?.[1] ?? "");
  const proxyFor = (protocol: string, hostname: string, port: string): URL | undefined => {
    const proxy = protocol === "https:" ? secure : protocol === "http:" ? plain : undefined;
    return proxy && useProxy(noProxy, hostname, port || (protocol === "https:" ? "443" : "80")) ? proxy : undefined;
  };
  const key = JSON.stringify([plain?.href, secure?.href, firstSet(env, "NO_PROXY")?.[1] ?? ""]);
  return (async (url: string | URL, init?: RequestInit) => {
    const undici = await import("undici");
    const { agent, waiting } = (agents.get(key) ?? agents.set(key, sharedAgent(undici, proxyFor)).get(key))!;
    const signal = init?.signal ?? undefined;
    const done = waiting.add(new URL(String(url)).origin, signal);
    try {
      return await undici.fetch(url, { ...(init as object), dispatcher: agent as Dispatcher });
    } finally {
      done();
    }
  }) as unknown as typeof fetch;
}

type Undici = typeof import("undici");

/** The keep-alive agent of one proxy setting, and who waits for its connections. */
interface SharedAgent {
  agent: Dispatcher;
  waiting: Waiting;
}

/** One agent per proxy setting (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) in this process: its connections are reused. */
const agents = new Map<string, SharedAgent>();

function sharedAgent(undici: Undici, proxyFor: (protocol: string, hostname: string, port: string) => URL | undefined): SharedAgent {
  const direct = undici.buildConnector({});
  const waiting = new Waiting();
  const agent = new undici.Agent({
    connect: (options, callback) => {
      const proxy = proxyFor(options.protocol, options.hostname, String(options.port ?? ""));
      if (!proxy) return direct(options, callback);
      const { signal, settled } = waiting.opens(`${options.protocol}//${options.host}`);
      openTunnel(proxy, options, signal, ((...args: Parameters<buildConnector.Callback>) => {
        settled();
        callback(...args);
      }) as buildConnector.Callback);
    },
  });
  return { agent, waiting };
}

/**
 * The requests in flight per origin, with their signals. A shared connection serves whichever request is next, so
 * a tunnel being opened is given up (and its connection closed) only once every request that could use it was
 * cancelled — for a lone request, as soon as its signal aborts: a stalled proxy then holds nothing open.
 */
class Waiting {
  private readonly live = new Map<string, Set<{ signal?: AbortSignal }>>();
  private readonly opening = new Map<string, Set<AbortController>>();

  /** A request to `origin` starts; the function returned says it ended. */
  add(origin: string, signal: AbortSignal | undefined): () => void {
    const requests = this.live.get(origin) ?? this.live.set(origin, new Set()).get(origin)!;
    const request = { signal };
    requests.add(request);
    const onAbort = (): void => this.check(origin, signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    return () => {
      signal?.removeEventListener("abort", onAbort);
      requests.delete(request);
      if (requests.size === 0) this.live.delete(origin);
    };
  }

  /** For a tunnel to `origin` being opened: a signal aborted once no request still waiting could use it, and its end. */
  opens(origin: string): { signal: AbortSignal; settled: () => void } {
    const controller = new AbortController();
    const set = this.opening.get(origin) ?? this.opening.set(origin, new Set()).get(origin)!;
    set.add(controller);
    const settled = (): void => {
      set.delete(controller);
      if (set.size === 0 && this.opening.get(origin) === set) this.opening.delete(origin);
    };
    return { signal: controller.signal, settled };
  }

  private check(origin: string, reason: unknown): void {
    const requests = this.live.get(origin);
    if (requests && [...requests].some((r) => !r.signal?.aborted)) return;
    for (const controller of this.opening.get(origin) ?? []) controller.abort(reason);
  }
}

let shared: typeof fetch | undefined;

/**
 * The proxy-aware fetch of this process's environment, made on first use and shared. A bad proxy
 * setting throws on every call, so each caller can say what it was doing.
 */
export function processProxyFetch(): typeof fetch {
  return (shared ??= proxyAwareFetch(process.env));
}

/** The first non-empty of NAME and name (Go's getEnvAny order), with the variable's name. */
function firstSet(env: NodeJS.ProcessEnv, name: string): [string, string] | undefined {
  for (const key of [name, name.toLowerCase()]) {
    const value = env[key]?.trim();
    if (value) return [key, value];
  }
  return undefined;
}

/** The proxy URL a variable names; `proxy.corp:3128` without a scheme means http:// (curl, Go). */
function proxySetting(env: NodeJS.ProcessEnv, name: string): URL | undefined {
  const found = firstSet(env, name);
  if (!found) return undefined;
  const [key, raw] = found;
  const value = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
    throw new OrunError(`${key} is set to "${redactProxy(value)}", which is not an http:// or https:// proxy URL`);
  }
  return url;
}

type NoProxyRule = { kind: "all" } | { kind: "cidr"; list: net.BlockList } | { kind: "ip"; ip: string; port: string } | { kind: "domain"; suffix: string; exact: boolean; port: string };

/** A NO_PROXY value as Go's httpproxy parses it: `*`, CIDRs, IP literals, host:port, domain suffixes. */
export function parseNoProxy(value: string): NoProxyRule[] {
  const rules: NoProxyRule[] = [];
  for (const entry of value.split(",")) {
    const p = entry.trim().toLowerCase();
    if (!p) continue;
    if (p === "*") return [{ kind: "all" }];
    const cidr = /^(.+)\/(\d{1,3})$/.exec(p);
    if (cidr && net.isIP(cidr[1]) && Number(cidr[2]) <= (net.isIP(cidr[1]) === 4 ? 32 : 128)) {
      const list = new net.BlockList();
      list.addSubnet(cidr[1], Number(cidr[2]), net.isIP(cidr[1]) === 4 ? "ipv4" : "ipv6");
      rules.push({ kind: "cidr", list });
      continue;
    }
    let host = p;
    let port = "";
    const hostPort = /^\[([^\]]*)\]:(\d*)$/.exec(p) ?? /^([^:]*):(\d*)$/.exec(p);
    const bracketed = /^\[([^\]]*)\]$/.exec(p);
    if (hostPort) {
      [, host, port] = hostPort;
      if (!host) continue; // no host part: malformed, ignored (Go)
    } else if (bracketed) {
      host = bracketed[1];
    }
    if (net.isIP(host)) {
      rules.push({ kind: "ip", ip: canonicalIp(host), port });
      continue;
    }
    if (host.startsWith("*.")) host = host.slice(1);
    const exact = !host.startsWith(".");
    const suffix = exact ? `.${host}` : host;
    if (suffix === ".") continue;
    rules.push({ kind: "domain", suffix, exact, port });
  }
  return rules;
}

/** Whether a request to host:port goes through the proxy (Go's httpproxy useProxy). */
export function useProxy(rules: NoProxyRule[], hostname: string, port: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
  if (isLoopback(host)) return false;
  const family = net.isIP(host);
  for (const rule of rules) {
    if (rule.kind === "all") return false;
    if (rule.kind === "cidr" && family && rule.list.check(host, family === 4 ? "ipv4" : "ipv6")) return false;
    if (rule.kind === "ip" && family && rule.ip === canonicalIp(host) && (!rule.port || rule.port === port)) return false;
    if (rule.kind === "domain" && (host.endsWith(rule.suffix) || (rule.exact && host === rule.suffix.slice(1))) && (!rule.port || rule.port === port)) return false;
  }
  return true;
}

function canonicalIp(ip: string): string {
  if (net.isIP(ip) !== 6) return ip;
  // new URL normalises an IPv6 literal (fd00:0::1 → fd00::1).
  return new URL(`http://[${ip}]/`).hostname.replace(/^\[|\]$/g, "");
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(host) || (net.isIP(host) === 6 && canonicalIp(host) === "::1");
}

/**
 * Opens a connection to options' origin through the proxy: one CONNECT (Proxy-Authorization from the
 * proxy URL's credentials), then TLS for an https origin. Fails once, with words, when the proxy
 * refuses, drops or stalls it; the request's signal ends it too.
 */
function openTunnel(proxy: URL, options: buildConnector.Options, signal: AbortSignal | undefined, callback: buildConnector.Callback): void {
  const host = options.hostname.replace(/^\[|\]$/g, "");
  const port = String(options.port || (options.protocol === "https:" ? 443 : 80));
  const target = `${net.isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const proxyName = `${proxy.protocol}//${proxy.host}`;
  let settled = false;
  let live: net.Socket | undefined;
  const finish = (err: Error | null, socket?: net.Socket): void => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    if (settled) return void socket?.destroy();
    settled = true;
    if (err) {
      request.destroy();
      live?.destroy();
      callback(err, null);
    } else callback(null, socket as net.Socket);
  };
  const onAbort = (): void => finish(signal?.reason instanceof Error ? signal.reason : new Error("the request was cancelled"));
  const headers: Record<string, string> = { host: target };
  if (proxy.username || proxy.password) {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers["proxy-authorization"] = `Basic ${Buffer.from(credentials).toString("base64")}`;
  }
  const proxyHost = proxy.hostname.replace(/^\[|\]$/g, "");
  const request = (proxy.protocol === "https:" ? https : http).request({
    host: proxyHost,
    port: proxy.port || (proxy.protocol === "https:" ? 443 : 80),
    method: "CONNECT",
    path: target,
    headers,
    agent: false,
    // An IP is not a TLS server name (Node warns DEP0123 if given one).
    ...(proxy.protocol === "https:" && !net.isIP(proxyHost) ? { servername: proxyHost } : {}),
  });
  // Unref'd: a tunnel no request waits for any more must not keep the process alive (one that is waited for is).
  const timer = setTimeout(() => finish(new Error(`the proxy ${proxyName} did not open a tunnel to ${target} within ${TUNNEL_TIMEOUT_MS / 1000}s`)), TUNNEL_TIMEOUT_MS).unref();
  request.once("connect", (response: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    live = socket;
    if (response.statusCode !== 200) {
      socket.destroy();
      // The wording proxyStatus reads (undici's own, so callers see one form).
      const refused = new Error(`Proxy response (${response.statusCode}) !== 200 when HTTP Tunneling`);
      if (headers["proxy-authorization"]) Object.assign(refused, { proxyCredentialsSent: true });
      return finish(refused);
    }
    if (head.length > 0) socket.unshift(head);
    if (options.protocol !== "https:") return finish(null, socket);
    const servername = options.servername || (net.isIP(host) ? undefined : host);
    const secured = tls.connect({ socket, ...(servername ? { servername } : {}), ALPNProtocols: ["http/1.1"] });
    live = secured;
    secured.once("secureConnect", () => finish(null, secured));
    secured.on("error", (err) => finish(err));
  });
  request.on("error", (err: NodeJS.ErrnoException) => {
    // Not the TLS library's words: callers read "wrong version number" as a registry without HTTPS.
    if (proxy.protocol === "https:" && /wrong version number|packet length too long|http request/i.test(err.message)) {
      return finish(new Error(`the proxy ${proxyName} does not speak TLS; if it is a plain-HTTP proxy, give it as http://${proxy.host}`));
    }
    const what = err.code === "ECONNRESET" || /socket hang up/.test(err.message) ? "closed the connection on the tunnel request" : `failed the tunnel request (${err.message})`;
    finish(new Error(`the proxy ${proxyName} ${what} to ${target}`));
  });
  if (signal?.aborted) return onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });
  request.end();
}

/** A proxy URL as shown in messages: everything between :// and the host's @ but the user name is not. */
export function redactProxy(value: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value);
  const rest = scheme ? value.slice(scheme[0].length) : value;
  const at = rest.lastIndexOf("@");
  if (at < 0) return value;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(":");
  return `${scheme?.[0] ?? ""}${colon >= 0 ? `${userinfo.slice(0, colon)}:` : ""}***${rest.slice(at)}`;
}

/**
 * The status a proxy answered a failed fetch's tunnel request with (407: it wants credentials), else
 * undefined. undici nests it under "fetch failed" → "Request was cancelled".
 */
export function proxyStatus(err: unknown): number | undefined {
  let inner: unknown = err;
  while ((inner as { cause?: unknown } | undefined)?.cause !== undefined) inner = (inner as { cause: unknown }).cause;
  const status = /^Proxy response \((\d+)\) !== 200/.exec(errorMessage(inner))?.[1];
  return status ? Number(status) : undefined;
}

/**
 * A failed fetch the proxy caused, in words (`the proxy refused to connect to host:port (407 …); give
 * the proxy's credentials …`), else undefined.
 */
export function proxyRefusal(err: unknown, url?: string | URL, server = "the server"): string | undefined {
  const status = proxyStatus(err);
  if (status === undefined) return undefined;
  let inner: unknown = err;
  while ((inner as { cause?: unknown } | undefined)?.cause !== undefined) inner = (inner as { cause: unknown }).cause;
  const sent = (inner as { proxyCredentialsSent?: boolean }).proxyCredentialsSent === true;
  const hint =
    status !== 407 ? "" : sent ? "; it did not accept the credentials in the proxy URL" : "; give the proxy's credentials in its URL (http://user:password@host:port)";
  let target = server;
  try {
    if (url) target = new URL(url).host;
  } catch {
    // not a URL: keep the generic name
  }
  return `the proxy refused to connect to ${target} (${status} ${http.STATUS_CODES[status] ?? ""})${hint}`.replace(" )", ")");
}
