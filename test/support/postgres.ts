// PostgreSQL for tests: ORUN_TEST_POSTGRES_URL when set, otherwise the URL
// scripts/setup-postgres.sh prints (it installs/starts a local cluster).
// Each test gets its own schema (`?schema=` on the URL), dropped afterwards.
// Without PostgreSQL the caller skips — unless ORUN_REQUIRE_ENGINES=1 (CI),
// where a missing PostgreSQL is a failure.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { PROJECT_ROOT } from "./cli.js";

let cached: Promise<string | undefined> | undefined;

export function postgresUrl(): Promise<string | undefined> {
  cached ??= (async () => {
    if (process.env.ORUN_TEST_POSTGRES_URL) return process.env.ORUN_TEST_POSTGRES_URL;
    const script = path.join(PROJECT_ROOT, "scripts/setup-postgres.sh");
    const url = await new Promise<string | undefined>((resolve) =>
      execFile(script, { timeout: 300_000 }, (err, stdout) => resolve(err ? undefined : stdout.trim().split("\n").pop())),
    );
    if (!url && process.env.ORUN_REQUIRE_ENGINES === "1") throw new Error("PostgreSQL is required (ORUN_REQUIRE_ENGINES=1) but scripts/setup-postgres.sh failed");
    return url || undefined;
  })();
  return cached;
}

export interface TestSchema {
  /** Database URL selecting the fresh schema. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty schema; undefined when PostgreSQL is unavailable (and not required). */
export async function freshSchema(): Promise<TestSchema | undefined> {
  const base = await postgresUrl();
  if (!base) return undefined;
  const schema = `orun_t_${randomBytes(5).toString("hex")}`;
  const url = new URL(base);
  url.searchParams.set("schema", schema);
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
