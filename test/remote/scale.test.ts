// orun-test: run alone (50 runner processes: see scripts/run-tests.mjs)
// 50 concurrent `orun run --job` processes over a 200-job DAG: every job
// runs exactly once and after all its dependencies — on SQLite, and on
// PostgreSQL behind two backend replicas (separate processes).
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { testDatabase, type StoreKind, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, startBackendProcess, writePlan, type BackendProcess } from "./processes.js";

const JOBS = Number(process.env.ORUN_SCALE_JOBS ?? 200);
const CONCURRENT = Number(process.env.ORUN_SCALE_CONCURRENT ?? 50);
const DUPLICATES = 10;

/** A deterministic random DAG: each job depends on up to 3 earlier ones. */
function randomDag(count: number, seed = 7): { id: string; deps: string[] }[] {
  let state = seed;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const jobs: { id: string; deps: string[] }[] = [];
  for (let i = 0; i < count; i++) {
    const deps = new Set<string>();
    const n = i === 0 ? 0 : Math.floor(rand() * 4);
    for (let k = 0; k < n; k++) deps.add(jobs[Math.floor(rand() * i)].id);
    jobs.push({ id: `c${String(i).padStart(3, "0")}@dev.run`, deps: [...deps] });
  }
  return jobs;
}

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`${CONCURRENT} concurrent runners over a ${JOBS}-job DAG on ${kind}`, () => {
    let db: TestDatabase | undefined;
    let dir: string | undefined;
    const servers: BackendProcess[] = [];
    after(async () => {
      killAllChildren();
      for (const s of servers) await s.stop().catch(() => undefined);
      await db?.cleanup();
      if (dir) await fs.rm(dir, { recursive: true, force: true });
    });

    it("executes every job exactly once, in dependency order", { timeout: 900_000 }, async (t) => {
      db = await testDatabase(kind);
      if (!db) return t.skip("PostgreSQL unavailable");
      dir = await fs.mkdtemp(path.join(os.tmpdir(), `orun-scale-${kind}-`));
      const replicas = kind === "postgres" ? 2 : 1;
      for (let i = 0; i < replicas; i++) servers.push(await startBackendProcess(db.url, ["--rate-limit", "100000/100000"]));
      const token = (await spawnOrun(["backend", "token", "create", "--namespace", "local:acme/scale", "--database", db.url]).done).output.split("\n")[0].trim();
      const ledger = path.join(dir, "ledger");
      const dag = randomDag(JOBS);
      const planFile = await writePlan(dir, "scale", dag.map((j) => ({ ...j, run: `echo ${j.id} >> ${ledger}` })));

      // Launch in topological blocks of 10, each block reversed, so dependents
      // regularly start before their dependencies and must wait; plus duplicates.
      const launches: string[] = [];
      for (let i = 0; i < dag.length; i += 10) launches.push(...dag.slice(i, i + 10).reverse().map((j) => j.id));
      for (let d = 0; d < DUPLICATES; d++) launches.splice((d * 20 + 5) % launches.length, 0, dag[(d * 17) % dag.length].id);

      const execId = `scale-${kind}-${Date.now()}`;
      const failures: string[] = [];
      let next = 0;
      let waited = 0;
      let alreadyDone = 0;
      const worker = async (slot: number) => {
        while (next < launches.length && failures.length === 0) {
          const job = launches[next++];
          const backendUrl = servers[slot % servers.length].url;
          const r = await spawnOrun(["run", planFile, "--job", job, "--remote-state", "--json"], {
            cwd: dir,
            env: { ORUN_TOKEN: token, ORUN_BACKEND_URL: backendUrl, ORUN_EXEC_ID: execId, ORUN_REMOTE_WAIT_TIMEOUT_MS: "240000" },
          }).done;
          if (r.code !== 0 && failures.length === 0) {
            // One failure strands its dependents' runners: stop everything and report it.
            failures.push(`${job}: exit ${r.code}\n${r.output}`);
            killAllChildren();
          }
          if (/waiting for dependencies/.test(r.output)) waited++;
          if (/already completed in remote run |is running in remote run /.test(r.output)) alreadyDone++;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENT }, (_, slot) => worker(slot)));
      assert.deepEqual(failures, []);

      const lines = (await fs.readFile(ledger, "utf8")).trim().split("\n");
      assert.equal(lines.length, JOBS, "one execution per job");
      assert.equal(new Set(lines).size, JOBS, "no job executed twice");
      const position = new Map(lines.map((id, i) => [id, i]));
      for (const job of dag) for (const dep of job.deps) assert.ok(position.get(dep)! < position.get(job.id)!, `${dep} ran before ${job.id}`);
      assert.ok(waited > 0, "some dependents started before their dependencies and waited");
      assert.ok(alreadyDone >= DUPLICATES, "duplicate runners found their job taken");

      const status = await spawnOrun(["status", "--remote-state", "--exec-id", execId, "--json"], { cwd: dir, env: { ORUN_TOKEN: token, ORUN_BACKEND_URL: servers[0].url } }).done;
      const json = JSON.parse(status.output) as { meta: { status: string; jobDone: number } };
      assert.deepEqual([json.meta.status, json.meta.jobDone], ["completed", JOBS]);
    });
  });
}
