// `orun logs --job/--step`: what the filter names in the execution's plan. A name that is in no job of the record
// (a typo) is an error naming it, with what it may have meant; "No logs match." and exit 0 read as "that job printed
// nothing". A job that is in the plan but has no logs (pending, skipped) is said to be so. The check itself
// (checkScope) is shared with `orun logs --remote-state`, which gives it the run's jobs as the backend lists them.
import { canonicalJobId, jobIdFragments, jobIdShortForms } from "../model/plan.js";
import { closeNames } from "../util/edit-distance.js";
import { OrunError } from "../util/errors.js";
import { safeSegment } from "./ids.js";
import { readStepOrder, type LogFilter } from "./logs.js";
import { readStateFile, type ExecState } from "./records/state.js";
import type { ExecutionStore } from "./records/store.js";
import { printable } from "../util/printable.js";

/**
 * The entries of a job's own a `--step` may name besides its steps' (src/runtime/logs.ts: what the job's start and
 * end printed, its summary, `withoutLog`'s "job" for an error naming no step), by their full name only: `sta` or
 * `summary` is a typo, not a part of one of them.
 */
const JOB_ENTRIES = ["job start", "job", "job finish", "job summary"];

/** The jobs a filter selects, with what the record says of each (to explain an empty listing). */
export interface LogScope {
  jobs: { id: string; status?: string; reason?: string }[];
}

/** A job a filter is checked against: its step keys (undefined: not known, so any `--step` is taken), its status. */
export interface ScopeJob {
  id: string;
  steps?: readonly string[];
  status?: string;
  reason?: string;
}

/** How a listing matches `--job` and `--step` (the check must select what the listing will). */
export interface ScopeMatch {
  job(id: string, wanted: string): boolean;
  step(keys: readonly string[], wanted: string): boolean;
}

/** As `listLogs` matches: a job by either ID form (a folder's safe name) or a part of one; a step by key or a part. */
const LOCAL_MATCH: ScopeMatch = {
  job: (id, wanted) => safeSegment(id) === safeSegment(canonicalJobId(wanted)) || jobIdFragments(wanted).some((needle) => id.includes(needle)),
  step: (keys, step) => keys.some((key) => safeSegment(key) === safeSegment(step) || key.includes(step)) || JOB_ENTRIES.includes(step.trim()),
};

/**
 * Refuses a `--job` that selects no job of the record, and a `--step` that names no step of the jobs selected,
 * as `listLogs` matches them (either ID form, or a part of one). Undefined when the record holds neither its plan
 * nor its state (nothing to check against: the filter is taken as given).
 */
export async function checkLogFilter(store: ExecutionStore, execId: string, filter: LogFilter): Promise<LogScope | undefined> {
  // A corrupt state.json is an error naming it, not a record with no jobs to check against.
  const state = await readStateFile(store.stateFile(execId));
  const steps = await readStepOrder(store, execId);
  const known = new Map<string, Set<string>>();
  for (const [id, keys] of steps ?? []) known.set(id, new Set(keys));
  for (const [id, job] of Object.entries(state?.jobs ?? {})) {
    const keys = known.get(canonicalJobId(id)) ?? new Set<string>();
    for (const key of Object.keys(job.steps ?? {})) keys.add(key);
    known.set(canonicalJobId(id), keys);
  }
  if (known.size === 0) return undefined;
  const jobs = [...known.keys()].sort().map((id) => ({ ...jobNote(id, state), steps: [...known.get(id)!] }));
  return checkScope(jobs, filter, `execution ${execId}`, LOCAL_MATCH);
}

/**
 * The jobs `filter` selects of `jobs` (those of a record, or of a remote run), or an error naming what it selects
 * nothing of, with the names it may have meant. `where` names the record or run in the error. A `--step` is
 * checked only when every job selected tells its steps.
 */
