// What the tests of `orun backend serve` as a process share: a database on one store, the backend process (or
// replicas of it), optionally the local OIDC issuer it trusts, and a token, all torn down after the enclosing describe
// block (runners still going are killed). servedBackend is started before the block's tests; backendProcessBed inside
// a test, with a temp dir and a token made by `orun backend token create`, and can be stopped and started again.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, type TestContext } from "node:test";
import { openStore } from "../../src/remote/backend/store/index.js";
import { startOidcIssuer, type LocalOidcIssuer } from "../support/oidc-issuer.js";
import { RESTART_HOST, restartablePort } from "../support/wait.js";
import { testDatabase, tokenFor, type StoreKind, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, startBackendProcess, type BackendProcess } from "./processes.js";

export interface ServedBackend {
  /** undefined where the store is unavailable (PostgreSQL outside CI): the tests then skip. */
  db: TestDatabase | undefined;
  /** The first replica (the only one unless asked for more). */
  backend: BackendProcess;
  replicas: BackendProcess[];
  /** The local OIDC issuer the replicas trust (`oidcIssuer: true`; else undefined). */
  issuer: LocalOidcIssuer | undefined;
  /** ORUN_TOKEN of acme/widgets: scoped to the ID the local OIDC issuer gives that repository. */
  token: string;
  /**
   * A runner's environment by hand: the token and the first replica, with remote state, the run ID and GitHub
   * Actions cleared (this test process may have them set); `extra` on top.
   */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

/**
 * `orun backend serve` as real processes on loopback over a fresh `kind` database, for the enclosing describe block:
 * started before its tests, stopped after them (with any runner still going). `replicas` share the database;
 * `serveArgs` go to each; with `oidcIssuer` they trust a local OIDC issuer started for the block.
 */
export function servedBackend(kind: StoreKind, options: { replicas?: number; serveArgs?: string[]; oidcIssuer?: boolean } = {}): ServedBackend {
  const served: ServedBackend = {
    db: undefined,
    replicas: [],
    get backend() {
      return served.replicas[0]!;
    },
    issuer: undefined,
    token: "",
    env: (extra = {}) => ({ ORUN_TOKEN: served.token, ORUN_BACKEND_URL: served.backend.url, GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ...extra }),
  };
  before(async () => {
    served.db = await testDatabase(kind);
    if (!served.db) return;
    if (options.oidcIssuer) served.issuer = await startOidcIssuer();
    const serveArgs = [...(served.issuer ? ["--oidc-issuer", served.issuer.issuer] : []), ...(options.serveArgs ?? [])];
    for (let i = 0; i < (options.replicas ?? 1); i++) served.replicas.push(await startBackendProcess(served.db.url, serveArgs));
    const store = await openStore(served.db.url);
    served.token = await tokenFor(store, "acme/widgets").finally(() => store.close());
  });
  after(async () => {
    killAllChildren();
    for (const replica of served.replicas) await replica.stop();
    await served.issuer?.close();
    await served.db?.cleanup();
  });
  return served;
}

export interface BackendProcessBed {
  dir: string;
  db: TestDatabase;
  backend: BackendProcess;
  /** ORUN_TOKEN for namespace `local:acme/<name>`. */
  token: string;
  /** Starts the backend again on its port and database, with its flags (after the test stopped it). */
  restart(): Promise<BackendProcess>;
}

/**
 * Registers the teardown in the enclosing describe block; the function it returns sets the bed up inside a test
 * (undefined, the test skipped, where PostgreSQL is unavailable).
 */
export function backendProcessBed(kind: StoreKind, name: string, serveArgs: string[] = []): (t: TestContext) => Promise<BackendProcessBed | undefined> {
  let bed: BackendProcessBed | undefined;
  let db: TestDatabase | undefined;
  let dir: string | undefined;
  after(async () => {
    killAllChildren();
    await bed?.backend.stop().catch(() => undefined);
    await db?.cleanup();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });
  return async (t) => {
    db = await testDatabase(kind);
    if (!db) {
      t.skip("PostgreSQL unavailable");
      return undefined;
    }
    dir = await fs.mkdtemp(path.join(os.tmpdir(), `orun-${name}-${kind}-`));
    // restart() takes the port again: one no other test can take meanwhile.
    const port = await restartablePort();
    const args = [...serveArgs, "--host", RESTART_HOST];
    const backend = await startBackendProcess(db.url, args, port);
    const created = await spawnOrun(["backend", "token", "create", "--namespace", `local:acme/${name}`, "--database", db.url]).done;
    assert.equal(created.code, 0, created.output);
    const database = db.url;
    bed = {
      dir,
      db,
      backend,
      token: /orun_\S+/.exec(created.output)![0],
      async restart() {
        this.backend = await startBackendProcess(database, args, port);
        return this.backend;
      },
    };
    return bed;
  };
}
