// Per-job overhead of the docker runner against the local runner, on the same
// small DAG (20 jobs × 2 steps), measured in the same run:
//   1. end to end through the built CLI (`orun run <plan> --runner local|docker`)
//      at concurrency 1 (the pure per-job cost) and 4;
//   2. a breakdown of the docker runner's own phases through the Runner API
//      (container start, one step, removal).
// Needs a Docker-API engine: DOCKER_HOST, else scripts/setup-container-engine.sh.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { PLAN_API_VERSION, PLAN_KIND, type Plan, type PlanJob } from "../src/model/plan.js";
import { createRunner } from "../src/runners/registry.js";
import { createDockerRunner } from "../src/runners/docker/index.js";
import type { JobContext, RunContext, StepContext } from "../src/runners/runner.js";
import { TEST_IMAGE, provideContainerEngine } from "../test/support/container-engine.js";
import { runOrun } from "../test/support/cli.js";

const JOBS = 20;
const STEPS = 2;

export interface DockerBenchResult {
  jobs: number;
  steps: number;
  cli: Array<{ concurrency: number; localMs: number; dockerMs: number; perJobOverheadMs: number; ratio: number }>;
  phases: { startMs: number; stepMs: number; localStepMs: number; removeMs: number };
}

/** Five layers of four jobs; each job depends on one job of the layer before. */
function benchPlan(): Plan {
  const jobs: PlanJob[] = [];
  for (let index = 0; index < JOBS; index++) {
    const layer = Math.floor(index / 4);
    const id = `svc${index % 4}@bench.l${layer}`;
    const dependsOn = layer === 0 ? [] : [`svc${index % 4}@bench.l${layer - 1}`];
    jobs.push({
      id,
      name: `l${layer}`,
      component: `svc${index % 4}`,
      environment: "bench",
      dependsOn,
      steps: Array.from({ length: STEPS }, (_, step) => ({ id: `s${step}`, phase: "main" as const, run: `echo ${id} step ${step} > /dev/null` })),
    });
  }
  return { apiVersion: PLAN_API_VERSION, kind: PLAN_KIND, metadata: { name: "docker-bench" }, execution: { concurrency: 1, failFast: true }, spec: {}, jobs };
}

async function timeCli(workspace: string, planFile: string, runner: string, concurrency: number, env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const result = await runOrun(["run", planFile, "--runner", runner, "--concurrency", String(concurrency), "--exec-id", `bench-${runner}-${concurrency}-${Date.now()}`], {
    cwd: workspace,
    env,
    timeoutMs: 10 * 60_000,
  });
  const elapsed = performance.now() - started;
  if (result.code !== 0) throw new Error(`orun run --runner ${runner} failed (${result.code}): ${result.stderr || result.stdout}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function measurePhases(workspace: string, env: NodeJS.ProcessEnv, rounds: number): Promise<DockerBenchResult["phases"]> {
  const docker = createDockerRunner({ dockerImage: TEST_IMAGE, pull: "never" }, env);
  const local = await createRunner("local", {});
  const job: PlanJob = { id: "bench@phase.job", name: "job", component: "bench", environment: "phase", steps: [{ id: "s", phase: "main", run: "true" }] };
  const plan: Plan = { ...benchPlan(), jobs: [job] };
  const run: RunContext = { plan, execId: "bench-phases", workspaceDir: workspace, scratchDir: path.join(workspace, ".scratch"), options: {} };
  const never = new AbortController().signal;
  const start: number[] = [];
  const step: number[] = [];
  const localStep: number[] = [];
  const remove: number[] = [];
  try {
    await docker.prepare?.(run);
    for (let round = 0; round < rounds; round++) {
      const jobCtx: JobContext = { run, job, jobDir: workspace, signal: never };
      const stepCtx: StepContext = { job: jobCtx, step: job.steps[0]!, stepKey: "s", cwd: workspace, env: {}, signal: never, onOutput: () => undefined };
      let t = performance.now();
      await docker.startJob?.(jobCtx);
      start.push(performance.now() - t);
      t = performance.now();
      const result = await docker.runStep(stepCtx);
      step.push(performance.now() - t);
      if (result.error) throw new Error(`docker step failed: ${result.error}`);
      t = performance.now();
      await docker.finishJob?.(jobCtx, { failed: false });
      remove.push(performance.now() - t);
      t = performance.now();
      await local.runStep(stepCtx);
      localStep.push(performance.now() - t);
    }
  } finally {
    await docker.cleanup?.(run);
  }
  return { startMs: median(start), stepMs: median(step), localStepMs: median(localStep), removeMs: median(remove) };
}

export async function runDockerBench(): Promise<DockerBenchResult | undefined> {
  const availability = await provideContainerEngine();
  if (!availability.engine) {
    console.log(`docker bench: skipped (${availability.skip})`);
    return undefined;
  }
  const engineEnv = availability.engine.env;
  const workspace = await mkdtemp(path.join(os.tmpdir(), "orun-docker-bench-"));
  try {
    const planFile = path.join(workspace, "plan.json");
    await writeFile(planFile, `${JSON.stringify(benchPlan(), null, 2)}\n`);
    const env = { ...engineEnv, ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" };
    const cli: DockerBenchResult["cli"] = [];
    for (const concurrency of [1, 4]) {
      const localMs = await timeCli(workspace, planFile, "local", concurrency, env);
      const dockerMs = await timeCli(workspace, planFile, "docker", concurrency, env);
      cli.push({ concurrency, localMs, dockerMs, perJobOverheadMs: (dockerMs - localMs) / JOBS, ratio: dockerMs / localMs });
    }
    const phases = await measurePhases(workspace, engineEnv, 5);

    console.log(`docker bench: ${JOBS} jobs × ${STEPS} steps, image ${TEST_IMAGE}, engine ${availability.engine.dockerHost || "(docker default)"}`);
    for (const row of cli) {
      console.log(
        `  concurrency ${row.concurrency}: local ${(row.localMs / 1000).toFixed(2)}s, docker ${(row.dockerMs / 1000).toFixed(2)}s ` +
          `→ ratio ${row.ratio.toFixed(2)}×, per-job overhead ${row.perJobOverheadMs.toFixed(0)} ms`,
      );
    }
    console.log(
      `  docker phases (median of 5): container start ${phases.startMs.toFixed(0)} ms, step (docker exec) ${phases.stepMs.toFixed(0)} ms ` +
        `vs local step ${phases.localStepMs.toFixed(0)} ms, removal ${phases.removeMs.toFixed(0)} ms`,
    );
    return { jobs: JOBS, steps: STEPS, cli, phases };
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}

// Run directly: node dist/bench/docker.js
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  runDockerBench().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
