// Remote-state benchmarks on a real backend (`orun backend serve`, its own
// process) over loopback HTTP:
// - dependency-done → dependent-start latency (p50/p99): a runner long-polls
//   for its job while the dependency's runner reports success;
// - claim+complete throughput with N concurrent workers.
// Each is printed next to a baseline measured in the same run: one bare
// authenticated HTTP round trip (latency) and bare requests/s (throughput),
// the floor any coordination protocol over HTTP pays.
// Targets: p50 ≤ 100 ms; ≥ 1,000 cycles/s on SQLite.
// `runRemoteLogBench`: a 10-byte log append to a job whose log already holds
// 1 MiB and 8 MiB, against the same append to an empty log (its cost must not
// grow with the log), and a follower's read of the last bytes of an 8 MiB log
// (`?offset=`) against reading the whole log.
// `runRemoteGateEvidenceBench`: an unmet promotion gate's GET /v1/evidence on a store of 100,000 jobs (half the runs
// at the revision asked about, each with a failed job; WITHHELD_SQL runs too), and for a revision never run, against
// a GET of one run: its cost must follow the runs at the revision, not the jobs table.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { openStore } from "../src/remote/backend/store/index.js";
import { createToken } from "../src/remote/backend/auth/tokens.js";

const ORUN_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/cli/bin.js");

/** Starts `orun backend serve` on a free port; resolves with its URL and a stop function. */
async function serveBackend(database: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [ORUN_BIN, "backend", "serve", "--port", "0", "--database", database, "--rate-limit", "1000000000/1000000000"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then(() => reject(new Error(`orun backend serve exited: ${out}`)));
  });
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

const CHAIN = 200;
const THROUGHPUT_JOBS = 3000;
const WORKERS = [1, 8, 32];

export interface RemoteBenchResult {
  store: string;
  latencyP50Ms: number;
  latencyP99Ms: number;
  roundTripP50Ms: number;
  cyclesPerSecond: Record<number, number>;
  bareRequestsPerSecond: number;
}

export async function runRemoteBench(): Promise<RemoteBenchResult[]> {
  return onEachStore(benchStore);
}

