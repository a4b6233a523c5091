// "Someone follows this run's logs" is kept in the store (runs.followed_at, migration 15), not in one backend
// process's memory: with two `orun backend serve` replicas on one database, a follower reading on replica A makes
// replica B's append answers say `followed`, so a runner talking to B uploads a running step's lines at the
// follower's pace. Before, B never knew (the follower's mark lived in A's memory). The mark expires a minute after
// the last read. Databases a backend from before migrations 14 and 15 left keep working: their runs are read,
// appended to and followed. Real backend processes on a real SQLite file and a real PostgreSQL schema.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { PlanJob } from "../../src/model/plan.js";
import { RemoteHooks } from "../../src/remote/hooks.js";
import { TOKEN_PREFIX, createToken, hashToken } from "../../src/remote/backend/auth/tokens.js";
import { MIGRATIONS, MIGRATIONS_TABLE } from "../../src/remote/backend/store/migrations.js";
import { openStore } from "../../src/remote/backend/store/index.js";
import { makePlan } from "../runtime/helpers.js";
import { api, enc, sql, testDatabase, WatchedLogClient, type StoreKind, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, startBackendProcess, type BackendProcess, type OrunProcess } from "./processes.js";
import { until } from "../support/wait.js";

const ns = "local:acme/follow";

/** A database as a backend before migrations 14 and 15 left it, holding run `old` (one job): returns a token for `ns`. */
async function databaseBeforeMigration14(url: string, kind: StoreKind): Promise<string> {
  await sql(url, MIGRATIONS_TABLE);
  for (const m of MIGRATIONS.filter((x) => x.version <= 13)) {
    // Migration 13's PostgreSQL part is code that finds nothing to do in an empty database.
    for (const statement of m[kind].split(";").map((x) => x.trim()).filter(Boolean)) await sql(url, statement);
    await sql(url, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [m.version, m.name, "2026-01-01T00:00:00.000Z"]);
  }
  const no = kind === "sqlite" ? "0" : "false";
  const now = new Date().toISOString();
  await sql(
    url,
    `INSERT INTO runs (namespace, run_id, status, plan_checksum, plan_json, trigger_type, actor, dry_run, created_at, updated_at, finished_at, revision, fail_fast, stopped_reason)
     VALUES ($1, 'old', 'running', '0ld', '{}', 'ci', NULL, ${no}, $2, $3, NULL, NULL, ${no}, NULL)`,
    [ns, now, now],
  );
  await sql(url, `INSERT INTO jobs (namespace, run_id, job_id, position, component, deps, status, attempts) VALUES ($1, 'old', 'old@dev.job', 0, 'old', '[]', 'pending', 0)`, [ns]);
  const token = `${TOKEN_PREFIX}before-migration-14`;
  await sql(url, "INSERT INTO tokens (id, token_hash, namespace, description, created_at, revoked_at) VALUES ('tok_old', $1, $2, NULL, $3, NULL)", [hashToken(token), ns, now]);
  return token;
}

