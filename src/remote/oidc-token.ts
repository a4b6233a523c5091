// Credentials the CLI presents to the backend, in the seed's order:
// 1. GitHub Actions OIDC — only when GITHUB_ACTIONS=true and the token request
//    variables are set (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN); audience
//    ORUN_OIDC_AUDIENCE, default `orun`; cached until a minute before it expires
//    (counted from the token's own lifetime, so a skewed clock here does not defeat the cache);
// 2. ORUN_TOKEN, a backend-issued token, sent verbatim.
import { decodeJwt } from "jose";
import { OrunError } from "../util/errors.js";
import { processProxyFetch, proxyRefusal, proxyStatus } from "../util/proxy-fetch.js";
import { permanentFailure } from "./network-errors.js";

export interface TokenSource {
  readonly kind: "oidc" | "token";
  token(): Promise<string>;
  /**
   * Forgets a cached token the backend refused, so the next token() fetches a fresh one (short-lived tokens only).
   * `refused` is the token the refused request carried: a newer one, fetched meanwhile because a concurrent
   * request was refused first, is kept.
   */
  invalidate?(refused?: string): void;
}

export const OIDC_AUDIENCE = "orun";

/** A token request that failed; `transient` (network error, 429, 5xx) means trying again may work. */
export class TokenRequestError extends OrunError {
  constructor(
    message: string,
    readonly transient: boolean,
    hint?: string,
  ) {
    super(message, { hint });
  }
}

export function resolveTokenSource(env: NodeJS.ProcessEnv = process.env): TokenSource {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (env.GITHUB_ACTIONS === "true" && url && requestToken) return new GithubOidcTokenSource(url, requestToken, env.ORUN_OIDC_AUDIENCE?.trim() || OIDC_AUDIENCE);
  if (env.ORUN_TOKEN?.trim()) {
    const token = env.ORUN_TOKEN.trim();
    return { kind: "token", token: async () => token };
  }
  throw new OrunError("no credentials for the orun backend", {
    hint:
      url && requestToken && env.GITHUB_ACTIONS !== "true"
        ? "GitHub Actions OIDC variables are set but GITHUB_ACTIONS is not `true`, so they are not used; set ORUN_TOKEN (create one with `orun backend token create --namespace local:owner/repo`)"
        : "in GitHub Actions add `permissions: id-token: write` so orun can fetch an OIDC token; elsewhere set ORUN_TOKEN (create one with `orun backend token create --namespace local:owner/repo`)",
  });
}

export class GithubOidcTokenSource implements TokenSource {
  readonly kind = "oidc";
  private cached?: { value: string; refreshAt: number; expiresAt: number };
  private pending?: Promise<string>;

  constructor(
    private readonly requestUrl: string,
    private readonly requestToken: string,
    private readonly audience = OIDC_AUDIENCE,
  ) {}

  invalidate(refused?: string): void {
    // Requests in flight when the token went bad are all refused: only the first refusal refetches.
    if (refused === undefined || this.cached?.value === refused) this.cached = undefined;
  }

  /**
   * A failed request throws TokenRequestError; the backend client retries the transient ones. A refresh that fails
   * while the cached token still lives (the minute before its expiry) answers with that token: GitHub's token
   * service having a bad moment then costs nothing until the token really expires.
   */
  async token(): Promise<string> {
    const cached = this.cached;
    if (cached && Date.now() < cached.refreshAt) return cached.value;
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    try {
      return await this.pending;
    } catch (err) {
      if (cached && this.cached === cached && Date.now() < cached.expiresAt) return cached.value;
      throw err;
    }
  }

  private async fetchToken(): Promise<string> {
    const url = new URL(this.requestUrl);
    url.searchParams.set("audience", this.audience);
    // Through the proxy HTTPS_PROXY/HTTP_PROXY/NO_PROXY name (a bad setting throws here, an OrunError: not retried).
    const proxyFetch = processProxyFetch();
    let res: Response;
    try {
      res = await proxyFetch(url, { headers: { Authorization: `Bearer ${this.requestToken}`, Accept: "application/json" }, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      const failed = `cannot fetch a GitHub Actions OIDC token from ${url.origin}`;
      // A proxy wanting credentials, an untrusted certificate, a refused port: the same on every attempt.
      if (proxyStatus(err) === 407) throw new TokenRequestError(`${failed}: ${proxyRefusal(err, url)}`, false);
      const permanent = permanentFailure(err, url);
      if (permanent) throw new TokenRequestError(`${failed}: ${permanent.message}`, false, permanent.hint);
      const cause = proxyRefusal(err, url) ?? (err as { cause?: { code?: string } }).cause?.code;
      throw new TokenRequestError(`${failed}: ${cause ?? (err instanceof Error ? err.message : String(err))}`, true);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      const transient = res.status === 429 || res.status >= 500;
      throw new TokenRequestError(`GitHub Actions OIDC token request failed: HTTP ${res.status}`, transient, transient ? undefined : "does the workflow have `permissions: id-token: write`?");
    }
    // A connection dropped mid-answer is transient (retried), not a token response without `value`.
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new TokenRequestError(`cannot fetch a GitHub Actions OIDC token from ${url.origin}: the connection closed mid-answer (${err instanceof Error ? err.message : String(err)})`, true);
    }
    let body: { value?: unknown };
    try {
      body = JSON.parse(text) as { value?: unknown };
    } catch {
      body = {};
    }
    if (typeof body.value !== "string" || !body.value) throw new TokenRequestError("GitHub Actions OIDC token response has no `value`", false);
    const receivedAt = Date.now();
    this.cached = { value: body.value, refreshAt: refreshTime(body.value, receivedAt), expiresAt: expiryTime(body.value, receivedAt) };
    return body.value;
  }
}

/**
 * When to fetch a fresh token: a minute before it expires (at most halfway through its life), counted on this
 * machine's clock from when it arrived, for as long as the issuer made it live (`exp - iat`). Measured against
 * this clock's reading of `exp` instead, a runner whose clock is a few minutes ahead of GitHub's would find every
 * token stale on arrival and fetch one for each request, into GitHub's rate limit. Without `exp`: never reused.
 */
export function refreshTime(token: string, receivedAt: number): number {
  const lifetimeMs = lifetime(token, receivedAt);
  return lifetimeMs === undefined ? 0 : receivedAt + lifetimeMs - Math.min(60_000, lifetimeMs / 2);
}

/** When the token stops being good on the same reckoning, less a margin for the request it rides in (5 s at most). */
export function expiryTime(token: string, receivedAt: number): number {
  const lifetimeMs = lifetime(token, receivedAt);
  return lifetimeMs === undefined ? 0 : receivedAt + lifetimeMs - Math.min(5_000, lifetimeMs / 4);
}

/** How long the issuer made the token live (`exp - iat`; without `iat`, until `exp` on this clock). */
function lifetime(token: string, receivedAt: number): number | undefined {
  let claims: { exp?: number; iat?: number };
  try {
    claims = decodeJwt(token);
  } catch {
    return undefined;
  }
  if (typeof claims.exp !== "number") return undefined;
  return typeof claims.iat === "number" && claims.iat < claims.exp ? (claims.exp - claims.iat) * 1000 : claims.exp * 1000 - receivedAt;
}
