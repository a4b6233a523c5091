// A runner refused by the backend is told what to check for the reason the backend gave: the clocks for an expired
// token, the backend's issuer for a signature it does not trust, the audience for `aud`, the allow list for a
// repository it does not serve. Before, every OIDC refusal got the audience/allow-list hint; the backend's `Invalid
// claim aud: check_failed` named neither the audience it wants nor the token's; and an ORUN_TOKEN that is neither an
// orun token nor a JWT was refused as `Malformed JWT` (user testing). Real `orun run --remote-state` processes, the
// backend on loopback trusting a local OIDC issuer, and a token endpoint that hands out the token each case needs.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { generateKeyPair } from "jose";
import { startOidcIssuer, type LocalOidcIssuer } from "../support/oidc-issuer.js";
import { startTestBackend, testDatabase, type TestBackend, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, writePlan } from "./processes.js";

describe("what a refused runner is told to check", () => {
  let dir: string;
  let db: TestDatabase;
  let issuer: LocalOidcIssuer;
  let backend: TestBackend;
  let planFile: string;
  let tokenServer: http.Server;
  let tokenUrl: string;
  /** The token the workflow's token endpoint hands out now. */
  let handedOut = "";
  let runs = 0;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-refusals-"));
    db = (await testDatabase("sqlite"))!;
    issuer = await startOidcIssuer();
    backend = await startTestBackend(db.url, { oidc: { issuer: issuer.issuer }, allow: { owners: ["acme"], ownerIds: [], repos: [], repoIds: [] } });
    planFile = await writePlan(dir, "refused", [{ id: "a@dev.build", run: "echo ran" }]);
    tokenServer = http.createServer((_req, res) => void res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ value: handedOut })));
    await new Promise<void>((resolve) => tokenServer.listen(0, "127.0.0.1", resolve));
    tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token-request`;
  });
  after(async () => {
    killAllChildren();
    await new Promise<void>((resolve) => tokenServer?.close(() => resolve()));
    await backend?.stop();
    await issuer?.close();
    await db?.cleanup();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** A runner in "GitHub Actions" whose token endpoint hands out `token`; its output once it exits. */
  const refusedRunner = async (token: string): Promise<string> => {
    handedOut = token;
    const env = {
      GITHUB_ACTIONS: "true",
      ACTIONS_ID_TOKEN_REQUEST_URL: tokenUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
      ORUN_TOKEN: "",
      ORUN_BACKEND_URL: backend.url,
      ORUN_EXEC_ID: `refused-${++runs}`,
      ORUN_REMOTE_STATE: "",
    };
    const r = await spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env }).done;
    assert.equal(r.code, 1, r.output);
    assert.doesNotMatch(r.output, /\bran\b/);
    return r.output;
  };
  const now = (): number => Math.floor(Date.now() / 1000);
  const AUDIENCE_HINT = /--oidc-audience|allow/;

  it("an expired token: the clocks, not the audience or allow list", async () => {
    const out = await refusedRunner(await issuer.sign("acme/widgets", { claims: { iat: now() - 900, nbf: now() - 900, exp: now() - 600 } }));
    assert.match(out, /authentication failed: Token expired \(exp \S+; this backend's clock: \S+, 60s of skew tolerated\)/);
    assert.match(out, /for its times, though orun fetched a fresh one: the clock of the backend's machine or of the token's issuer is off/);
    assert.doesNotMatch(out, AUDIENCE_HINT);
  });

  it("a signature the backend cannot verify: its --oidc-issuer", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const out = await refusedRunner(await issuer.sign("acme/widgets", { key: privateKey }));
    assert.match(out, /authentication failed: Invalid signature/);
    assert.match(out, /the backend does not trust its issuer or signing key — its --oidc-issuer \(ORUN_OIDC_ISSUER\) must be the issuer of this workflow's tokens/);
    assert.doesNotMatch(out, AUDIENCE_HINT);
  });

  it("another audience: the refusal names the token's and the backend's, the hint ORUN_OIDC_AUDIENCE", async () => {
    const out = await refusedRunner(await issuer.sign("acme/widgets", { claims: { aud: "sts.amazonaws.com" } }));
    assert.ok(out.includes(`authentication failed: Invalid claim aud: the token is for audience "sts.amazonaws.com", and this backend requires "orun" (its --oidc-audience)`), out);
    assert.match(out, /for its audience: ORUN_OIDC_AUDIENCE here \(default orun\) must be the backend's --oidc-audience/);
    assert.doesNotMatch(out, /check_failed|allow/);
  });

  it("another issuer: the refusal names the token's issuer and the one the backend trusts", async () => {
    const out = await refusedRunner(await issuer.sign("acme/widgets", { claims: { iss: "https://evil.example" } }));
    assert.ok(out.includes(`authentication failed: Invalid claim iss: the token was issued by "https://evil.example", and this backend trusts "${issuer.issuer}" (its --oidc-issuer)`), out);
    assert.match(out, /its --oidc-issuer \(ORUN_OIDC_ISSUER\) must be the issuer/);
    assert.doesNotMatch(out, /check_failed|--oidc-audience|allow/);
  });

  it("a repository the backend does not serve: its allow list", async () => {
    const out = await refusedRunner(await issuer.sign("other/repo"));
    assert.match(out, /Repository other\/repo is not allowed to use this backend/);
    assert.match(out, /the repository is not on its allow list \(its --allow-owner \/ --allow-repo\)/);
    assert.doesNotMatch(out, /--oidc-audience/);
  });

  it("an ORUN_TOKEN that is neither an orun token nor a JWT is said to be neither", async () => {
    const env = { GITHUB_ACTIONS: "", ORUN_TOKEN: "definitely-not-a-token", ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: `refused-${++runs}`, ORUN_REMOTE_STATE: "" };
    const r = await spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env }).done;
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /authentication failed: Malformed token: neither an orun backend token \(orun_…\) nor a JWT \(three dot-separated parts\)/);
    assert.match(r.output, /ORUN_TOKEN is set but this backend refused it/);
    assert.doesNotMatch(r.output, /Malformed JWT/);
  });
});