for (const kind of ["sqlite", "postgres"] as StoreKind[]) {
  describe(`followers seen by every replica (two orun backend serve on ${kind})`, () => {
    let db: TestDatabase | undefined;
    const replicas: BackendProcess[] = [];
    after(async () => {
      killAllChildren();
      for (const replica of replicas) await replica.stop().catch(() => undefined);
      await db?.cleanup();
    });

    it("a ranged read on replica A makes replica B's append answers say followed, for a minute; an older database migrates and keeps its runs", { timeout: 300_000 }, async (t) => {
      db = await testDatabase(kind);
      if (!db) return t.skip("PostgreSQL unavailable");
      const token = await databaseBeforeMigration14(db.url, kind);
      // One after the other: both migrate at start, and the second finds nothing left to do.
      const a = await startBackendProcess(db.url);
      replicas.push(a);
      const b = await startBackendProcess(db.url);
      replicas.push(b);
      const versions = await sql<{ version: number }>(db.url, "SELECT version FROM schema_migrations WHERE version IN (14, 15) ORDER BY version");
      assert.deepEqual(versions.map((v) => Number(v.version)), [14, 15]);

      // The run from before the migrations: its job has no step keys (readers judge its log as before) and its log takes appends.
      const jobs = await api<{ jobs: { jobId: string; steps?: string[] }[] }>(b.url, token, "GET", "/v1/runs/old/jobs");
      assert.deepEqual(jobs.body.jobs.map((j) => [j.jobId, j.steps]), [["old@dev.job", undefined]]);
      const logPath = `/v1/runs/old/logs/${enc("old@dev.job")}`;
      const append = (offset: number) => api<{ bytes: number; followed: boolean }>(b.url, token, "POST", `${logPath}?append=true&offset=${offset}`, "line\n");
      const first = await append(0);
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.followed, false, "nobody has followed the run yet");

      const read = await fetch(`${a.url}${logPath}?offset=0`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(await read.text(), "line\n");
      const second = await append(5);
      assert.equal(second.body.followed, true, "replica B knows of the follower on replica A");

      // The mark expires a minute after the last read.
      await sql(db.url, "UPDATE runs SET followed_at = $1 WHERE namespace = $2 AND run_id = $3", [new Date(Date.now() - 61_000).toISOString(), ns, "old"]);
      assert.equal((await append(10)).body.followed, false, "a follower gone for over a minute no longer counts");
    });

    it("a runner talking to replica B uploads a running step's lines at the followed pace once orun logs --follow runs on replica A", { timeout: 180_000 }, async (t) => {
      if (!db) return t.skip("PostgreSQL unavailable");
      const [a, b] = replicas;
      const store = await openStore(db.url);
      const token = await createToken(store, ns).then((created) => created.token).finally(() => store.close());
      const plan = makePlan([{ id: "f@dev.deploy", steps: [{ id: "a", run: "x" }] }], { name: "followed" });
      const job: PlanJob = plan.jobs[0]!;
      const client = new WatchedLogClient({ baseUrl: b!.url, auth: { kind: "token", token: async () => token } });
      // The paces scaled down: 2 s -> 100 ms, 30 s -> 4 s (room for a loaded machine's requests within it).
      const hooks = new RemoteHooks({ client, plan, runId: "paced", runnerId: "me", mode: "plan", say: () => undefined, liveFlushMs: { followed: 100, idle: 4_000 } });
      const logPath = `/v1/runs/paced/logs/${enc(job.id)}`;
      const log = async () => (await api(b!.url, token, "GET", logPath)).text;
      let follower: OrunProcess | undefined;
      try {
        assert.equal((await hooks.beforeJob(job, new AbortController().signal)).action, "run");
        hooks.onStepOutput(job, "a", "one\n");
        await until(async () => (await log()).includes("one"), "the step's first line on the backend", 10_000);
        // `orun logs --follow` on replica A: the runner learns of it from replica B's answer to its next append (the
        // idle-paced one).
        follower = spawnOrun(["logs", "--follow", "--remote-state", "--backend-url", a!.url, "--exec-id", "paced"], { env: { ORUN_TOKEN: token, ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "" } });
        await until(() => follower!.output().includes("one"), "the follower on replica A printed the first line", 120_000);
        hooks.onStepOutput(job, "a", "two\n");
        await until(async () => (await log()).includes("two"), "the idle-paced line", 10_000);
        await until(() => client.toldFollowed, "the runner to learn of the follower", 10_000);
        hooks.onStepOutput(job, "a", "three\n");
        const printed = Date.now();
        const took = (await client.sentAt("three", 10_000)) - printed;
        assert.ok(took < 2_000, `a followed line was sent ${took} ms after it was printed (the idle pace is 4 s)`);
        await until(async () => (await log()).includes("three"), "the followed line on the backend", 10_000);
        await hooks.onStepFinished(job, "a", "", false);
        await hooks.afterJob(job, { status: "completed" });
      } finally {
        await hooks.close();
      }
      assert.equal(await log(), "=== a ===\none\ntwo\nthree\n");
      const followed = await follower!.done;
      assert.equal(followed.code, 0, followed.output);
      assert.match(followed.output, /one\ntwo\nthree\n/);
    });
  });
}
