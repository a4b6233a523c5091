// Jobs whose policy requires approval (decision 5) after a run: which ones a printed command without --approve
// would block, the note said beside such a command, and the approval offer the record keeps for `orun status`.
// Pasting a command must never approve a job nobody was asked about, so these only name and offer.
import { requiresApproval, type PlanJob } from "../model/plan.js";
import type { ExecState } from "./records/state.js";
import type { RecordedApproval } from "./records/store.js";

/** Whether the run was given --approve. */
type ApproveFlag = { approve?: boolean };

/**
 * The jobs of `reached` that a command without --approve would block for want of it: their policy requires approval
 * (decision 5) and they have not completed in the execution. None when this run was given --approve.
 */
export function approvalRequired(options: ApproveFlag, reached: readonly PlanJob[], state: ExecState): string[] {
  if (options.approve) return [];
  return reached.filter((job) => requiresApproval(job) && state.jobs[job.id]?.status !== "completed").map((job) => job.id);
}

/**
 * The approval offer the record keeps: this run's, else an earlier run's for the jobs it blocked that are still
 * blocked (a `--job` run that reached none of them must not take `orun status`'s offer away).
 */
export function keptApproval(current: RecordedApproval | undefined, earlier: RecordedApproval | undefined, state: ExecState): { approval?: RecordedApproval } {
  if (current) return { approval: current };
  const blocked = earlier?.blocked.filter((id) => state.jobs[id]?.status === "blocked") ?? [];
  return earlier && blocked.length ? { approval: { ...earlier, blocked } } : {};
}

/** Said next to a printed command that reaches jobs requiring approval: the command never approves them itself. */
export function approvalNote(options: ApproveFlag, reached: readonly PlanJob[], state: ExecState): string | undefined {
  const ids = approvalRequired(options, reached, state);
  if (ids.length === 0) return undefined;
  return `${ids.join(", ")} ${ids.length > 1 ? "require" : "requires"} approval: add --approve to approve ${ids.length > 1 ? "them" : "it"}`;
}
