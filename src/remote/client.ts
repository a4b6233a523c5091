// HTTP client for the orun backend. Every call retries while the backend is
// unreachable or overloaded (a restarting backend must not fail a run):
// network errors and 5xx with exponential back-off, 429 after the server's
// `Retry-After`; a token request that fails transiently is retried a few
// times too. Calls are safe to repeat: the server makes update idempotent
// and appends carry their offset. An answer counts once its body has arrived
// whole: a connection dropped mid-body (a proxy or load balancer hanging up)
// is a network error, retried like one.
import type {
  ClaimResponse,
  CreateRunRequest,
  CreateRunResponse,
  ErrorBody,
  EvidenceResponse,
  HeartbeatResponse,
  ReleaseRequest,
  ReleaseResponse,
  JobView,
  ListJobsResponse,
  RunView,
  RunnableResponse,
  ClaimRequest,
  UpdateRequest,
  UpdateResponse,
} from "./protocol.js";
import { LEASE_HEADER, LOG_ATTEMPT_HEADER, LOG_SIZE_HEADER, clipError } from "./protocol.js";
import { randomBytes } from "node:crypto";
import { TokenRequestError, type TokenSource } from "./oidc-token.js";
import { OrunError } from "../util/errors.js";
import { quotingLineText } from "../util/inert-command.js";
import { processProxyFetch, proxyRefusal, proxyStatus } from "../util/proxy-fetch.js";
import { formatDuration } from "../runtime/duration.js";
import { VERSION } from "../version.js";
import { deadlineSignal } from "../util/timers.js";
import { envMilliseconds } from "./settings.js";
import { permanentFailure } from "./network-errors.js";

export class BackendError extends OrunError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    hint?: string,
  ) {
    super(`${message} (${code})`, { hint });
  }
}

/**
 * The caller's signal stopped a request (Ctrl-C, SIGTERM): not an outage, so never retried or reported as one.
 * Retry sleeps and a request in flight end at once.
 */
export class RequestCancelled extends OrunError {
  constructor() {
    super("canceled");
    // The DOM convention for an aborted operation: callers outside src/remote (the runtime's gate check) know it by this.
    this.name = "AbortError";
  }
}

/** The backend answered that the run does not exist (any more: retention deleted it, or its database was reset). */
export function isRunNotFound(err: unknown): boolean {
  return err instanceof BackendError && err.status === 404 && /run not found/i.test(err.message);
}

/** What a run the backend no longer has may have gone by. */
export const RUN_GONE_CAUSE = "deleted by its retention (--retention) after nothing in it changed, or its database was reset";

/** A ranged log read (BackendClient.readLogFrom). */
export interface LogSlice {
  content: Buffer;
  /** The log's whole size in bytes. */
  size: number;
  /** The job's attempt the log belongs to; undefined from a backend that does not say (v2). */
  attempt?: number;
}

/** An answer read whole (see BackendClient.request). */
interface BackendResponse {
  status: number;
  headers: Headers;
  url: string;
  body: Buffer;
}

/** Attempts at a token that fails transiently (GitHub's token endpoint having a bad moment) before giving up. */
const TOKEN_ATTEMPTS = 6;

/** 4xx answers retried like 5xx: 408 Request Timeout (a slow link) and 429 Too Many Requests. */
const RETRYABLE_4XX = new Set([408, 429]);

/** What a notice to `onRetrying` tells: requests fail and are being retried, or the backend answers again. */
export type RetryNoticeKind = "outage" | "recovered";

export interface ClientOptions {
  baseUrl: string;
  auth: TokenSource;
  /** Total time a call keeps retrying an unreachable/overloaded backend. */
  retryBudgetMs?: number;
  /** Per-request timeout (long-polls add their wait). */
  requestTimeoutMs?: number;
  /** Told once per outage that requests are being retried, and once when the backend answers again (default: a line on stderr). */
  onRetrying?: (message: string, kind: RetryNoticeKind) => void;
}

interface RequestOptions {
  method?: "GET" | "POST";
  body?: unknown;
  raw?: string;
  query?: Record<string, string | number | undefined>;
  /** Extra time the server may hold the request (long-poll). */
  holdMs?: number;
  /** Statuses returned to the caller instead of thrown. */
  accept?: number[];
  /** Cancels the request and its retries. */
  signal?: AbortSignal;
  /** How long retries may go on (default: the client's retry budget). */
  budgetMs?: number;
  /** The job's lease secret (ClaimResponse.leaseToken), sent as LEASE_HEADER. */
  lease?: string;
}

