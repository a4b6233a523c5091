// A database a newer backend migrated further than this one knows is
// refused at start-up, on SQLite and PostgreSQL, with its data untouched:
// an older replica must not write into a schema it was not written for.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { MIGRATIONS } from "../../../src/remote/backend/store/migrations.js";
import { openStore } from "../../../src/remote/backend/store/index.js";
import { sql, testDatabase, type StoreKind, type TestDatabase } from "../helpers.js";
import { spawnOrun } from "../processes.js";

const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`schema version on ${kind}`, () => {
    let db: TestDatabase | undefined;
    before(async () => {
      db = await testDatabase(kind);
    });
    after(() => db?.cleanup());

    it("refuses a database migrated by a newer backend, naming both versions, and changes nothing in it", async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const store = await openStore(db.url);
      await store.close();
      await sql(db.url, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [LATEST + 1, "from a newer orun", "2030-01-01T00:00:00.000Z"]);
      const before = await sql<{ version: number }>(db.url, "SELECT version FROM schema_migrations ORDER BY version");

      // A store opened by mistake is closed before failing: left open (a PostgreSQL pool), it kept this file running until CI's timeout.
      const opened = await openStore(db.url).catch((err: Error) => err);
      if (!(opened instanceof Error)) {
        await opened.close();
        assert.fail(`a database at schema version ${LATEST + 1} was opened by a backend that knows ${LATEST}`);
      }
      assert.match(opened.message, new RegExp(`cannot open database .*schema is at version ${LATEST + 1}, newer than this orun backend knows \\(${LATEST}\\)`));
      if (kind === "sqlite") {
        const proc = spawnOrun(["backend", "serve", "--port", "0", "--database", db.url]);
        // A backend that starts anyway would serve forever: stopped, it fails the assertions below.
        const timer = setTimeout(() => proc.child.kill("SIGKILL"), 30_000);
        const serve = await proc.done;
        clearTimeout(timer);
        assert.equal(serve.code, 1, serve.output);
        assert.match(serve.output, /✕ --database: cannot open database .*newer than this orun backend knows/);
        assert.doesNotMatch(serve.output, /listening on/);
      }
      assert.deepEqual(await sql<{ version: number }>(db.url, "SELECT version FROM schema_migrations ORDER BY version"), before);
    });
  });
}
