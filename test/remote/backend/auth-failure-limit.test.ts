// Failed authentications are limited per client address: past the address's allowance a request is a 429
// before its credentials are checked (no token lookup), but a token this backend has already accepted still
// gets in — runners behind one NAT address keep working while something there sends bad tokens.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startBackend, type RunningBackend } from "../../../src/remote/backend/server.js";
import { openStore } from "../../../src/remote/backend/store/index.js";
import type { Store } from "../../../src/remote/backend/store/types.js";
import { api, testDatabase, tokenFor, type TestDatabase } from "../helpers.js";

describe("failed authentications per client address", () => {
  let db: TestDatabase;
  let store: Store;
  let backend: RunningBackend;
  let lookups = 0;
  before(async () => {
    db = (await testDatabase("sqlite"))!;
    store = await openStore(db.url);
    // Counts the token lookups a request costs: a limited one must cost none.
    const counted: Store = Object.create(store) as Store;
    counted.findTokenByHash = (hash) => (lookups++, store.findTokenByHash(hash));
    // A refill this slow never adds a token during the test: the answers do not depend on its speed.
    const options = { store: counted, log: () => undefined, authFailureLimit: { capacity: 3, refillPerSecond: 0.01 } };
    backend = await startBackend(options);
  });
  after(async () => {
    await backend?.close();
    await store?.close();
    await db?.cleanup();
  });

  it("answers 429 past the allowance without checking the credentials, and lets tokens it has accepted in", async () => {
    const known = await tokenFor(store, "acme/known");
    const get = (token: string | undefined) => api(backend.url, token, "GET", "/v1/runs/none");
    assert.equal((await get(known)).status, 404, "an accepted token (the run does not exist)");

    for (let i = 0; i < 3; i++) assert.equal((await get(`orun_bad${i}`)).status, 401, `bad token ${i + 1}: within the allowance`);
    const before = lookups;
    for (const token of ["orun_bad3", undefined, "a.b.c"]) {
      const res = await get(token);
      assert.equal(res.status, 429, `${token}: ${res.text}`);
      assert.equal(res.body.code, "RATE_LIMITED");
      assert.match(String(res.body.error), /^Too many failed authentications from this address; retry after \d+ s$/);
      assert.ok(Number(res.headers.get("retry-after")) >= 1, "says when to retry");
    }
    assert.equal(lookups, before, "no token was looked up for a limited request");

    // The runner that authenticated before is not locked out; a token never seen waits like the bad ones.
    assert.equal((await get(known)).status, 404);
    const fresh = await tokenFor(store, "acme/fresh");
    assert.equal((await get(fresh)).status, 429);
  });
});

describe("a token accepted before lets its bearer past a limited address for two hours only", () => {
  let db: TestDatabase;
  let store: Store;
  let backend: RunningBackend;
  // The limiter's own clock: the test moves it past the two hours instead of waiting.
  let clock = Date.parse("2026-01-01T00:00:00Z");
  before(async () => {
    db = (await testDatabase("sqlite"))!;
    store = await openStore(db.url);
    backend = await startBackend({ store, log: () => undefined, authFailureLimit: { capacity: 1, refillPerSecond: 0.0001, now: () => clock } });
  });
  after(async () => {
    await backend?.close();
    await store?.close();
    await db?.cleanup();
  });

  it("is let in just before the two hours are up, and waits like a new token once they are", async () => {
    const get = (token: string) => api(backend.url, token, "GET", "/v1/runs/none");
    const early = await tokenFor(store, "acme/early");
    const late = await tokenFor(store, "acme/late");
    assert.equal((await get(early)).status, 404, "accepted at the start");
    assert.equal((await get(late)).status, 404, "accepted at the start");
    assert.equal((await get("orun_bad")).status, 401, "within the allowance of one");
    assert.equal((await get("orun_bad")).status, 429, "the address is limited");
    // 0.0001 tokens a second: after 2 h 1 s the address has less than one token back, so it is still limited.
    clock += 2 * 3600_000 - 1_000;
    assert.equal((await get(early)).status, 404, "accepted 1 s short of two hours ago: let in (and counted accepted anew)");
    clock += 2_000;
    const res = await get(late);
    assert.equal(res.status, 429, `accepted 2 h 1 s ago: no longer let past the limited address (${res.text})`);
    assert.equal((await get(early)).status, 404, "accepted 1 s ago");
  });
});
