// `orun backend serve` and `orun backend token create|revoke|list`.
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { OrunError, errorMessage } from "../../util/errors.js";
import { warnOnStderr } from "../../util/warning.js";
import { shellWord } from "../../util/shell-word.js";
import { digitsOnly } from "../option-values.js";

const DATABASE_HELP = "sqlite:PATH (default sqlite:.orun/backend.db) or postgres://user:pass@host:port/db (env ORUN_BACKEND_DATABASE)";

function database(value: string | undefined): string | undefined {
  return value ?? (process.env.ORUN_BACKEND_DATABASE?.trim() || undefined);
}

/** Where database(value) came from, as errors in it name it; null when neither named one (the default). */
function databaseSource(value: string | undefined): string | null {
  if (value !== undefined) return "--database";
  return database(undefined) !== undefined ? "ORUN_BACKEND_DATABASE" : null;
}

/** Repeatable list flags: each occurrence may also hold comma-separated values. No default, so --help shows none. */
function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Flag values, else the environment variable's (comma-separated). */
function listSetting(flag: string[] | undefined, envName: string): string[] {
  if (flag && flag.length > 0) return flag;
  const env = process.env[envName]?.trim();
  return env ? [env] : [];
}

const REQUIRE_LEASE_ENV = "ORUN_BACKEND_REQUIRE_LEASE_SECRETS";

/**
 * --require-lease-secrets, else ORUN_BACKEND_REQUIRE_LEASE_SECRETS: `true` or `false` (as ORUN_REMOTE_STATE). Any other
 * value is refused: a misspelt `yes` must not start a backend without the protection its operator asked for.
 */
function requireLeaseSecrets(flag: boolean | undefined): boolean {
  if (flag) return true;
  const value = (process.env[REQUIRE_LEASE_ENV] ?? "").trim().toLowerCase();
  if (value === "true") return true;
  if (value === "" || value === "false") return false;
  throw new OrunError(`${REQUIRE_LEASE_ENV}=${process.env[REQUIRE_LEASE_ENV]}: expected true or false`);
}

/**
 * Floors for the timing flags: a lease shorter than a few heartbeats hands
 * healthy jobs to other runners (0 did so at once); a 0 sweep interval spins;
 * a retention shorter than a minute deletes runs still in progress.
 */
const MINIMUMS = {
  "--lease-timeout": { ms: 5_000, text: "5s" },
  "--sweep-interval": { ms: 100, text: "100ms" },
  "--retention": { ms: 60_000, text: "1m" },
  "--retry-grace": { ms: 1_000, text: "1s" },
  "--request-timeout": { ms: 1_000, text: "1s" },
} as const;

function durationFlag(value: string, flag: keyof typeof MINIMUMS, parse: (text: string, field: string) => number): number {
  const ms = parse(value, flag);
  const min = MINIMUMS[flag];
  if (ms < min.ms) throw new OrunError(`${flag} ${value}: must be at least ${min.text}`);
  return ms;
}

/** Start-up advice: names in the allow-list can be taken over, IDs cannot. */
const ID_ADVICE =
  "hint: a GitHub name can be registered by someone else after a rename or deletion; allow by ID instead: --allow-owner id:<repository_owner_id> / --allow-repo id:<repository_id> (e.g. gh api repos/OWNER/REPO --jq '.owner.id, .id')";

function positiveInt(value: string, field: string): number {
  // `--port "$UNSET"` listened on a random port, and `0x4650` / `1.8e4` meant 18000, `1e99` a log cap no store holds.
  const n = digitsOnly(value);
  if (n === undefined) throw new OrunError(`${field}: expected a non-negative integer, got "${value}"`);
  return n;
}

/** A token bucket flag, BURST/PER_SECOND: a burst of 0 (or a refill of 0) would refuse every request. */
function bucketFlag(value: string, flag: string, example: string, alternatives = ""): { capacity: number; refillPerSecond: number } {
  const rate = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(value);
  if (!rate || Number(rate[1]) < 1 || Number(rate[2]) <= 0) throw new OrunError(`${flag}: expected BURST/PER_SECOND (e.g. ${example})${alternatives}, got "${value}"`);
  return { capacity: Number(rate[1]), refillPerSecond: Number(rate[2]) };
}

