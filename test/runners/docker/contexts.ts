// Builds the runner contexts the scheduler would hand to a runner, so the
// docker runner is exercised directly against a real engine.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PLAN_API_VERSION, PLAN_KIND, type Plan, type PlanJob, type PlanStep } from "../../../src/model/plan.js";
import { computePlanChecksum } from "../../../src/plan/checksum.js";
import type { JobContext, RunContext, StepContext, StepResult, Runner } from "../../../src/runners/runner.js";

export async function tempWorkspace(prefix = "orun-docker-"): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function planJob(id: string, steps: Array<Partial<PlanStep>>, extra: Partial<PlanJob> = {}): PlanJob {
  const [component = "app", rest = "dev.build"] = id.split("@");
  const [environment = "dev", name = "build"] = rest.split(".");
  return {
    id,
    name,
    component,
    environment,
    steps: steps.map((step, index) => ({ id: `s${index + 1}`, phase: "main", ...step })),
    ...extra,
  };
}

export function runContext(workspaceDir: string, jobs: PlanJob[], execId = `test-${Date.now().toString(36)}`): RunContext {
  const plan: Plan = {
    apiVersion: PLAN_API_VERSION,
    kind: PLAN_KIND,
    metadata: { name: "docker-test" },
    execution: { concurrency: 2, failFast: false },
    spec: {},
    jobs,
  };
  plan.metadata.checksum = computePlanChecksum(plan);
  return { plan, execId, workspaceDir, scratchDir: path.join(workspaceDir, ".orun-scratch"), options: {} };
}

export function jobContext(run: RunContext, job: PlanJob, signal: AbortSignal = new AbortController().signal): JobContext {
  return { run, job, jobDir: job.path ? path.join(run.workspaceDir, job.path) : run.workspaceDir, signal };
}

export function stepContext(job: JobContext, index: number, overrides: Partial<StepContext> = {}): StepContext {
  const step = job.job.steps[index]!;
  const cwd = step["working-directory"] ? path.resolve(job.jobDir, step["working-directory"]) : job.jobDir;
  const env: Record<string, string> = {
    ORUN_CONTEXT: "container",
    ORUN_RUNNER: "docker",
    ORUN_EXEC_ID: job.run.execId,
    ORUN_JOB_ID: job.job.id,
    ...job.job.env,
    ...step.env,
  };
  return {
    job,
    step,
    stepKey: step.id,
    cwd,
    env,
    signal: new AbortController().signal,
    onOutput: () => undefined,
    ...overrides,
  };
}

/** Runs a job's steps the way the scheduler does: start, steps until one fails, finish. */
export async function runJob(runner: Runner, job: JobContext): Promise<StepResult[]> {
  const results: StepResult[] = [];
  await runner.startJob?.(job);
  let failed = false;
  try {
    for (let index = 0; index < job.job.steps.length; index++) {
      const result = await runner.runStep(stepContext(job, index));
      results.push(result);
      if (result.error) {
        failed = true;
        break;
      }
    }
  } finally {
    await runner.finishJob?.(job, { failed });
    await settle(runner);
  }
  return results;
}

/** Waits for the docker runner's background container removals, so assertions see them. */
export async function settle(runner: Runner): Promise<void> {
  await (runner as Runner & { settled?: () => Promise<void> }).settled?.();
}
