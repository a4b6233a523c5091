// Shared set-up for the remote-state tests: a real backend on loopback over a
// real store (SQLite file in a temp dir, or a fresh PostgreSQL schema).
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { startBackend, type BackendOptions, type RunningBackend } from "../../src/remote/backend/server.js";
import { openStore } from "../../src/remote/backend/store/index.js";
import type { Store } from "../../src/remote/backend/store/types.js";
import { createToken } from "../../src/remote/backend/auth/tokens.js";
import type { BackendPlan } from "../../src/remote/protocol.js";
import { BackendClient } from "../../src/remote/client.js";
import type { Plan } from "../../src/model/plan.js";
import { runOrun, type CliResult } from "../support/cli.js";
import { freshSchema } from "../support/postgres.js";
import { until } from "../support/wait.js";
import { repositoryIdFor, startOidcIssuer, type LocalOidcIssuer } from "../support/oidc-issuer.js";
import { killAllChildren } from "./processes.js";
import { after, before } from "node:test";

export type StoreKind = "sqlite" | "postgres";

export interface TestDatabase {
  url: string;
  cleanup(): Promise<void>;
}

/** undefined when the store is unavailable here (PostgreSQL missing outside CI). */
export async function testDatabase(kind: StoreKind): Promise<TestDatabase | undefined> {
  if (kind === "sqlite") {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-backend-"));
    return { url: `sqlite:${path.join(dir, "backend.db")}`, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
  }
  const schema = await freshSchema();
  return schema && { url: schema.url, cleanup: schema.drop };
}

export interface TestBackend extends RunningBackend {
  store: Store;
  /** Stops the server and closes its store (the database stays). */
  stop(): Promise<void>;
}

export async function startTestBackend(database: string, options: Partial<BackendOptions> = {}): Promise<TestBackend> {
  const store = await openStore(database);
  const running = await startBackend({ store, log: () => undefined, ...options });
  return {
    ...running,
    store,
    async stop() {
      await running.close();
      await store.close();
    },
  };
}

export interface RemoteTestbed {
  dir: string;
  db: TestDatabase;
  backend: TestBackend;
  issuer: LocalOidcIssuer;
  /** A backend token for acme/widgets. */
  token: string;
  /** Kills runners still going, stops the backend and the issuer, removes the database and the directory. */
  close(): Promise<void>;
}

/** What the distributed tests share: a temp dir, the local OIDC issuer, a backend on a fresh SQLite file and a token. */
export async function startRemoteTestbed(prefix: string, options: (issuer: LocalOidcIssuer) => Partial<BackendOptions>): Promise<RemoteTestbed> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const issuer = await startOidcIssuer();
  const db = (await testDatabase("sqlite"))!;
  const backend = await startTestBackend(db.url, options(issuer));
  const token = await tokenFor(backend.store, "acme/widgets");
  return {
    dir,
    db,
    backend,
    issuer,
    token,
    async close() {
      killAllChildren();
      await backend.stop();
      await issuer.close();
      await db.cleanup();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RemoteRunTestbed {
  bed: RemoteTestbed;
  /** The environment the run's runner had (ORUN_TOKEN; remote-state variables of the test's own environment cleared). */
  env: NodeJS.ProcessEnv;
  /** `orun <args> --remote-state --backend-url … --exec-id <run>`, the built CLI as a real process. */
  read(args: string[]): Promise<CliResult>;
}

/**
 * A backend (startRemoteTestbed) holding run `runId` of `plan`, made by a real `orun run --remote-state` that exited
 * `exitCode`: what the tests of the remote views (`logs`, `status`) read.
 */
export async function startRemoteRun(prefix: string, plan: Plan, runId: string, exitCode = 0): Promise<RemoteRunTestbed> {
  const bed = await startRemoteTestbed(prefix, (issuer) => ({ oidc: { issuer: issuer.issuer } }));
  const env = { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "", NO_COLOR: "1" };
  const remote = ["--remote-state", "--backend-url", bed.backend.url, "--exec-id", runId];
  try {
    const file = path.join(bed.dir, "plan.json");
    await fs.writeFile(file, JSON.stringify(plan));
    const run = await runOrun(["run", file, ...remote], { cwd: bed.dir, env, timeoutMs: 60_000 });
    if (run.code !== exitCode) throw new Error(`orun run exited ${run.code}, not ${exitCode}:\n${run.stdout}${run.stderr}`);
  } catch (err) {
    await bed.close();
    throw err;
  }
  return { bed, env, read: (args) => runOrun([...args, ...remote], { cwd: bed.dir, env }) };
}

/**
 * Rewrites job `jobId` of run `runId` in the testbed's SQLite store as a runner from before upmask29 left it: its log
 * (and, given, its error) with the values its steps masked in clear, where today's runners upload `***`. What the
 * remote readers must still mask, learning the values from the log's `::add-mask::` lines.
 */
export async function asUploadedUnmasked(bed: RemoteTestbed, runId: string, jobId: string, log: string, error?: string): Promise<void> {
  const where = "run_id = $1 AND job_id = $2";
  const [job] = await sql<{ namespace: string }>(bed.db.url, `SELECT namespace FROM jobs WHERE ${where}`, [runId, jobId]);
  if (!job) throw new Error(`no job ${jobId} in run ${runId}`);
  await sql(bed.db.url, `DELETE FROM log_chunks WHERE ${where}`, [runId, jobId]);
  await sql(bed.db.url, "INSERT INTO log_chunks (namespace, run_id, job_id, byte_offset, content) VALUES ($1, $2, $3, 0, $4)", [job.namespace, runId, jobId, Buffer.from(log)]);
  await sql(bed.db.url, `UPDATE jobs SET log_bytes = $3${error !== undefined ? ", last_error = $4" : ""} WHERE ${where}`, [runId, jobId, Buffer.byteLength(log), ...(error !== undefined ? [error] : [])]);
}

/** A backend on one store for the enclosing describe block; `db` stays undefined where the store is unavailable (tests then skip). */
export interface StoreBackend {
  db: TestDatabase | undefined;
  backend: TestBackend;
  /** ORUN_TOKEN of the block's repository. */
  token: string;
}

/** Starts a backend on `kind` before the block's tests (with a token for `repo`) and stops it after them. */
export function backendOnStore(kind: StoreKind, options: Partial<BackendOptions> = {}, repo = "acme/widgets"): StoreBackend {
  const on = { db: undefined } as StoreBackend;
  before(async () => {
    on.db = await testDatabase(kind);
    if (!on.db) return;
    on.backend = await startTestBackend(on.db.url, options);
    on.token = await tokenFor(on.backend.store, repo);
  });
  after(async () => {
    await on.backend?.stop();
    await on.db?.cleanup();
  });
  return on;
}

/** A backend token for repository `repo` (owner/name): scoped to the ID the local OIDC issuer gives that repository. */
export async function tokenFor(store: Store, repo: string): Promise<string> {
  return (await createToken(store, repositoryIdFor(repo))).token;
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** One raw HTTP call (no client retries): what the tests assert on. */
export async function api<T = Record<string, unknown>>(
  baseUrl: string,
  token: string | undefined,
  method: string,
  urlPath: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...extraHeaders };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (typeof body === "string") payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(baseUrl + urlPath, { method, headers, body: payload });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

/** A backend plan from `id: [deps]` pairs, in the given order. */
export function planOf(edges: Record<string, string[]>, checksum = "abc123def456"): BackendPlan {
  return { checksum, version: "sourceplane.io/v1", jobs: Object.entries(edges).map(([jobId, deps]) => ({ jobId, component: jobId.split("@")[0], deps, steps: [] })) };
}

export const enc = encodeURIComponent;

/** Runs SQL against a test database directly (not through the store), returning rows; `$N` parameters in both dialects. */
export async function sql<R>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  if (url.startsWith("sqlite:")) {
    const db = new Database(url.slice("sqlite:".length));
    try {
      const stmt = db.prepare(text.replace(/\$\d+/g, "?"));
      return (stmt.reader ? stmt.all(...params) : (stmt.run(...params), [])) as R[];
    } finally {
      db.close();
    }
  }
  const u = new URL(url);
  const schema = u.searchParams.get("schema");
  u.searchParams.delete("schema");
  const client = new pg.Client({ connectionString: u.toString(), ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  await client.connect();
  try {
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    return (await client.query(text, params)).rows as R[];
  } finally {
    await client.end();
  }
}

/**
 * A runner's client that shows a test its job-log uploads: when each append was sent (the runner's live-log timer
 * fired), and once an append's answer said someone follows the run. Timing a paced line from its send leaves out
 * the round trips of a loaded machine; and a test that sees a line in the log may still be ahead of that line's
 * answer, which is what switches the runner to the followed pace.
 */
export class WatchedLogClient extends BackendClient {
  readonly appendsSent: { at: number; content: string }[] = [];
  /** An append's answer said `followed`, and the runner has taken that answer in. */
  toldFollowed = false;

  override async appendLog(...args: Parameters<BackendClient["appendLog"]>): ReturnType<BackendClient["appendLog"]> {
    this.appendsSent.push({ at: Date.now(), content: args[2] });
    const answer = await super.appendLog(...args);
    // The runner reads the answer in the promise callbacks that follow; a macrotask runs after all of them.
    if (answer.followed) setImmediate(() => (this.toldFollowed = true));
    return answer;
  }

  /** When the append carrying `text` was sent, waiting for it up to `ms`. */
  async sentAt(text: string, ms = 30_000): Promise<number> {
    const find = () => this.appendsSent.find((append) => append.content.includes(text));
    await until(() => find() !== undefined, `an append carrying ${JSON.stringify(text)}`, ms);
    return find()!.at;
  }
}

/**
 * A relay on loopback to `target` (a backend): each request is first offered to `answer`, which may answer it itself
 * (returning true); the rest are forwarded as they came.
 */
export async function httpRelay(target: string, answer: (req: http.IncomingMessage, res: http.ServerResponse) => boolean = () => false): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (answer(req, res)) return;
    const upstream = http.request(new URL(req.url ?? "/", target), { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

/** Forwards to `target` (a backend), but answers 500 to every log read (GET …/logs/…): a backend whose log store fails. */
export function logFailingRelay(target: string): Promise<{ url: string; close: () => Promise<void> }> {
  return httpRelay(target, (req, res) => {
    if (req.method !== "GET" || !/\/logs\//.test(req.url ?? "")) return false;
    res.writeHead(500, { "Content-Type": "application/json" }).end(JSON.stringify({ error: { code: "INTERNAL", message: "log store unavailable" } }));
    return true;
  });
}
