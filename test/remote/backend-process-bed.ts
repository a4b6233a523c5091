// What the tests of `orun backend serve` as a process share: a temp dir, a database on one store, the backend
// process and a token made by `orun backend token create`, all torn down after the enclosing describe block
// (runners still going are killed). The backend can be stopped by the test and started again on its port.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, type TestContext } from "node:test";
import { testDatabase, type StoreKind, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, startBackendProcess, type BackendProcess } from "./processes.js";

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
    const backend = await startBackendProcess(db.url, serveArgs);
    const created = await spawnOrun(["backend", "token", "create", "--namespace", `local:acme/${name}`, "--database", db.url]).done;
    assert.equal(created.code, 0, created.output);
    const database = db.url;
    bed = {
      dir,
      db,
      backend,
      token: /orun_\S+/.exec(created.output)![0],
      async restart() {
        this.backend = await startBackendProcess(database, serveArgs, this.backend.port);
        return this.backend;
      },
    };
    return bed;
  };
}
