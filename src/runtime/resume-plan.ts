// Resuming after a commit. `orun run --exec-id X` compiles a fresh plan from the tree, and a plan's checksum
// covers metadata.revision (the commit it was compiled from). So the usual way to fix a failure — edit a script,
// commit, resume — gives a plan that is not the one the execution ran, and the resume was refused. When the two
// plans differ only in their revision, the execution resumes the plan it recorded (manifest.json), exactly as
// `orun run <manifest> --exec-id X` does: the run then records no revision, the tree not being that plan's
// commit (run-revision.ts). Any other difference is still refused (records/resume-state.ts loadState).
import { lstat } from "node:fs/promises";
import type { Plan } from "../model/plan.js";
import { computePlanChecksum } from "../plan/checksum.js";
import { canonicalizePlan, planChecksum } from "./graph.js";
import { readStateFile } from "./records/state.js";
import type { ExecutionStore } from "./records/store.js";
import { warnOnStderr } from "../util/warning.js";

/**
 * The plan execution `execId` recorded, when `plan` differs from it only in metadata.revision (and what follows
 * from it: the checksum, job uids); `notice` then says so in one line. Undefined in every other case — no record,
 * the same plan, another difference, an unreadable record — which the run itself then handles as before.
 */
export async function recordedPlanToResume(store: ExecutionStore, execId: string, plan: Plan, notice: (message: string) => void): Promise<Plan | undefined> {
  const state = await readStateFile(store.stateFile(execId)).catch(() => undefined);
  const ran = state?.planChecksum;
  if (!ran) return undefined;
  let fresh: string;
  try {
    fresh = planChecksum(canonicalizePlan(plan));
  } catch {
    return undefined; // a broken plan: the run says what is wrong with it
  }
  if (fresh === ran) return undefined;

  const manifest = store.manifestFile(execId);
  // Only the record's own regular file (a link in a record restored from elsewhere could name any file).
  if (!(await lstat(manifest).catch(() => undefined))?.isFile()) return undefined;
  // Loading warns about an older orun's plan (its revision is dropped): said only if that plan is resumed.
  const warnings: string[] = [];
  let recorded: Plan;
  try {
    const { loadPlanFile } = await import("../plan/store.js");
    recorded = await loadPlanFile(manifest, { verifyChecksum: true, warn: (message) => warnings.push(message) });
    if (planChecksum(canonicalizePlan(recorded)) !== ran) return undefined;
  } catch {
    return undefined;
  }
  if (unrevisedChecksum(recorded) !== unrevisedChecksum(plan)) return undefined;

  for (const message of warnings) warnOnStderr(message);
  const short = (checksum: string): string => checksum.replace(/^sha256-/, "").slice(0, 12);
  const revision = (of: Plan): string => of.metadata?.revision?.slice(0, 12) ?? "none";
  notice(
    `execution ${execId} resumes the plan it recorded (${short(ran)}): this tree's plan ${short(fresh)} differs from it only in metadata.revision (${revision(plan)}, recorded ${revision(recorded)})`,
  );
  return recorded;
}

/** The plan's checksum as if it recorded no revision: equal for two plans that differ in nothing else. */
export function unrevisedChecksum(plan: Plan): string {
  const canonical = canonicalizePlan(plan);
  const { revision: _revision, checksum: _checksum, ...metadata } = canonical.metadata ?? { name: "" };
  return computePlanChecksum({ ...canonical, metadata });
}
