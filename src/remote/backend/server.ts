// `orun backend serve`: the v2 HTTP API on node:http. Request pipeline (§1.1):
// match route → authenticate → rate-limit per namespace → handler.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { AllowList } from "./auth/allow-list.js";
import { authenticate } from "./auth/authenticate.js";
import { AuthFailureLimiter } from "./auth/failure-limit.js";
import { NamespaceDirectory } from "./auth/namespaces.js";
import { OidcVerifier, type OidcOptions } from "./auth/oidc.js";
import type { BackendContext, BackendSettings, RequestContext } from "./context.js";
import { CORS_HEADERS, HttpError, checkText, sendError, sendJson } from "./http.js";
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from "./rate-limit.js";
import { claim, heartbeat, jobStatus, listJobs, release, runnable, update } from "./routes/jobs.js";
import { readLog, uploadLog } from "./routes/logs.js";
import { createRun, evidence, getRun } from "./routes/runs.js";
import { startSweeper } from "./sweeper.js";
import { DEFAULT_RETRY_GRACE_MS } from "./coordinator.js";
import type { Store } from "./store/types.js";

export interface BackendOptions extends Partial<BackendSettings> {
  store: Store;
  port?: number;
  host?: string;
  oidc?: OidcOptions;
  /** Repositories whose OIDC tokens are accepted; undefined accepts every repository. */
  allow?: AllowList;
  rateLimit?: RateLimitOptions;
  /** Failed authentications allowed per client address (auth/failure-limit.ts); none (the default) or false: no limit. */
  authFailureLimit?: RateLimitOptions | false;
  sweepIntervalMs?: number;
  retentionMs?: number;
  /** Kept promotion-gate evidence older than this is pruned (default 90 days; never less than retentionMs). */
  evidenceRetentionMs?: number;
  /**
   * Longest a client may take to send a whole request, headers and body (default 60 s: twice the runner's own
   * request timeout; its headers within 15 s of it). A slow-body client (slowloris) held its connection for Node's 5 minutes.
   */
  requestTimeoutMs?: number;
  /** Longest a client may take to send its request's headers (default 15 s, at most requestTimeoutMs); tests shrink it. */
  headersTimeoutMs?: number;
  /**
   * Most connections open at once (default 1024); one more is closed as it arrives. Slow and idle clients are cut off
   * by the timeouts, but until then each held a file descriptor, with no bound but the process's limit.
   */
  maxConnections?: number;
  /** Unexpected errors (500s, sweeper failures), and job results withheld from promotion evidence by their OIDC token's commit, go here; default stderr. */
  log?: (message: string) => void;
  /** The backend's clock (tests set one that is off from the test machine's); default the system's. */
  now?: () => Date;
}

