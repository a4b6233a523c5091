// The run's end: its summary (counts, status, the commands that retry, rejoin or resume it, the approval it
// offers), the record closed with the execution's status (execution-status.ts), and the summary shown (run-end).
import { requiresApproval, type Plan } from "../model/plan.js";
import { approvalNote, approvalRequired, keptApproval } from "./approvals.js";
import type { JobSummary, RunEvent, RunSummary } from "./events.js";
import type { ExecuteOptions, ExecuteResult } from "./execute.js";
import { executionStatus, jobCounts, unfinishedJobs } from "./execution-status.js";
import { nowStamp } from "./job-executor.js";
import type { Selection } from "./job-selection.js";
import { recordLinks, type RunLink } from "./links.js";
import { reopenSkipped } from "./records/resume-state.js";
import type { ExecState, StateWriter } from "./records/state.js";
import type { ExecutionStore, RecordedApproval, RunMetadata } from "./records/store.js";
import { commandOf, recordedResume } from "./resume-words.js";
import { runCounts, summarize } from "./run-summary.js";

export interface RunEnd {
  plan: Plan;
  selection: Selection;
  concurrency: number;
  execId: string;
  execDir: string;
  store: ExecutionStore;
  state: ExecState;
  writer: StateWriter;
  /** The metadata the run started with, and an earlier run's (approval and links kept from it). */
  meta: RunMetadata;
  previous?: RunMetadata;
  /** The plan that ran: under remote state, the run's. */
  runPlanId: string;
  /** Every job's summary that runJobs recorded, by ID. */
  summaries: ReadonlyMap<string, JobSummary>;
  canceled: boolean;
  durationMs: number;
  links: RunLink[];
  /** The resume command as printed (execute.ts OpenRecord). */
  resumeText: (scopeDone: boolean) => Promise<string | undefined>;
  options: ExecuteOptions;
  emit: (event: RunEvent) => void;
}

export async function finishRun(end: RunEnd): Promise<ExecuteResult> {
  const { plan, selection, concurrency, execId, execDir, store, state, writer, meta, previous, runPlanId, summaries, canceled, durationMs, links, resumeText, options, emit } = end;
  const jobs = selection.selected.map((job) => summaries.get(job.id) ?? { ...summarize(job, "skipped"), reason: "not run" });
  const counts = runCounts(jobs);
  // Jobs waiting on dependencies outside this run (a component or environment scope) are no failure.
  const ok = counts.succeeded + counts.cached + counts.waiting === counts.total;
  const summary: RunSummary = {
    execId,
    planId: runPlanId,
    planName: plan.metadata?.name ?? "",
    runner: options.runner.name,
    status: canceled ? "canceled" : ok ? "completed" : "failed",
    dryRun: false,
    startedAt: meta.startedAt,
    durationMs,
    concurrency,
    counts,
    jobs,
    links,
    ...(options.remoteRunId ? { remoteRunId: options.remoteRunId } : {}),
    ...(options.remoteRunId && options.remoteBackendUrl ? { remoteBackendUrl: options.remoteBackendUrl } : {}),
    recordDir: execDir,
  };
  // A job whose result another runner's replaced is not this run's to retry: the result that counts is the other's.
  const failedHere = jobs.filter((job) => job.status === "failed" && !job.notRecorded).map((job) => job.id);
  const retryCommand = summary.status === "completed" ? undefined : options.retryCommand?.(failedHere);
  if (retryCommand) summary.retryCommand = retryCommand;
  // A job released here, or a runner stopped: its own command in the run takes its jobs up again.
  const rejoinCommand = canceled || counts.released > 0 ? options.rejoinCommand?.() : undefined;
  if (rejoinCommand) summary.rejoinCommand = rejoinCommand;

  if (!options.hooks) {
    // The command that reaches the reopened jobs, as the summary prints it (a --trigger plan by its stored ID): a
    // bare `orun run --exec-id` compiles a fresh plan in the intent's folder, which the record refuses.
    const reopenable = Object.values(state.jobs).some((job) => job.status === "skipped");
    const resume = (reopenable ? await resumeText(true).catch(() => undefined) : undefined) ?? `orun run --exec-id ${execId}`;
    if (reopenSkipped(state, selection, jobs, resume)) writer.schedule();
  }
  // The record's status, not only this run's: a `--job X --retry` that completes X leaves another job's failure.
  // Under remote state the record is this runner's part of the run: the others run the jobs it lacks.
  const unfinished = unfinishedJobs(state, selection.ordered, !options.hooks);
  // Under remote state, jobs this runner's --retry reopened outside its slice: no runner may ever claim them.
  const stillToRun = options.hooks?.stillToRun?.();
  for (const id of stillToRun?.jobs ?? []) if (!unfinished.some((job) => job.id === id)) unfinished.push({ id, status: "pending" });
  if (stillToRun && summary.status === "completed") summary.remainingCommand = stillToRun.command;
  summary.executionStatus = executionStatus(summary.status, unfinished);
  if (unfinished.length > 0) summary.unfinished = unfinished;
  // Given when the summary advises a resume (output/text.ts): the run did not complete, or jobs are still to run.
  const resumable = summary.status !== "completed" || unfinished.some((job) => job.status !== "not run");
  let approvalRecord: RecordedApproval | undefined;
  if (options.resumeCommand && resumable) {
    // The resume command carries only the --approve this run was given (decision 5: pasting a resume line must not
    // approve a job nobody was asked about). Jobs this run blocked for want of it get their own labelled line
    // offering the command with --approve; other jobs requiring approval that the command reaches get a note.
    // Once this run's scope completed, the command drops the job filters and reaches the plan's other jobs too.
    const scopeDone = summary.status === "completed";
    summary.resumeCommand = await resumeText(scopeDone);
    const reached = scopeDone ? selection.ordered : selection.selected;
    const blocked = options.approve ? [] : jobs.filter((job) => job.status === "blocked" && reached.some((planJob) => planJob.id === job.id && requiresApproval(planJob)));
    if (blocked.length > 0) {
      const words = await options.resumeCommand(execId, scopeDone, { approve: true });
      const command = commandOf(words);
      const blockedIds = new Set(blocked.map((job) => job.id));
      const others = approvalRequired(options, reached, state).filter((id) => !blockedIds.has(id));
      if (command) summary.approval = { blocked: [...blockedIds], command, ...(others.length ? { alsoApproves: others } : {}) };
      // For `orun status` to offer it too, its paths kept as the resume command's are (relative to the root).
      if (command) {
        const kept = recordedResume(words, store.rootDir);
        approvalRecord = { blocked: [...blockedIds], command: kept.resumeCommand, words: kept.resumeWords, ...(others.length ? { alsoApproves: others } : {}) };
      }
    } else {
      const note = approvalNote(options, reached, state);
      if (note) summary.resumeNote = note;
    }
  }
  await writer.flush();
  await store.writeMetadata({
    ...meta,
    status: summary.executionStatus,
    finishedAt: nowStamp(),
    ...jobCounts(state),
    ...keptApproval(approvalRecord, previous?.approval, state),
    // The record keeps the links of earlier runs of this execution too (a resume re-runs only some jobs).
    ...recordLinks(previous?.links, summary.links),
    // A record has no canceled state (completed or failed): the error says why it failed, for `orun status`.
    ...(canceled ? { error: "canceled: the run was stopped (Ctrl-C, SIGTERM or SIGHUP) before its jobs finished" } : {}),
  });
  emit({ type: "run-end", summary });
  return { summary, exitCode: canceled ? 130 : ok ? 0 : 1 };
}
