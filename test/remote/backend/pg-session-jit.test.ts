// The PostgreSQL store's sessions run with JIT off: its queries are short OLTP reads and writes, and JIT compiled a
// promotion gate's evidence query at a revision of 500 runs for ~100 ms when the query ran in ~2 ms. What a session
// runs with is read inside the store's own session: a trigger on `tokens` records current_setting('jit') when the
// store inserts a token. JIT is turned off with `SET jit = off` once a session is open, not as a startup option:
// PgBouncer refuses a startup `options` it does not know ("unsupported startup parameter: options"); the URL's
// `?schema=` is applied the same way (`SET search_path`), so only a URL's own `?options=` is a startup option. What each
// connection sent (the pool's and the LISTEN connection's) is seen through a wire proxy in front of PostgreSQL.
// A URL's own `?options=` setting jit wins, the last `options=` when there are several (as libpq). PGOPTIONS counts
// only for a URL without `options`: an empty `?options=` is no options (as libpq), not a way back to PGOPTIONS.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openStore } from "../../../src/remote/backend/store/index.js";
import { createToken } from "../../../src/remote/backend/auth/tokens.js";
import { sql, testDatabase } from "../helpers.js";
import { startPgWireProxy } from "../../support/pg-wire-proxy.js";

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

  it("read the setting's name in any case, as PostgreSQL does: ?options=-c JIT=on turns it back on too", async (t) => {
    const db = await testDatabase("postgres");
    if (!db) return t.skip("PostgreSQL unavailable");
    try {
      const withOptions = new URL(db.url);
      withOptions.searchParams.set("options", "-c JIT=on");
      assert.deepEqual(await jitOfStoreSession(db.url, withOptions.toString()), ["on"]);
    } finally {
      await db.cleanup();
    }
  });

  it("take the last of several ?options=, as libpq does", async (t) => {
    const db = await testDatabase("postgres");
    if (!db) return t.skip("PostgreSQL unavailable");
    try {
      const twice = new URL(db.url);
      twice.searchParams.append("options", "-c jit=off");
      twice.searchParams.append("options", "-c jit=on");
      assert.deepEqual(await jitOfStoreSession(db.url, twice.toString()), ["on"]);
    } finally {
      await db.cleanup();
    }
  });

  it("send no startup option of their own, set the schema and turn JIT off in every session, the LISTEN connection's too", async (t) => {
    const db = await testDatabase("postgres");
    if (!db) return t.skip("PostgreSQL unavailable");
    const proxy = await startPgWireProxy(db.url);
    try {
      const schema = new URL(db.url).searchParams.get("schema")!;
      const store = await openStore(proxy.url);
      try {
        await createToken(store, "local:acme/app");
      } finally {
        await store.close();
      }
      assert.ok(proxy.connections.length >= 2, `a pool connection and the LISTEN connection, saw ${proxy.connections.length}`);
      const prepared = [`SET search_path TO "${schema}"`, "SET jit = off"];
      for (const seen of proxy.connections) {
        assert.equal(seen.startup.options, undefined, "?schema= travels as a SET, not as a startup option PgBouncer refuses");
        assert.deepEqual(seen.queries.slice(0, 2), prepared, `first statements of a session: ${JSON.stringify(seen.queries)}`);
      }
      const listening = proxy.connections.filter((seen) => seen.queries.some((query) => query.startsWith("LISTEN ")));
      assert.deepEqual(listening.map((seen) => seen.queries), [[...prepared, `LISTEN "orun_run_changed_${schema}"`]]);
    } finally {
      await proxy.close();
      await db.cleanup();
    }
  });

  it("send the URL's own ?options= as the startup option, as given", async (t) => {
    const db = await testDatabase("postgres");
    if (!db) return t.skip("PostgreSQL unavailable");
    const withOptions = new URL(db.url);
    withOptions.searchParams.set("options", "-c statement_timeout=60000");
    const proxy = await startPgWireProxy(withOptions.toString());
    try {
      await (await openStore(proxy.url)).close();
      assert.ok(proxy.connections.length > 0, "the store connected through the proxy");
      for (const seen of proxy.connections) assert.equal(seen.startup.options, "-c statement_timeout=60000");
    } finally {
      await proxy.close();
      await db.cleanup();
    }
  });

  it("take PGOPTIONS only for a URL without ?options=: an empty one is no options, as a non-empty one ignores PGOPTIONS", async (t) => {
    const db = await testDatabase("postgres");
    if (!db) return t.skip("PostgreSQL unavailable");
    const proxy = await startPgWireProxy(db.url);
    const saved = process.env.PGOPTIONS;
    try {
      await (await openStore(db.url)).close(); // migrations first, not through the proxy
      for (const text of RECORD_JIT) await sql(db.url, text);
      process.env.PGOPTIONS = "-c jit=on";
      const sessionJit = async (storeUrl: string) => {
        proxy.connections.length = 0;
        await sql(db.url, "DELETE FROM session_jit");
        const store = await openStore(storeUrl);
        try {
          await createToken(store, "local:acme/app");
        } finally {
          await store.close();
        }
        const sent = proxy.connections.map((seen) => seen.startup.options);
        return { sent: [...new Set(sent)], jit: (await sql<{ setting: string }>(db.url, "SELECT setting FROM session_jit")).map((row) => row.setting) };
      };
      assert.deepEqual(await sessionJit(proxy.url), { sent: ["-c jit=on"], jit: ["on"] }, "no ?options=: PGOPTIONS is sent and its jit left alone");
      const empty = new URL(proxy.url);
      empty.searchParams.set("options", "");
      assert.deepEqual(await sessionJit(empty.toString()), { sent: [undefined], jit: ["off"] }, "an empty ?options=: no startup options, PGOPTIONS ignored");
      const own = new URL(proxy.url);
      own.searchParams.set("options", "-c statement_timeout=60000");
      assert.deepEqual(await sessionJit(own.toString()), { sent: ["-c statement_timeout=60000"], jit: ["off"] }, "a non-empty ?options=: PGOPTIONS ignored");
    } finally {
      if (saved === undefined) delete process.env.PGOPTIONS;
      else process.env.PGOPTIONS = saved;
      await proxy.close();
      await db.cleanup();
    }
  });

  it("refuse ?schema= with a search_path in ?options= or PGOPTIONS, naming both, before connecting", async (t) => {
    const db = await testDatabase("postgres");
    if (!db) return t.skip("PostgreSQL unavailable");
    const proxy = await startPgWireProxy(db.url);
    const schema = new URL(db.url).searchParams.get("schema")!;
    const saved = process.env.PGOPTIONS;
    try {
      const both = new URL(proxy.url);
      both.searchParams.set("options", "-c search_path=public");
      const shown = (url: URL | string) => String(url).replace(/:[^:@/]*@/, ":***@");
      await assert.rejects(openStore(both.toString()), {
        name: "OrunError",
        message: `--database: cannot open database ${shown(both)}: PostgreSQL ?schema=${schema} and a search_path in the URL's ?options= ("-c search_path=public") both choose the schema: keep one of them`,
      });
      process.env.PGOPTIONS = "--search_path=public";
      await assert.rejects(openStore(proxy.url, "ORUN_BACKEND_DATABASE"), {
        message: `ORUN_BACKEND_DATABASE: cannot open database ${shown(proxy.url)}: PostgreSQL ?schema=${schema} and a search_path in PGOPTIONS ("--search_path=public") both choose the schema: keep one of them`,
      });
      // The options text is the user's, shown escaped: an escape sequence in it would drive the terminal.
      process.env.PGOPTIONS = "--search_path=public \u001b[2J\u202e";
      await assert.rejects(openStore(proxy.url), (err: Error) => {
        assert.ok(err.message.endsWith(`in PGOPTIONS ("--search_path=public \\u{1b}[2J\\u{202e}") both choose the schema: keep one of them`), err.message);
        return true;
      });
      assert.deepEqual(proxy.connections, [], "refused before connecting");
    } finally {
      if (saved === undefined) delete process.env.PGOPTIONS;
      else process.env.PGOPTIONS = saved;
      await proxy.close();
      await db.cleanup();
    }
  });

  it("open on a server without the jit setting, where SET jit is an unrecognized parameter", async (t) => {
    const db = await testDatabase("postgres");
    if (!db) return t.skip("PostgreSQL unavailable");
    // The real server answers for a server that lacks the setting: the proxy renames it to one no server has.
    const proxy = await startPgWireProxy(db.url, (query) => query.replace("SET jit = off", "SET orun_no_such_setting = off"));
    try {
      assert.deepEqual(await jitOfStoreSession(db.url, proxy.url), ["on"]);
    } finally {
      await proxy.close();
      await db.cleanup();
    }
  });

  it("fail to open, with the server's error, when SET jit fails for another reason", async (t) => {
    const db = await testDatabase("postgres");
    if (!db) return t.skip("PostgreSQL unavailable");
    const proxy = await startPgWireProxy(db.url, (query) => query.replace("SET jit = off", "SET jit = bogus"));
    try {
      await assert.rejects(openStore(proxy.url), /cannot open database .*parameter "jit" requires a Boolean value/);
      assert.ok(proxy.connections.length > 0, "the store connected through the proxy");
    } finally {
      await proxy.close();
      await db.cleanup();
    }
  });
});
