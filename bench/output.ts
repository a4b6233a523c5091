// Step output volume: one local step that prints 50 MB, then 200 MB, of short
// lines, run by the built CLI with stdout to a pipe (as under CI), quiet and
// --verbose, then `orun logs` of it. For each: wall time beside the step alone
// writing to a file (the work itself), and orun's peak RSS beside the same run
// printing 1 KB (orun's own footprint). Target: peak RSS does not grow with the
// output (200 MB ÷ 50 MB ≈ 1.0×): the log is written as output arrives, and a
// full pipe makes orun wait instead of queueing.
// Run alone: node dist/bench/output.js [local] [docker] [github-actions]
// (the runners to measure, local by default; docker needs a container engine,
// provided as the tests provide it).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { PLAN_API_VERSION, PLAN_KIND, type Plan } from "../src/model/plan.js";
import { computePlanChecksum } from "../src/plan/checksum.js";
import { TEST_IMAGE, provideContainerEngine } from "../test/support/container-engine.js";

const SIZES_MB = [50, 200];
const ORUN_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/cli/bin.js");
/** 41-byte lines, like a chatty build log. */
const printer = (bytes: number): string => `yes 0123456789012345678901234567890123456789 | head -c ${bytes}`;

const RUNNERS = ["local", "docker", "github-actions"] as const;
type BenchRunner = (typeof RUNNERS)[number];

export interface OutputBenchRow {
  runner: BenchRunner;
  mode: string;
  outputMb: number;
  ms: number;
  peakRssMb: number;
}

function planPrinting(bytes: number): Plan {
  const plan: Plan = {
    apiVersion: PLAN_API_VERSION,
    kind: PLAN_KIND,
    metadata: { name: "bench-output" },
    execution: { concurrency: 1, failFast: true },
    spec: {},
    jobs: [{ id: "app@bench.print", name: "print", component: "app", environment: "bench", dependsOn: [], steps: [{ id: "print", phase: "main", run: printer(bytes) }] }],
  } as Plan;
  plan.metadata.checksum = computePlanChecksum(plan);
  return plan;
}

/** Peak resident memory of `pid` so far (VmHWM only grows, so the last reading before exit is the peak). */
function peakRssKb(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs a command with stdout to a pipe that is read (and discarded) as fast as it comes; wall time and peak RSS. */
async function measure(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ ms: number; peakKb: number }> {
  const started = performance.now();
  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "inherit"], env: { ...env, NO_COLOR: "1" } });
  child.stdout.resume();
  let peakKb = 0;
  const poll = setInterval(() => (peakKb = Math.max(peakKb, peakRssKb(child.pid!) ?? 0)), 5);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearInterval(poll);
  if (code !== 0) throw new Error(`${[command, ...args].join(" ")} exited ${code}`);
  return { ms: performance.now() - started, peakKb };
}

export async function runOutputBench(runners: readonly BenchRunner[] = ["local"]): Promise<OutputBenchRow[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-bench-output-"));
  const rows: OutputBenchRow[] = [];
  const mb = (kb: number): number => Math.round(kb / 1024);
  try {
    console.log(`  one step printing 41-byte lines; stdout is a pipe read as fast as it comes`);
    for (const runner of runners) {
      let env: NodeJS.ProcessEnv = process.env;
      if (runner === "docker") {
        const engine = await provideContainerEngine();
        if (!engine.engine) throw new Error(`the docker cells need a container engine: ${engine.skip}`);
        env = { ...engine.engine.env, ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" };
      }
      const orun = (args: string[]): Promise<{ ms: number; peakKb: number }> => measure(process.execPath, [ORUN_BIN, ...args], dir, env);
      await writeFile(path.join(dir, "small.json"), JSON.stringify(planPrinting(1024)));
      const small = await orun(["run", "small.json", "--runner", runner, "--verbose"]);
      console.log(`  runner ${runner}; baseline: orun run printing 1 KB: ${small.ms.toFixed(0)} ms, peak RSS ${mb(small.peakKb)} MB`);
      console.log(`  ${"output".padStart(6)}  ${"case".padEnd(20)} ${"wall".padStart(9)} ${"÷ step alone".padStart(13)} ${"peak RSS".padStart(9)} ${"÷ 1 KB run".padStart(11)}`);
      const peaks = new Map<string, number[]>();
      for (const size of SIZES_MB) {
        const bytes = size * 1024 * 1024;
        await writeFile(path.join(dir, "big.json"), JSON.stringify(planPrinting(bytes)));
        const alone = await measure("sh", ["-c", `${printer(bytes)} > alone.txt`], dir);
        const cases: Array<[string, string[]]> = [
          ["orun run (quiet)", ["run", "big.json", "--runner", runner, "--exec-id", `quiet-${size}`]],
          ["orun run --verbose", ["run", "big.json", "--runner", runner, "--exec-id", `loud-${size}`, "--verbose"]],
          ["orun logs", ["logs", "--exec-id", `quiet-${size}`]],
        ];
        for (const [mode, args] of cases) {
          const { ms, peakKb } = await orun(args);
          rows.push({ runner, mode, outputMb: size, ms, peakRssMb: mb(peakKb) });
          peaks.set(mode, [...(peaks.get(mode) ?? []), peakKb]);
          console.log(
            `  ${`${size} MB`.padStart(6)}  ${mode.padEnd(20)} ${`${ms.toFixed(0)} ms`.padStart(9)} ${`${(ms / alone.ms).toFixed(1)}×`.padStart(13)} ${`${mb(peakKb)} MB`.padStart(9)} ${`${(peakKb / small.peakKb).toFixed(2)}×`.padStart(11)}`,
          );
        }
        await rm(path.join(dir, ".orun"), { recursive: true, force: true });
      }
      const growth = [...peaks].map(([mode, [first, last]]) => `${mode} ${(last! / first!).toFixed(2)}×`).join(", ");
      console.log(`  runner ${runner}: peak RSS, ${SIZES_MB[1]} MB ÷ ${SIZES_MB[0]} MB of output (target ≈ 1.0×): ${growth}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

function runnersFromArgs(args: string[]): BenchRunner[] {
  for (const arg of args) {
    if (!(RUNNERS as readonly string[]).includes(arg)) throw new Error(`unknown runner ${JSON.stringify(arg)} (expected: ${RUNNERS.join(", ")})`);
  }
  return args.length > 0 ? (args as BenchRunner[]) : ["local"];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  Promise.resolve()
    .then(() => runOutputBench(runnersFromArgs(process.argv.slice(2))))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
