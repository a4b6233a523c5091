// `orun backend serve` stopped (SIGTERM, a rolling deploy) while runners hold long-polls: it exits 0 at once and
// quietly. The long-polls woken by their closed connections used to re-read the run after the store had closed,
// and each printed a stack trace ("The database connection is not open" on SQLite, a pool used after end on
// PostgreSQL). The runner then carries on against the backend's next instance.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { testDatabase, type StoreKind, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, startBackendProcess, writePlan, type BackendProcess } from "./processes.js";
import { until } from "../support/wait.js";

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`orun backend serve on ${kind} stopped while runners wait in long-polls`, () => {
    let db: TestDatabase | undefined;
    let dir: string | undefined;
    let backend: BackendProcess | undefined;
    after(async () => {
      killAllChildren();
      await backend?.stop().catch(() => undefined);
      await db?.cleanup();
      if (dir) await fs.rm(dir, { recursive: true, force: true });
    });

    it("exits 0 promptly without errors, and the waiting runners finish on its next instance", { timeout: 120_000 }, async (t) => {
      db = await testDatabase(kind);
      if (!db) return t.skip("PostgreSQL unavailable");
      dir = await fs.mkdtemp(path.join(os.tmpdir(), `orun-rem16-stop-${kind}-`));
      backend = await startBackendProcess(db.url);
      const created = await spawnOrun(["backend", "token", "create", "--namespace", "local:acme/stop", "--database", db.url]).done;
      const token = /orun_\S+/.exec(created.output)![0];
      const go = path.join(dir, "go");
      const planFile = await writePlan(dir, "stop", [
        { id: "a@dev.build", run: `while [ ! -f ${go} ]; do sleep 0.05; done` },
        ...[1, 2, 3].map((i) => ({ id: `w${i}@dev.build`, deps: ["a@dev.build"], run: "echo waited" })),
      ]);
      const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: `stop-${kind}`, GITHUB_ACTIONS: "", ORUN_BACKEND_RETRY_MS: "60000" };
      const runners = ["a@dev.build", "w1@dev.build", "w2@dev.build", "w3@dev.build"].map((job) => spawnOrun(["run", planFile, "--remote-state", "--job", job], { cwd: dir, env }));
      await until(() => runners.slice(1).every((r) => /waiting for dependencies/.test(r.output())), "the three waiting runners hold long-polls", 60_000);
      await new Promise((resolve) => setTimeout(resolve, 300));

      const sent = Date.now();
      backend.proc.child.kill("SIGTERM");
      const stopped = await backend.proc.done;
      assert.equal(stopped.code, 0, stopped.output);
      assert.ok(stopped.exitedAt - sent < 5_000, `stopped ${stopped.exitedAt - sent} ms after SIGTERM`);
      assert.doesNotMatch(stopped.output, /Error|not open|after calling end|\n\s+at /, stopped.output);

      backend = await startBackendProcess(db.url, [], backend.port);
      await fs.writeFile(go, "");
      for (const runner of runners) {
        const result = await runner.done;
        assert.equal(result.code, 0, result.output);
      }
    });
  });
}
