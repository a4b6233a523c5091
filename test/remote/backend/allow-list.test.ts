// `orun backend serve --allow-owner/--allow-repo`: only listed GitHub
// repositories' OIDC tokens are accepted (the local OIDC issuer signs genuine
// tokens for any repository, as GitHub does), listed by name or by immutable
// ID (`id:<n>`, immune to a name taken over after a rename); backend tokens
// are unaffected.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startOidcIssuer, repositoryIdFor, type LocalOidcIssuer } from "../../support/oidc-issuer.js";
import { runOrun } from "../../support/cli.js";
import { api, planOf, startTestBackend, testDatabase, tokenFor, type TestBackend, type TestDatabase } from "../helpers.js";
import { killAllChildren, startBackendProcess } from "../processes.js";
import { until } from "../../support/wait.js";
import { parseAllowList } from "../../../src/remote/backend/auth/allow-list.js";

describe("repository allow-list", () => {
  let issuer: LocalOidcIssuer;
  let db: TestDatabase;
  let backend: TestBackend;

  before(async () => {
    issuer = await startOidcIssuer();
    db = (await testDatabase("sqlite"))!;
    backend = await startTestBackend(db.url, { oidc: { issuer: issuer.issuer }, allow: parseAllowList(["Acme"], ["octo-org/Special,solo/app"]) });
  });
  after(async () => {
    await backend?.stop();
    await issuer?.close();
    await db?.cleanup();
  });

  it("accepts listed owners' and repositories' tokens, case-insensitively", async () => {
    for (const [repo, owner] of [["acme/widgets", "acme"], ["ACME/Gadgets", "ACME"], ["octo-org/special", "octo-org"], ["Solo/App", "Solo"]]) {
      const token = await issuer.sign(repo, { claims: { repository_owner: owner } });
      const res = await api(backend.url, token, "POST", "/v1/runs", { plan: planOf({ a: [] }), runId: `r-${repo.replace("/", "-")}` });
      assert.equal(res.status, 201, `${repo}: ${res.text}`);
    }
  });

  it("refuses a genuine token from any other repository with 403 naming it, and records nothing of it", async () => {
    for (const [repo, owner] of [["octo-org/other", "octo-org"], ["evil/acme", "evil"], ["acme-corp/widgets", "acme-corp"]]) {
      const token = await issuer.sign(repo, { claims: { repository_owner: owner } });
      for (const [method, path, body] of [["POST", "/v1/runs", { plan: planOf({ a: [] }), runId: "x" }], ["GET", "/v1/runs/x"]] as const) {
        const res = await api(backend.url, token, method, path, body);
        assert.deepEqual([res.status, res.body.code], [403, "FORBIDDEN"], `${repo} ${method} ${path}`);
        assert.match(String(res.body.error), new RegExp(`Repository ${repo} is not allowed`));
      }
      assert.equal(await backend.store.namespaceById(repositoryIdFor(repo)), undefined, `${repo} was not recorded`);
    }
    // The owner claim decides --allow-owner: a repository named acme/… owned by someone else is not acme's.
    const spoofed = await issuer.sign("acme/widgets", { claims: { repository_owner: "mallory", repository_id: "555" } });
    assert.equal((await api(backend.url, spoofed, "GET", "/v1/runs/x")).status, 403);
  });

  it("leaves backend tokens alone: an admin created them for their namespace", async () => {
    const token = await tokenFor(backend.store, "stranger/repo");
    assert.equal((await api(backend.url, token, "POST", "/v1/runs", { plan: planOf({ a: [] }), runId: "by-token" })).status, 201);
  });

  it("rejects malformed entries naming the flag", () => {
    assert.throws(() => parseAllowList(["acme/widgets"], []), /--allow-owner .*"acme\/widgets" is not a GitHub user or organization name/);
    assert.throws(() => parseAllowList([], ["acme"]), /--allow-repo .*"acme" is not owner\/repo/);
    assert.equal(parseAllowList([" , "], []), undefined, "nothing listed: everyone");
  });
});