/** Runs `bench` on a fresh SQLite file, then (when available) a fresh PostgreSQL schema. */
async function onEachStore<T>(bench: (name: string, database: string) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-bench-remote-"));
  try {
    results.push(await bench("sqlite", `sqlite:${path.join(dir, "bench.db")}`));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  const pgUrl = await postgresUrl();
  if (!pgUrl) {
    console.log("  postgres: skipped (no ORUN_TEST_POSTGRES_URL and scripts/setup-postgres.sh failed)");
    return results;
  }
  const schema = `orun_bench_${randomBytes(4).toString("hex")}`;
  const url = new URL(pgUrl);
  url.searchParams.set("schema", schema);
  try {
    results.push(await bench("postgres", url.toString()));
  } finally {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
  return results;
}

async function benchStore(name: string, database: string): Promise<RemoteBenchResult> {
  const store = await openStore(database);
  const { token } = await createToken(store, "local:bench/remote");
  await store.close();
  const backend = await serveBackend(database);
  const call = async (method: string, p: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(backend.url + p, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  try {
    // Baseline: bare authenticated round trips.
    await call("POST", "/v1/runs", { runId: "base", plan: { checksum: "b", jobs: [{ jobId: "x" }] } });
    const trips: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await call("GET", "/v1/runs/base");
      trips.push(performance.now() - t);
    }
    const roundTripP50Ms = percentile(trips, 50);

    // Latency along a chain: job i+1 long-polls while job i is reported done.
    const chain = Array.from({ length: CHAIN }, (_, i) => ({ jobId: `j${i}`, deps: i ? [`j${i - 1}`] : [] }));
    await call("POST", "/v1/runs", { runId: "chain", plan: { checksum: "c", jobs: chain } });
    await call("POST", "/v1/runs/chain/jobs/j0/claim", { runnerId: "r0" });
    const latencies: number[] = [];
    for (let i = 0; i + 1 < CHAIN; i++) {
      const next = `j${i + 1}`;
      let doneAt = 0;
      const dependent = (async () => {
        await call("GET", `/v1/runs/chain/runnable?job=${next}&waitMs=10000`);
        const claim = await call("POST", `/v1/runs/chain/jobs/${next}/claim`, { runnerId: `r${i + 1}` });
        if (claim.claimed !== true) throw new Error(`claim of ${next} failed: ${JSON.stringify(claim)}`);
        return performance.now();
      })();
      await new Promise((r) => setTimeout(r, 2)); // the dependent is parked in its long-poll
      doneAt = performance.now();
      await call("POST", `/v1/runs/chain/jobs/j${i}/update`, { runnerId: `r${i}`, status: "success" });
      latencies.push((await dependent) - doneAt);
    }
    const latencyP50Ms = percentile(latencies, 50);
    const latencyP99Ms = percentile(latencies, 99);
    console.log(`  ${name}: dependency-done → dependent-start p50 ${latencyP50Ms.toFixed(2)} ms, p99 ${latencyP99Ms.toFixed(2)} ms over ${latencies.length} links (target p50 ≤ 100 ms)`);
    console.log(`  ${name}: baseline bare round trip p50 ${roundTripP50Ms.toFixed(2)} ms → latency is ${(latencyP50Ms / roundTripP50Ms).toFixed(1)}× one round trip`);

    // Bare request rate with 8 workers, the throughput floor.
    const bareRequestsPerSecond = await rate(8, 2000, () => call("GET", "/v1/runs/base"));

    // Throughput: claim + complete cycles over independent jobs.
    const cyclesPerSecond: Record<number, number> = {};
    for (const workers of WORKERS) {
      const runId = `tp-${workers}`;
      const jobs = Array.from({ length: THROUGHPUT_JOBS }, (_, i) => ({ jobId: `t${i}` }));
      await call("POST", "/v1/runs", { runId, plan: { checksum: "t", jobs } });
      let next = 0;
      cyclesPerSecond[workers] = await rate(workers, THROUGHPUT_JOBS, async (worker) => {
        const job = `t${next++}`;
        const claim = await call("POST", `/v1/runs/${runId}/jobs/${job}/claim`, { runnerId: `w${worker}` });
        if (claim.claimed !== true) throw new Error(`claim of ${job} failed`);
        await call("POST", `/v1/runs/${runId}/jobs/${job}/update`, { runnerId: `w${worker}`, status: "success" });
      });
      console.log(
        `  ${name}: claim+complete with ${String(workers).padStart(2)} workers: ${Math.round(cyclesPerSecond[workers])} cycles/s ` +
          `(${(cyclesPerSecond[workers] / (bareRequestsPerSecond / 2)).toFixed(2)}× the bare-request ceiling of ${Math.round(bareRequestsPerSecond / 2)} two-request cycles/s)${name === "sqlite" ? " (target ≥ 1,000)" : ""}`,
      );
    }
    return { store: name, latencyP50Ms, latencyP99Ms, roundTripP50Ms, cyclesPerSecond, bareRequestsPerSecond };
  } finally {
    await backend.stop();
  }
}

const LOG_SIZES_MIB = [1, 8];
const APPENDS = 60;
const FILL_CHUNK = 256 * 1024;

export interface RemoteLogBenchResult {
  store: string;
  /** Median ms of a 10-byte append to an empty log (the baseline) and to logs of each size in MiB. */
  appendEmptyMs: number;
  appendMs: Record<number, number>;
  /** Median ms to read an 8 MiB log whole, and only its last 10 bytes by offset. */
  readWholeMs: number;
  readTailMs: number;
  tailBytes: number;
}

export async function runRemoteLogBench(): Promise<RemoteLogBenchResult[]> {
  return onEachStore(benchLogs);
}

async function benchLogs(name: string, database: string): Promise<RemoteLogBenchResult> {
  const store = await openStore(database);
  const { token } = await createToken(store, "local:bench/logs");
  await store.close();
  const backend = await serveBackend(database);
  const request = async (method: string, p: string, body?: string): Promise<Response> => {
    const res = await fetch(backend.url + p, { method, headers: { Authorization: `Bearer ${token}` }, body });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return res;
  };
  try {
    const jobs = ["empty", ...LOG_SIZES_MIB.map((mib) => `log${mib}m`)];
    const created = await request("POST", "/v1/runs", JSON.stringify({ runId: "logs", plan: { checksum: "l", jobs: jobs.map((jobId) => ({ jobId })) } }));
    await created.arrayBuffer();
    const size = new Map(jobs.map((j) => [j, 0]));
    const append = async (job: string, content: string): Promise<number> => {
      const t = performance.now();
      const res = await request("POST", `/v1/runs/logs/logs/${job}?append=true&offset=${size.get(job)}`, content);
      const { bytes } = (await res.json()) as { bytes: number };
      size.set(job, bytes);
      return performance.now() - t;
    };
    // Fill as a chatty job would: the log grows in 256 KiB step outputs.
    const fill = ("0123456789abcdef".repeat(4) + "\n").repeat(FILL_CHUNK / 65 + 1).slice(0, FILL_CHUNK);
    for (const mib of LOG_SIZES_MIB) for (let i = 0; i < (mib * 1024 * 1024) / FILL_CHUNK; i++) await append(`log${mib}m`, fill);
    const tiny = "step done\n";
    const timings = new Map<string, number[]>(jobs.map((j) => [j, []]));
    // Interleaved, so drift in machine load hits every log size alike.
    for (let i = 0; i < APPENDS; i++) for (const job of jobs) timings.get(job)!.push(await append(job, tiny));
    const appendEmptyMs = percentile(timings.get("empty")!, 50);
    const appendMs: Record<number, number> = {};
    console.log(`  ${name}: 10-byte append to an empty log (baseline): p50 ${appendEmptyMs.toFixed(2)} ms over ${APPENDS}`);
    for (const mib of LOG_SIZES_MIB) {
      appendMs[mib] = percentile(timings.get(`log${mib}m`)!, 50);
      console.log(`  ${name}: 10-byte append to a ${mib} MiB log: p50 ${appendMs[mib].toFixed(2)} ms (${(appendMs[mib] / appendEmptyMs).toFixed(2)}× the baseline)`);
    }
    const big = `log${LOG_SIZES_MIB[LOG_SIZES_MIB.length - 1]}m`;
    const whole: number[] = [];
    const tail: number[] = [];
    let tailBytes = 0;
    // Apart, not interleaved: an 8 MiB read just before would charge its garbage collection to the tail read.
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await (await request("GET", `/v1/runs/logs/logs/${big}`)).arrayBuffer();
      whole.push(performance.now() - t);
    }
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      tailBytes = (await (await request("GET", `/v1/runs/logs/logs/${big}?offset=${size.get(big)! - 10}`)).arrayBuffer()).byteLength;
      tail.push(performance.now() - t);
    }
    const readWholeMs = percentile(whole, 50);
    const readTailMs = percentile(tail, 50);
    console.log(
      `  ${name}: follower poll of a ${LOG_SIZES_MIB[LOG_SIZES_MIB.length - 1]} MiB log: last 10 bytes by ?offset= p50 ${readTailMs.toFixed(2)} ms, ${tailBytes} bytes; ` +
        `whole log (baseline) p50 ${readWholeMs.toFixed(2)} ms, ${size.get(big)} bytes`,
    );
    return { store: name, appendEmptyMs, appendMs, readWholeMs, readTailMs, tailBytes };
  } finally {
    await backend.stop();
  }
}

const EVIDENCE_RUNS = 1000;
const EVIDENCE_JOBS_PER_RUN = 100;
const EVIDENCE_REVISION = "1".repeat(40);

export interface RemoteGateEvidenceBenchResult {
  store: string;
  jobs: number;
  runReadMs: number;
  evidenceAtRevisionMs: number;
  evidenceNeverRunMs: number;
}

export async function runRemoteGateEvidenceBench(): Promise<RemoteGateEvidenceBenchResult[]> {
  return onEachStore(benchGateEvidence);
}

/** Runs statements on the store's database directly (rows in bulk, not through the backend); both dialects. */
async function execDirect(database: string, statements: string[]): Promise<void> {
  if (database.startsWith("sqlite:")) {
    const db = new Database(database.slice("sqlite:".length));
    try {
      for (const text of statements) db.exec(text);
    } finally {
      db.close();
    }
    return;
  }
  const url = new URL(database);
  const schema = url.searchParams.get("schema");
  url.searchParams.delete("schema");
  const client = new pg.Client({ connectionString: url.toString(), ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  await client.connect();
  try {
    for (const text of statements) await client.query(text);
  } finally {
    await client.end();
  }
}

async function benchGateEvidence(name: string, database: string): Promise<RemoteGateEvidenceBenchResult> {
  const namespace = "local:bench/evidence";
  const store = await openStore(database);
  const { token } = await createToken(store, namespace);
  await store.close();
  // Recent times: the retention sweeper deletes old runs. WITH RECURSIVE and comparisons for booleans suit both stores.
  const now = new Date().toISOString();
  await execDirect(database, [
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${EVIDENCE_RUNS})
     INSERT INTO runs (namespace, run_id, status, plan_checksum, plan_json, trigger_type, actor, dry_run, created_at, updated_at, revision)
     SELECT '${namespace}', 'e-' || i, 'failed', 'abc123def456', '{}', 'ci', NULL, 1 = 0, '${now}', '${now}',
       CASE WHEN i % 2 = 0 THEN '${EVIDENCE_REVISION}' ELSE 'r' || i END FROM n`,
    `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < ${EVIDENCE_JOBS_PER_RUN - 1})
     INSERT INTO jobs (namespace, run_id, job_id, position, component, deps, status, runner_id, attempts, no_evidence)
     SELECT r.namespace, r.run_id, 'web@qa.j' || k.i, k.i, 'web', '[]', CASE WHEN k.i = ${EVIDENCE_JOBS_PER_RUN - 1} THEN 'failed' ELSE 'success' END, 'r', 1, k.i = 5
     FROM runs r, k`,
    ...(name === "postgres" ? ["ANALYZE"] : []),
  ]);
  const backend = await serveBackend(database);
  const timed = async (p: string): Promise<number> => {
    const t = performance.now();
    const res = await fetch(backend.url + p, { headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`GET ${p}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    return performance.now() - t;
  };
  try {
    const ask = (revision: string) => `/v1/evidence?component=web&environment=qa&revision=${revision}`;
    const samples = { run: [] as number[], atRevision: [] as number[], neverRun: [] as number[] };
    // Interleaved, so drift in machine load hits each alike.
    for (let i = 0; i < 30; i++) {
      samples.run.push(await timed("/v1/runs/e-2"));
      samples.atRevision.push(await timed(ask(EVIDENCE_REVISION)));
      samples.neverRun.push(await timed(ask("f".repeat(40))));
    }
    const result = {
      store: name,
      jobs: EVIDENCE_RUNS * EVIDENCE_JOBS_PER_RUN,
      runReadMs: percentile(samples.run, 50),
      evidenceAtRevisionMs: percentile(samples.atRevision, 50),
      evidenceNeverRunMs: percentile(samples.neverRun, 50),
    };
    console.log(
      `  ${name}: unmet gate's GET /v1/evidence over ${result.jobs} jobs: p50 ${result.evidenceAtRevisionMs.toFixed(2)} ms at a revision of ${EVIDENCE_RUNS / 2} runs, ` +
        `${result.evidenceNeverRunMs.toFixed(2)} ms at one never run; GET of one run (baseline) p50 ${result.runReadMs.toFixed(2)} ms`,
    );
    return result;
  } finally {
    await backend.stop();
  }
}

/** Runs `total` operations over `workers` concurrent loops; returns operations per second. */
async function rate(workers: number, total: number, op: (worker: number) => Promise<unknown>): Promise<number> {
  let started = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (started < total) {
        started++;
        await op(w);
      }
    }),
  );
  return total / ((performance.now() - t) / 1000);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function postgresUrl(): Promise<string | undefined> {
  if (process.env.ORUN_TEST_POSTGRES_URL) return process.env.ORUN_TEST_POSTGRES_URL;
  const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../scripts/setup-postgres.sh");
  return new Promise((resolve) => execFile(script, { timeout: 120_000 }, (err, stdout) => resolve(err ? undefined : stdout.trim().split("\n").pop() || undefined)));
}
