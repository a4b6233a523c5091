// Errors in a PostgreSQL --database URL itself, before any connection: an invalid ?schema= name, or ?schema= beside a
// search_path in the startup options. Both are worded as the other database errors are ("cannot open database URL",
// the password hidden) and name where the URL came from, --database or ORUN_BACKEND_DATABASE, as other settings'
// errors name theirs. An invalid ?schema= was a plain Error ("invalid PostgreSQL schema name") naming neither the
// database nor the rule; the search_path conflict named no source and echoed the options text unescaped.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { openStore } from "../../../src/remote/backend/store/index.js";
import { postgresUrl } from "../../support/postgres.js";
import { killAllChildren, spawnOrun } from "../processes.js";

const RULE = "use 1 to 63 ASCII letters, digits and underscores, not starting with a digit";

/** `url` as the messages show it: the password hidden. */
function shown(url: URL): string {
  return url.toString().replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");
}

describe("a PostgreSQL --database URL in error", () => {
  after(() => killAllChildren());

  it("an invalid ?schema= is refused as the database's error, naming the value, the rule and the source", async (t) => {
    const base = await postgresUrl();
    if (!base) return t.skip("PostgreSQL unavailable");
    const url = new URL(base);
    url.searchParams.set("schema", "bad-name");
    await assert.rejects(openStore(url.toString()), {
      name: "OrunError",
      message: `--database: cannot open database ${shown(url)}: invalid PostgreSQL ?schema= "bad-name": ${RULE}`,
    });
    // A control character in the name is shown escaped, not sent to the terminal.
    url.searchParams.set("schema", "a\u001b[2J");
    await assert.rejects(openStore(url.toString(), "ORUN_BACKEND_DATABASE"), {
      message: `ORUN_BACKEND_DATABASE: cannot open database ${shown(url)}: invalid PostgreSQL ?schema= "a\\u{1b}[2J": ${RULE}`,
    });
  });

  it("orun backend token list names --database or ORUN_BACKEND_DATABASE, whichever gave the URL", async (t) => {
    const base = await postgresUrl();
    if (!base) return t.skip("PostgreSQL unavailable");
    const badSchema = new URL(base);
    badSchema.searchParams.set("schema", "bad-name");
    const byFlag = await spawnOrun(["backend", "token", "list", "--database", badSchema.toString()], { env: { ORUN_BACKEND_DATABASE: "" } }).done;
    assert.equal(byFlag.code, 1, byFlag.output);
    assert.ok(byFlag.output.includes(`--database: cannot open database ${shown(badSchema)}: invalid PostgreSQL ?schema= "bad-name": ${RULE}`), byFlag.output);
    const conflict = new URL(base);
    conflict.searchParams.set("schema", "orun_state");
    const byEnv = await spawnOrun(["backend", "token", "list"], { env: { ORUN_BACKEND_DATABASE: conflict.toString(), PGOPTIONS: "-c search_path=public" } }).done;
    assert.equal(byEnv.code, 1, byEnv.output);
    assert.ok(
      byEnv.output.includes(
        `ORUN_BACKEND_DATABASE: cannot open database ${shown(conflict)}: PostgreSQL ?schema=orun_state and a search_path in PGOPTIONS ("-c search_path=public") both choose the schema: keep one of them`,
      ),
      byEnv.output,
    );
  });
});
