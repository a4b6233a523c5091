// Authentication against a local OIDC issuer the test starts (its own RSA
// keys, discovery and JWKS endpoints), and backend-issued tokens.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { SignJWT, generateKeyPair } from "jose";
import { repositoryIdFor, startOidcIssuer, type LocalOidcIssuer } from "../support/oidc-issuer.js";
import { api, planOf, startTestBackend, testDatabase, type TestBackend, type TestDatabase } from "./helpers.js";
import { createToken, hashToken } from "../../src/remote/backend/auth/tokens.js";
import { GithubOidcTokenSource, resolveTokenSource } from "../../src/remote/oidc-token.js";
import { BackendClient } from "../../src/remote/client.js";
import { openStore } from "../../src/remote/backend/store/index.js";
import { runOrun } from "../support/cli.js";

/**
 * An OIDC token source that refuses a third token: the client asks twice for one request (the once-only refresh after a
 * 401), so a client that kept refreshing fails here at once instead of looping until CI's timeout.
 */
class BoundedTokenSource extends GithubOidcTokenSource {
  private asked = 0;
  override async token(): Promise<string> {
    if (++this.asked > 2) throw new Error(`a token was asked for ${this.asked} times for one request: the refresh after a 401 is not once-only`);
    return super.token();
  }
}

