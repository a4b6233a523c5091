// The local runner: each `run:` step through `sh -c` on the host (or the
// step's `shell:`), in the step's working directory, with the host
// environment underneath the environment orun declares for the step.
import { mkdir, stat, writeFile, rm } from "node:fs/promises";
import path from "node:path";
import { availableParallelism } from "node:os";
import { randomBytes } from "node:crypto";
import type { PlanJob } from "../model/plan.js";
import type { Runner, StepContext, StepResult } from "./runner.js";
import { isUseStep } from "./runner.js";
import type { RunnerOptions } from "./registry.js";
import { runProcess, type ProcessOutcome, type ProcessRequest } from "./process/run-process.js";
import { SpawnerPool } from "./process/spawner-pool.js";
import { resolveShell, withScriptPath } from "./process/shell.js";
import { errorMessage } from "../util/errors.js";

/**
 * Runs of at least this many steps that can run more than one job at once
 * (concurrency > 1 and a DAG wider than a chain) spawn through helper
 * processes (spawner-pool.ts); others spawn directly. Measured on 2 cores
 * (fan-out, concurrency 8): direct wins below ~200 steps (the helpers' start-up
 * outweighs the cheaper forks), helpers win from ~400 (1,000 steps: 1.4 s vs
 * 1.9 s). Without parallelism direct spawns win at every size: there is nothing
 * to fork in parallel, and the IPC hop sits on every step's path (1,000-job
 * chain: 2.0 s vs 2.3 s). ORUN_LOCAL_SPAWNER=pool|direct forces either.
 */
const POOL_MIN_STEPS = 250;

/**
 * Helpers to start: one per core (2–4), but never more than the jobs that run
 * at once — a helper blocks while it forks, so more helpers than cores only
 * add start-up cost, and more than the concurrency sit idle.
 */
function spawnerCount(cores: number, concurrency: number | undefined): number {
  return Math.max(1, Math.min(4, Math.max(2, cores), concurrency ?? Infinity));
}

/**
 * An upper bound on how many jobs can run at once: the most jobs at one depth
 * of the DAG (a chain is 1 however high the concurrency). Jobs come in
 * dependency order; a dependency outside the run counts as depth 0.
 */
function widestLevel(jobs: readonly PlanJob[]): number {
  const depth = new Map<string, number>();
  const width = new Map<number, number>();
  let widest = 0;
  for (const job of jobs) {
    let d = 0;
    for (const dep of job.dependsOn ?? []) d = Math.max(d, (depth.get(dep) ?? -1) + 1);
    depth.set(job.id, d);
    const n = (width.get(d) ?? 0) + 1;
    width.set(d, n);
    widest = Math.max(widest, n);
  }
  return widest;
}

export function createLocalRunner(_options: RunnerOptions = {}): Runner {
  const host = hostEnv();
  let pool: SpawnerPool | undefined;
  // Directories seen to exist (a step may create one a later step uses; only hits are cached).
  const knownDirs = new Set<string>();
  const spawnStep = (request: ProcessRequest): Promise<ProcessOutcome> =>
    pool?.alive ? pool.run(request, { inheritEnv: true }) : runProcess({ ...request, env: { ...host, ...request.env } });
  return {
    name: "local",
    async prepare(run) {
      const mode = (process.env.ORUN_LOCAL_SPAWNER ?? "auto").trim().toLowerCase();
      const jobs = run.jobs ?? run.plan.jobs;
      const steps = jobs.reduce((n, job) => n + job.steps.length, 0);
      const parallel = Math.min(run.concurrency ?? Infinity, widestLevel(jobs));
      if (mode === "direct" || (mode !== "pool" && (steps < POOL_MIN_STEPS || parallel <= 1))) return;
      try {
        pool = await SpawnerPool.start(spawnerCount(availableParallelism(), parallel));
      } catch {
        pool = undefined; // helpers unavailable: spawn directly
      }
    },
    cleanup() {
      pool?.close();
      pool = undefined;
      return Promise.resolve();
    },
    async runStep(ctx: StepContext): Promise<StepResult> {
      const { step, stepKey } = ctx;
      if (isUseStep(step)) {
        return failure(`step "${stepKey}" uses GitHub Actions syntax (${step.use!.trim()}); rerun with --gha or --runner github-actions`);
      }
      if (!knownDirs.has(ctx.cwd)) {
        try {
          const info = await stat(ctx.cwd);
          if (!info.isDirectory()) return failure(`working directory ${ctx.cwd} is not a directory`);
          knownDirs.add(ctx.cwd);
        } catch {
          return failure(`working directory ${ctx.cwd} does not exist`);
        }
      }
      let invocation;
      try {
        invocation = resolveShell(step.shell, step.run ?? "", `job ${ctx.job.job.id} step ${stepKey}`);
      } catch (err) {
        return failure(errorMessage(err));
      }
      let scriptPath: string | undefined;
      if (invocation.scriptExtension) {
        const dir = path.join(ctx.job.run.scratchDir, "scripts");
        await mkdir(dir, { recursive: true });
        scriptPath = path.join(dir, `${randomBytes(6).toString("hex")}${invocation.scriptExtension}`);
        const script = step.run ?? "";
        await writeFile(scriptPath, script.endsWith("\n") ? script : `${script}\n`, { mode: 0o700 });
        invocation = withScriptPath(invocation, scriptPath);
      }
      try {
        const outcome = await spawnStep({
          command: invocation.command,
          args: invocation.args,
          cwd: ctx.cwd,
          env: ctx.env,
          timeoutMs: ctx.timeoutMs,
          signal: ctx.signal,
          onOutput: ctx.onOutput,
        });
        return { exitCode: outcome.exitCode, output: outcome.output, error: outcome.error, timedOut: outcome.timedOut };
      } finally {
        if (scriptPath) await rm(scriptPath, { force: true });
      }
    },
  };
}

function hostEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return env;
}

function failure(error: string): StepResult {
  return { exitCode: null, output: "", error };
}
