// Compile benchmark: `orun plan` (load, validate, expand, bind, resolve,
// materialize, checksum, encode, save) on synthetic monorepos of 100, 1,000
// and 10,000 components × 5 environments. Each size runs in its own child
// process so the peak RSS is that size's alone; the 100-component run is the
// baseline for the growth ratios (time per component relative to it).
// Targets: 1,000 × 5 in ≤ 2 s and ≤ 300 MB RSS, near-linear growth.
// CPU time (user + system) is printed next to wall time: on a shared, busy
// machine it is the steadier figure.
import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { generateMonorepo } from "./fixtures-gen.js";

const SIZES = [100, 1_000, 10_000];
const TARGET = { components: 1_000, ms: 2_000, rssMb: 300 };

export interface CompileBenchRow {
  components: number;
  jobs: number;
  loadMs: number;
  compileMs: number;
  totalMs: number;
  cpuMs: number;
  rssMb: number;
  /** (CPU time per component) / (CPU time per component at the baseline size) */
  growth: number;
  /** The same against the previous size (10× more components: 1.00× = linear). */
  stepGrowth: number;
}

interface ChildResult {
  jobs: number;
  loadMs: number;
  compileMs: number;
  totalMs: number;
  cpuMs: number;
  rssMb: number;
}

/** Runs inside the child: one full `orun plan` equivalent, then reports timings and peak RSS. */
async function measure(dir: string): Promise<ChildResult> {
  const { loadWorkspace } = await import("../src/planner/load/index.js");
  const { compilePlan } = await import("../src/planner/compile.js");
  const { savePlan } = await import("../src/plan/store.js");
  const cpu = process.cpuUsage();
  const started = performance.now();
  const workspace = await loadWorkspace({ cwd: dir });
  const loaded = performance.now();
  const result = await compilePlan({ cwd: dir, workspace, revision: null });
  await savePlan(dir, result.plan);
  const done = performance.now();
  const used = process.cpuUsage(cpu);
  return {
    jobs: result.plan.jobs.length,
    loadMs: loaded - started,
    compileMs: done - loaded,
    totalMs: done - started,
    cpuMs: (used.user + used.system) / 1000,
    rssMb: process.resourceUsage().maxRSS / 1024,
  };
}

function runChild(dir: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--child", dir], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`benchmark child exited with ${code}`));
      resolve(JSON.parse(out.trim().split("\n").at(-1)!) as ChildResult);
    });
  });
}

export async function runCompileBench(sizes: number[] = SIZES, log: (line: string) => void = console.log): Promise<CompileBenchRow[]> {
  const rows: CompileBenchRow[] = [];
  log(`  ${"components".padStart(10)} ${"jobs".padStart(7)} ${"load".padStart(9)} ${"compile".padStart(9)} ${"wall".padStart(9)} ${"cpu".padStart(9)} ${"peak RSS".padStart(10)} ${"growth".padStart(7)} ${"vs prev".padStart(8)}`);
  for (const components of sizes) {
    const dir = await generateMonorepo(components);
    try {
      const r = await runChild(dir);
      const base = rows[0];
      const prev = rows.at(-1);
      const growth = base ? r.cpuMs / components / (base.cpuMs / base.components) : 1;
      const stepGrowth = prev ? r.cpuMs / components / (prev.cpuMs / prev.components) : 1;
      const row = { components, ...r, growth, stepGrowth };
      rows.push(row);
      log(
        `  ${String(components).padStart(10)} ${String(r.jobs).padStart(7)} ${`${r.loadMs.toFixed(0)}ms`.padStart(9)} ${`${r.compileMs.toFixed(0)}ms`.padStart(9)} ${`${r.totalMs.toFixed(0)}ms`.padStart(9)} ${`${r.cpuMs.toFixed(0)}ms`.padStart(9)} ${`${r.rssMb.toFixed(0)}MB`.padStart(10)} ${`${growth.toFixed(2)}×`.padStart(7)} ${`${stepGrowth.toFixed(2)}×`.padStart(8)}`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const target = rows.find((r) => r.components === TARGET.components);
  if (target) {
    const ok = target.totalMs <= TARGET.ms && target.rssMb <= TARGET.rssMb;
    log(
      `  ${TARGET.components} × 5: ${target.totalMs.toFixed(0)}ms wall, ${target.cpuMs.toFixed(0)}ms cpu (target ≤ ${TARGET.ms}ms), ${target.rssMb.toFixed(0)}MB (target ≤ ${TARGET.rssMb}MB) ${ok ? "✓" : "✗"}`,
    );
  }
  log("  growth = CPU time per component relative to the smallest size; vs prev = relative to the previous size (1.00× = linear)");
  return rows;
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] && path.resolve(process.argv[1]) === self) {
  const childDir = process.argv[2] === "--child" ? process.argv[3] : undefined;
  if (childDir) {
    measure(childDir).then(
      (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
      (err: unknown) => {
        console.error(err);
        process.exitCode = 1;
      },
    );
  } else {
    runCompileBench().catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
  }
}
