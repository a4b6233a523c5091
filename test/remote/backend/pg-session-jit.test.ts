// The PostgreSQL store's sessions run with JIT off: its queries are short OLTP reads and writes, and JIT compiled a
// promotion gate's evidence query at a revision of 500 runs for ~100 ms when the query ran in ~2 ms. What a session
// runs with is read inside the store's own session: a trigger on `tokens` records current_setting('jit') when the
// store inserts a token. A URL's own `?options=` still applies, after the store's.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openStore } from "../../../src/remote/backend/store/index.js";
import { createToken } from "../../../src/remote/backend/auth/tokens.js";
import { sql, testDatabase } from "../helpers.js";

const RECORD_JIT = [
  "CREATE TABLE session_jit (setting TEXT NOT NULL)",
  `CREATE FUNCTION record_jit() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN INSERT INTO session_jit VALUES (current_setting('jit')); RETURN NEW; END $$`,
  "CREATE TRIGGER record_jit AFTER INSERT ON tokens FOR EACH ROW EXECUTE FUNCTION record_jit()",
];

/** The jit setting of the store's session that inserted a token, the store opened at `storeUrl` (`url` plus options). */
async function jitOfStoreSession(url: string, storeUrl = url): Promise<string[]> {
  await (await openStore(url)).close(); // the backend's own migrations create `tokens`
  for (const text of RECORD_JIT) await sql(url, text);
  const store = await openStore(storeUrl);
  try {
    await createToken(store, "local:acme/app");
  } finally {
    await store.close();
  }
  return (await sql<{ setting: string }>(url, "SELECT setting FROM session_jit")).map((row) => row.setting);
}

describe("the PostgreSQL store's sessions", () => {
  it("run with jit off", async (t) => {
    const db = await testDatabase("postgres");
    if (!db) return t.skip("PostgreSQL unavailable");
    try {
      assert.deepEqual(await sql(db.url, "SHOW jit"), [{ jit: "on" }], "the server's default must be on for this test to tell");
      assert.deepEqual(await jitOfStoreSession(db.url), ["off"]);
    } finally {
      await db.cleanup();
    }
  });

  it("take the URL's own options after the store's, so ?options=-c jit=on turns it back on", async (t) => {
    const db = await testDatabase("postgres");
    if (!db) return t.skip("PostgreSQL unavailable");
    try {
      const withOptions = new URL(db.url);
      withOptions.searchParams.set("options", "-c jit=on");
      assert.deepEqual(await jitOfStoreSession(db.url, withOptions.toString()), ["on"]);
    } finally {
      await db.cleanup();
    }
  });
});
