// Scheduler + local runner throughput: DAGs of 1,000 no-op jobs (a chain, a
// wide fan-out, ten layers) run by the built CLI at concurrency 1 and 8,
// beside `make -j1` / `make -j8` running the same DAG (a generated Makefile
// with `true` recipes) in the same run. Each cell is the median of 3 runs,
// orun and make alternating so both see the same machine load; the load
// average is printed with the figures because on a shared 2-core machine it
// moves every number. Prints wall times and orun/make ratios; target ≤ 1.5×
// make at concurrency 8.
// Run alone: node dist/bench/scheduler.js
// ORUN_BENCH_BIN=<file> times another CLI entry point (e.g. a trial bundle) in place of dist/src/cli/bin.js.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { PLAN_API_VERSION, PLAN_KIND, type Plan, type PlanJob } from "../src/model/plan.js";
import { computePlanChecksum } from "../src/plan/checksum.js";

const JOBS = 1000;
const REPS = 3;
const ORUN_BIN = path.resolve(process.env.ORUN_BENCH_BIN || path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/cli/bin.js"));

type Shape = "chain" | "fan-out" | "layered";

export interface SchedulerBenchRow {
  shape: Shape;
  concurrency: number;
  /** Medians of REPS runs. */
  orunMs: number;
  makeMs: number;
  ratio: number;
  /** 1-minute load average when the cell finished. */
  load: number;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const loadText = (): string => os.loadavg().map((v) => v.toFixed(1)).join(" / ");

/** Dependencies of job i for each shape (job names j0000…j0999). */
function dependencies(shape: Shape, i: number): number[] {
  if (i === 0) return [];
  if (shape === "chain") return [i - 1];
  if (shape === "fan-out") return [0];
  const width = JOBS / 10;
  const layer = Math.floor(i / width);
  if (layer === 0) return [];
  const base = (layer - 1) * width;
  const offset = i % width;
  return [base + offset, base + ((offset + 1) % width), base + ((offset * 7 + 3) % width)].filter((v, k, all) => all.indexOf(v) === k);
}

const name = (i: number): string => `j${String(i).padStart(4, "0")}`;

function makePlan(shape: Shape): Plan {
  const jobs: PlanJob[] = [];
  for (let i = 0; i < JOBS; i++) {
    jobs.push({
      id: `c${i % 10}@bench.${name(i)}`,
      name: name(i),
      component: `c${i % 10}`,
      environment: "bench",
      dependsOn: dependencies(shape, i).map((d) => `c${d % 10}@bench.${name(d)}`),
      steps: [{ id: "noop", phase: "main", run: "true" }],
    });
  }
  const plan: Plan = { apiVersion: PLAN_API_VERSION, kind: PLAN_KIND, metadata: { name: `bench-${shape}` }, execution: { concurrency: 1, failFast: true }, spec: {}, jobs };
  // Checksummed like every plan `orun plan` writes (a hand-written plan without one is checksummed at run start).
  plan.metadata.checksum = computePlanChecksum(plan);
  return plan;
}

function makefile(shape: Shape): string {
  const lines = [".PHONY: all " + Array.from({ length: JOBS }, (_, i) => name(i)).join(" "), `all: ${Array.from({ length: JOBS }, (_, i) => name(i)).join(" ")}`];
  for (let i = 0; i < JOBS; i++) lines.push(`${name(i)}: ${dependencies(shape, i).map(name).join(" ")}`, "\t@true");
  return `${lines.join("\n")}\n`;
}

async function repeat(run: (rep: number) => Promise<number>): Promise<number[]> {
  const times: number[] = [];
  for (let rep = 0; rep < REPS; rep++) times.push(await run(rep));
  return times;
}

/** Wall time of one process; an `undefined` env value removes that variable. */
function timeProcess(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1", ...env } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve(performance.now() - started);
    });
  });
}

