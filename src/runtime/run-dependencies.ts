// Dependencies of the run's jobs as the execution's record has them: which count done, which lie outside the run
// failed (their dependents are skipped) or not yet run (their dependents wait); and `--job X` refused while X's have
// not completed, with the commands that run them first.
import { shellWord } from "../util/shell-word.js";
import { OrunError } from "../util/errors.js";
import { approvalNote } from "./approvals.js";
import { missingDependencies } from "./graph.js";
import type { ExecutionHooks } from "./hooks.js";
import type { Selection } from "./job-selection.js";
import type { ExecState } from "./records/state.js";

/** What the scheduler is told of dependencies (scheduler.ts): by job ID, done, or the reason a dependent cannot run. */
export interface DependencyStatus {
  satisfied: Set<string>;
  unsatisfiable: Map<string, string>;
  failedOutside: Map<string, string>;
}

/**
 * Dependencies of the selected jobs: satisfied (completed in this execution, or outside the selection
 * under remote state, whose claims wait for them); outside the selection and failed, skipped or blocked
 * in this execution (their dependents are skipped); or outside and not yet run (their dependents wait).
 */
export function dependencyStatus(
  state: ExecState,
  selection: Selection,
  options: { hooks?: Pick<ExecutionHooks, "awaitsExternalDependencies"> },
  execId: string,
): DependencyStatus {
  const satisfied = new Set<string>();
  const unsatisfiable = new Map<string, string>();
  const failedOutside = new Map<string, string>();
  const selectedIds = new Set(selection.selected.map((job) => job.id));
  for (const job of selection.ordered) {
    const status = state.jobs[job.id]?.status;
    // Remote state waits for jobs outside the selection in its claim (beforeJob).
    if (status === "completed" || (!selectedIds.has(job.id) && options.hooks?.awaitsExternalDependencies)) satisfied.add(job.id);
    else if (selectedIds.has(job.id)) continue;
    else if (status === "failed" || status === "skipped" || status === "blocked") {
      failedOutside.set(job.id, `dependency ${job.id} ${status === "failed" ? "failed" : `was ${status}`} in execution ${execId}`);
    } else unsatisfiable.set(job.id, `dependency ${job.id} is not part of this run and has not completed in execution ${execId}`);
  }
  return { satisfied, unsatisfiable, failedOutside };
}

/**
 * `--job X` whose dependencies have not completed in the execution: refused (off remote state, where nothing waits for
 * them), with the commands that run them first. `satisfied`: the jobs dependencyStatus counts done. A dry-run refuses
 * as the run would (`preview`), so a preview never passes what the run refuses.
 */
export async function refuseMissingDependencies(
  state: ExecState,
  selection: Selection,
  options: { execId?: string; execIdGenerated?: boolean; approve?: boolean },
  satisfied: ReadonlySet<string>,
  commandFor: (job: string) => Promise<string | undefined>,
  execId: string,
  preview = false,
): Promise<void> {
  if (!selection.target) return;
  const missing = (selection.target.dependsOn ?? []).filter((dep) => !satisfied.has(dep));
  if (!missing.length) return;
  // This command with each missing dependency's --job (theirs too), in order: a bare `orun run --exec-id` ran
  // every job of a fresh plan, and one dependency's command at a time was refused for the next one.
  // Never with an --approve this run was not given (decision 5: nobody was asked): a note says when it needs one.
  const chain = missingDependencies(selection.target, selection.ordered, satisfied);
  // A generated ID names no execution (the refused record is removed) and this command cannot be given it again:
  // the suggestion ends with this job under that ID. Given an ID, the reader reruns their own command after.
  const generated = options.execId === undefined || options.execIdGenerated === true;
  const suggested = generated ? [...chain, selection.target] : chain;
  const commands = await Promise.all(
    suggested.map(async ({ id }) => (await commandFor(id).catch(() => undefined)) ?? `orun run --exec-id ${shellWord(execId)} --job ${shellWord(id)}`),
  );
  // Of every job the suggestion runs: pasted, a job of it that requires approval would be blocked unannounced.
  const note = approvalNote(options, suggested, state);
  const refusal = `cannot run ${selection.target.id}: dependencies not completed (${missing.join(", ")})`;
  const first = `run ${chain.length > 1 ? "them first, in order" : "it first"}${generated ? ", then this job, in a new execution" : ""}`;
  throw new OrunError(preview ? `the run would refuse: ${refusal}` : refusal, {
    hint: `${first}${note ? ` (${note})` : ""}: ${commands.join(" && ")}`,
  });
}
