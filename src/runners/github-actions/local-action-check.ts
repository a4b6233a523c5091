// `validate`, `plan` and `run --dry-run` read the local actions (`use: ./path`) a plan's jobs call, as the runner
// will: an action.yml that is not YAML, names an unsupported `runs.using`, has a composite step whose `if:` does not
// parse or a `run:` step without `shell:` is reported with its file:line: field before any job runs — and so is a
// local action a composite action calls (`uses: ./path`, relative to the repository root too) that is missing or
// would not load. Warnings, as for a missing local action (src/plan/local-actions.ts): the plan does not know its
// runner, and an earlier step may still check out or rewrite the folder before the step that uses it.
import { stat } from "node:fs/promises";
import path from "node:path";
import type { PlanJob } from "../../model/plan.js";
import { isLocalActionUse, localActionMissing, localActionSteps } from "../../plan/local-actions.js";
import { errorMessage } from "../../util/errors.js";
import { loadActionMetadata } from "./action-metadata.js";

export interface BrokenLocalAction {
  /** The first job and step that call it (through the composite actions between, for one a composite calls). */
  job: string;
  step: string;
  /** How many other steps call the same action. */
  others: number;
  /** The loader's error: `<file>:<line>: <field>: <what>`; for one a composite calls, where it calls it. */
  message: string;
}

interface Reached {
  dir: string;
  caller: { job: string; step: string; others: number };
  /** For an action a composite calls: its `uses:` value and where (`<action.yml>: runs.steps[i].uses`). */
  calledBy?: { uses: string; at: string };
}

/**
 * The local actions `jobs` reach that would not load, one entry per action folder: those their steps call that exist
 * under `root` (a missing one is missingLocalActions()'s), and, through every composite action among them, those it
 * calls that are missing or would not load. Values with `${{ }}`, references leaving the root and remote actions are
 * left to the run, as there.
 */
export async function brokenLocalActions(jobs: PlanJob[], root: string): Promise<BrokenLocalAction[]> {
  const base = path.resolve(root);
  const byDir = new Map<string, Reached["caller"]>();
  for (const { job, step, dir } of localActionSteps(jobs, base)) {
    const seen = byDir.get(dir);
    if (seen) seen.others++;
    else byDir.set(dir, { job, step, others: 0 });
  }
  const queue: Reached[] = [...byDir].map(([dir, caller]) => ({ dir, caller }));
  const read = new Set<string>();
  const broken: BrokenLocalAction[] = [];
  // The queue grows as composite actions are read; each folder is read once (an action may call itself).
  for (let next = 0; next < queue.length; next++) {
    const { dir, caller, calledBy } = queue[next]!;
    if (read.has(dir)) continue;
    read.add(dir);
    if (!(await stat(dir).catch(() => undefined))?.isDirectory()) {
      if (calledBy) broken.push({ ...caller, message: `${calledBy.at}: ${localActionMissing(calledBy.uses, dir, base)}` });
      continue;
    }
    let calls: Reached[];
    try {
      const meta = await loadActionMetadata(dir);
      calls = meta.runs.using === "composite" ? compositeCalls(meta.runs.steps, meta.file, base, caller) : [];
    } catch (err) {
      broken.push({ ...caller, message: calledBy ? `${errorMessage(err)} (called at ${calledBy.at})` : errorMessage(err) });
      continue;
    }
    queue.push(...calls);
  }
  return broken;
}

/** The local actions a composite action's steps call, with where; the same values as localActionSteps() takes. */
function compositeCalls(steps: { uses?: unknown; run?: unknown }[], file: string, base: string, caller: Reached["caller"]): Reached[] {
  const calls: Reached[] = [];
  steps.forEach((step, i) => {
    const uses = typeof step.uses === "string" ? step.uses.trim() : "";
    if (uses === "" || (typeof step.run === "string" && step.run.trim() !== "") || uses.includes("${{") || !isLocalActionUse(uses)) return;
    const dir = path.resolve(base, uses);
    const rel = path.relative(base, dir);
    if (rel.startsWith("..") || path.isAbsolute(rel)) return;
    calls.push({ dir, caller: { ...caller, others: 0 }, calledBy: { uses, at: `${file}: runs.steps[${i}].uses` } });
  });
  return calls;
}
