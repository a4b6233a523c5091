// Drives the github-actions runner directly, the way the scheduler does:
// prepare → startJob → runStep… → finishJob → cleanup, with real temp dirs.
import { spawn } from "node:child_process";
import { cp, mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Plan, PlanJob, PlanStep } from "../../../src/model/plan.js";
import { computePlanChecksum } from "../../../src/plan/checksum.js";
import type { JobContext, RunContext, StepResult } from "../../../src/runners/runner.js";
import { createGithubActionsRunner, type GithubActionsRunner, type GithubActionsRunnerOptions } from "../../../src/runners/github-actions/index.js";
import { ORUN_BIN, PROJECT_ROOT } from "../../support/cli.js";

export const ACTIONS_SRC = path.join(PROJECT_ROOT, "test/runners/github-actions/actions");

export async function tempDir(prefix: string, base = os.tmpdir()): Promise<string> {
  return mkdtemp(path.join(base, `orun-gha-${prefix}-`));
}

/** A workspace holding copies of the test actions under ./actions, with node_modules resolvable. */
export async function makeWorkspace(): Promise<string> {
  const ws = await tempDir("ws");
  await cp(ACTIONS_SRC, path.join(ws, "actions"), { recursive: true });
  await symlink(path.join(PROJECT_ROOT, "node_modules"), path.join(ws, "node_modules"), "dir");
  return ws;
}

export function makePlan(jobs: PlanJob[], name = "gha-test"): Plan {
  const plan: Plan = {
    apiVersion: "orun.io/v1",
    kind: "Plan",
    metadata: { name },
    execution: { concurrency: 4, failFast: false },
    spec: {},
    jobs,
  };
  plan.metadata.checksum = computePlanChecksum(plan);
  return plan;
}

export function makeJob(id: string, steps: Partial<PlanStep>[], env: Record<string, string> = {}): PlanJob {
  const [component, rest] = id.split("@");
  const [environment, name] = rest.split(".");
  return {
    id,
    name,
    component,
    environment,
    env,
    steps: steps.map((s, i) => ({ id: s.id ?? `step-${i + 1}`, phase: "main", ...s })),
  };
}

export interface Harness {
  runner: GithubActionsRunner;
  run: RunContext;
  workspace: string;
  scratch: string;
  dispose(): Promise<void>;
}

export interface HarnessOptions {
  runner?: GithubActionsRunnerOptions;
  actionsCache?: string;
  hostEnv?: NodeJS.ProcessEnv;
  scratchBase?: string;
  workspace?: string;
}

export async function makeHarness(options: HarnessOptions = {}): Promise<Harness> {
  const workspace = options.workspace ?? (await makeWorkspace());
  const scratch = await tempDir("scratch", options.scratchBase);
  const cacheRoot = options.actionsCache ?? (await tempDir("cache"));
  const hostEnv = { ...process.env, ...options.hostEnv };
  for (const key of Object.keys(hostEnv)) if (key.startsWith("GITHUB_") || key === "ACTIONS_STEP_DEBUG") delete hostEnv[key];
  Object.assign(hostEnv, options.hostEnv);
  const runner = createGithubActionsRunner({ ...options.runner, actionsCache: cacheRoot }, hostEnv);
  const run: RunContext = { plan: makePlan([]), execId: "gha-test-1", workspaceDir: workspace, scratchDir: scratch, options: {} };
  await runner.prepare(run);
  return {
    runner,
    run,
    workspace,
    scratch,
    async dispose() {
      await runner.cleanup(run);
      await rm(scratch, { recursive: true, force: true });
      if (!options.workspace) await rm(workspace, { recursive: true, force: true });
      if (!options.actionsCache) await rm(cacheRoot, { recursive: true, force: true });
    },
  };
}

export interface JobRun {
  steps: StepResult[];
  finish: StepResult | void;
  live: string;
  job: JobContext;
}

/** Runs every step of a job in order (stopping at the first failure) and finishes it. */
export async function runJob(h: Harness, job: PlanJob, options: { timeoutMs?: number; jobDir?: string; stopOnFailure?: boolean } = {}): Promise<JobRun> {
  const jobDir = options.jobDir ?? path.join(h.workspace, job.path ?? "");
  await mkdir(jobDir, { recursive: true });
  const controller = new AbortController();
  const jobCtx: JobContext = { run: h.run, job, jobDir, signal: controller.signal };
  let live = "";
  const steps: StepResult[] = [];
  await h.runner.startJob(jobCtx);
  let failed = false;
  for (const step of job.steps) {
    const env = {
      ...job.env,
      ORUN_RUNNER: "github-actions",
      ORUN_CONTEXT: "ci",
      ORUN_JOB_ID: job.id,
      ORUN_EXEC_ID: h.run.execId,
      ...step.env,
    };
    const result = await h.runner.runStep({
      job: jobCtx,
      step,
      stepKey: step.id || step.name || step.use || "unnamed-step",
      cwd: path.resolve(jobDir, step["working-directory"] && !step["working-directory"].includes("${{") ? step["working-directory"] : "."),
      env,
      timeoutMs: options.timeoutMs,
      signal: controller.signal,
      onOutput: (chunk) => (live += chunk),
    });
    steps.push(result);
    if (result.error) {
      failed = true;
      if (options.stopOnFailure !== false) break;
    }
  }
  const finish = await h.runner.finishJob(jobCtx, { failed });
  return { steps, finish, live, job: jobCtx };
}

/**
 * Starts a job whose set-up must fail (an action not found at job start, as on GitHub's "Set up job"): returns
 * startJob's error, after checking that runStep then runs none of its steps, and finishes the job.
 */
export async function failedSetUp(h: Harness, job: PlanJob): Promise<string> {
  const jobDir = path.join(h.workspace, job.path ?? "");
  await mkdir(jobDir, { recursive: true });
  const jobCtx: JobContext = { run: h.run, job, jobDir, signal: new AbortController().signal };
  const error = await h.runner.startJob(jobCtx).then(
    () => undefined,
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  );
  if (error === undefined) throw new Error(`job ${job.id}: startJob did not fail`);
  for (const step of job.steps) {
    const result = await h.runner.runStep({ job: jobCtx, step, stepKey: step.id!, cwd: jobDir, env: {}, signal: jobCtx.signal, onOutput: () => undefined });
    if (result.skipped !== true) throw new Error(`job ${job.id}: step ${step.id} ran after the failed set-up: ${JSON.stringify(result)}`);
  }
  await h.runner.finishJob(jobCtx, { failed: true });
  return error;
}

/** Writes a local action (`action.yml` plus `files`) under the workspace; returns its `uses:` path. */
export async function writeLocalAction(h: Harness, dir: string, yaml: string, files: Record<string, string> = {}): Promise<string> {
  const root = path.join(h.workspace, dir);
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, "action.yml"), yaml);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(root, name), text);
  return `./${dir}`;
}

/** A built `orun` started as its own process group (so a test can signal it, and kill all it left). */
export function startOrun(args: string[], cwd: string, env: NodeJS.ProcessEnv): { pid: number; exited: Promise<number | null>; output: () => string; kill: () => void } {
  const child = spawn(process.execPath, [ORUN_BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const kill = (): void => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  };
  return { pid: child.pid!, exited, output: () => output, kill };
}

/** The environment for an `orun run --gha` under test: no host GitHub job, a private action cache. */
export function ghaEnv(ws: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { GITHUB_ACTIONS: "", ORUN_RUNNER: "", GITHUB_TOKEN: "", ORUN_ACTIONS_CACHE: path.join(ws, ".cache"), ...extra };
}
