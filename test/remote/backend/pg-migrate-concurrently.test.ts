// Replicas starting together on a fresh PostgreSQL schema (?schema=) migrate it once: migrate() takes an advisory lock
// before CREATE SCHEMA. Without it, concurrent CREATE SCHEMA / CREATE TABLE IF NOT EXISTS race in PostgreSQL's catalog
// and all but one replica fail to start ("duplicate key value violates unique constraint").
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { openStore } from "../../../src/remote/backend/store/index.js";
import { MIGRATIONS } from "../../../src/remote/backend/store/migrations.js";
import { sql } from "../helpers.js";
import { postgresUrl } from "../../support/postgres.js";

describe("backend replicas opening one fresh PostgreSQL schema together", () => {
  it("all start, and each migration is applied once", async (t) => {
    const base = await postgresUrl();
    if (!base) return t.skip("PostgreSQL unavailable");
    const schema = `orun_t_${randomBytes(5).toString("hex")}`;
    const url = new URL(base);
    url.searchParams.set("schema", schema);
    try {
      const opened = await Promise.allSettled(Array.from({ length: 6 }, () => openStore(url.toString())));
      await Promise.all(opened.map((o) => (o.status === "fulfilled" ? o.value.close() : undefined)));
      assert.deepEqual(opened.filter((o) => o.status === "rejected").map((o) => String((o as PromiseRejectedResult).reason)), []);
      const versions = await sql<{ version: number }>(base, `SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
      assert.deepEqual(versions.map((r) => Number(r.version)), MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
    } finally {
      await sql(base, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });
});
