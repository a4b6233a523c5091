// The state a run picks an execution up from, and what a resume changes in it: the record's state.json (refused
// when it belongs to another plan or its results are gone), jobs a crash left running and `--job X --retry`'s X
// made to run again, and jobs an earlier run skipped for a dependency this run completed reopened.
import { existsSync } from "node:fs";
import { planShortId, requiresApproval, type Plan } from "../../model/plan.js";
import { OrunError } from "../../util/errors.js";
import { shellWord } from "../../util/shell-word.js";
import type { JobSummary } from "../events.js";
import type { Selection } from "../job-selection.js";
import { journalFileOf } from "./journal.js";
import { refuseResumeWithoutState, type ResumedMetadata } from "./resume-guards.js";
import { emptyState, journalWithoutState, readStateFile, type ExecState } from "./state.js";
import type { ExecutionStore } from "./store.js";

/** `withPlan`: this run's command with the record's manifest.json as its plan file (its scope and runner flags kept). */
export async function loadState(
  store: ExecutionStore,
  execId: string,
  checksum: string,
  plan: Plan,
  metadata: ResumedMetadata,
  withPlan: (planFile: string) => Promise<string | undefined> | undefined,
): Promise<ExecState> {
  const file = store.stateFile(execId);
  const state = await readStateFile(file);
  if (!state) {
    await refuseResumeWithoutState(store, execId);
    return emptyState(execId, checksum);
  }
  if (journalWithoutState(state)) {
    // Results of jobs this execution ran, with no record of the plan they ran: neither resumed blindly nor dropped silently.
    const ids = Object.keys(state.jobs).sort();
    throw new OrunError(
      `execution ${execId} has no state.json, but its journal holds the results of ${ids.length} job(s) (${ids.slice(0, 3).join(", ")}${ids.length > 3 ? ", …" : ""}); delete the journal too to start the execution afresh, or use a new --exec-id`,
      { location: { file: journalFileOf(file) } },
    );
  }
  state.execId = execId;
  const short = (full: string) => full.replace(/^sha256-/, "").slice(0, 12);
  // Every run writes the plan's checksum to both files: a state.json of another plan than its record's metadata is
  // a stranger, replaced or copied from another execution. Resumed with its own plan it passed for that plan's record
  // ("2 already completed", nothing run); with the record's (manifest.json, as below advises) it was refused in a loop.
  // Metadata of the wrong shape (`damaged`) holds no checksum to go by: the resume refuses it after these checks.
  const { meta } = metadata;
  if (state.planChecksum && meta?.planChecksum && state.planChecksum !== meta.planChecksum) {
    throw new OrunError(
      `execution ${execId}'s state.json belongs to plan ${short(state.planChecksum)}, not to the plan its record ran (${short(meta.planChecksum)}, metadata.json): the file was replaced or copied from another execution; restore it, or use a new --exec-id`,
      { location: { file, field: "planChecksum" } },
    );
  }
  if (state.planChecksum && state.planChecksum !== checksum) {
    // The record keeps the plan it ran (manifest.json): name it, so resuming is one command away.
    const manifest = store.manifestFile(execId);
    const recorded = existsSync(manifest) ? ` (${(await withPlan(manifest)) ?? `orun run ${shellWord(manifest)} --exec-id ${execId}`})` : "";
    throw new OrunError(
      `execution ${execId} belongs to plan ${short(state.planChecksum)}, not ${planShortId({ metadata: { ...plan.metadata, checksum } })} (${plan.metadata?.name ?? "plan"}); resume it with the plan it was started with${recorded}, or use a new --exec-id`,
      { location: { file, field: "planChecksum" } },
    );
  }
  state.planChecksum = checksum;
  return state;
}

/** Jobs a crash left `running` run again; `--job X --retry` clears X. Returns true when state changed. */
export function prepareResume(state: ExecState, selection: Selection, options: { retry?: boolean }): boolean {
  let changed = false;
  for (const job of Object.values(state.jobs)) {
    if (job.status === "running") {
      job.status = "pending";
      job.lastError = "interrupted: the previous run stopped while this job was running";
      changed = true;
    }
  }
  if (options.retry && selection.target && state.jobs[selection.target.id]) {
    delete state.jobs[selection.target.id];
    changed = true;
  }
  return changed;
}

/**
 * Jobs an earlier run of this execution skipped because a dependency failed, whose dependencies this run has
 * completed (`--job X --retry`, a scoped run): the reason they were skipped no longer holds, so they are
 * recorded waiting (pending) for a resume to run them, not left saying that X failed. Transitively: a job
 * skipped only because of such a job waits too; `resume` is the command that reaches them. Returns whether any changed.
 */
export function reopenSkipped(state: ExecState, selection: Selection, ran: readonly JobSummary[], resume: string): boolean {
  const completedNow = new Set(ran.filter((job) => job.status === "completed").map((job) => job.id));
  if (completedNow.size === 0) return false;
  const reopened = new Set<string>();
  const selected = new Set(selection.selected.map((job) => job.id));
  let changed = false;
  for (const job of selection.ordered) {
    // A job of this run that was skipped was skipped now (a cancel, fail-fast): that stands.
    const recorded = state.jobs[job.id];
    if (selected.has(job.id) || recorded?.status !== "skipped") continue;
    const dependencies = job.dependsOn ?? [];
    const cause = dependencies.find((dep) => completedNow.has(dep) || reopened.has(dep));
    if (cause === undefined) continue;
    changed = true;
    const blocking = dependencies.find((dep) => !reopened.has(dep) && state.jobs[dep]?.status !== "completed");
    if (blocking !== undefined) {
      // Still skipped, for another dependency: the reason names that one, not the one that has completed.
      const status = state.jobs[blocking]?.status ?? "pending";
      recorded.reason = `dependency ${blocking} ${status === "failed" ? "failed" : `was ${status}`}`;
      continue;
    }
    const why = completedNow.has(cause) ? `dependency ${cause} has completed since` : `dependency ${cause} is waiting to run again`;
    // The command never approves: a job requiring approval says what it needs instead.
    const approval = requiresApproval(job) ? ` (it requires approval: add --approve to approve it)` : "";
    state.jobs[job.id] = { status: "pending", steps: {}, reason: `skipped earlier; ${why}: resume with ${resume} to run it${approval}` };
    reopened.add(job.id);
  }
  return changed;
}
