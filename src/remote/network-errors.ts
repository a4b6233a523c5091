// Network failures that retrying cannot mend, for the backend client and the
// OIDC token request: both retry a failed fetch for minutes (a restarting
// backend, a token service having a bad moment), which for these only delays
// the error and hides what to do about it.

/** Node's TLS codes for a certificate it does not trust or that does not fit the host. */
const CERTIFICATE_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REVOKED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

export interface PermanentFailure {
  /** What failed, in words (after "<what orun was doing>: "). */
  message: string;
  hint: string;
}

/** The innermost causes of a failed fetch, outermost first (undici nests them under "fetch failed"). */
function causes(err: unknown): { code?: string; message?: string }[] {
  const chain: { code?: string; message?: string }[] = [];
  for (let inner: unknown = err; inner && typeof inner === "object" && chain.length < 8; inner = (inner as { cause?: unknown }).cause) {
    chain.push(inner as { code?: string; message?: string });
  }
  return chain;
}

/**
 * A failed fetch of `url` that will fail the same way every time: a certificate Node does not trust, or a
 * port fetch refuses outright (the Fetch standard's "bad ports": 6000 for X11, 6667 for IRC…). Else undefined.
 */
export function permanentFailure(err: unknown, url: URL): PermanentFailure | undefined {
  for (const cause of causes(err)) {
    if (cause.code && CERTIFICATE_CODES.has(cause.code)) {
      return {
        message: `the TLS certificate of ${url.host} is not trusted: ${cause.message ?? cause.code} (${cause.code})`,
        hint: "if a proxy or gateway re-signs TLS with its own certificate authority, give that CA's certificate (PEM) in NODE_EXTRA_CA_CERTS",
      };
    }
    if (cause.message === "bad port") {
      return {
        message: `port ${url.port} is one fetch refuses to connect to (a "bad port" of the Fetch standard, kept for other protocols)`,
        hint: "use another port (for the backend: orun backend serve --port, and that port in --backend-url)",
      };
    }
  }
  return undefined;
}