/** What a holder's request for its job carries: its lease secret, when the claim gave one. */
interface HolderOptions {
  signal?: AbortSignal;
  lease?: string;
}

export class BackendClient {
  readonly baseUrl: string;
  private readonly retryBudgetMs: number;
  private readonly requestTimeoutMs: number;
  /** The outage announced (see onRetrying) and not yet over: "silent" when nothing came back, "answered" when the backend refused to serve. */
  private retrying: "silent" | "answered" | undefined;

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.retryBudgetMs = options.retryBudgetMs ?? envMilliseconds(process.env, "ORUN_BACKEND_RETRY_MS") ?? 120_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  createRun(body: CreateRunRequest, options: { signal?: AbortSignal } = {}): Promise<CreateRunResponse> {
    return this.json("/v1/runs", { method: "POST", body, signal: options.signal });
  }

  /** Accepts both the flat and the `{run: …}` shape. */
  async getRun(runId: string, options: { signal?: AbortSignal } = {}): Promise<RunView> {
    const body = await this.json<RunView & { run?: RunView }>(`/v1/runs/${seg(runId)}`, { signal: options.signal });
    return body.run ?? body;
  }

  async listJobs(runId: string): Promise<JobView[]> {
    return (await this.jobsAndClock(runId)).jobs;
  }

  /**
   * The run's jobs, and the backend's clock when it answered (epoch ms; undefined from a backend that sends none, or
   * sends no date): a job's lease end and times are the backend's, so their age is counted on its clock.
   */
  async jobsAndClock(runId: string): Promise<{ jobs: JobView[]; now: number | undefined }> {
    const body = await this.json<ListJobsResponse>(`/v1/runs/${seg(runId)}/jobs`);
    const now = typeof body.now === "string" ? Date.parse(body.now) : NaN;
    return { jobs: body.jobs, now: Number.isFinite(now) ? now : undefined };
  }

  jobStatus(runId: string, jobId: string, options: { signal?: AbortSignal; budgetMs?: number } = {}): Promise<JobView> {
    return this.json(`/v1/runs/${seg(runId)}/jobs/${seg(jobId)}/status`, options);
  }

    runnable(runId: string, options: { job?: string; waitMs?: number; signal?: AbortSignal } = {}): Promise<RunnableResponse> {
    return this.json(`/v1/runs/${seg(runId)}/runnable`, { query: { job: options.job, waitMs: options.waitMs }, holdMs: options.waitMs, signal: options.signal });
  }

  /**
   * `retry`: reopen the job if it failed (ClaimRequest); a repeat of a retry that landed is the holder's same claim.
   * Every claim asks for a lease secret with a claim key of its own, which the client's retries of it send again.
   */
  claim(runId: string, jobId: string, runnerId: string, options: { signal?: AbortSignal; retry?: boolean } = {}): Promise<ClaimResponse> {
    const claimKey = randomBytes(24).toString("base64url");
    const body: ClaimRequest = options.retry ? { runnerId, retry: true, claimKey } : { runnerId, claimKey };
    return this.json(`/v1/runs/${seg(runId)}/jobs/${seg(jobId)}/claim`, { method: "POST", body, signal: options.signal });
  }

  /**
   * `skipped` is accepted from the job's owner by this backend; backends before it answer 400. The error is
   * clipped as the backend keeps it: a backend capping update bodies at 64 KiB refused a long one with 413.
   */
  update(runId: string, jobId: string, body: UpdateRequest, options: HolderOptions = {}): Promise<UpdateResponse> {
    const sent = typeof body.error === "string" ? { ...body, error: clipError(body.error) } : body;
    return this.json(`/v1/runs/${seg(runId)}/jobs/${seg(jobId)}/update`, { method: "POST", body: sent, signal: options.signal, lease: options.lease });
  }

  /** Gives back a job this runner holds, unfinished (ReleaseRequest); a backend without the API answers 404. */
  release(runId: string, jobId: string, body: ReleaseRequest, options: HolderOptions = {}): Promise<ReleaseResponse> {
    const sent = typeof body.reason === "string" ? { ...body, reason: clipError(body.reason) } : body;
    return this.json(`/v1/runs/${seg(runId)}/jobs/${seg(jobId)}/release`, { method: "POST", body: sent, signal: options.signal, lease: options.lease });
  }

  /** `budgetMs`: give up retrying after this long (the next beat is due then anyway). */
  heartbeat(runId: string, jobId: string, runnerId: string, options: HolderOptions & { budgetMs?: number } = {}): Promise<HeartbeatResponse> {
    return this.json(`/v1/runs/${seg(runId)}/jobs/${seg(jobId)}/heartbeat`, { method: "POST", body: { runnerId }, budgetMs: options.budgetMs, signal: options.signal, lease: options.lease });
  }

