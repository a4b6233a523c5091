// A runner whose plan is not its remote run's: the backend refuses it ("Run exists with different plan checksum").
// The usual cause is the usual way to fix a failure — edit, commit, run the printed retry command — which compiles
// the plan again at the new commit: a plan's checksum covers metadata.revision. As a local resume does
// (src/runtime/resume-plan.ts), a plan that differs from the run's only in its revision goes on with the run; here
// the runner finds the run's plan among this machine's stored plans (`.orun/plans/<id>.json`, which every `orun
// plan` and every fresh compile of `orun run` writes) to compare them.
import { lstat } from "node:fs/promises";
import path from "node:path";
import type { Plan } from "../model/plan.js";
import { loadPlanFile, plansDir } from "../plan/store.js";
import { unrevisedChecksum } from "../runtime/resume-plan.js";
import { backendPlan } from "./plan-payload.js";
import { errorMessage } from "../util/errors.js";

/** A plan ID as the backend names a run's plan (the short checksum): also a stored plan's file name. */
const PLAN_ID = /^[0-9a-f]{12}$/;

export interface RunPlanLookup {
  /** Where the run's plan would be stored on this machine. */
  file: string;
  /** The run's plan, stored here; undefined when it is not. */
  plan?: Plan;
  /** The stored plan differs from the runner's only in metadata.revision (the commit it was compiled at). */
  revisionOnly: boolean;
  /** Why the file there is no usable copy of the run's plan (a link, unreadable, corrupt, another plan); undefined when absent or usable. */
  unusable?: string;
}

/**
 * The stored plan whose backend checksum is `runPlanId` (the run's), compared with `plan` (the runner's). Undefined
 * when `runPlanId` is not a plan ID (an unexpected backend answer names no file).
 */
export async function lookUpRunPlan(storeDir: string, runPlanId: string, plan: Plan): Promise<RunPlanLookup | undefined> {
  const found = await readRunPlan(storeDir, runPlanId);
  return found && { ...found, revisionOnly: found.plan !== undefined && unrevisedChecksum(found.plan) === unrevisedChecksum(plan) };
}

/**
 * The name of the run's plan (its metadata.name) when this machine stores that plan (`orun status --remote-state
 * --json`'s meta.planName: the backend keeps plans by ID only); undefined when it does not.
 */
export async function storedRunPlanName(storeDir: string, runPlanId: string): Promise<string | undefined> {
  return (await readRunPlan(storeDir, runPlanId))?.plan?.metadata.name || undefined;
}

/** The stored plan whose backend checksum is `runPlanId`; undefined when `runPlanId` is not a plan ID. */
async function readRunPlan(storeDir: string, runPlanId: string): Promise<Omit<RunPlanLookup, "revisionOnly"> | undefined> {
  if (!PLAN_ID.test(runPlanId)) return undefined;
  const file = path.join(plansDir(storeDir), `${runPlanId}.json`);
  // Only a regular file of the store (a link could name any file).
  const entry = await lstat(file).catch(() => undefined);
  if (!entry) return { file };
  if (!entry.isFile()) return { file, unusable: "it is not a regular file (a link or a folder)" };
  let stored: Plan;
  try {
    stored = await loadPlanFile(file, { verifyChecksum: true, warn: () => undefined });
  } catch (err) {
    return { file, unusable: `it is corrupt or was edited: ${errorMessage(err)}` };
  }
  const checksum = backendPlan(stored).checksum;
  if (checksum !== runPlanId) return { file, unusable: `it holds plan ${checksum}, not ${runPlanId}` };
  return { file, plan: stored };
}

/**
 * The plan argument of an `orun run` pasted in `cwd` that joins remote run `runId` (status --remote-state's Stopped
 * line): the run's plan ID when this machine stores that plan, else the manifest.json of an execution record here
 * that took part in the run (a runner's record: the plan it ran), as a path from `cwd`; undefined when this machine
 * has neither. The ID alone named a file only the runner's folder held ("plan … not found" pasted anywhere else).
 */
export async function runPlanArgument(storeDir: string, runId: string, runPlanId: string, cwd: string): Promise<string | undefined> {
  if ((await readRunPlan(storeDir, runPlanId))?.plan) return runPlanId;
  const { ExecutionStore } = await import("../runtime/records/store.js");
  const store = new ExecutionStore(storeDir);
  for (const { execId, meta } of await store.list()) {
    if (meta?.remoteRunId !== runId) continue;
    const file = store.manifestFile(execId);
    const entry = await lstat(file).catch(() => undefined);
    if (!entry?.isFile()) continue;
    const ran = await loadPlanFile(file, { verifyChecksum: true, warn: () => undefined }).catch(() => undefined);
    if (ran && backendPlan(ran).checksum === runPlanId) return path.relative(cwd, file) || file;
  }
  return undefined;
}
