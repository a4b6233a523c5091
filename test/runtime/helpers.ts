// Shared helpers for runtime and `orun run` tests: plans written as real
// files in fresh temp directories, and the lock files of the lock tests.
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { PLAN_API_VERSION, PLAN_KIND, type Plan, type PlanJob, type PlanStep } from "../../src/model/plan.js";
import { processStartTicks, takeoverGuard } from "../../src/runtime/records/lock.js";
import { deadPid, liveSleeper } from "../support/wait.js";

export interface JobSpec extends Partial<Omit<PlanJob, "steps">> {
  id: string;
  steps: (Partial<PlanStep> & { run?: string })[];
}

/** Builds a plan; job fields default from the `component@env.name` ID. */
export function makePlan(jobs: JobSpec[], options: { name?: string; concurrency?: number; failFast?: boolean; revision?: string } = {}): Plan {
  return {
    apiVersion: PLAN_API_VERSION,
    kind: PLAN_KIND,
    metadata: { name: options.name ?? "test", ...(options.revision ? { revision: options.revision } : {}) },
    execution: { concurrency: options.concurrency ?? 1, failFast: options.failFast ?? false },
    spec: {},
    jobs: jobs.map((spec) => {
      const at = spec.id.indexOf("@");
      const dot = spec.id.indexOf(".", at);
      const component = at > 0 ? spec.id.slice(0, at) : "comp";
      const environment = at > 0 && dot > at ? spec.id.slice(at + 1, dot) : "dev";
      const name = dot > 0 ? spec.id.slice(dot + 1) : spec.id;
      return {
        name,
        component,
        environment,
        ...spec,
        steps: spec.steps.map((step, i) => ({ id: `s${i + 1}`, phase: "main" as const, ...step })),
      } as PlanJob;
    }),
  };
}

export async function tempDir(prefix = "orun-rt-"): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  // Retries: a process the test started may still be writing in it (ENOTEMPTY while rm empties a folder).
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

/** A fresh temporary folder (removed when the test ends) and the path of `.lock` in it: where a lock test locks. */
export async function tempLock(t: { after(fn: () => Promise<void>): void }): Promise<{ dir: string; file: string }> {
  const dir = await tempDir();
  t.after(() => removeDir(dir));
  return { dir, file: path.join(dir, ".lock") };
}

/**
 * A tempLock holding a stale lock (its holder dead) whose takeover guard a live process holds, as a takeover stopped
 * between reading the lock and replacing it leaves it: the lock's content, the guard's path and its holder.
 */
export async function staleLockUnderLiveTakeover(t: TestContext): Promise<{ dir: string; file: string; stale: string; guard: string; holder: ChildProcess & { pid: number } }> {
  const { dir, file } = await tempLock(t);
  const stale = JSON.stringify({ pid: await deadPid(), host: os.hostname() });
  await writeFile(file, stale);
  const holder = await liveSleeper(t);
  const guard = takeoverGuard(file, stale);
  await writeFile(guard, JSON.stringify({ pid: holder.pid, host: os.hostname(), startTime: processStartTicks(holder.pid) }));
  return { dir, file, stale, guard, holder };
}

/** A temporary folder (removed when the test ends) holding plan.json with `jobs`: where a CLI test runs orun. */
export async function planDir(
  t: { after(fn: () => Promise<void>): void },
  jobs: JobSpec[],
  options: Parameters<typeof makePlan>[1] = {},
  prefix = "orun-cli-",
): Promise<string> {
  const dir = await tempDir(prefix);
  t.after(() => removeDir(dir));
  await writePlan(dir, makePlan(jobs, options));
  return dir;
}

/** A file of an execution record under `dir`. */
export const recordFile = (dir: string, execId: string, file: string): string => path.join(dir, ".orun/executions", execId, file);

export async function writePlan(dir: string, plan: Plan, file = "plan.json"): Promise<string> {
  const target = path.join(dir, file);
  await writeFile(target, JSON.stringify(plan, null, 2));
  return target;
}

export async function readJson<T = unknown>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, "utf8")) as T;
}

export async function readLines(file: string): Promise<string[]> {
  try {
    return (await readFile(file, "utf8")).split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

export interface StateFile {
  execId: string;
  planChecksum: string;
  jobs: Record<string, { status: string; steps: Record<string, string>; lastError?: string; reason?: string; startedAt?: string; finishedAt?: string }>;
}
