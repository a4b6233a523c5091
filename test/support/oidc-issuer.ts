// A faithful local stand-in for GitHub's OIDC issuer (unreachable from
// tests): its own RSA keys, a discovery document, a JWKS endpoint that counts
// fetches, key rotation, and the Actions token-request endpoint that
// `ACTIONS_ID_TOKEN_REQUEST_URL` points at.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createHash } from "node:crypto";
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload, type CryptoKey } from "jose";

export interface IssuedClaims extends JWTPayload {
  repository?: string;
  repository_id?: string;
  repository_owner?: string;
  repository_owner_id?: string;
  actor?: string;
}

/**
 * The repository ID this issuer puts in tokens for `repo` unless a test
 * overrides it: stable per name (GitHub names are case-insensitive), distinct
 * between names, like GitHub's own numeric IDs.
 */
export function repositoryIdFor(repo: string): string {
  return String(1_000_000 + (createHash("sha256").update(repo.toLowerCase()).digest().readUInt32BE(0) % 900_000_000));
}

export interface LocalOidcIssuer {
  issuer: string;
  /** GitHub-style token request URL (`?audience=` honoured); bearer must be `requestToken`. */
  tokenRequestUrl: string;
  requestToken: string;
  jwksFetches(): number;
  tokenRequests(): number;
  /** Signs a token for repository `repo` with the current key; claims and header override defaults. */
  sign(repo: string, overrides?: { claims?: Record<string, unknown>; header?: Record<string, unknown>; expiresInS?: number; key?: CryptoKey; kid?: string }): Promise<string>;
  /** Replaces the published key with a new one (old tokens stop verifying). */
  rotate(): Promise<void>;
  close(): Promise<void>;
}

export async function startOidcIssuer(): Promise<LocalOidcIssuer> {
  let keyNo = 0;
  let current = await newKey();
  let fetches = 0;
  let tokenRequests = 0;
  const requestToken = "actions-request-token";

  async function newKey(): Promise<{ kid: string; privateKey: CryptoKey; jwk: JWK }> {
    const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
    const kid = `key-${++keyNo}`;
    return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", issuer);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/.well-known/openid-configuration") return send(200, { issuer, jwks_uri: `${issuer}/.well-known/jwks` });
    if (url.pathname === "/.well-known/jwks") {
      fetches++;
      return send(200, { keys: [current.jwk] });
    }
    if (url.pathname === "/token-request") {
      tokenRequests++;
      if (req.headers.authorization !== `Bearer ${requestToken}`) return send(401, { message: "bad request token" });
      const repo = url.searchParams.get("repo") ?? "acme/widgets";
      // GitHub's workflow run claims, when the test names them (`?run_id=&run_attempt=&sha=`): a re-run attempt's
      // runners, the commit the workflow run is for.
      const run = { run_id: url.searchParams.get("run_id") ?? undefined, run_attempt: url.searchParams.get("run_attempt") ?? undefined, sha: url.searchParams.get("sha") ?? undefined };
      void issuerApi.sign(repo, { claims: { aud: url.searchParams.get("audience") ?? "", ...run } }).then((value) => send(200, { value }));
      return;
    }
    send(404, { message: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const issuerApi: LocalOidcIssuer = {
    issuer,
    tokenRequestUrl: `${issuer}/token-request`,
    requestToken,
    jwksFetches: () => fetches,
    tokenRequests: () => tokenRequests,
    async sign(repo, overrides = {}) {
      const [owner] = repo.split("/");
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        iss: issuer,
        aud: "orun",
        sub: `repo:${repo}:ref:refs/heads/main`,
        iat: now,
        nbf: now,
        exp: now + (overrides.expiresInS ?? 300),
        repository: repo,
        repository_id: repositoryIdFor(repo),
        repository_owner: owner,
        repository_owner_id: "42",
        actor: "octocat",
        ...overrides.claims,
      };
      for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
      return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: overrides.kid ?? current.kid, typ: "JWT", ...overrides.header }).sign(overrides.key ?? current.privateKey);
    },
    async rotate() {
      current = await newKey();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return issuerApi;
}
