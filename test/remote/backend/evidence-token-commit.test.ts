// A GitHub Actions runner's OIDC token carries a signed `sha` claim: the commit its workflow run is for. A job result
// counts as promotion evidence only when that is the run's revision and the revision the runner says it ran (when it
// names one); otherwise the answer says why and the backend logs it. A runner's word is taken as before when its
// token names no commit. The claim counts only from a token the backend verified. Real HTTP on loopback with the
// suite's local OIDC issuer, on SQLite and PostgreSQL.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { generateKeyPair } from "jose";
import { api, enc, planOf, startTestBackend, testDatabase, type StoreKind, type TestBackend, type TestDatabase } from "../helpers.js";
import { startOidcIssuer, type LocalOidcIssuer } from "../../support/oidc-issuer.js";

const REPO = "acme/widgets";
const REV = "abcdef0123456789abcdef0123456789abcdef01";
const OTHER = "2222222222222222222222222222222222222222";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`promotion evidence and the OIDC token's commit, on ${kind}`, () => {
    let db: TestDatabase | undefined;
    let backend: TestBackend;
    let issuer: LocalOidcIssuer;
    const logged: string[] = [];
    /** An OIDC token of acme/widgets whose `sha` claim is `sha` (none when undefined). */
    const tokenAt = (sha: string | undefined) => issuer.sign(REPO, { claims: { sha } });
    const call = (token: string, method: string, path: string, body?: unknown) => api(backend.url, token, method, path, body);
    /** Claims `job` of run `runId` and reports its success with `token`, naming `revision` when given; the update's answer. */
    const succeed = async (token: string, runId: string, job: string, revision?: string) => {
      const claimed = await call(token, "POST", `/v1/runs/${runId}/jobs/${enc(job)}/claim`, { runnerId: `r-${job}` });
      assert.equal(claimed.body.claimed, true, claimed.text);
      return call(token, "POST", `/v1/runs/${runId}/jobs/${enc(job)}/update`, { runnerId: `r-${job}`, status: "success", ...(revision === undefined ? {} : { revision }) });
    };
    const evidenceOf = async (component: string) => (await call(await tokenAt(undefined), "GET", `/v1/evidence?component=${component}&environment=qa&revision=${REV}`)).body;

    before(async () => {
      db = await testDatabase(kind);
      if (!db) return;
      issuer = await startOidcIssuer();
      backend = await startTestBackend(db.url, { oidc: { issuer: issuer.issuer }, log: (message) => void logged.push(message) });
    });
    after(async () => {
      await backend?.stop();
      await issuer?.close();
      await db?.cleanup();
    });

    it("a result at another revision than the token's commit is no evidence, says why and is logged; a matching one counts", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = `sha-${Date.now()}`;
      const jobs = ["same@qa.build", "upper@qa.build", "mismatch@qa.build", "ran-other@qa.build"];
      const created = await call(await tokenAt(REV), "POST", "/v1/runs", { plan: { ...planOf(Object.fromEntries(jobs.map((j) => [j, []]))), revision: REV }, runId });
      assert.equal(created.status, 201, created.text);

      assert.deepEqual((await succeed(await tokenAt(REV), runId, "same@qa.build", REV)).body, { ok: true, evidence: true });
      // GitHub sends lower-case hex; a claim in upper case is the same commit.
      assert.deepEqual((await succeed(await tokenAt(REV.toUpperCase()), runId, "upper@qa.build", REV)).body, { ok: true, evidence: true });

      // The runner says it ran the run's revision, but its workflow run is for another commit.
      const mismatch = await succeed(await tokenAt(OTHER), runId, "mismatch@qa.build", REV);
      assert.equal(mismatch.status, 200, mismatch.text);
      const why = `the runner reported running ${REV.slice(0, 12)}, but its GitHub Actions OIDC token is for commit ${OTHER.slice(0, 12)} (the commit its workflow run is for; the token's sha claim)`;
      assert.deepEqual(mismatch.body, { ok: true, evidence: false, evidenceWithheld: why });
      assert.deepEqual(logged, [`orun backend: run ${runId} of ${REPO}: job mismatch@qa.build's success is no promotion evidence: ${why}`]);
      // A repeat of that update (its answer lost) is answered alike as to evidence.
      // A repeat of that update (its answer lost) is answered alike, reason included, and not logged again.
      const repeat = await call(await tokenAt(OTHER), "POST", `/v1/runs/${runId}/jobs/${enc("mismatch@qa.build")}/update`, { runnerId: "r-mismatch@qa.build", status: "success", revision: REV });
      assert.deepEqual(repeat.body, { ok: true, evidence: false, evidenceWithheld: why });

      // A runner that says it ran its token's commit, not the run's revision: no evidence by the run's rule, nothing to explain.
      assert.deepEqual((await succeed(await tokenAt(OTHER), runId, "ran-other@qa.build", OTHER)).body, { ok: true, evidence: false });

      assert.equal((await call(await tokenAt(REV), "GET", `/v1/runs/${runId}`)).body.status, "completed", "the run completes all the same");
      assert.deepEqual(await evidenceOf("same"), { satisfied: true, runId });
      assert.deepEqual(await evidenceOf("upper"), { satisfied: true, runId });
      // Each gate is told the one cause of its component's missing evidence.
      assert.deepEqual(await evidenceOf("mismatch"), { satisfied: false, withheld: { runId, jobId: "mismatch@qa.build", cause: "oidc-commit", reason: why } });
      const ranOther = `the runner reported running ${OTHER.slice(0, 12)}, not the run's revision ${REV.slice(0, 12)}`;
      assert.deepEqual(await evidenceOf("ran-other"), { satisfied: false, withheld: { runId, jobId: "ran-other@qa.build", cause: "other-code", reason: ranOther } });
      assert.equal(logged.length, 1, logged.join("\n"));
    });

    it("without a sha claim, a result counts as before, also when it names no revision", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = `no-sha-${Date.now()}`;
      const jobs = ["unclaimed@qa.build", "silent@qa.build"];
      assert.equal((await call(await tokenAt(undefined), "POST", "/v1/runs", { plan: { ...planOf(Object.fromEntries(jobs.map((j) => [j, []]))), revision: REV }, runId })).status, 201);
      assert.deepEqual((await succeed(await tokenAt(undefined), runId, "unclaimed@qa.build", REV)).body, { ok: true, evidence: true });
      // A token naming no commit cannot tell: a runner naming no revision is taken at its word (the documented limit).
      assert.deepEqual((await succeed(await tokenAt(undefined), runId, "silent@qa.build")).body, { ok: true, evidence: true });
      for (const component of ["unclaimed", "silent"]) assert.deepEqual(await evidenceOf(component), { satisfied: true, runId });
    });

    it("a signed sha claim that is no full hex commit ID withholds evidence and says so", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = `bad-sha-${Date.now()}`;
      const claims: Record<string, unknown> = { ref: "refs/heads/main", short: "2222222", list: [REV], padded: ` ${REV}` };
      const jobs = Object.keys(claims).flatMap((name) => [`${name}@qa.build`, `${name}-silent@qa.build`]);
      assert.equal((await call(await tokenAt(undefined), "POST", "/v1/runs", { plan: { ...planOf(Object.fromEntries(jobs.map((j) => [j, []]))), revision: REV }, runId })).status, 201);
      const before = logged.length;
      const why = "its GitHub Actions OIDC token's sha claim is not a full hex commit ID, so the commit its workflow run is for cannot be checked";
      for (const [name, sha] of Object.entries(claims)) {
        const token = await issuer.sign(REPO, { claims: { sha } });
        assert.deepEqual((await succeed(token, runId, `${name}@qa.build`, REV)).body, { ok: true, evidence: false, evidenceWithheld: why }, name);
        assert.deepEqual((await succeed(token, runId, `${name}-silent@qa.build`)).body, { ok: true, evidence: false, evidenceWithheld: why }, `${name}, no revision`);
        const reason = why.replace(/^its /u, "the runner's ");
        assert.deepEqual(await evidenceOf(name), { satisfied: false, withheld: { runId, jobId: `${name}@qa.build`, cause: "oidc-commit", reason } });
        assert.deepEqual(await evidenceOf(`${name}-silent`), { satisfied: false, withheld: { runId, jobId: `${name}-silent@qa.build`, cause: "oidc-commit", reason } });
      }
      assert.equal(logged.length, before + jobs.length, logged.join("\n"));
      assert.ok(logged.slice(before).every((line) => line.endsWith(`'s success is no promotion evidence: ${why}`)), logged.join("\n"));
    });

    it("a reported revision's control and bidi characters are escaped in the answer and the log, in one style", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = `escape-${Date.now()}`;
      assert.equal((await call(await tokenAt(REV), "POST", "/v1/runs", { plan: { ...planOf({ "api@qa.build": [] }), revision: REV }, runId })).status, 201);
      const before = logged.length;
      const answer = await succeed(await tokenAt(OTHER), runId, "api@qa.build", "\u009b2J\u202eREV\u0007\u00e9\"\\");
      const ran = `the runner reported running "\\u{9b}2J\\u{202e}REV\\u{7}\\u{e9}\\"\\\\"`;
      const token = `GitHub Actions OIDC token is for commit ${OTHER.slice(0, 12)} (the commit its workflow run is for; the token's sha claim)`;
      const why = `${ran}, but its ${token}`;
      assert.deepEqual(answer.body, { ok: true, evidence: false, evidenceWithheld: why });
      assert.deepEqual(logged.slice(before), [`orun backend: run ${runId} of ${REPO}: job api@qa.build's success is no promotion evidence: ${why}`]);
      // Both causes at once: kept as one cause, the runner's text quoted once.
      const withheld = (await call(await tokenAt(undefined), "GET", `/v1/evidence?component=api&environment=qa&revision=${REV}`)).body;
      assert.deepEqual(withheld, {
        satisfied: false,
        withheld: { runId, jobId: "api@qa.build", cause: "other-code-and-oidc-commit", reason: `${ran}, not the run's revision ${REV.slice(0, 12)}; also, the runner's ${token}` },
      });
    });

    it("a runner that names no revision vouches for the run's only when its token is for that commit", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = `silent-${Date.now()}`;
      const jobs = ["elsewhere@qa.build", "here@qa.build", "shouting@qa.build"];
      assert.equal((await call(await tokenAt(REV), "POST", "/v1/runs", { plan: { ...planOf(Object.fromEntries(jobs.map((j) => [j, []]))), revision: REV }, runId })).status, 201);
      const before = logged.length;

      // A workflow run for another commit (a pull request's) leaves the field out: its word is not taken.
      const elsewhere = await succeed(await tokenAt(OTHER), runId, "elsewhere@qa.build");
      assert.equal(elsewhere.status, 200, elsewhere.text);
      const why = `the runner reported no revision, and its GitHub Actions OIDC token is for commit ${OTHER.slice(0, 12)} (the commit its workflow run is for; the token's sha claim), not the run's revision ${REV.slice(0, 12)}`;
      assert.deepEqual(elsewhere.body, { ok: true, evidence: false, evidenceWithheld: why });
      assert.deepEqual(logged.slice(before), [`orun backend: run ${runId} of ${REPO}: job elsewhere@qa.build's success is no promotion evidence: ${why}`]);
      const repeat = await call(await tokenAt(OTHER), "POST", `/v1/runs/${runId}/jobs/${enc("elsewhere@qa.build")}/update`, { runnerId: "r-elsewhere@qa.build", status: "success" });
      assert.deepEqual(repeat.body, { ok: true, evidence: false, evidenceWithheld: why }, "a repeat is answered alike");

      // A token for the run's commit (in either case) vouches for it.
      assert.deepEqual((await succeed(await tokenAt(REV), runId, "here@qa.build")).body, { ok: true, evidence: true });
      assert.deepEqual((await succeed(await tokenAt(REV.toUpperCase()), runId, "shouting@qa.build")).body, { ok: true, evidence: true });

      assert.equal((await call(await tokenAt(REV), "GET", `/v1/runs/${runId}`)).body.status, "completed", "the run completes all the same");
      assert.deepEqual(await evidenceOf("elsewhere"), { satisfied: false, withheld: { runId, jobId: "elsewhere@qa.build", cause: "oidc-commit", reason: why } });
      assert.deepEqual(await evidenceOf("here"), { satisfied: true, runId });
      assert.deepEqual(await evidenceOf("shouting"), { satisfied: true, runId });
      assert.equal(logged.length, before + 1, logged.join("\n"));
    });

    it("the claim is taken only from a token the backend verified: a forged one with the run's commit records nothing", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const runId = `forged-${Date.now()}`;
      assert.equal((await call(await tokenAt(REV), "POST", "/v1/runs", { plan: { ...planOf({ "api@qa.build": [] }), revision: REV }, runId })).status, 201);
      assert.equal((await call(await tokenAt(OTHER), "POST", `/v1/runs/${runId}/jobs/${enc("api@qa.build")}/claim`, { runnerId: "r" })).body.claimed, true);
      const { privateKey } = await generateKeyPair("RS256");
      const forged = await issuer.sign(REPO, { claims: { sha: REV }, key: privateKey });
      const refused = await call(forged, "POST", `/v1/runs/${runId}/jobs/${enc("api@qa.build")}/update`, { runnerId: "r", status: "success", revision: REV });
      assert.equal(refused.status, 401, refused.text);
      assert.equal((await call(await tokenAt(OTHER), "GET", `/v1/runs/${runId}/jobs/${enc("api@qa.build")}/status`)).body.status, "running", "nothing recorded");
    });
  });
}