  /**
   * Appends at `offset` (a retry of a landed append is acknowledged, not duplicated), as `runnerId`:
   * refused once the job is no longer that runner's. `followed`: someone follows the run's logs (this backend
   * says; v2 does not).
   */
  async appendLog(runId: string, jobId: string, content: string, offset: number, runnerId?: string, options: HolderOptions = {}): Promise<{ bytes: number; followed?: boolean; maxBytes?: number }> {
    return this.json(`/v1/runs/${seg(runId)}/logs/${seg(jobId)}`, { method: "POST", raw: content, query: { append: "true", offset, runnerId }, signal: options.signal, lease: options.lease });
  }

  async replaceLog(runId: string, jobId: string, content: string, options: { signal?: AbortSignal } = {}): Promise<{ bytes: number }> {
    return this.json(`/v1/runs/${seg(runId)}/logs/${seg(jobId)}`, { method: "POST", raw: content, signal: options.signal });
  }

  evidence(query: { component: string; environment: string; revision: string }, options: { signal?: AbortSignal } = {}): Promise<EvidenceResponse> {
    return this.json("/v1/evidence", { query, signal: options.signal });
  }

  /** A missing log reads as "" (like v2). */
  async readLog(runId: string, jobId: string): Promise<string> {
    const res = await this.request(`/v1/runs/${seg(runId)}/logs/${seg(jobId)}`, { accept: [404] });
    return res.status === 404 ? "" : res.body.toString("utf8");
  }

  /**
   * The log's bytes from `offset` on, its whole size and (from this backend) the attempt it belongs to.
   * A backend that ignores `offset` (v2) sends the whole log: it is cut here, and `attempt` is undefined.
   * A missing log (or job) reads as empty.
   */
  async readLogFrom(runId: string, jobId: string, offset: number): Promise<LogSlice> {
    const res = await this.request(`/v1/runs/${seg(runId)}/logs/${seg(jobId)}`, { query: { offset }, accept: [404] });
    const body = res.body;
    if (res.status === 404) return { content: Buffer.alloc(0), size: 0 };
    const size = res.headers.get(LOG_SIZE_HEADER);
    if (size === null) return { content: body.subarray(Math.min(offset, body.length)), size: body.length };
    const attempt = res.headers.get(LOG_ATTEMPT_HEADER);
    return { content: body, size: Number(size), attempt: attempt === null ? undefined : Number(attempt) };
  }

