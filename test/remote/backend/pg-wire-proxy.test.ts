// The wire proxy the PostgreSQL session tests read what a client sent through: it must see every statement, a
// parameterized query's too. It saw simple-protocol queries ('Q') only, so a parameterized (extended-protocol) query
// sent before the session's SET statements would have passed an assertion that the SETs came first.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pg from "pg";
import { postgresUrl } from "../../support/postgres.js";
import { startPgWireProxy } from "../../support/pg-wire-proxy.js";

describe("the PostgreSQL wire proxy", () => {
  it("records simple and parameterized queries in the order sent, and rewrites either", async (t) => {
    const base = await postgresUrl();
    if (!base) return t.skip("PostgreSQL unavailable");
    const proxy = await startPgWireProxy(base, (query) => query.replace("+ 0", "+ 1"));
    const client = new pg.Client({ connectionString: proxy.url });
    try {
      await client.connect();
      const parameterized = await client.query<{ n: number }>("SELECT $1::int + 0 AS n", [41]);
      const simple = await client.query<{ n: number }>("SELECT 1 + 0 AS n");
      assert.deepEqual([parameterized.rows, simple.rows], [[{ n: 42 }], [{ n: 2 }]], "the server ran the rewritten texts");
      assert.equal(proxy.connections.length, 1);
      assert.deepEqual(proxy.connections[0]!.queries, ["SELECT $1::int + 0 AS n", "SELECT 1 + 0 AS n"]);
    } finally {
      await client.end().catch(() => undefined);
      await proxy.close();
    }
  });
});
