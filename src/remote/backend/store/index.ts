// `--database` → a store: `sqlite:PATH` (default `sqlite:.orun/backend.db`) or
// `postgres://…` / `postgresql://…` (optional `?schema=name`).
import { existsSync } from "node:fs";
import path from "node:path";
import { OrunError, errorMessage } from "../../../util/errors.js";
import { printable } from "../../../util/printable.js";
import { openPostgresStore } from "./postgres.js";
import { openSqliteStore } from "./sqlite.js";
import type { Store } from "./types.js";

export const DEFAULT_DATABASE = "sqlite:.orun/backend.db";

/**
 * Opens and migrates the store `database` names. `source` is where the URL came from (`--database`, or the
 * environment variable that stood for it): every error names it, as other settings' errors name theirs, so a
 * refused connection or a bad password says which setting to fix. null for the default database, which no
 * setting named.
 */
export async function openStore(database: string = DEFAULT_DATABASE, source: string | null = "--database"): Promise<Store> {
  const shown = printable(redact(database));
  const setting = source ?? "--database";
  // A SQLite file by its absolute path, a URL without its password.
  const cannotOpen = (err: unknown) =>
    new OrunError(`${source ? `${source}: ` : ""}cannot open database ${printable(describeDatabase(database))}: ${errorMessage(err)}`, {
      cause: err,
      hint: source ? undefined : "the default database: name another with --database or ORUN_BACKEND_DATABASE",
    });
  let store: Store;
  if (database.startsWith("sqlite:")) {
    const file = sqlitePath(database);
    if (!file) throw new OrunError(`${setting} ${shown}: missing file path (e.g. sqlite:.orun/backend.db)`);
    try {
      store = openSqliteStore(file);
    } catch (err) {
      throw cannotOpen(err);
    }
  } else if (/^postgres(ql)?:\/\//.test(database)) {
    try {
      store = openPostgresStore(database);
    } catch (err) {
      throw cannotOpen(err);
    }
  } else {
    throw new OrunError(`${setting} "${shown}": expected sqlite:PATH or postgres://user:pass@host:port/db`);
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw cannotOpen(err);
  }
  return store;
}

/** The file of a `sqlite:PATH` database as given ("" when missing); undefined for any other database. */
function sqlitePath(database: string): string | undefined {
  return database.startsWith("sqlite:") ? database.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "") : undefined;
}

/** The absolute file of a `sqlite:PATH` database (relative to the working directory); undefined for PostgreSQL or `:memory:`. */
export function sqliteFile(database: string): string | undefined {
  const file = sqlitePath(database);
  return file && file !== ":memory:" ? path.resolve(file) : undefined;
}

/**
 * A SQLite database that opening `database` will create (the file missing): its file and the first of its folders
 * that is missing too, if any (opening creates them). Undefined for an existing file, PostgreSQL or `:memory:`.
 */
export function newSqliteDatabase(database: string): { file: string; folder?: string } | undefined {
  const file = sqliteFile(database);
  if (!file || existsSync(file)) return undefined;
  let folder: string | undefined;
  for (let dir = path.dirname(file); !existsSync(dir) && path.dirname(dir) !== dir; dir = path.dirname(dir)) folder = dir;
  return { file, ...(folder ? { folder } : {}) };
}

/** The database as messages name it: a SQLite file by its absolute path, a URL without its password. */
export function describeDatabase(database: string): string {
  const file = sqliteFile(database);
  return file ? `sqlite:${file}` : redact(database);
}

/** Query parameters of a database URL that carry a secret (node-postgres reads `?password=`; libpq `sslpassword` too). */
const SECRET_PARAMETERS = new Set(["password", "sslpassword"]);

/**
 * Hides the secrets of a database URL in messages: the password in `user:pass@` (up to the last `@`: a `/`, `?` or `@`
 * typed in it unencoded hides more, never less) and the value of a `?password=` / `&sslpassword=` parameter (by its
 * decoded name: `pass%77ord` is one too).
 */
export function redact(database: string): string {
  const userinfo = /^[^/]*\/\/[^:/?#@]*:/.exec(database)?.[0];
  const at = database.lastIndexOf("@");
  const masked = userinfo !== undefined && at >= userinfo.length ? `${userinfo}***${database.slice(at)}` : database;
  const query = masked.indexOf("?", userinfo !== undefined && at >= userinfo.length ? userinfo.length + 4 : 0);
  if (query < 0) return masked;
  const parameters = masked.slice(query + 1).split("&").map((parameter) => {
    const equals = parameter.indexOf("=");
    return equals >= 0 && SECRET_PARAMETERS.has(parameterName(parameter.slice(0, equals))) ? `${parameter.slice(0, equals)}=***` : parameter;
  });
  return `${masked.slice(0, query)}?${parameters.join("&")}`;
}

/** A query parameter's name as URLSearchParams decodes it (`+` a space, `%xx` escapes), lower-cased. */
function parameterName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " ")).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}