describe("repository allow-list by immutable ID", () => {
  let issuer: LocalOidcIssuer;
  let db: TestDatabase;
  let backend: TestBackend;
  const runs = (token: string, runId: string) => api(backend.url, token, "POST", "/v1/runs", { plan: planOf({ a: [] }), runId });

  before(async () => {
    issuer = await startOidcIssuer();
    db = (await testDatabase("sqlite"))!;
    // Owner 1001 (all its repositories) and repository 2002, whatever their names are today.
    backend = await startTestBackend(db.url, { oidc: { issuer: issuer.issuer }, allow: parseAllowList(["id:1001"], ["ID:2002"]) });
  });
  after(async () => {
    await backend?.stop();
    await issuer?.close();
    await db?.cleanup();
  });

  it("accepts the listed owner's and repository's tokens under any name, renamed ones included", async () => {
    const cases: [string, Record<string, string>][] = [
      ["acme/widgets", { repository_owner: "acme", repository_owner_id: "1001" }],
      ["acme-renamed/widgets", { repository_owner: "acme-renamed", repository_owner_id: "1001" }],
      ["solo/app", { repository_owner: "solo", repository_owner_id: "3003", repository_id: "2002" }],
      ["solo/app-renamed", { repository_owner: "solo", repository_owner_id: "3003", repository_id: "2002" }],
    ];
    for (const [i, [repo, claims]] of cases.entries()) {
      const res = await runs(await issuer.sign(repo, { claims }), `by-id-${i}`);
      assert.equal(res.status, 201, `${repo}: ${res.text}`);
    }
  });

  it("refuses a repository that took over a listed one's old name: its IDs are not listed", async () => {
    // acme/widgets and solo/app re-registered by someone else after the renames above: same names, new IDs.
    const takenOwner = await issuer.sign("acme/widgets", { claims: { repository_owner: "acme", repository_owner_id: "9999" } });
    const takenRepo = await issuer.sign("solo/app", { claims: { repository_owner: "solo", repository_owner_id: "3003", repository_id: "8888" } });
    for (const [token, repo] of [[takenOwner, "acme/widgets"], [takenRepo, "solo/app"]]) {
      const res = await runs(token, "taken");
      assert.deepEqual([res.status, res.body.code], [403, "FORBIDDEN"], res.text);
      assert.match(String(res.body.error), new RegExp(`Repository ${repo} is not allowed`));
    }
    assert.equal(await backend.store.namespaceById("8888"), undefined, "the impostor was not recorded");
  });

  it("names and IDs mix; ID entries are exact decimal IDs, and a malformed one names its flag", () => {
    assert.deepEqual(parseAllowList(["acme, id:1001"], ["Octo/App,id: 2002"]), { owners: ["acme"], ownerIds: ["1001"], repos: ["octo/app"], repoIds: ["2002"] });
    assert.throws(() => parseAllowList(["id:acme"], []), /--allow-owner .*"id:acme" is not id:<repository_owner_id>/);
    assert.throws(() => parseAllowList([], ["id:0"]), /--allow-repo .*"id:0" is not id:<repository_id>/);
    assert.throws(() => parseAllowList([], ["id:"]), /--allow-repo .*"id:" is not id:<repository_id>/);
    assert.throws(() => parseAllowList(["id:12a"], []), /--allow-owner .*"id:12a"/);
  });

  it("a token whose repository_owner_id is not a number is refused (401), not matched", async () => {
    const res = await runs(await issuer.sign("acme/widgets", { claims: { repository_owner_id: "1001x" } }), "bad-owner-id");
    assert.equal(res.status, 401);
    assert.match(String(res.body.error), /repository_owner_id must be a positive integer/);
  });
});

describe("orun backend serve: allow-list flags", () => {
  let issuer: LocalOidcIssuer;
  let db: TestDatabase;
  before(async () => {
    issuer = await startOidcIssuer();
    db = (await testDatabase("sqlite"))!;
  });
  after(async () => {
    killAllChildren();
    await issuer?.close();
    await db?.cleanup();
  });

  it("ORUN_BACKEND_ALLOW_OWNERS restricts the served API; without a list it warns at start-up that every repository is accepted", async () => {
    const restricted = await startBackendProcess(db.url, ["--oidc-issuer", issuer.issuer], 0, { ORUN_BACKEND_ALLOW_OWNERS: "acme", ORUN_BACKEND_ALLOW_REPOS: "id:777" });
    try {
      assert.equal((await api(restricted.url, await issuer.sign("acme/widgets"), "GET", "/v1/runs/none")).status, 404);
      const other = await api(restricted.url, await issuer.sign("other/widgets"), "GET", "/v1/runs/none");
      assert.deepEqual([other.status, other.body.code], [403, "FORBIDDEN"]);
      const byId = await api(restricted.url, await issuer.sign("other/listed", { claims: { repository_id: "777" } }), "GET", "/v1/runs/none");
      assert.equal(byId.status, 404, "the repository listed by ID is served");
      // A write after the "listening on" line the start waited for: its pipe read may come later than the answers.
      await until(() => /accepting OIDC tokens from: acme\/\*, repository id:777\n/.test(restricted.proc.output()), "the allow list at start-up", 10_000);
      // The owner given by name gets the advice to list it by ID.
      const advice = /allow by ID instead: --allow-owner id:<repository_owner_id> .*\(given by name: acme\)/;
      await until(() => advice.test(restricted.proc.output()), "the advice to list owners by ID", 10_000);
      assert.doesNotMatch(restricted.proc.output(), /warning/);
    } finally {
      await restricted.stop();
    }
    const open = await startBackendProcess(db.url, ["--oidc-issuer", issuer.issuer], 0, { ORUN_BACKEND_ALLOW_OWNERS: "", ORUN_BACKEND_ALLOW_REPOS: "" });
    try {
      assert.equal((await api(open.url, await issuer.sign("other/widgets"), "GET", "/v1/runs/none")).status, 404);
      const warning = /warning: no --allow-owner or --allow-repo: OIDC tokens from every GitHub repository are accepted.*\n.*--allow-repo id:<repository_id>/;
      await until(() => warning.test(open.proc.output()), "the start-up warning, recommending ID entries", 10_000);
    } finally {
      await open.stop();
    }
  });

  it("a malformed --allow-repo stops start-up with an error naming the flag", async () => {
    const res = await runOrun(["backend", "serve", "--port", "0", "--database", db.url, "--allow-repo", "acme/widgets,not-a-repo"], { timeoutMs: 30_000 });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /--allow-repo .*"not-a-repo" is not owner\/repo/);
  });
});