describe("backend authentication", () => {
  let issuer: LocalOidcIssuer;
  let db: TestDatabase;
  let backend: TestBackend;
  const get = (token: string, path = "/v1/runs/r1") => api(backend.url, token, "GET", path);

  before(async () => {
    issuer = await startOidcIssuer();
    db = (await testDatabase("sqlite"))!;
    backend = await startTestBackend(db.url, { oidc: { issuer: issuer.issuer, jwksCooldownMs: 0 } });
    const token = await issuer.sign("acme/widgets");
    assert.equal((await api(backend.url, token, "POST", "/v1/runs", { plan: planOf({ a: [] }), runId: "r1" })).status, 201);
  });
  after(async () => {
    await backend?.stop();
    await issuer?.close();
    await db?.cleanup();
  });

  it("accepts a valid GitHub Actions OIDC token and scopes it to its repository", async () => {
    const res = await get(await issuer.sign("Acme/Widgets"));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.namespace, { namespaceId: repositoryIdFor("acme/widgets"), namespaceSlug: "Acme/Widgets" }, "the namespace is the repository ID; the name is display only");
    assert.equal(res.body.actor, "octocat", "the run's default actor is the token's actor");
  });

  it("accepts an audience array that contains orun", async () => {
    assert.equal((await get(await issuer.sign("acme/widgets", { claims: { aud: ["other", "orun"] } }))).status, 200);
  });

  it("tolerates a minute of clock skew between the issuer and the backend; a refusal for the token's times names the clocks", async () => {
    const now = Math.floor(Date.now() / 1000);
    // The issuer's clock 30 s ahead: the token is not valid before its issue time (nbf), which is 30 s ahead here.
    assert.equal((await get(await issuer.sign("acme/widgets", { claims: { iat: now + 30, nbf: now + 30, exp: now + 330 } }))).status, 200, "a fresh token from an issuer 30 s ahead");
    // Or 30 s behind: the token expired 10 s ago by this backend's clock, 20 s before its end by the issuer's.
    assert.equal((await get(await issuer.sign("acme/widgets", { claims: { iat: now - 310, nbf: now - 310, exp: now - 10 } }))).status, 200, "a token at its end from an issuer 30 s behind");
    const late = await get(await issuer.sign("acme/widgets", { claims: { iat: now - 400, nbf: now - 400, exp: now - 100 } }));
    assert.equal(late.status, 401);
    assert.match(String(late.body.error), /^Token expired \(exp \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; this backend's clock: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, 60s of skew tolerated\)$/);
    const early = await get(await issuer.sign("acme/widgets", { claims: { iat: now + 120, nbf: now + 120, exp: now + 420 } }));
    assert.equal(early.status, 401);
    assert.match(String(early.body.error), /this backend's clock: .*, 60s of skew tolerated\)$/);
  });

  it("rejects forged and unsuitable OIDC tokens with 401", async () => {
    const { privateKey: strangerKey } = await generateKeyPair("RS256");
    const now = Math.floor(Date.now() / 1000);
    const good = await issuer.sign("acme/widgets");
    const [h, p] = good.split(".");
    const cases: [string, string, RegExp][] = [
      ["wrong audience", await issuer.sign("acme/widgets", { claims: { aud: "sts.amazonaws.com" } }), /aud/],
      ["wrong issuer", await issuer.sign("acme/widgets", { claims: { iss: "https://evil.example" } }), /iss/],
      ["expired", await issuer.sign("acme/widgets", { claims: { exp: now - 90, iat: now - 600 } }), /expired/i],
      ["issued in the future", await issuer.sign("acme/widgets", { claims: { iat: now + 3600, nbf: undefined } }), /iat|future/],
      ["bad signature", `${h}.${p}.${Buffer.from("forged").toString("base64url")}`, /signature/i],
      ["signed by another key under our kid", await issuer.sign("acme/widgets", { key: strangerKey }), /signature/i],
      ["unknown key id", await issuer.sign("acme/widgets", { key: strangerKey, kid: "nobody" }), /Unknown key/],
      ["alg none", `${Buffer.from(JSON.stringify({ alg: "none", kid: "key-1" })).toString("base64url")}.${p}.`, /algorithm/i],
      ["HS256", await new SignJWT({ repository: "acme/widgets" }).setProtectedHeader({ alg: "HS256", kid: "key-1" }).sign(new TextEncoder().encode("x".repeat(32))), /algorithm/i],
      ["missing repository claims", await issuer.sign("acme/widgets", { claims: { repository: undefined } }), /repository/],
      ["non-string repository_id", await issuer.sign("acme/widgets", { claims: { repository_id: 1234 } }), /repository_id/],
      ["non-numeric repository_id", await issuer.sign("acme/widgets", { claims: { repository_id: "acme/widgets" } }), /repository_id/],
      ["missing actor", await issuer.sign("acme/widgets", { claims: { actor: "" } }), /actor/],
      ["control character in actor", await issuer.sign("acme/widgets", { claims: { actor: "octo\u0000cat" } }), /actor/],
      ["not a JWT", "definitely-not-a-jwt", /Malformed/],
    ];
    for (const [name, token, message] of cases) {
      const res = await get(token);
      assert.equal(res.status, 401, `${name}: ${res.text}`);
      assert.equal(res.body.code, "UNAUTHORIZED", name);
      assert.match(String(res.body.error), message, name);
    }
  });

  it("a valid token for another repository cannot see this run (404)", async () => {
    const res = await get(await issuer.sign("acme/other"));
    assert.equal(res.status, 404);
  });

  it("the namespace is the repository ID: a renamed repository keeps its runs, a new one under the old name gets none", async () => {
    const id = repositoryIdFor("acme/widgets");
    const renamed = await get(await issuer.sign("acme/gadgets", { claims: { repository_id: id } }));
    assert.equal(renamed.status, 200, renamed.text);
    assert.deepEqual(renamed.body.namespace, { namespaceId: id, namespaceSlug: "acme/gadgets" });
    const impostor = await issuer.sign("acme/widgets", { claims: { repository_id: "987654321" } });
    assert.equal((await get(impostor)).status, 404, "the old name does not open the old runs");
    assert.equal((await api(backend.url, impostor, "POST", "/v1/runs", { plan: planOf({ a: [] }), runId: "r1", namespaceId: id })).status, 403);
    // Put the directory back the way the other tests expect: acme/widgets last seen with its own ID.
    assert.equal((await get(await issuer.sign("acme/widgets"))).status, 200);
  });

  it("caches the JWKS and refetches it when a token names a new key (rotation)", async () => {
    const before = issuer.jwksFetches();
    for (let i = 0; i < 3; i++) assert.equal((await get(await issuer.sign("acme/widgets"))).status, 200);
    assert.equal(issuer.jwksFetches(), before, "cached keys are reused");
    await issuer.rotate();
    assert.equal((await get(await issuer.sign("acme/widgets"))).status, 200, "a token signed with the rotated key verifies");
    assert.equal(issuer.jwksFetches(), before + 1);
  });

  it("ORUN_TOKEN: valid → its namespace; other namespace → 404; revoked → 401; unknown → 401; stored only hashed", async () => {
    const { token, record } = await createToken(backend.store, repositoryIdFor("acme/widgets"), "laptop");
    assert.match(token, /^orun_/);
    assert.equal((await get(token)).status, 200);
    const stored = await backend.store.findTokenByHash(hashToken(token));
    assert.equal(stored?.id, record.id);
    assert.ok(!JSON.stringify(await backend.store.listTokens()).includes(token), "the secret is not stored");
    const other = await createToken(backend.store, "local:someone/else");
    assert.equal(other.record.namespace, "local:someone/else");
    assert.equal((await get(other.token)).status, 404);
    assert.equal(await backend.store.revokeToken(record.id, new Date().toISOString()), true);
    const revoked = await get(token);
    assert.deepEqual([revoked.status, revoked.body.code], [401, "UNAUTHORIZED"]);
    assert.equal((await get(`${token}x`)).status, 401);
  });

  it("ORUN_TOKEN namespaces: a repository ID works before any OIDC run; unknown or ambiguous names are refused", async () => {
    const byId = await createToken(backend.store, repositoryIdFor("acme/widgets"));
    assert.equal((await get(byId.token)).status, 200);
    const owned = await api(backend.url, byId.token, "GET", "/v1/runs/r1");
    assert.equal((owned.body.namespace as { namespaceSlug: string }).namespaceSlug, "acme/widgets", "the token's view names the repository as OIDC last saw it");
    await assert.rejects(createToken(backend.store, "nobody/here"), (err: Error & { hint?: string }) => {
      assert.match(err.message, /nobody\/here: no GitHub Actions run of this repository has reached this backend/);
      assert.match(String(err.hint), /gh api repos\/nobody\/here --jq \.id.*local:nobody\/here/);
      return true;
    });
    await backend.store.recordNamespace({ id: "111", slug: "acme/Twice", lastSeenAt: "2026-01-01T00:00:00.000Z" });
    await backend.store.recordNamespace({ id: "222", slug: "acme/twice", lastSeenAt: "2026-02-01T00:00:00.000Z" });
    await assert.rejects(createToken(backend.store, "ACME/twice"), /several repositories have had this name \(222 .*, 111 .*\); pass the repository ID/);
    for (const bad of ["acme", "acme/../x", "local:", "local:acme", "0123", "a b/c"]) await assert.rejects(createToken(backend.store, bad), /--namespace/, bad);
  });

  it("a token from before repository IDs keeps its own runs and reaches nothing else", async () => {
    // Tokens created before migration 4 are scoped to a lower-case owner/repo.
    const legacy = "orun_legacy-token-for-acme-widgets";
    await backend.store.insertToken({ id: "tok_legacy", hash: hashToken(legacy), namespace: "acme/widgets", description: null, createdAt: "2026-01-01T00:00:00.000Z", revokedAt: null });
    assert.equal((await get(legacy)).status, 404, "the ID namespace's runs are not reachable by name");
    assert.equal((await api(backend.url, legacy, "POST", "/v1/runs", { plan: planOf({ a: [] }), runId: "r-legacy" })).status, 201);
    const own = await get(legacy, "/v1/runs/r-legacy");
    assert.deepEqual(own.body.namespace, { namespaceId: "acme/widgets", namespaceSlug: "acme/widgets" });
    assert.equal((await get(await issuer.sign("acme/widgets"), "/v1/runs/r-legacy")).status, 404, "and OIDC callers do not reach the name namespace");
  });

  it("CLI side: fetches an OIDC token with audience orun from ACTIONS_ID_TOKEN_REQUEST_URL, caches it, and the backend accepts it", async () => {
    const env = { GITHUB_ACTIONS: "true", ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.tokenRequestUrl}?repo=acme/widgets&audience=wrong`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken, ORUN_TOKEN: "orun_ignored" };
    const source = resolveTokenSource(env);
    assert.equal(source.kind, "oidc", "OIDC wins over ORUN_TOKEN");
    const client = new BackendClient({ baseUrl: backend.url, auth: source });
    const requestsBefore = issuer.tokenRequests();
    const run = await client.getRun("r1");
    assert.equal(run.runId, "r1");
    await client.listJobs("r1");
    assert.equal(issuer.tokenRequests() - requestsBefore, 1, "one token for several calls");
    await assert.rejects(new GithubOidcTokenSource(issuer.tokenRequestUrl, "wrong").token(), /OIDC token request failed: HTTP 401/);
    assert.equal(resolveTokenSource({ ORUN_TOKEN: " orun_abc " }).kind, "token");
    assert.throws(() => resolveTokenSource({}), /no credentials.*id-token: write.*ORUN_TOKEN/s);
  });

  it("CLI side: a 401 is a clear authentication error, not retried", async () => {
    const client = new BackendClient({ baseUrl: backend.url, auth: { kind: "token", token: async () => "orun_bogus" } });
    await assert.rejects(client.getRun("r1"), /authentication failed: Invalid or revoked token.*ORUN_TOKEN/s);
  });

  it("CLI side: an OIDC token refused with 401 (the issuer rotated its key since it was cached) is fetched afresh once and the request retried", async () => {
    const own = await startOidcIssuer();
    // Keys are not kept: each verification reads the issuer's current key set, which after a rotation lacks the old key.
    const fresh = await startTestBackend(db.url, { oidc: { issuer: own.issuer, jwksCooldownMs: 0, jwksMaxAgeMs: 0 } });
    try {
      const client = new BackendClient({ baseUrl: fresh.url, auth: new GithubOidcTokenSource(`${own.tokenRequestUrl}?repo=acme/rotating`, own.requestToken) });
      assert.equal((await client.createRun({ plan: planOf({ a: [] }), runId: "rotating-1" })).runId, "rotating-1");
      assert.equal(own.tokenRequests(), 1);
      await own.rotate();
      // The cached token names the old key, which the backend no longer finds: 401, then one fresh token.
      assert.equal((await client.getRun("rotating-1")).runId, "rotating-1");
      assert.equal(own.tokenRequests(), 2);
      // A token that is refused again is an authentication error, not a loop.
      const refused = new BackendClient({ baseUrl: fresh.url, auth: new BoundedTokenSource(`${own.tokenRequestUrl}?repo=acme/rotating`, own.requestToken, "not-orun") });
      await assert.rejects(refused.getRun("rotating-1"), /authentication failed: Invalid claim aud/);
      assert.equal(own.tokenRequests(), 4, "the refused token was fetched afresh once, then the refusal reported");
    } finally {
      await fresh.stop();
      await own.close();
    }
  });

  it("an unreachable issuer is a retryable 503, not a 401 for a valid token", async () => {
    // A backend that has not fetched the issuer's keys yet, with the issuer gone.
    const gone = await startOidcIssuer();
    const token = await gone.sign("acme/widgets");
    const fresh = await startTestBackend(db.url, { oidc: { issuer: gone.issuer, jwksCooldownMs: 0 } });
    try {
      await gone.close();
      const res = await api(fresh.url, token, "GET", "/v1/runs/r1");
      assert.equal(res.status, 503, res.text);
      assert.equal(res.body.code, "UNAVAILABLE");
      assert.match(String(res.body.error), /cannot reach the OIDC issuer/);
      // A forged token is still a 401 while the issuer is up.
      assert.equal((await get(`${(await issuer.sign("acme/widgets")).slice(0, -4)}AAAA`)).status, 401);
    } finally {
      await fresh.stop();
    }
  });
});

describe("backend authentication while the issuer's key endpoint fails", () => {
  it("a JWKS answering 5xx or garbage is a retryable 503 for a valid token, and the token is accepted once the keys are back", async () => {
    const issuer = await startOidcIssuer();
    let jwks: "error" | "garbage" | "ok" = "error";
    // An issuer whose discovery document answers but whose key set fails (GitHub having a bad moment), keys served by the local issuer.
    const front = http.createServer((req, res) => {
      const send = (status: number, body: string) => res.writeHead(status, { "Content-Type": "application/json" }).end(body);
      if (req.url === "/.well-known/openid-configuration") return send(200, JSON.stringify({ issuer: frontUrl, jwks_uri: `${frontUrl}/keys` }));
      if (jwks === "error") return send(502, JSON.stringify({ message: "bad gateway" }));
      if (jwks === "garbage") return send(200, "<html>maintenance</html>");
      void fetch(`${issuer.issuer}/.well-known/jwks`).then(async (r) => send(r.status, await r.text()));
    });
    await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
    const frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const db = (await testDatabase("sqlite"))!;
    const backend = await startTestBackend(db.url, { oidc: { issuer: frontUrl, jwksCooldownMs: 0 } });
    try {
      const token = await issuer.sign("acme/widgets", { claims: { iss: frontUrl } });
      for (const state of ["error", "garbage"] as const) {
        jwks = state;
        const res = await api(backend.url, token, "GET", "/v1/runs/r1");
        assert.equal(res.status, 503, `${state}: ${res.text}`);
        assert.equal(res.body.code, "UNAVAILABLE", state);
      }
      jwks = "ok";
      const res = await api(backend.url, token, "GET", "/v1/runs/r1");
      assert.equal(res.status, 404, `the token is verified once the keys are back (the run does not exist): ${res.text}`);
    } finally {
      await backend.stop();
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await issuer.close();
      await db.cleanup();
    }
  });
});

describe("orun backend token (CLI)", () => {
  let db: TestDatabase;
  before(async () => {
    db = (await testDatabase("sqlite"))!;
  });
  after(async () => {
    await db?.cleanup();
  });

  it("scopes tokens to repository IDs: resolves a seen owner/repo, explains an unknown one, lists IDs with names", async () => {
    const unknown = await runOrun(["backend", "token", "create", "--namespace", "acme/widgets", "--database", db.url]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /acme\/widgets: no GitHub Actions run of this repository has reached this backend yet/);
    assert.match(unknown.stderr, /gh api repos\/acme\/widgets --jq \.id/);
    const store = await openStore(db.url);
    try {
      await store.recordNamespace({ id: "4242", slug: "Acme/Widgets", lastSeenAt: new Date().toISOString() });
    } finally {
      await store.close();
    }
    const created = await runOrun(["backend", "token", "create", "--namespace", "acme/widgets", "--json", "--database", db.url]);
    assert.equal(created.code, 0, created.stderr);
    const json = JSON.parse(created.stdout) as { token: string; namespace: string; namespaceSlug: string };
    assert.deepEqual([json.namespace, json.namespaceSlug], ["4242", "Acme/Widgets"]);
    assert.match(json.token, /^orun_/);
    const local = await runOrun(["backend", "token", "create", "--namespace", "local:Team/App", "--database", db.url]);
    assert.equal(local.code, 0, local.stderr);
    assert.match(local.stderr, /created token tok_\w+ for local:team\/app \(Team\/App\)/);
    const list = await runOrun(["backend", "token", "list", "--database", db.url]);
    assert.match(list.stdout, /\t4242 \(Acme\/Widgets\)\tactive/);
    assert.match(list.stdout, /\tlocal:team\/app\tactive/);
  });
});
