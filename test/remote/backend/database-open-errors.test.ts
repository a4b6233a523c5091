// A backend database that cannot be opened — PostgreSQL refusing the connection, a bad password, an unknown
// database, a SQLite path that cannot be created, a default file that is no database — is refused naming where its
// URL came from (--database or ORUN_BACKEND_DATABASE, whichever gave it, or that it is the default), the URL with
// its password hidden. These said `cannot open database …` alone, so a user with both a flag and the variable in
// play could not tell which to fix. Real processes: `orun backend token list` and `orun backend serve` against the
// PostgreSQL of scripts/setup-postgres.sh and real files.
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { runOrun } from "../../support/cli.js";
import { postgresUrl } from "../../support/postgres.js";
import { closedPort } from "../../support/wait.js";

const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-db-open-errors-"));
  dirs.push(dir);
  return dir;
}

/** `url` as the messages show it: the password hidden. */
function shown(url: URL): string {
  return url.toString().replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");
}

/** `orun backend token list` with the database given by `--database` or by ORUN_BACKEND_DATABASE. */
async function tokenList(database: string, by: "flag" | "env"): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cwd = await tempDir();
  return by === "flag"
    ? runOrun(["backend", "token", "list", "--database", database], { cwd, env: { ORUN_BACKEND_DATABASE: "" } })
    : runOrun(["backend", "token", "list"], { cwd, env: { ORUN_BACKEND_DATABASE: database } });
}

describe("a backend database that cannot be opened", () => {
  it("PostgreSQL refusing a bad password, an unknown database or the connection names --database or ORUN_BACKEND_DATABASE", async (t) => {
    const base = await postgresUrl();
    if (!base) return t.skip("PostgreSQL unavailable");
    const badPassword = new URL(base);
    badPassword.password = "not-the-password-s3cret";
    const unknown = new URL(base);
    unknown.pathname = "/orun_no_such_database";
    const refused = new URL(base);
    refused.port = String(await closedPort());
    const cases = [
      { url: badPassword, by: "flag", source: "--database", reason: /password authentication failed/ },
      { url: badPassword, by: "env", source: "ORUN_BACKEND_DATABASE", reason: /password authentication failed/ },
      { url: unknown, by: "flag", source: "--database", reason: /database "orun_no_such_database" does not exist/ },
      { url: refused, by: "env", source: "ORUN_BACKEND_DATABASE", reason: /ECONNREFUSED/ },
    ] as const;
    for (const { url, by, source, reason } of cases) {
      const result = await tokenList(url.toString(), by);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stdout, "");
      assert.ok(result.stderr.startsWith(`✕ ${source}: cannot open database ${shown(url)}: `), result.stderr);
      assert.match(result.stderr, reason);
      assert.doesNotMatch(result.stderr, /s3cret/);
    }
  });

  it("a SQLite path that cannot be created names --database, and serve refuses it before listening", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "not-a-folder");
    await writeFile(file, "a file where a folder would have to be\n");
    const database = `sqlite:${path.join(file, "backend.db")}`;
    // token create makes a missing database, as serve does (token list refuses one that does not exist).
    const created = await runOrun(["backend", "token", "create", "--namespace", "local:acme/app", "--database", database], { cwd: dir, env: { ORUN_BACKEND_DATABASE: "" } });
    assert.equal(created.code, 1, created.stderr);
    assert.ok(created.stderr.startsWith(`✕ --database: cannot open database ${database}: `), created.stderr);
    assert.match(created.stderr, /EEXIST|ENOTDIR/);
    const served = await runOrun(["backend", "serve", "--port", "0"], { cwd: dir, env: { ORUN_BACKEND_DATABASE: database }, timeoutMs: 15_000 });
    assert.equal(served.code, 1, served.stdout);
    assert.equal(served.stdout, "");
    assert.ok(served.stderr.startsWith(`✕ ORUN_BACKEND_DATABASE: cannot open database ${database}: `), served.stderr);
  });

  it("the default database, named by no setting, says it is the default and how to name another", async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, ".orun"));
    const file = path.join(dir, ".orun/backend.db");
    await writeFile(file, "garbage, not SQLite\n".repeat(50));
    const served = await runOrun(["backend", "serve", "--port", "0"], { cwd: dir, env: { ORUN_BACKEND_DATABASE: "" }, timeoutMs: 15_000 });
    assert.equal(served.code, 1, served.stdout);
    assert.equal(
      served.stderr,
      `✕ cannot open database sqlite:${file}: file is not a database (the default database: name another with --database or ORUN_BACKEND_DATABASE)\n`,
    );
  });
});
