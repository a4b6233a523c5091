// `orun backend serve|token` with the values a newcomer gets wrong: each is
// refused before the server starts, with `✕ <message>` naming the flag (or
// the database), exit 1 — never a raw Node error, never a server that starts
// and then cannot do its job.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { shellScript } from "../support/bash.js";
import { killAllChildren, startBackendProcess } from "../remote/processes.js";
import { freshSchema } from "../support/postgres.js";

const created: string[] = [];
after(async () => {
  killAllChildren();
  await Promise.all(created.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-newcomer-backend-"));
  created.push(dir);
  return dir;
}

/** `backend serve` with a temp SQLite database; a server that wrongly starts is killed by the timeout and fails the exit-code check. */
async function serve(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = await tempDir();
  return runOrun(["backend", "serve", "--database", `sqlite:${path.join(dir, "b.db")}`, ...args], { cwd: dir, timeoutMs: 15_000 });
}

test("serve refuses a port outside 0-65535, naming --port", async () => {
  const result = await serve(["--port", "99999"]);
  assert.equal(result.code, 1, result.stdout);
  assert.equal(result.stderr, '✕ --port: expected a port number from 0 to 65535, got "99999"\n');
  const justAbove = await serve(["--port", "65536"]);
  assert.equal(justAbove.code, 1, justAbove.stdout);
  assert.equal(justAbove.stderr, '✕ --port: expected a port number from 0 to 65535, got "65536"\n');
});

test("serve refuses an --oidc-issuer that is not an http(s) URL (every OIDC runner would get 503s forever)", async () => {
  for (const issuer of ["notaurl", "ftp://issuer.example"]) {
    const result = await serve(["--port", "0", "--oidc-issuer", issuer]);
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, new RegExp(`^✕ --oidc-issuer: expected an https:// URL \\(http:// for a local test issuer\\), got "${issuer.replace(/[.:/]/g, "\\$&")}"\\n$`));
    assert.equal(result.stdout, "");
  }
});

test("serve refuses --max-log-size 0 (every log upload would be refused)", async () => {
  const result = await serve(["--port", "0", "--max-log-size", "0"]);
  assert.equal(result.code, 1, result.stdout);
  assert.equal(result.stderr, '✕ --max-log-size: expected at least 1 byte, got "0"\n');
});

test("serve on a port already in use names --port and says so, instead of Node's listen error", async (t) => {
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => busy.close(() => resolve())));
  const port = (busy.address() as net.AddressInfo).port;
  const result = await serve(["--port", String(port)]);
  assert.equal(result.code, 1, result.stdout);
  assert.equal(result.stderr, `✕ --port: cannot listen on 127.0.0.1:${port}: the address is already in use (another orun backend?); pick another --port\n`);
});

test("serve on an address that is not this machine's names --host", async () => {
  const result = await serve(["--port", "0", "--host", "999.1.1.1"]);
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stderr, /^✕ --host: cannot listen on 999\.1\.1\.1:0: /);
  assert.doesNotMatch(result.stderr, /getaddrinfo/);
});

test("token commands on a file that is not a database name the database and leave the file alone", async () => {
  const dir = await tempDir();
  const file = path.join(dir, "backend.db");
  await writeFile(file, "garbage, not SQLite\n".repeat(50));
  for (const args of [["list"], ["create", "--namespace", "local:acme/app"]]) {
    const result = await runOrun(["backend", "token", ...args, "--database", `sqlite:${file}`], { cwd: dir });
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, new RegExp(`^✕ --database: cannot open database sqlite:${file.replace(/[.]/g, "\\.")}: file is not a database\\n$`));
  }
  assert.equal(await readFile(file, "utf8"), "garbage, not SQLite\n".repeat(50));
});

test("token list with no tokens says so on stderr (stdout stays empty for scripts)", async () => {
  const dir = await tempDir();
  // A database that exists (token list refuses a missing one: a typo in the path must not make a new database).
  await writeFile(path.join(dir, "b.db"), "");
  const result = await runOrun(["backend", "token", "list", "--database", `sqlite:${path.join(dir, "b.db")}`], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr, "no tokens (create one with: orun backend token create --namespace local:<owner/repo>)\n");
});

test("serve --help shows no '(default: [])' for the allow-lists and names the environment variables", async () => {
  const result = await runOrun(["backend", "serve", "--help"]);
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stdout, /default: \[\]/);
  const flat = result.stdout.replace(/\s+/g, " ");
  assert.match(flat, /env ORUN_BACKEND_DATABASE/);
  assert.match(flat, /env ORUN_OIDC_ISSUER/);
});