export interface RunningBackend {
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

type Handler = (ctx: RequestContext) => Promise<void>;

const ROUTES: { pattern: RegExp; keys: string[]; methods: Record<string, Handler> }[] = [
  route("/v1/runs", { POST: createRun }),
  route("/v1/runs/:runId", { GET: getRun }),
  route("/v1/runs/:runId/jobs", { GET: listJobs }),
  route("/v1/runs/:runId/runnable", { GET: runnable }),
  route("/v1/runs/:runId/jobs/:jobId/status", { GET: jobStatus }),
  route("/v1/runs/:runId/jobs/:jobId/claim", { POST: claim }),
  route("/v1/runs/:runId/jobs/:jobId/update", { POST: update }),
  route("/v1/runs/:runId/jobs/:jobId/heartbeat", { POST: heartbeat }),
  route("/v1/runs/:runId/jobs/:jobId/release", { POST: release }),
  route("/v1/runs/:runId/logs/:jobId", { GET: readLog, POST: uploadLog }),
  route("/v1/evidence", { GET: evidence }),
];

/** The client went away mid-request: Node's `aborted` (a body cut short) or a reset connection. */
function clientGone(req: http.IncomingMessage, err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return req.destroyed && (code === "ECONNRESET" || (err instanceof Error && err.message === "aborted"));
}

function route(path: string, methods: Record<string, Handler>) {
  const keys: string[] = [];
  const pattern = new RegExp(`^${path.replace(/:(\w+)/g, (_m, key: string) => (keys.push(key), "([^/]+)"))}$`);
  return { pattern, keys, methods };
}

export const DEFAULT_SETTINGS: BackendSettings = {
  leaseMs: 120_000,
  maxLongPollMs: 30_000,
  longPollRecheckMs: 250,
  maxLogBytes: 10 * 1024 * 1024,
  maxJsonBytes: 16 * 1024 * 1024,
};

/** Longest a client may take to send a whole request (`serve --request-timeout`): twice the runner's own request timeout. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/** Longest a client may take to send its request's headers (at most the request timeout). */
const HEADERS_TIMEOUT_MS = 15_000;

/**
 * Most header lines a request may have: orun's clients send a dozen, proxies add a few (Node's default is 2000).
 * Node drops the lines past its count without a word, so it is set one higher and a request that reaches it refused.
 */
const MAX_HEADER_LINES = 100;

/** `serve --max-connections`: runners keep a connection or two each (a long-poll, an upload). */
export const DEFAULT_MAX_CONNECTIONS = 1024;

/** How long close() waits for requests being handled to end before the caller may close the store. */
const CLOSE_GRACE_MS = 5_000;

/** Runs nothing has happened in (no change, no runner asking) for this long are deleted. */
export const DEFAULT_RETENTION_MS = 24 * 3600_000;

export async function startBackend(options: BackendOptions): Promise<RunningBackend> {
  const settings: BackendSettings = {
    leaseMs: options.leaseMs ?? DEFAULT_SETTINGS.leaseMs,
    maxLongPollMs: options.maxLongPollMs ?? DEFAULT_SETTINGS.maxLongPollMs,
    // PostgreSQL tells every replica of every change (LISTEN/NOTIFY): its re-check only looks for expired leases.
    longPollRecheckMs: options.longPollRecheckMs ?? (options.store.kind === "postgres" ? 1_000 : DEFAULT_SETTINGS.longPollRecheckMs),
    maxLogBytes: options.maxLogBytes ?? DEFAULT_SETTINGS.maxLogBytes,
    maxJsonBytes: options.maxJsonBytes ?? DEFAULT_SETTINGS.maxJsonBytes,
    maxBufferedLogBytes: options.maxBufferedLogBytes ?? 16 * (options.maxLogBytes ?? DEFAULT_SETTINGS.maxLogBytes),
    activityEveryMs: options.activityEveryMs ?? Math.max(10, Math.min(30_000, Math.floor((options.retentionMs ?? DEFAULT_RETENTION_MS) / 4))),
    retryGraceMs: options.retryGraceMs ?? DEFAULT_RETRY_GRACE_MS,
    requireLeaseSecrets: options.requireLeaseSecrets === true,
  };
  const clock = () => ({ now: options.now?.() ?? new Date(), leaseMs: settings.leaseMs, retryGraceMs: settings.retryGraceMs, requireLease: settings.requireLeaseSecrets });
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const backend: BackendContext = { store: options.store, settings, clock, log, followMarkedAt: new Map() };
  const oidc = new OidcVerifier(options.oidc);
  const namespaces = new NamespaceDirectory(options.store);
  const limiter = new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT);
  // Opt-in: behind a reverse proxy every client has the proxy's address, and a flood of bad tokens there would hold
  // off every runner arriving with a new token (a GitHub job's OIDC token is new each job).
  const authFailures = options.authFailureLimit ? new AuthFailureLimiter(options.authFailureLimit) : undefined;

  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS, requestTimeout);
  // Requests past their time get 408 and lose their connection; Node looks for them this often. Every client sends
  // its headers at once: one that trickles them (slowloris) is cut off sooner than a slow body.
  const timeouts = {
    requestTimeout,
    headersTimeout,
    connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(headersTimeout / 4))),
  };
  // Requests being handled: close() lets them end (a long-poll ends when its connection closes) before the caller
  // closes the store, which they would otherwise read closed, each logging a stack trace.
  const inflight = new Set<Promise<void>>();
  const server = http.createServer(timeouts, (req, res) => {
    const handled = handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return sendError(res, err);
      // The client went away mid-request (a runner killed during a log upload): nothing was written, nobody to answer.
      if (clientGone(req, err)) return void res.destroy();
      log(`orun backend: ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) sendJson(res, 500, { error: "Internal server error", code: "INTERNAL_ERROR" });
      else res.destroy();
    });
    inflight.add(handled);
    void handled.finally(() => inflight.delete(handled));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Read with the lines past the count dropped, its Authorization could be among them: refused instead, unread.
    if (req.rawHeaders.length / 2 > MAX_HEADER_LINES) {
      throw new HttpError(431, "INVALID_REQUEST", `Request has more than ${MAX_HEADER_LINES} header lines`, { Connection: "close" });
    }
    const url = new URL(req.url ?? "/", "http://backend");
    const method = req.method ?? "GET";
    if (method === "OPTIONS") {
      res.writeHead(204, CORS_HEADERS).end();
      return;
    }
    if (url.pathname === "/" && method === "GET") return sendJson(res, 200, { status: "ok", service: "orun-api" });
    const found = ROUTES.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).find((x) => x.m);
    if (!found?.m) throw new HttpError(404, "NOT_FOUND", "Not found");
    const handler = found.r.methods[method];
    if (!handler) throw new HttpError(405, "INVALID_REQUEST", "Method not allowed");
    const params: Record<string, string> = {};
    found.r.keys.forEach((key, i) => {
      try {
        params[key] = decodeURIComponent(found.m?.[i + 1] ?? "");
      } catch {
        throw new HttpError(400, "INVALID_REQUEST", `Malformed percent-encoding in ${key}`);
      }
      checkText(key, params[key]);
    });
    const caller = await authenticateLimited(req);
    const allowance = limiter.take(caller.namespace);
    if (!allowance.ok) {
      throw new HttpError(429, "RATE_LIMITED", "Rate limit exceeded", {
        "Retry-After": String(allowance.retryAfterS),
        "X-RateLimit-Limit": String(limiter.options.capacity),
        "X-RateLimit-Remaining": "0",
      });
    }
    await handler({ req, res, url, params, caller, backend });
  }

  /** authenticate, counting its 401s against the client's address (a bad token never spends a namespace's tokens). */
  async function authenticateLimited(req: http.IncomingMessage) {
    const address = req.socket.remoteAddress ?? "";
    const wait = authFailures?.refusal(address, req.headers.authorization);
    if (wait !== undefined) {
      throw new HttpError(429, "RATE_LIMITED", `Too many failed authentications from this address; retry after ${wait} s`, { "Retry-After": String(wait) });
    }
    try {
      const caller = await authenticate(req, backend.store, oidc, namespaces, options.allow);
      authFailures?.succeeded(req.headers.authorization);
      return caller;
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) authFailures?.failed(address);
      throw err;
    }
  }

  const stopSweeper = startSweeper(
    backend,
    { intervalMs: options.sweepIntervalMs ?? 15_000, retentionMs: options.retentionMs ?? DEFAULT_RETENTION_MS, evidenceRetentionMs: options.evidenceRetentionMs },
    (err) => log(`orun backend: sweep failed: ${err instanceof Error ? err.message : String(err)}`),
  );
  // Longer than the 60 s idle timeout of common load balancers, so that they, not the backend, close idle connections.
  server.keepAliveTimeout = 65_000;
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  // A property, not a createServer option (passed there, it was ignored).
  server.maxHeadersCount = MAX_HEADER_LINES + 1;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${address.port}`,
    server,
    async close() {
      stopSweeper();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      // Woken by their closed connections, long-polls end within one re-check; a handler stuck longer is left.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...inflight]), new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)))]);
      clearTimeout(timer);
      await closed;
    },
  };
}