function portNumber(value: string): number {
  const n = positiveInt(value, "--port");
  if (n > 65535) throw new OrunError(`--port: expected a port number from 0 to 65535, got "${value}"`);
  return n;
}

/** An issuer orun cannot fetch keys from would answer every OIDC runner with a retryable 503, forever: refuse it at start-up. */
function issuerUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new OrunError(`--oidc-issuer: expected an https:// URL (http:// for a local test issuer), got "${value}"`);
  }
  return value;
}

/** Why `listen` failed, naming the flag to change. */
function listenError(err: unknown, host: string, port: number): OrunError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `cannot listen on ${host}:${port}`;
  if (code === "EADDRINUSE") return new OrunError(`--port: ${where}: the address is already in use (another orun backend?); pick another --port`);
  if (code === "EACCES") return new OrunError(`--port: ${where}: permission denied (ports below 1024 need privileges)`);
  const reason = code === "ENOTFOUND" || code === "EAI_AGAIN" ? "no such host" : code === "EADDRNOTAVAIL" ? "the address is not one of this machine's" : errorMessage(err);
  return new OrunError(`--host: ${where}: ${reason}`);
}

/** Opens the database; its errors name the database and the setting that named it (`source`). */
async function openDatabase(db: string | undefined, source: string | null): Promise<import("../../remote/backend/store/types.js").Store> {
  const { openStore, DEFAULT_DATABASE } = await import("../../remote/backend/store/index.js");
  return openStore(db ?? DEFAULT_DATABASE, source);
}

