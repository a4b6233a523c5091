// GitHub Actions OIDC verification (40-remote-state.md §3.2) with jose: RS256
// only, keys from the issuer's discovery document (cached; refetched when a
// token names an unknown key id), audience and issuer checked, exp/iat
// checked, namespace taken from the repository claims: the immutable
// `repository_id`, with `repository` (owner/name) for display; the owner's
// name and immutable ID serve the allow-list.
import { hasControlChar } from "../http.js";
import { processProxyFetch, proxyRefusal } from "../../../util/proxy-fetch.js";
import { printable } from "../../../util/printable.js";
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";

export const GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com";
export const DEFAULT_AUDIENCE = "orun";
const REQUIRED_CLAIMS = ["repository", "repository_id", "repository_owner", "repository_owner_id", "actor"] as const;
/**
 * Tolerated clock skew between the issuer and this backend, for `iat` in the future and for `exp` and `nbf`
 * alike: without it a backend a second behind the issuer refused every fresh token (`nbf` = issue time).
 */
const CLOCK_SKEW_S = 60;

export interface OidcOptions {
  issuer?: string;
  audience?: string;
  /** Minimum time between JWKS refetches triggered by unknown key ids. */
  jwksCooldownMs?: number;
  /** How long fetched keys are trusted without refetching. */
  jwksMaxAgeMs?: number;
}

export interface OidcIdentity {
  /** The repository ID: the namespace, unchanged when the repository is renamed or its name reused. */
  repositoryId: string;
  /** `owner/name` as the token spells it. */
  repository: string;
  /** The `repository_owner` claim (user or organization). */
  repositoryOwner: string;
  /** The `repository_owner_id` claim: the owner's immutable ID. */
  repositoryOwnerId: string;
  actor: string;
  /**
   * The workflow run and its attempt (GitHub's `run_id` and `run_attempt` claims; absent when the token has none):
   * a re-run attempt may claim again a job an earlier attempt of the same workflow run failed.
   */
  workflowRun?: WorkflowRun;
  /**
   * The commit the workflow run is for (GitHub's `sha` claim, lower case; absent when the token has none, null when
   * it is no full hex commit ID): a job result that names another revision, or any result when null, is no
   * promotion evidence (coordinator updateJob).
   */
  sha?: string | null;
}

/** One attempt of a CI workflow run: "Re-run failed jobs" keeps `runId` and raises `attempt`. */
export interface WorkflowRun {
  runId: string;
  attempt: number;
}

export class AuthError extends Error {}
/** The issuer (discovery document or keys) could not be reached: not the token's fault, so retryable. */
export class IssuerUnavailable extends Error {}

export class OidcVerifier {
  readonly issuer: string;
  readonly audience: string;
  private jwks?: Promise<ReturnType<typeof createRemoteJWKSet>>;

  constructor(private readonly options: OidcOptions = {}) {
    this.issuer = (options.issuer ?? GITHUB_OIDC_ISSUER).replace(/\/+$/, "");
    this.audience = options.audience ?? DEFAULT_AUDIENCE;
  }

  /** Resolves jwks_uri from the discovery document once; retried after a failure. */
  private keySet(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    this.jwks ??= (async () => {
      const url = `${this.issuer}/.well-known/openid-configuration`;
      // The discovery document and the keys come through the proxy HTTPS_PROXY/HTTP_PROXY/NO_PROXY name.
      const proxyFetch = processProxyFetch();
      let res: Response;
      try {
        res = await proxyFetch(url, { signal: AbortSignal.timeout(10_000) });
      } catch (err) {
        throw new IssuerUnavailable(`cannot reach the OIDC issuer at ${url}: ${proxyRefusal(err, url) ?? (err instanceof Error ? err.message : String(err))}`);
      }
      if (!res.ok) throw new IssuerUnavailable(`cannot fetch OIDC discovery document ${url}: HTTP ${res.status}`);
      const doc = (await res.json()) as { jwks_uri?: unknown; issuer?: unknown };
      if (typeof doc.jwks_uri !== "string") throw new AuthError(`OIDC discovery document ${url} has no jwks_uri`);
      return createRemoteJWKSet(new URL(doc.jwks_uri), {
        cooldownDuration: this.options.jwksCooldownMs ?? 30_000,
        cacheMaxAge: this.options.jwksMaxAgeMs ?? 15 * 60_000,
        timeoutDuration: 10_000,
        [customFetch]: proxyFetch,
      });
    })();
    this.jwks.catch(() => (this.jwks = undefined));
    return this.jwks;
  }

