// Many whole-plan runners (`orun run <plan> --remote-state`, concurrency 2
// each) over one 100-job DAG, on SQLite and on PostgreSQL behind two backend
// replicas: each walks the whole plan, so most of their claims find the job
// done or running elsewhere — answered without the run's lock — yet every job
// executes exactly once, after all its dependencies, and the run completes.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { Plan } from "../../src/model/plan.js";
import { testDatabase, type StoreKind, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, startBackendProcess, type BackendProcess } from "./processes.js";

const RUNNERS = 8;
const JOBS = 100;

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`${RUNNERS} whole-plan runners over a ${JOBS}-job DAG on ${kind}`, () => {
    let db: TestDatabase | undefined;
    let dir: string | undefined;
    const servers: BackendProcess[] = [];
    after(async () => {
      killAllChildren();
      for (const s of servers) await s.stop().catch(() => undefined);
      await db?.cleanup();
      if (dir) await fs.rm(dir, { recursive: true, force: true });
    });

    it("executes every job exactly once, in dependency order, and each runner exits 0", { timeout: 300_000 }, async (t) => {
      db = await testDatabase(kind);
      if (!db) return t.skip("PostgreSQL unavailable");
      dir = await fs.mkdtemp(path.join(os.tmpdir(), `orun-plan-runners-${kind}-`));
      for (let i = 0; i < (kind === "postgres" ? 2 : 1); i++) servers.push(await startBackendProcess(db.url, ["--rate-limit", "100000/100000"]));
      const token = (await spawnOrun(["backend", "token", "create", "--namespace", "local:acme/plan", "--database", db.url]).done).output.split("\n")[0]!.trim();
      const ledger = path.join(dir, "ledger");
      // Job i depends on i-1 and i-7 (when they exist): chains with some width.
      const ids = Array.from({ length: JOBS }, (_, i) => `c${String(i).padStart(3, "0")}@dev.run`);
      const deps = (i: number) => [i - 1, i - 7].filter((d) => d >= 0 && (i % 5 !== 0 || d !== i - 1)).map((d) => ids[d]!);
      const plan: Plan = {
        apiVersion: "orun.io/v1",
        kind: "Plan",
        metadata: { name: "plan-runners" },
        execution: { concurrency: 2, failFast: false },
        spec: {},
        jobs: ids.map((id, i) => ({ id, name: "run", component: id.split("@")[0]!, environment: "dev", dependsOn: deps(i), steps: [{ id: "main", phase: "main", run: `echo ${id} >> ${ledger}` }] })),
      };
      const planFile = path.join(dir, "plan.json");
      await fs.writeFile(planFile, JSON.stringify(plan));
      const execId = `plan-runners-${kind}-${Date.now()}`;
      const runners = Array.from({ length: RUNNERS }, (_, i) =>
        spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env: { ORUN_TOKEN: token, ORUN_BACKEND_URL: servers[i % servers.length]!.url, ORUN_EXEC_ID: execId } }).done,
      );
      for (const r of await Promise.all(runners)) assert.equal(r.code, 0, r.output);

      const lines = (await fs.readFile(ledger, "utf8")).trim().split("\n");
      assert.equal(lines.length, JOBS, "one execution per job");
      assert.equal(new Set(lines).size, JOBS, "no job executed twice");
      const position = new Map(lines.map((id, i) => [id, i]));
      ids.forEach((id, i) => deps(i).forEach((dep) => assert.ok(position.get(dep)! < position.get(id)!, `${dep} ran before ${id}`)));
      const status = await spawnOrun(["status", "--remote-state", "--exec-id", execId, "--json"], { cwd: dir, env: { ORUN_TOKEN: token, ORUN_BACKEND_URL: servers[0]!.url } }).done;
      const json = JSON.parse(status.output) as { meta: { status: string; jobDone: number } };
      assert.deepEqual([json.meta.status, json.meta.jobDone], ["completed", JOBS]);
    });
  });
}
