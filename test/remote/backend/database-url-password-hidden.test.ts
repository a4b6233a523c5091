// A PostgreSQL password given as a `?password=` query parameter (node-postgres takes it) is hidden wherever orun
// prints the database URL, as one in `user:pass@` is (docs/remote-state.md: "masked as ***"): the errors of a
// connection or of the URL itself, the `backend serve` banner and the token create's revoke hint printed it in clear
// (rev24 finding 2). Real `orun backend` processes; PostgreSQL on loopback for the banner and the revoke hint.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { freshSchema } from "../../support/postgres.js";
import { closedPort } from "../../support/wait.js";
import { killAllChildren, spawnOrun, startBackendProcess } from "../processes.js";

const SECRET = "s3cret-Zq9";

/** `url` with its `user:pass@` password moved into a `?password=` parameter (`name`: the parameter as typed). */
function passwordInQuery(url: string, name = "password"): { url: string; password: string } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = "";
  return { url: `${parsed.toString()}${parsed.search ? "&" : "?"}${name}=${encodeURIComponent(password)}`, password };
}

describe("a database URL's ?password= parameter", () => {
  after(() => killAllChildren());

  it("is hidden in the connection error and in the URL's own error", async () => {
    const port = await closedPort();
    const unreachable = `postgres://orun@127.0.0.1:${port}/orun?password=${SECRET}`;
    const refused = await spawnOrun(["backend", "token", "list", "--database", unreachable], { env: { ORUN_BACKEND_DATABASE: "" } }).done;
    assert.equal(refused.code, 1, refused.output);
    assert.ok(refused.output.includes(`cannot open database postgres://orun@127.0.0.1:${port}/orun?password=***`), refused.output);
    assert.ok(!refused.output.includes(SECRET), refused.output);

    // Named as URLSearchParams decodes it (pass%77ord), and libpq's sslpassword, in the ?schema= error.
    const badSchema = `postgres://orun@127.0.0.1:${port}/orun?pass%77ord=${SECRET}&sslpassword=${SECRET}&schema=bad-name`;
    const byEnv = await spawnOrun(["backend", "token", "list"], { env: { ORUN_BACKEND_DATABASE: badSchema } }).done;
    assert.equal(byEnv.code, 1, byEnv.output);
    assert.ok(byEnv.output.includes(`ORUN_BACKEND_DATABASE: cannot open database postgres://orun@127.0.0.1:${port}/orun?pass%77ord=***&sslpassword=***&schema=bad-name: invalid PostgreSQL ?schema=`), byEnv.output);
    assert.ok(!byEnv.output.includes(SECRET), byEnv.output);
  });

  it("is hidden in the backend serve banner and the token's revoke hint, and still connects", async (t) => {
    const schema = await freshSchema();
    if (!schema) return t.skip("PostgreSQL unavailable");
    t.after(() => schema.drop());
    const { url, password } = passwordInQuery(schema.url);
    assert.ok(password.length > 0, "the test database has a password");
    const created = await spawnOrun(["backend", "token", "create", "--namespace", "local:acme/widgets", "--database", url], { env: { ORUN_BACKEND_DATABASE: "" } }).done;
    assert.equal(created.code, 0, created.output);
    assert.match(created.output, /revoke with: orun backend token revoke tok_\S+ --database '[^']*\?schema=orun_t_[0-9a-f]+&password=\*\*\*', with the password in place of \*\*\*/);
    assert.ok(!created.output.includes(`password=${encodeURIComponent(password)}`), created.output);

    const backend = await startBackendProcess(url);
    t.after(() => backend.stop());
    const banner = /orun backend listening on [^\n]*\n/.exec(backend.proc.output())?.[0] ?? "";
    assert.match(banner, /\(database postgres:\/\/[^ ]*\?schema=orun_t_[0-9a-f]+&password=\*\*\*, /);
    assert.ok(!banner.includes(`password=${encodeURIComponent(password)}`), banner);
  });
});