  private async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.request(path, options);
    const text = res.body.toString("utf8");
    try {
      return JSON.parse(text) as T;
    } catch {
      // A wrong URL, or a proxy's sign-in page in front of the backend: say which, not "Unexpected token '<'".
      const type = res.headers.get("content-type")?.split(";")[0] || "no content type";
      throw new OrunError(`the server at ${this.baseUrl} is not an orun backend: ${options.method ?? "GET"} ${new URL(res.url).pathname} answered HTTP ${res.status} ${type}, not JSON`, {
        hint: "is --backend-url / ORUN_BACKEND_URL the orun backend's address?",
      });
    }
  }

  /** The answer, its body read inside the retry loop: a body cut short is retried as the request failing would be. */
  private async request(path: string, options: RequestOptions): Promise<BackendResponse> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const deadline = Date.now() + (options.budgetMs ?? this.retryBudgetMs);
    let tokenFailures = 0;
    let refreshedToken = false;
    const { signal } = options;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new RequestCancelled();
      let res: Response | undefined;
      let failure: string;
      // The status of an answer that refused to serve (a 5xx, 429, 408); undefined when nothing, or only part, came back.
      let refusedWith: number | undefined;
      let token: string;
      try {
        token = await untilAborted(this.options.auth.token(), signal);
      } catch (err) {
        if (!(err instanceof TokenRequestError && err.transient)) throw err;
        const delay = backoff(attempt);
        if (++tokenFailures >= TOKEN_ATTEMPTS || Date.now() + delay > deadline) throw new OrunError(err.message, { hint: `gave up after ${tokenFailures} attempts` });
        await pause(delay, signal);
        continue;
      }
      const attemptSignal = deadlineSignal(signal, this.requestTimeoutMs + (options.holdMs ?? 0));
      try {
        const headers: Record<string, string> = {
          Authorization: `Bearer ${token}`,
          "User-Agent": `orun-cli/${VERSION}`,
          Accept: "application/json",
          ...(options.lease ? { [LEASE_HEADER]: options.lease } : {}),
        };
        let body: string | undefined;
        if (options.raw !== undefined) {
          headers["Content-Type"] = "text/plain; charset=utf-8";
          body = options.raw;
        } else if (options.body !== undefined) {
          headers["Content-Type"] = "application/json";
          body = JSON.stringify(options.body);
        }
        // Through the proxy HTTPS_PROXY/HTTP_PROXY/NO_PROXY name; a bad setting is an OrunError, not retried.
        res = await processProxyFetch()(url, { method: options.method ?? "GET", headers, body, signal: attemptSignal.signal });
        if (res.ok || options.accept?.includes(res.status)) {
          // Undici fails the read with a bare "TypeError: terminated" when the connection drops mid-body.
          const answer: BackendResponse = { status: res.status, headers: res.headers, url: res.url, body: Buffer.from(await res.arrayBuffer()) };
          // An announced outage is over: said, so that the retry notice is not the last word about it.
          if (this.retrying) this.notify(`orun backend at ${this.baseUrl} ${this.retrying === "silent" ? "is answering again" : "is taking requests again"}`, "recovered");
          this.retrying = undefined;
          return answer;
        }
        const error = await readError(res);
        // A cached short-lived token refused (expired on the backend's clock, or signed with a key the issuer
        // has rotated out): fetch a fresh one and try once more before calling it an authentication failure.
        if (res.status === 401 && this.options.auth.invalidate && !refreshedToken) {
          refreshedToken = true;
          this.options.auth.invalidate(token);
          continue;
        }
        // 408 is a slow link (a body slower than the backend's --request-timeout), not a refusal: HTTP lets it be repeated.
        if (!RETRYABLE_4XX.has(res.status) && res.status < 500) throw toBackendError(res.status, error, this.options.auth.kind);
        failure = `${error.error} (${error.code})`;
        refusedWith = res.status;
      } catch (err) {
        if (err instanceof OrunError) throw err;
        // Stopped by the caller (the fetch fails with "This operation was aborted"): a cancel, not an outage.
        if (signal?.aborted) throw new RequestCancelled();
        // A proxy that wants credentials will not change its mind: no point retrying for minutes.
        if (proxyStatus(err) === 407) throw new OrunError(`orun backend at ${this.baseUrl}: ${proxyRefusal(err, url)}`);
        // Nor does an untrusted certificate or a port fetch refuses (was: retried for the whole budget).
        const permanent = permanentFailure(err, url);
        if (permanent) throw new OrunError(`orun backend at ${this.baseUrl}: ${permanent.message}`, { hint: permanent.hint });
        failure = proxyRefusal(err, url) ?? describeNetworkError(err);
      } finally {
        attemptSignal.clear();
      }
      const retryAfterS = Number(res?.headers.get("retry-after"));
      const delay = res?.status === 429 && retryAfterS > 0 ? retryAfterS * 1000 : backoff(attempt);
      if (Date.now() + delay > deadline) {
        throw new OrunError(`orun backend at ${this.baseUrl} is unavailable: ${failure}`, { hint: `gave up after ${attempt} attempts` });
      }
      // Retries can last minutes: say so once, rather than look hung.
      if (!this.retrying) {
        this.retrying = refusedWith === undefined ? "silent" : "answered";
        this.notify(`orun backend at ${this.baseUrl} ${retryReason(refusedWith)} (${failure}); retrying for up to ${formatDuration(deadline - Date.now())}`, "outage");
      }
      await pause(delay, signal);
    }
  }

  private notify(message: string, kind: RetryNoticeKind): void {
    if (this.options.onRetrying) this.options.onRetrying(message, kind);
    // The message quotes a backend's answer (a 5xx body's error).
    else process.stderr.write(`${quotingLineText(message)}\n`);
  }
}

/**
 * What a retried request met, for the outage notice: a backend that answered 503 (its log budget, a database it cannot
 * reach) or 429 is busy, not silent; another status is named; only a request nothing came back to is "not answering".
 */
function retryReason(status: number | undefined): string {
  if (status === undefined) return "is not answering";
  return status === 503 || status === 429 ? "is busy" : `answered HTTP ${status}`;
}

/** Waits `ms`; a signal that aborts ends the wait at once with RequestCancelled. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(new RequestCancelled());
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", cancel);
      resolve();
    }, ms);
    const cancel = () => {
      clearTimeout(timer);
      reject(new RequestCancelled());
    };
    signal?.addEventListener("abort", cancel, { once: true });
  });
}

/** `promise`, or RequestCancelled as soon as `signal` aborts (what it waits for is left to settle unobserved). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new RequestCancelled());
  return new Promise<T>((resolve, reject) => {
    const cancel = () => reject(new RequestCancelled());
    signal.addEventListener("abort", cancel, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", cancel);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", cancel);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Exponential back-off with jitter: 250 ms doubling to 5 s, each scaled by 0.5–1. */
