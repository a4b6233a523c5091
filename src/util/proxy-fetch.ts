// fetch through the proxy the environment names, for every network call orun
// makes (OCI registries, GitHub's API, the backend, the OIDC token service and
// issuer). Node 20's own fetch ignores HTTP_PROXY/HTTPS_PROXY/NO_PROXY, so a
// user behind a corporate proxy could reach none of them.
import http from "node:http";
import { Agent, Dispatcher, EnvHttpProxyAgent, fetch as undiciFetch } from "undici";
import { OrunError, errorMessage } from "./errors.js";

/**
 * A fetch that reads the proxy settings as Go's net/http (orun v2.3, docker, oras) does:
 * https_proxy/HTTPS_PROXY for https URLs, http_proxy/HTTP_PROXY for http ones (neither stands in for
 * the other), lower case first, never for loopback hosts or those no_proxy/NO_PROXY lists. A setting
 * that is not an http(s) URL is an OrunError naming the variable (without its password).
 */
export function proxyAwareFetch(env: NodeJS.ProcessEnv = process.env): typeof fetch {
  // `proxy.corp:3128` without a scheme means http:// (curl, Go's httpproxy).
  const setting = (name: string): [string, string] | undefined => {
    for (const key of [name.toLowerCase(), name]) {
      const value = env[key]?.trim();
      if (value) return [key, /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`];
    }
    return undefined;
  };
  const plain = setting("HTTP_PROXY");
  const https = setting("HTTPS_PROXY");
  for (const [name, value] of [plain, https].filter((s) => s !== undefined)) {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
      throw new OrunError(`${name} is set to "${redactProxy(value)}", which is not an http:// or https:// proxy URL`);
    }
  }
  const dispatcher = new ProxyRouter(plain?.[1], https?.[1], env.no_proxy ?? env.NO_PROXY ?? "");
  return ((url: string | URL, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}

let shared: typeof fetch | undefined;

/**
 * The proxy-aware fetch of this process's environment, made on first use and shared (one connection
 * pool per process). A bad proxy setting throws on every call, so each caller can say what it was doing.
 */
export function processProxyFetch(): typeof fetch {
  return (shared ??= proxyAwareFetch(process.env));
}

/**
 * Picks the way to each origin per request, redirects included (a server behind the proxy may redirect
 * to storage that is not): direct for loopback hosts and for a scheme without a proxy setting, else
 * undici's EnvHttpProxyAgent, which applies NO_PROXY.
 */
class ProxyRouter extends Dispatcher {
  private readonly direct = new Agent();
  private readonly viaProxy: Dispatcher;

  constructor(
    private readonly httpProxy: string | undefined,
    private readonly httpsProxy: string | undefined,
    noProxy: string,
  ) {
    super();
    // Given both proxies explicitly, so that it never reads process.env itself.
    this.viaProxy = httpProxy || httpsProxy ? new EnvHttpProxyAgent({ httpProxy: httpProxy ?? "", httpsProxy: httpsProxy ?? "", noProxy }) : this.direct;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = new URL(String(options.origin));
    const proxy = origin.protocol === "https:" ? this.httpsProxy : origin.protocol === "http:" ? this.httpProxy : undefined;
    return (proxy && !isLoopback(origin.hostname) ? this.viaProxy : this.direct).dispatch(options, handler);
  }

  override async close(): Promise<void> {
    await Promise.all([this.direct.close(), this.viaProxy === this.direct ? undefined : this.viaProxy.close()]);
  }

  override async destroy(): Promise<void> {
    await Promise.all([this.direct.destroy(), this.viaProxy === this.direct ? undefined : this.viaProxy.destroy()]);
  }
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "::1";
}

/** A proxy URL as shown in messages: its password is not. */
export function redactProxy(value: string): string {
  return value.replace(/\/\/([^/@:]*):[^/@]*@/, "//$1:***@");
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
  const hint = status === 407 ? "; give the proxy's credentials in its URL (http://user:password@host:port)" : "";
  let target = server;
  try {
    if (url) target = new URL(url).host;
  } catch {
    // not a URL: keep the generic name
  }
  return `the proxy refused to connect to ${target} (${status} ${http.STATUS_CODES[status] ?? ""})${hint}`.replace(" )", ")");
}