test("serve refuses an empty --host (Node would bind every interface while the banner said 127.0.0.1)", async () => {
  const result = await serve(["--port", "0", "--host", ""]);
  assert.equal(result.code, 1, result.stdout);
  assert.equal(result.stderr, "✕ --host: empty; use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)\n");
});

test("serve on 0.0.0.0 says it listens on every interface", async () => {
  const dir = await tempDir();
  const backend = await startBackendProcess(`sqlite:${path.join(dir, "b.db")}`, ["--host", "0.0.0.0"]);
  await backend.stop();
  assert.match(backend.proc.output(), /^orun backend listening on http:\/\/127\.0\.0\.1:\d+ on every interface \(--host 0\.0\.0\.0\) \(database /m);
});

test("token create's revoke hint names the database it used; pasted in a folder with another database, revoke names the one it searched", async (t) => {
  const schema = await freshSchema();
  if (!schema) return t.skip("no PostgreSQL");
  t.after(() => schema.drop());
  const dir = await tempDir();
  // The laptop recipe: this folder also holds a SQLite backend.db of its own.
  const local = await runOrun(["backend", "token", "create", "--namespace", "local:acme/other", "--database", "sqlite:.orun/backend.db"], { cwd: dir });
  assert.equal(local.code, 0, local.stderr);
  // `&` before the schema: unquoted in the printed command, it ended the command there, and the revoke searched
  // another schema.
  const parsed = new URL(schema.url);
  parsed.search = `?sslmode=disable&schema=${parsed.searchParams.get("schema") ?? ""}`;
  const url = parsed.toString();
  const created = await runOrun(["backend", "token", "create", "--namespace", "local:acme/app", "--database", url], { cwd: dir });
  assert.equal(created.code, 0, created.stderr);
  // The URL is one shell word: quoted, as it holds `?schema=`.
  const hint = /\(revoke with: (orun backend token revoke (tok_\w+) --database ('[^']*'|\S+))(.*)\)\n$/.exec(created.stderr);
  assert.ok(hint, created.stderr);
  const [, printed, id, shown, rest] = hint;
  const masked = new URL(schema.url).password !== "";
  if (masked) {
    assert.match(shown, /:\*\*\*@/);
    assert.match(rest, /with the password in place of \*\*\*/);
  }
  // The bare command searches this folder's SQLite database and names it.
  const bare = await runOrun(["backend", "token", "revoke", id], { cwd: dir });
  assert.equal(bare.code, 1);
  assert.ok(bare.stderr.startsWith(`✕ no active token with id "${id}" in database sqlite:${path.join(dir, ".orun/backend.db")} (`), bare.stderr);
  assert.match(bare.stderr, /name that one \(--database/);
  // The printed command, pasted into sh (with the password supplied), revokes it in PostgreSQL.
  const bin = await tempDir();
  await writeFile(path.join(bin, "orun"), `#!/bin/sh\nexec "${process.execPath}" "${ORUN_BIN}" "$@"\n`, { mode: 0o755 });
  const line = masked ? printed!.replace("***", new URL(schema.url).password) : printed!;
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` };
  delete env.ORUN_BACKEND_DATABASE;
  const revoked = await shellScript("sh", line, dir, env);
  assert.equal(revoked.code, 0, revoked.output);
  assert.doesNotMatch(revoked.output, /✕/);
  const listed = await runOrun(["backend", "token", "list", "--database", schema.url], { cwd: dir });
  assert.match(listed.stdout, new RegExp(`^${id}\\tlocal:acme/app\\trevoked `, "m"));
});

test("token create with the default SQLite database prints its absolute path in the revoke hint", async () => {
  const dir = await tempDir();
  const created = await runOrun(["backend", "token", "create", "--namespace", "local:acme/app", "--database", "sqlite:b.db"], { cwd: dir });
  assert.equal(created.code, 0, created.stderr);
  const id = /created token (tok_\w+)/.exec(created.stderr)?.[1];
  assert.ok(created.stderr.endsWith(`(revoke with: orun backend token revoke ${id} --database sqlite:${path.join(dir, "b.db")})\n`), created.stderr);
  const elsewhere = await tempDir();
  const revoked = await runOrun(["backend", "token", "revoke", id!, "--database", `sqlite:${path.join(dir, "b.db")}`], { cwd: elsewhere });
  assert.equal(revoked.code, 0, revoked.stderr);
});