export function registerBackendCommands(program: Command): void {
  const backend = program.command("backend").description("The orun remote-state backend (shared job claims, status and logs)");

  backend
    .command("serve")
    .description("Serve the remote-state HTTP API")
    .option("--port <port>", "port to listen on", "8787")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--database <url>", DATABASE_HELP)
    .option("--oidc-issuer <url>", "OIDC issuer trusted for runner tokens (env ORUN_OIDC_ISSUER)", process.env.ORUN_OIDC_ISSUER ?? "https://token.actions.githubusercontent.com")
    .option("--oidc-audience <aud>", "required token audience", "orun")
    .option(
      "--allow-owner <id:N|owner[,...]>",
      "accept OIDC tokens only from repositories of these GitHub owners; prefer id:<repository_owner_id> (immutable) to a name, which someone else can register after a rename (env ORUN_BACKEND_ALLOW_OWNERS)",
      collect,
    )
    .option(
      "--allow-repo <id:N|owner/repo[,...]>",
      "accept OIDC tokens only from these repositories; prefer id:<repository_id> (immutable) to owner/repo, which can be re-created after a rename (env ORUN_BACKEND_ALLOW_REPOS)",
      collect,
    )
    .option("--lease-timeout <duration>", "a claimed job whose runner stops heartbeating for this long is handed to another runner (at least 5s)", "2m")
    .option("--sweep-interval <duration>", "how often abandoned leases and expired runs are swept (at least 100ms)", "15s")
    .option(
      "--retry-grace <duration>",
      "a re-run leg (a later GitHub Actions attempt) waits this long for its attempt's runner of the failed job it depends on to retry it, then fails saying so (at least 1s)",
      "5m",
    )
    .option("--retention <duration>", "delete runs nothing happened in for this long: no change, no runner asking about them, no job running (at least 1m)", "24h")
    .option(
      "--evidence-retention <duration>",
      "keep the promotion-gate evidence of deleted runs this long after their last change, at least --retention (default 90d, or --retention if longer); promoting that revision later is blocked by its gate",
    )
    .option("--max-log-size <bytes>", "cap on one job's stored log", String(10 * 1024 * 1024))
    .option("--rate-limit <burst/perSecond>", "per-namespace token bucket", "200/100")
    .option(
      "--auth-failure-limit <burst/perSecond|off>",
      "failed authentications allowed per client address (e.g. 100/10); past it a request is answered 429 before its token is checked, unless it carries a token accepted recently. Off by default: behind a reverse proxy every client has the proxy's address",
      "off",
    )
    .option("--request-timeout <duration>", "longest a client may take to send a request, headers and body (its headers within 15s); a slower one gets 408 and loses its connection (at least 1s)", "60s")
    .option("--max-connections <n>", "most client connections open at once; one more is closed as it arrives", "1024")
    .option(
      "--require-lease-secrets",
      `refuse claims that send no claimKey (v2 runners, orun runners from before lease secrets), and holders' heartbeats, results, releases and log writes for jobs held without a lease secret (env ${REQUIRE_LEASE_ENV}=true)`,
    )
    .action(async (opts: Record<string, string> & { allowOwner?: string[]; allowRepo?: string[]; requireLeaseSecrets?: boolean }) => {
      const { describeDatabase, newSqliteDatabase, DEFAULT_DATABASE } = await import("../../remote/backend/store/index.js");
      const { startBackend } = await import("../../remote/backend/server.js");
      const { parseDuration } = await import("../../remote/duration.js");
      const { parseAllowList, describeAllowList, namedEntries } = await import("../../remote/backend/auth/allow-list.js");
      const allow = parseAllowList(listSetting(opts.allowOwner, "ORUN_BACKEND_ALLOW_OWNERS"), listSetting(opts.allowRepo, "ORUN_BACKEND_ALLOW_REPOS"));
      const rateLimit = bucketFlag(opts.rateLimit, "--rate-limit", "200/100");
      const authFailureLimit = opts.authFailureLimit === "off" ? false : bucketFlag(opts.authFailureLimit, "--auth-failure-limit", "100/10", " or off");
      const port = portNumber(opts.port);
      if (!opts.host.trim()) throw new OrunError("--host: empty; use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)");
      const issuer = issuerUrl(opts.oidcIssuer);
      const settings = {
        leaseMs: durationFlag(opts.leaseTimeout, "--lease-timeout", parseDuration),
        sweepIntervalMs: durationFlag(opts.sweepInterval, "--sweep-interval", parseDuration),
        retentionMs: durationFlag(opts.retention, "--retention", parseDuration),
        retryGraceMs: durationFlag(opts.retryGrace, "--retry-grace", parseDuration),
        evidenceRetentionMs: opts.evidenceRetention === undefined ? undefined : parseDuration(opts.evidenceRetention, "--evidence-retention"),
        maxLogBytes: positiveInt(opts.maxLogSize, "--max-log-size"),
        requestTimeoutMs: durationFlag(opts.requestTimeout, "--request-timeout", parseDuration),
        maxConnections: positiveInt(opts.maxConnections, "--max-connections"),
        requireLeaseSecrets: requireLeaseSecrets(opts.requireLeaseSecrets),
      };
      const { DEFAULT_EVIDENCE_RETENTION_MS } = await import("../../remote/backend/sweeper.js");
      settings.evidenceRetentionMs ??= Math.max(DEFAULT_EVIDENCE_RETENTION_MS, settings.retentionMs);
      if (settings.evidenceRetentionMs < settings.retentionMs) {
        throw new OrunError(`--evidence-retention ${opts.evidenceRetention}: must be at least --retention (${opts.retention}), or the evidence of a deleted run would go with it`);
      }
      if (settings.maxLogBytes < 1) throw new OrunError(`--max-log-size: expected at least 1 byte, got "${opts.maxLogSize}"`);
      if (settings.maxConnections < 1) throw new OrunError(`--max-connections: expected at least 1 connection, got "${opts.maxConnections}"`);
      const db = database(opts.database) ?? DEFAULT_DATABASE;
      // Serve makes a missing SQLite database (and its folders) rather than refuse it: a first start needs one. It says
      // so, so that a mistyped path is seen starting from nothing, not taken for the database that holds the runs.
      const created = newSqliteDatabase(db);
      const store = await openDatabase(db, databaseSource(opts.database));
      if (created) {
        const { file, folder } = created;
        const where = folder === undefined ? "" : folder === path.dirname(file) ? ` in the new folder ${folder}` : ` in new folders from ${folder}`;
        process.stdout.write(`created a new, empty database ${file}${where}: if you meant an existing one, check the path (${databaseSource(opts.database) ?? "the default"})\n`);
      }
      let running: Awaited<ReturnType<typeof startBackend>>;
      try {
        running = await startBackend({
          store,
          port,
          host: opts.host,
          oidc: { issuer, audience: opts.oidcAudience },
          allow,
          rateLimit,
          authFailureLimit,
          ...settings,
        });
      } catch (err) {
        await store.close().catch(() => undefined);
        throw err instanceof OrunError ? err : listenError(err, opts.host, port);
      }
      // The URL names 127.0.0.1 for a wildcard bind (what a local client uses): say that every interface is served.
      const everywhere = ["0.0.0.0", "::", "[::]"].includes(opts.host.trim()) ? ` on every interface (--host ${opts.host.trim()})` : "";
      // The database by its absolute path: the token commands must name the same one (--database) from elsewhere.
      // One write, so that whoever waits for this line also sees the requirement.
      const leases = settings.requireLeaseSecrets ? ", lease secrets required: claims without a claimKey are refused" : "";
      process.stdout.write(`orun backend listening on ${running.url}${everywhere} (database ${describeDatabase(db)}, OIDC issuer ${issuer}${leases})\n`);
      if (allow) {
        process.stdout.write(`accepting OIDC tokens from: ${describeAllowList(allow)}\n`);
        const named = namedEntries(allow);
        if (named.length > 0) process.stdout.write(`${ID_ADVICE} (given by name: ${named.join(", ")})\n`);
      } else {
        warnOnStderr("no --allow-owner or --allow-repo: OIDC tokens from every GitHub repository are accepted (each gets its own namespace)");
        process.stderr.write(`${ID_ADVICE}\n`);
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await running.close();
      await store.close();
    });

  const token = backend.command("token").description("Backend-issued API tokens (ORUN_TOKEN) for CI without OIDC and for laptops");
  token
    .command("create")
    .description("Create a token scoped to one namespace; it is printed once and stored hashed")
    .requiredOption(
      "--namespace <repo>",
      "what the token may act for: a GitHub repository ID, owner/repo of a repository whose GitHub Actions runs reached this backend, or local:<owner/repo> for CI without GitHub",
    )
    .option("--description <text>", "who or what uses the token")
    .option("--database <url>", DATABASE_HELP)
    .option("--json", "print {id, token, namespace, namespaceSlug} as JSON")
    .action(async (opts: { namespace: string; description?: string; database?: string; json?: boolean }) => {
      const { createToken } = await import("../../remote/backend/auth/tokens.js");
      await withStore(opts.database, async (store) => {
        const { token: secret, record, slug } = await createToken(store, opts.namespace, opts.description);
        if (opts.json) process.stdout.write(`${JSON.stringify({ id: record.id, token: secret, namespace: record.namespace, namespaceSlug: slug }, null, 2)}\n`);
        else process.stdout.write(`${secret}\n`);
        const named = slug && slug !== record.namespace ? `${record.namespace} (${slug})` : record.namespace;
        process.stderr.write(`created token ${record.id} for ${named}; it is shown only once (${await revokeHint(record.id, opts.database)})\n`);
      });
    });
  token
    .command("revoke <id>")
    .description("Revoke a token by its id (tok_…)")
    .option("--database <url>", DATABASE_HELP)
    .action(async (id: string, opts: { database?: string }) => {
      const { describeDatabase, DEFAULT_DATABASE } = await import("../../remote/backend/store/index.js");
      const searched = describeDatabase(database(opts.database) ?? DEFAULT_DATABASE);
      await withStore(opts.database, async (store) => {
        if (!(await store.revokeToken(id, new Date().toISOString()))) {
          throw new OrunError(`no active token with id "${id}" in database ${searched}`, {
            hint: "a token lives in the database it was created in: name that one (--database, as its create printed, or ORUN_BACKEND_DATABASE); `orun backend token list --database …` shows a database's tokens",
          });
        }
        process.stdout.write(`revoked ${id}\n`);
      }, { reading: true });
    });
  token
    .command("list")
    .description("List tokens (never their secrets)")
    .option("--database <url>", DATABASE_HELP)
    .action(async (opts: { database?: string }) => {
      await withStore(opts.database, async (store) => {
        const { LOCAL_PREFIX, isRepositoryId } = await import("../../remote/backend/auth/namespaces.js");
        const tokens = await store.listTokens();
        if (tokens.length === 0) process.stderr.write("no tokens (create one with: orun backend token create --namespace local:<owner/repo>)\n");
        for (const t of tokens) {
          let named = t.namespace;
          if (isRepositoryId(t.namespace)) {
            const slug = (await store.namespaceById(t.namespace))?.slug;
            if (slug) named += ` (${slug})`;
          } else if (!t.namespace.startsWith(LOCAL_PREFIX)) named += " (name-scoped, from before repository IDs: re-create it)";
          process.stdout.write(`${t.id}\t${named}\t${t.revokedAt ? `revoked ${t.revokedAt}` : "active"}\t${t.description ?? ""}\n`);
        }
      }, { reading: true });
    });
}

/**
 * The revoke command for a new token, naming the database it was created in: pasted in a folder with another
 * (default SQLite) database, a bare `revoke <id>` searched that one and said the live token was not active.
 * A URL's password is masked, so the hint then says to supply it (or to keep ORUN_BACKEND_DATABASE set).
 */
async function revokeHint(id: string, flag: string | undefined): Promise<string> {
  const { describeDatabase, DEFAULT_DATABASE } = await import("../../remote/backend/store/index.js");
  const db = database(flag) ?? DEFAULT_DATABASE;
  // A shell word: a URL's `?` or `&` (`?schema=x`) would be globbed or end the command when pasted.
  const shown = shellWord(describeDatabase(db));
  const command = `revoke with: orun backend token revoke ${id}`;
  if (flag === undefined && database(undefined) !== undefined) return `${command}, with ORUN_BACKEND_DATABASE set as now, or --database ${shown}`;
  if (shown.includes("***")) return `${command} --database ${shown}, with the password in place of ***, or with the URL in ORUN_BACKEND_DATABASE and no --database`;
  return `${command} --database ${shown}`;
}

/**
 * Opens the backend's database for a token command. Unless named (--database, ORUN_BACKEND_DATABASE), it must
 * exist: run in another folder, the default sqlite:.orun/backend.db would be a new empty database there, holding
 * tokens the backend never sees (its runners then get "Invalid or revoked token"). `reading` (list, revoke): a named
 * SQLite file must exist too — a mistyped path would otherwise become a new empty database that holds no tokens.
 */
async function withStore(db: string | undefined, fn: (store: import("../../remote/backend/store/types.js").Store) => Promise<void>, options: { reading?: boolean } = {}): Promise<void> {
  const named = database(db);
  const { sqliteFile, DEFAULT_DATABASE } = await import("../../remote/backend/store/index.js");
  if (named === undefined) {
    const file = sqliteFile(DEFAULT_DATABASE)!;
    if (!fs.existsSync(file)) {
      throw new OrunError(`no backend database at ${file} (the default, ${DEFAULT_DATABASE}, in this folder): token commands use the database \`orun backend serve\` uses`, {
        hint: "run them in the folder the backend serves from, or name the database serve printed when it started: --database sqlite:<path> or postgres://…, or ORUN_BACKEND_DATABASE",
      });
    }
  } else if (options.reading) {
    const file = sqliteFile(named);
    if (file !== undefined && !fs.existsSync(file)) {
      throw new OrunError(`${databaseSource(db)}: no backend database at ${file}: token commands use the database \`orun backend serve\` uses`, {
        hint: `check the path in ${databaseSource(db)}, or name the database serve printed when it started`,
      });
    }
  }
  const store = await openDatabase(named, databaseSource(db));
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}