  async verify(token: string): Promise<OidcIdentity> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new AuthError("Malformed JWT");
    }
    if (header.alg !== "RS256") throw new AuthError(`Unsupported JWT algorithm ${String(header.alg)} (RS256 required)`);
    if (typeof header.kid !== "string" || !header.kid) throw new AuthError("JWT has no key ID (kid)");
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.keySet(), { algorithms: ["RS256"], issuer: this.issuer, audience: this.audience, requiredClaims: ["exp", "iat"], clockTolerance: CLOCK_SKEW_S }));
    } catch (err) {
      if (err instanceof IssuerUnavailable) throw err;
      if (err instanceof joseErrors.JWKSTimeout) throw new IssuerUnavailable("Timed out fetching the issuer's keys");
      // jose's generic error (no more specific class) and a malformed key set both come from fetching the keys:
      // a key endpoint answering 5xx or a proxy's HTML page is the issuer's trouble, not a verdict on the token.
      if (err instanceof joseErrors.JWKSInvalid || (err instanceof joseErrors.JOSEError && err.code === joseErrors.JOSEError.code)) {
        throw new IssuerUnavailable(`Cannot fetch the issuer's keys: ${err.message}`);
      }
      // Anything that is not a verdict on the token (e.g. `fetch failed` for the key set) is the issuer's outage.
      if (!(err instanceof joseErrors.JOSEError) && !(err instanceof AuthError)) throw new IssuerUnavailable(`Cannot reach the issuer's keys: ${err instanceof Error ? err.message : String(err)}`);
      throw new AuthError(describeJoseError(err, this));
    }
    if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + CLOCK_SKEW_S) {
      throw new AuthError(`JWT issued in the future (iat ${isoSeconds(payload.iat)}; ${skewNote()})`);
    }
    for (const claim of REQUIRED_CLAIMS) {
      const value = payload[claim];
      // Control characters never appear in GitHub's claims; they would reach the store with the namespace or actor.
      if (typeof value !== "string" || value.trim() === "" || hasControlChar(value)) throw new AuthError(`Missing or invalid claim: ${claim}`);
    }
    const repository = String(payload.repository);
    if (!/^[^/\s]+\/[^/\s]+$/.test(repository)) throw new AuthError("Invalid claim: repository must be owner/name");
    const repositoryId = String(payload.repository_id);
    if (!/^[1-9][0-9]{0,19}$/.test(repositoryId)) throw new AuthError("Invalid claim: repository_id must be a positive integer");
    const repositoryOwnerId = String(payload.repository_owner_id);
    if (!/^[1-9][0-9]{0,19}$/.test(repositoryOwnerId)) throw new AuthError("Invalid claim: repository_owner_id must be a positive integer");
    const workflowRun = workflowRunOf(payload);
    const sha = shaOf(payload);
    return {
      repositoryId,
      repository,
      repositoryOwner: String(payload.repository_owner),
      repositoryOwnerId,
      actor: String(payload.actor),
      ...(workflowRun ? { workflowRun } : {}),
      ...(sha !== undefined ? { sha } : {}),
    };
  }
}

/** The token's workflow run and attempt, when it names both as GitHub does (decimal strings); otherwise none. */
function workflowRunOf(payload: JWTPayload): WorkflowRun | undefined {
  const runId = String(payload.run_id ?? "");
  const attempt = String(payload.run_attempt ?? "");
  if (!/^[1-9][0-9]{0,19}$/.test(runId) || !/^[1-9][0-9]{0,5}$/.test(attempt)) return undefined;
  return { runId, attempt: Number(attempt) };
}

/** The token's commit as GitHub names it (40 hex digits; 64 in a SHA-256 repository), lower case; otherwise none. */
/** The token's `sha` claim as a commit ID (lower case); null when it has one that is no full hex commit ID. */
function shaOf(payload: JWTPayload): string | null | undefined {
  const sha = payload.sha;
  if (sha === undefined) return undefined;
  return typeof sha === "string" && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(sha) ? sha.toLowerCase() : null;
}

/** A claim's value as a refusal quotes it: JSON, ASCII only, clipped (the token is the caller's, any text may be in it). */
function claimValue(value: unknown): string {
  const shown = Array.isArray(value) ? value.slice(0, 5).map((v) => (typeof v === "string" ? v.slice(0, 100) : v)) : typeof value === "string" ? value.slice(0, 200) : value;
  return printable(JSON.stringify(shown) ?? String(value), { max: 300, asciiOnly: true });
}

/** Times in refusals, so clock skew between the issuer and this backend can be told from a stale token. */
function isoSeconds(epochS: number): string {
  return new Date(epochS * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function skewNote(): string {
  return `this backend's clock: ${isoSeconds(Date.now() / 1000)}, ${CLOCK_SKEW_S}s of skew tolerated`;
}

/**
 * A refusal's words. A wrong audience or issuer names the value the token has and the one this backend wants (neither
 * is secret: the caller sent the one, the other is the backend's setting): `check_failed` alone left the runner's
 * operator guessing which side to fix.
 */
function describeJoseError(err: unknown, wanted: { issuer: string; audience: string }): string {
  if (err instanceof AuthError) return err.message;
  if (err instanceof joseErrors.JWTClaimValidationFailed && (err.claim === "aud" || err.claim === "iss")) {
    const got = err.payload[err.claim];
    if (err.claim === "aud") {
      const has = got === undefined ? "has no audience" : `is for audience ${claimValue(got)}`;
      return `Invalid claim aud: the token ${has}, and this backend requires ${JSON.stringify(wanted.audience)} (its --oidc-audience)`;
    }
    const by = got === undefined ? "names no issuer" : `was issued by ${claimValue(got)}`;
    return `Invalid claim iss: the token ${by}, and this backend trusts ${JSON.stringify(wanted.issuer)} (its --oidc-issuer)`;
  }
  if (err instanceof joseErrors.JWTExpired) return typeof err.payload.exp === "number" ? `Token expired (exp ${isoSeconds(err.payload.exp)}; ${skewNote()})` : "Token expired";
  if (err instanceof joseErrors.JWKSNoMatchingKey) return "Unknown key ID";
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return "Invalid signature";
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `Invalid claim ${err.claim}: ${err.reason}${err.claim === "nbf" ? ` (${skewNote()})` : ""}`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return "Unsupported JWT algorithm (RS256 required)";
  if (err instanceof joseErrors.JWKSTimeout) return "Timed out fetching the issuer's keys";
  if (err instanceof joseErrors.JOSEError) return `Invalid token: ${err.message}`;
  return `Cannot verify token: ${err instanceof Error ? err.message : String(err)}`;
}