export function checkScope(jobs: readonly ScopeJob[], filter: LogFilter, where: string, match: ScopeMatch): LogScope {
  const ids = jobs.map((job) => job.id).sort();
  let selected = [...jobs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (filter.job) {
    const job = filter.job;
    selected = selected.filter((known) => match.job(known.id, job));
    if (selected.length === 0) {
      const close = closeNames(canonicalJobId(job), ids, { containing: job, forms: jobIdShortForms });
      throw new OrunError(`job not found in ${where}: ${job}`, {
        hint: close.length ? `did you mean ${listed(close)}?` : `its jobs: ${listed(ids)}`,
      });
    }
  }
  const step = filter.step;
  if (step && selected.every((job) => job.steps)) {
    const keys = [...new Set(selected.flatMap((job) => job.steps!))].sort();
    if (!match.step(keys, step)) {
      const of = filter.job ? ` of ${listed(selected.map((job) => job.id))}` : "";
      const close = closeNames(step, keys);
      throw new OrunError(`step not found in ${where}${of}: ${step}`, {
        hint: close.length ? `did you mean ${listed(close)}?` : keys.length ? `its steps: ${listed(keys)}` : "the jobs selected have no steps",
      });
    }
  }
  return { jobs: selected.map(({ id, status, reason }) => ({ id, ...(status ? { status } : {}), ...(reason ? { reason } : {}) })) };
}

function jobNote(id: string, state: ExecState | undefined): ScopeJob {
  const job = state?.jobs[id];
  return { id, ...(job ? { status: job.status } : {}), ...(job?.reason ? { reason: job.reason } : {}) };
}

/**
 * Why `--job` found no logs of jobs the record holds: each job's recorded status (pending, skipped and why), which
 * "No logs match." alone left to guess. Without `--job` (`--failed`, `--step` over every job) the plain sentence.
 */
export function noLogsMatchText(scope: LogScope | undefined, filter: LogFilter): string {
  if (!scope || !filter.job || scope.jobs.length === 0) return "No logs match.\n";
  // What the record (or backend) says, escaped: a control character in it must not reach the terminal.
  const shown = scope.jobs.slice(0, 3).map((job) => printable(`${job.id}: ${job.status ?? "not started"}${job.reason ? `, ${job.reason}` : ""}`));
  const more = scope.jobs.length > shown.length ? `; and ${scope.jobs.length - shown.length} more` : "";
  return `No logs match (${shown.join("; ")}${more}).\n`;
}

/**
 * `--failed` (over every job) of a record where no job or step failed: says so, naming the execution — "No logs
 * match." alone read as though failures had no logs. Undefined when something failed (its logs are then elsewhere).
 */
export function nothingFailedText(state: ExecState | undefined, execId: string): string | undefined {
  const jobs = Object.values(state?.jobs ?? {});
  if (jobs.some((job) => job.status === "failed" || Object.values(job.steps).includes("failed"))) return undefined;
  return `No logs match: no job failed in execution ${printable(execId)}.\n`;
}

/** Names from the record (or backend) for an error message, a control character in one shown as `\u{hex}`. */
function listed(names: string[]): string {
  const shown = names.map((name) => printable(name));
  return shown.length > 8 ? `${shown.slice(0, 8).join(", ")}, … (${shown.length} in all)` : shown.join(", ");
}

/** Jobs of a finished run without logs listed by name, at most. */
const NOT_RUN_SHOWN = 5;

/**
 * Why a finished run has no logs when none of its jobs started (a gate or a policy blocked them, the rest skipped):
 * each blocked job, then each skipped one, with the reason `orun status` shows. Undefined when some job started.
 */
export function noStepRanText(state: ExecState | undefined, execId: string): string | undefined {
  const jobs = Object.entries(state?.jobs ?? {});
  if (jobs.length === 0 || jobs.some(([, job]) => job.startedAt !== undefined || !["blocked", "skipped", "pending"].includes(job.status))) return undefined;
  const notRun = [...jobs.filter(([, job]) => job.status === "blocked"), ...jobs.filter(([, job]) => job.status !== "blocked")];
  if (!notRun.some(([, job]) => job.status === "blocked" || job.status === "skipped")) return undefined;
  const lines = notRun.slice(0, NOT_RUN_SHOWN).map(([id, job]) => `  ${printable(id)}  ${job.status}${job.reason ? ` · ${printable(job.reason)}` : ""}`);
  const more = notRun.length > NOT_RUN_SHOWN ? [`  … ${notRun.length - NOT_RUN_SHOWN} more (orun status --exec-id ${printable(execId)})`] : [];
  return ["No logs for this run: no step ran.", ...lines, ...more, ""].join("\n");
}
