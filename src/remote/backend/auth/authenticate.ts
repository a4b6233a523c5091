// Who is calling: a GitHub Actions OIDC token or a backend-issued token
// (decision 9: both are accepted on every route). Either way the caller gets
// exactly one namespace (auth/namespaces.ts).
import type { IncomingMessage } from "node:http";
import type { Caller } from "../context.js";
import { HttpError } from "../http.js";
import type { Store } from "../store/types.js";
import { isAllowed, type AllowList } from "./allow-list.js";
import type { NamespaceDirectory } from "./namespaces.js";
import { AuthError, IssuerUnavailable, type OidcVerifier } from "./oidc.js";
import { TOKEN_PREFIX, looksLikeBackendToken, verifyToken } from "./tokens.js";

/** `allow`: the repositories whose OIDC tokens are accepted (undefined: all); backend tokens are not subject to it. */
export async function authenticate(req: IncomingMessage, store: Store, oidc: OidcVerifier, namespaces: NamespaceDirectory, allow?: AllowList): Promise<Caller> {
  const header = req.headers.authorization;
  if (!header) throw unauthorized("Missing authorization header");
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized("Authorization header must be `Bearer <token>`");
  const token = match[1];
  if (looksLikeBackendToken(token)) {
    const record = await verifyToken(store, token);
    if (!record) throw unauthorized("Invalid or revoked token");
    return { kind: "token", namespace: record.namespace, namespaceSlug: await namespaces.slugOf(record.namespace), actor: record.description };
  }
  // Neither kind (a typo'd or truncated ORUN_TOKEN, another service's key): said so, not "Malformed JWT".
  if (token.split(".").length !== 3) throw unauthorized(`Malformed token: neither an orun backend token (${TOKEN_PREFIX}…) nor a JWT (three dot-separated parts)`);
  let identity;
  try {
    identity = await oidc.verify(token);
  } catch (err) {
    if (err instanceof AuthError) throw unauthorized(err.message);
    // Runners retry 5xx: a short issuer outage must not fail a run as if its token were bad.
    if (err instanceof IssuerUnavailable) throw new HttpError(503, "UNAVAILABLE", err.message);
    throw err;
  }
  // A genuine token, but from a repository this backend does not serve: not recorded, no run created.
  if (!isAllowed(allow, identity)) throw new HttpError(403, "FORBIDDEN", `Repository ${identity.repository} is not allowed to use this backend (see its --allow-owner / --allow-repo)`);
  await namespaces.seen(identity.repositoryId, identity.repository);
  return {
    kind: "oidc",
    namespace: identity.repositoryId,
    namespaceSlug: identity.repository,
    actor: identity.actor,
    ...(identity.workflowRun ? { workflowRun: identity.workflowRun } : {}),
    ...(identity.sha !== undefined ? { sha: identity.sha } : {}),
  };
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, "UNAUTHORIZED", message);
}
