// `?schema=` names a PostgreSQL schema exactly as written, upper case included: the store creates it quoted, so its
// search_path must quote it too. Unquoted, search_path folded MySchema to myschema, a schema that did not exist, and
// opening failed with "no schema has been selected to create in".
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { openStore } from "../../../src/remote/backend/store/index.js";
import { createToken } from "../../../src/remote/backend/auth/tokens.js";
import { sql } from "../helpers.js";
import { postgresUrl } from "../../support/postgres.js";

describe("a PostgreSQL ?schema= with upper-case letters", () => {
  it("opens the store in that schema, spelled as given", async (t) => {
    const base = await postgresUrl();
    if (!base) return t.skip("PostgreSQL unavailable");
    const schema = `Orun_T_${randomBytes(5).toString("hex")}`;
    const url = new URL(base);
    url.searchParams.set("schema", schema);
    try {
      const store = await openStore(url.toString());
      try {
        await createToken(store, "local:acme/app");
      } finally {
        await store.close();
      }
      const tokens = await sql<{ count: string }>(base, `SELECT count(*) AS count FROM "${schema}".tokens`);
      assert.deepEqual(tokens, [{ count: "1" }]);
      assert.deepEqual(await sql(base, "SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema.toLowerCase()]), [], "no case-folded twin");
    } finally {
      await sql(base, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });
});