function backoff(attempt: number): number {
  return Math.min(250 * 2 ** (attempt - 1), 5_000) * (0.5 + Math.random() / 2);
}

/**
 * Path segments: encodeURIComponent, so `comp@env.job` and hostile IDs stay one segment. `.` and `..` (and
 * their %2E spellings) are dot segments every URL parser removes: `/v1/runs/..` would ask `/v1/` instead.
 */
function seg(value: string): string {
  if (value === "." || value === "..") throw new OrunError(`"${value}" cannot name a run or job: it is not a path segment a URL can carry`, { hint: "use the run ID its runners printed" });
  return encodeURIComponent(value);
}

async function readError(res: Response): Promise<ErrorBody> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (typeof body.error === "string") return { error: body.error, code: body.code ?? (`HTTP_${res.status}` as ErrorBody["code"]) };
  } catch {
    // not an error envelope
  }
  return { error: text.trim().slice(0, 200) || res.statusText, code: `HTTP_${res.status}` as ErrorBody["code"] };
}

function toBackendError(status: number, error: ErrorBody, credential: TokenSource["kind"]): BackendError {
  // The credential is fine: the request lacks the job's lease secret (another claim holds the job).
  if (status === 401 || (status === 403 && error.code !== "LEASE_REFUSED")) {
    const hint =
      credential === "token"
        ? "ORUN_TOKEN is set but this backend refused it: use a token it issued, not revoked, for the run's namespace (`orun backend token list --database <the database orun backend serve printed at its start>`)"
        : oidcRefusalHint(status, error.error);
    return new BackendError(status, error.code, `authentication failed: ${error.error}`, hint);
  }
  return new BackendError(status, error.code, error.error);
}

/**
 * What to check when the backend refuses this workflow's GitHub OIDC token, by the reason it gives (an orun backend's
 * words, auth/oidc.ts): the clocks for a token out of its time, the issuer for a signature or key it does not know,
 * the audience for `aud`, the allow list for a repository it does not serve; all of them for a 401 it does not know.
 * A 403 has other reasons than the allow list (spec 40: a namespace mismatch, the wrong kind of credential for an
 * endpoint); one it does not know gets no hint, since its own words say more than a guess.
 */
function oidcRefusalHint(status: number, reason: string): string | undefined {
  const refused = "the backend refused this workflow's GitHub OIDC token";
  if (status === 403) {
    if (/^Repository .* is not allowed\b/.test(reason)) return `${refused}: the repository is not on its allow list (its --allow-owner / --allow-repo)`;
    if (/^Namespace mismatch\b/.test(reason)) return `${refused} for this run's namespace: a workflow's token creates runs only in its own repository's namespace`;
    return undefined;
  }
  if (/^Token expired\b|^JWT issued in the future\b|^Invalid claim (?:exp|nbf|iat)\b/.test(reason)) {
    return `${refused} for its times, though orun fetched a fresh one: the clock of the backend's machine or of the token's issuer is off (compare the times above with the real time)`;
  }
  if (/^Invalid claim aud\b/.test(reason)) return `${refused} for its audience: ORUN_OIDC_AUDIENCE here (default orun) must be the backend's --oidc-audience`;
  if (/^Invalid signature\b|^Unknown key ID\b|^Invalid claim iss\b/.test(reason)) {
    return `${refused}: the backend does not trust its issuer or signing key — its --oidc-issuer (ORUN_OIDC_ISSUER) must be the issuer of this workflow's tokens (GitHub's https://token.actions.githubusercontent.com; GitHub Enterprise Server's own)`;
  }
  if (/^Missing or invalid claim\b|^Invalid claim: /.test(reason)) return `${refused}: it lacks a claim GitHub Actions tokens carry — is the backend's --oidc-issuer a GitHub Actions issuer?`;
  return `${refused}: check its --oidc-issuer and --oidc-audience (ORUN_OIDC_AUDIENCE here) and its --allow-owner / --allow-repo`;
}

function describeNetworkError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    // Undici's bare "terminated": the connection closed after the answer's headers, before its body's end.
    if (err.message === "terminated") return `the connection closed mid-answer${cause?.message ? ` (${cause.message})` : ""}`;
    return cause?.code ?? cause?.message ?? err.message;
  }
  return String(err);
}