export async function runSchedulerBench(log: (line: string) => void = console.log): Promise<SchedulerBenchRow[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-bench-sched-"));
  const rows: SchedulerBenchRow[] = [];
  try {
    log(`scheduler: ${JOBS} no-op jobs (\`true\`), built CLI vs make, same machine, same run; median of ${REPS}`);
    if (process.env.ORUN_BENCH_BIN) log(`  CLI: ${ORUN_BIN} (ORUN_BENCH_BIN)`);
    log(`  machine: ${os.cpus().length} CPUs, load average ${loadText()} (1 / 5 / 15 min) at start`);
    log(`  ${"shape".padEnd(8)} ${"conc".padStart(4)} ${"orun".padStart(9)} ${"make".padStart(9)} ${"ratio".padStart(7)} ${"load".padStart(6)}`);
    for (const shape of ["chain", "fan-out", "layered"] as Shape[]) {
      const shapeDir = path.join(dir, shape);
      await import("node:fs/promises").then((fs) => fs.mkdir(shapeDir, { recursive: true }));
      await writeFile(path.join(shapeDir, "plan.json"), JSON.stringify(makePlan(shape)));
      await writeFile(path.join(shapeDir, "Makefile"), makefile(shape));
      for (const concurrency of [1, 8]) {
        // Alternate orun and make so a change in machine load hits both; the median resists one-off stalls.
        const orunTimes: number[] = [];
        const makeTimes: number[] = [];
        for (let rep = 0; rep < REPS; rep++) {
          const execId = `bench-${shape}-${concurrency}-${rep}`;
          orunTimes.push(await timeProcess(process.execPath, [ORUN_BIN, "run", "plan.json", "--runner", "local", "--concurrency", String(concurrency), "--exec-id", execId, "--json"], shapeDir));
          makeTimes.push(await timeProcess("make", ["-s", `-j${concurrency}`, "-f", "Makefile", "all"], shapeDir));
          const state = JSON.parse(await readFile(path.join(shapeDir, ".orun/executions", execId, "state.json"), "utf8")) as { jobs: Record<string, { status: string }> };
          const done = Object.values(state.jobs).filter((job) => job.status === "completed").length;
          if (done !== JOBS) throw new Error(`orun completed ${done}/${JOBS} jobs for ${shape}`);
          await rm(path.join(shapeDir, ".orun"), { recursive: true, force: true });
        }
        const row = { shape, concurrency, orunMs: median(orunTimes), makeMs: median(makeTimes), ratio: 0, load: os.loadavg()[0]! };
        row.ratio = row.orunMs / row.makeMs;
        rows.push(row);
        log(
          `  ${shape.padEnd(8)} ${String(concurrency).padStart(4)} ${`${row.orunMs.toFixed(0)}ms`.padStart(9)} ${`${row.makeMs.toFixed(0)}ms`.padStart(9)} ${`${row.ratio.toFixed(2)}×`.padStart(7)} ${row.load.toFixed(1).padStart(6)}`,
        );
      }
    }
    // Reference: the same fan-out spawned directly from the orun process (no helper processes).
    const fanOut = path.join(dir, "fan-out");
    const directTimes: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      const execId = `bench-direct-${rep}`;
      directTimes.push(await timeProcess(process.execPath, [ORUN_BIN, "run", "plan.json", "--runner", "local", "--concurrency", "8", "--exec-id", execId, "--json"], fanOut, { ORUN_LOCAL_SPAWNER: "direct" }));
      await rm(path.join(fanOut, ".orun"), { recursive: true, force: true });
    }
    const direct = median(directTimes);
    const pooled = rows.find((row) => row.shape === "fan-out" && row.concurrency === 8)!;
    log(`  reference: fan-out at 8 with Node's own spawn ${direct.toFixed(0)}ms vs the native spawn helper ${pooled.orunMs.toFixed(0)}ms (${(direct / pooled.orunMs).toFixed(2)}× faster with the helper)`);
    // Floor: the seed runs every step through `sh -c`, while make execs `true` directly.
    // xargs -P8 running 1,000 `sh -c true` (no DAG, no bookkeeping) shows what the shell alone costs.
    const floorTimes: number[] = [];
    for (let rep = 0; rep < REPS; rep++) floorTimes.push(await timeProcess("sh", ["-c", `seq ${JOBS} | xargs -P8 -I{} sh -c true`], dir));
    const floor = median(floorTimes);
    log(`  reference: ${JOBS} × \`sh -c true\` via xargs -P8 ${floor.toFixed(0)}ms = ${(floor / pooled.makeMs).toFixed(2)}× make -j8 (the cost of sh -c alone)`);
    // Fixed cost: the same CLI running a 1-job plan (Node start-up, loading, records) — paid once per run.
    const oneDir = path.join(dir, "one");
    await import("node:fs/promises").then((fs) => fs.mkdir(oneDir, { recursive: true }));
    const one = makePlan("chain");
    one.jobs = one.jobs.slice(0, 1);
    one.metadata.checksum = computePlanChecksum(one); // the checksum field itself is not hashed
    await writeFile(path.join(oneDir, "plan.json"), JSON.stringify(one));
    const oneTimes: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      oneTimes.push(await timeProcess(process.execPath, [ORUN_BIN, "run", "plan.json", "--runner", "local", "--exec-id", `one-${rep}`, "--json"], oneDir));
      await rm(path.join(oneDir, ".orun"), { recursive: true, force: true });
    }
    const startup = median(oneTimes);
    log(`  reference: a 1-job plan (start-up and records) ${startup.toFixed(0)}ms; with the sh -c floor above: ${(startup + floor).toFixed(0)}ms = ${((startup + floor) / pooled.makeMs).toFixed(2)}× make -j8 before any per-job overhead`);
    // Node's own start-up, paid by every orun process: on machines that set NODE_EXTRA_CA_CERTS, Node 20 reads and
    // parses that CA bundle at every start, before any orun code runs (this sandbox sets it).
    const nodeStart = median(await repeat(() => timeProcess(process.execPath, ["-e", "0"], dir)));
    if (process.env.NODE_EXTRA_CA_CERTS) {
      const bare = median(await repeat(() => timeProcess(process.execPath, ["-e", "0"], dir, { NODE_EXTRA_CA_CERTS: undefined })));
      const fanOutBare = median(
        await repeat(async (rep) => {
          const ms = await timeProcess(process.execPath, [ORUN_BIN, "run", "plan.json", "--runner", "local", "--concurrency", "8", "--exec-id", `bench-bare-${rep}`, "--json"], fanOut, { NODE_EXTRA_CA_CERTS: undefined });
          await rm(path.join(fanOut, ".orun"), { recursive: true, force: true });
          return ms;
        }),
      );
      log(`  reference: \`node -e 0\` ${nodeStart.toFixed(0)}ms here, ${bare.toFixed(0)}ms without NODE_EXTRA_CA_CERTS (set on this machine; Node reads the bundle at every start); fan-out at 8 without it ${fanOutBare.toFixed(0)}ms = ${(fanOutBare / pooled.makeMs).toFixed(2)}× make -j8`);
    } else {
      log(`  reference: \`node -e 0\` ${nodeStart.toFixed(0)}ms (Node's own start-up, included in every orun figure)`);
    }
    const at8 = rows.filter((row) => row.concurrency === 8);
    const worst = Math.max(...at8.map((row) => row.ratio));
    log(`  worst ratio at concurrency 8: ${worst.toFixed(2)}× make -j8 (target ≤ 1.50×) ${worst <= 1.5 ? "✓" : "✗"}`);
    log(`  load average ${loadText()} at end`);
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  runSchedulerBench().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
