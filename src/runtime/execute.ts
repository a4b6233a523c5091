// The runtime's entry point: run (or preview) a plan through a runner,
// recording everything under .orun/executions/<exec-id>/. The CLI builds the
// options; remote state plugs in through `hooks`.
import { rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { setMaxListeners } from "node:events";
import path from "node:path";
import { planShortId, requiresApproval, type Plan, type PlanJob } from "../model/plan.js";
import type { Runner, RunContext } from "../runners/runner.js";
import { createRunner, type RunnerOptions } from "../runners/registry.js";
import { OrunError, errorMessage } from "../util/errors.js";
import type { ExecutionHooks } from "./hooks.js";
import type { JobSummary, Renderer, RunEvent, RunSummary } from "./events.js";
import { refuseUseSteps, type RunnerChoice } from "./runner-resolution.js";
import { canonicalizePlan, planChecksum } from "./graph.js";
import { RUN_ABORTED, RUN_CANCELED, schedule, type JobOutcome } from "./scheduler.js";
import { ExecutionStore, recordUser, type RecordedApproval, type RunMetadata } from "./records/store.js";
import { revisionToRecord } from "./run-revision.js";
import { readResumedMetadata, recordedMetadata, refuseResumingRunnerRecord } from "./records/resume-guards.js";
import { foldedJournal, NO_REVISION, StateWriter, type ExecState } from "./records/state.js";
import { recordRevision, stampEarlierResults } from "./records/result-revision.js";
import { loadState, prepareResume, reopenSkipped } from "./records/resume-state.js";
import { journalLine } from "./records/journal.js";
import { generateExecId } from "./ids.js";
import { GateEvaluator } from "./gates.js";
import { JobLatches, executeJob, handOverFirstStep, nowStamp, type InFlightStep } from "./job-executor.js";
import { orderSteps, stepKeys } from "../model/steps.js";
import { jobDir, type WorkdirOptions } from "./workdir.js";
import { LinkCollector, recordLinks } from "./links.js";
import { standingResult, summarize } from "./run-summary.js";
import { approvalNote, approvalRequired, keptApproval } from "./approvals.js";
import { dependencyStatus, refuseMissingDependencies } from "./run-dependencies.js";
import { executionStatus, jobCounts, unfinishedJobs } from "./execution-status.js";
import { dryRun } from "./dry-run.js";
import { selectJobs } from "./job-selection.js";
import { warnOnStderr } from "../util/warning.js";
import { commandOf, recordedResume, type CommandWord } from "./resume-words.js";
import { resumedSteps, whyNoStepSkipped } from "./resumed-steps.js";

export interface ExecuteOptions {
  plan: Plan;
  /** Directory holding `.orun/` (the intent root, else the current directory). */
  storeDir: string;
  /** Absolute workspace root jobs resolve their paths against. */
  workspaceDir: string;
  /** --workdir (or GITHUB_WORKSPACE under github-actions): every job runs there. */
  workdirOverride?: string;
  /** Where a warning goes (stderr by default). */
  warn?: (message: string) => void;
  runner: RunnerChoice;
  runnerOptions?: RunnerOptions;
  /** --concurrency; 0/undefined = the plan's execution.concurrency. */
  concurrency?: number;
  /** Overrides the plan's execution.failFast (--fail-fast / --no-fail-fast). */
  failFast?: boolean;
  /** Validated --exec-id / ORUN_EXEC_ID; generated when absent. */
  execId?: string;
  /** --job (either ID form). */
  job?: string;
  retry?: boolean;
  components?: string[];
  environments?: string[];
  approve?: boolean;
  dryRun?: boolean;
  /** A dry-run whose run would use remote state: there `--job X` waits for X's dependencies rather than refusing. */
  previewsRemoteState?: boolean;
  trigger?: "cli" | "background";
  hooks?: ExecutionHooks;
  renderer: Renderer;
  /** Aborted on Ctrl-C / SIGTERM: running steps are killed, nothing new starts. */
  signal?: AbortSignal;
  /** Overrides for tests and benchmarks. */
  stateWriteIntervalMs?: number;
  /** Under remote state: the backend's run ID, shown in the hints (`orun status --remote-state --exec-id …`). */
  remoteRunId?: string;
  /** Under remote state: the backend's URL, which the printed `status`/`logs` commands repeat (remoteRunWords). */
  remoteBackendUrl?: string;
  /**
   * Under remote state: the command that retries in the run every job of `failedHere` (the jobs that failed here), else
   * the failed job that kept this runner's jobs from running (undefined when none is known), naming the plan and flags
   * as this runner was given them.
   */
  retryCommand?: (failedHere: readonly string[]) => string | undefined;
  /**
   * Off remote state: the command that resumes this execution, as the run was given its plan and flags (default
   * `orun run --exec-id <id>`); `scopeDone` when this run's own scope completed (the rest lies outside it). `instead`:
   * the same command with another plan file (the record's manifest.json) or another `--job` (a missing dependency),
   * or with `--approve` (`approve`: only for the summary's line that offers approval for jobs this run blocked for want
   * of it, and says so).
   * As words, paths absolute: the record names those inside its root relative to it (resume-words.ts).
   */
  resumeCommand?: (execId: string, scopeDone: boolean, instead?: { planFile?: string; job?: string; approve?: boolean }) => Promise<CommandWord[]>;
  /** Off remote state: told the resume command the run records at its start (paths absolute), which a second Ctrl-C names. */
  onResumeCommand?: (command: string) => void;
  /** Under remote state: the runner's own command in the run (its slice, its flags), for its record (RunMetadata.resumeCommand). */
  rejoinCommand?: () => string;
}

export interface ExecuteResult {
  summary: RunSummary;
  exitCode: number;
}

export async function executePlan(options: ExecuteOptions): Promise<ExecuteResult> {
  const plan = canonicalizePlan(options.plan);
  const selection = selectJobs(plan, options);
  const concurrency = effectiveConcurrency(options.concurrency, plan);
  const failFast = options.failFast ?? plan.execution?.failFast ?? false;
  const checksum = planChecksum(plan);
  const planId = planShortId({ metadata: { ...plan.metadata, checksum } });
  const workdir: WorkdirOptions = { workspaceDir: path.resolve(options.workspaceDir), override: options.workdirOverride };
  const links = new LinkCollector();
  const emit = (event: RunEvent): void => {
    links.observe(event);
    options.renderer.handle(event);
  };

  if (options.dryRun) return await dryRun(plan, selection, options, { concurrency, failFast, workdir, planId, emit });
  refuseUseSteps(options.runner.name, selection.selected);

  // The runner's code loads while the record is opened.
  const runnerReady = createRunner(options.runner.name, options.runnerOptions ?? {});
  runnerReady.catch(() => undefined); // awaited below; a failure surfaces there
  const store = new ExecutionStore(options.storeDir);
  // A generated ID gets a folder of its own, never an existing record to resume; a new record appears whole, locked.
  const opened = await store.openRecord(options.execId, () => generateExecId(plan.metadata?.name));
  const { execId, lock } = opened;
  const execDir = store.execDir(execId);
  const newRecord = opened.created;
  let runner: Runner | undefined;
  let runContext: RunContext | undefined;
  let writer: StateWriter | undefined;
  let loadedState: ExecState | undefined;
  // Until the record is first written, a refusal leaves it exactly as it was (a new one is removed).
  let recordWritten = false;
  // Under remote state, a new record whose runner failed before it took part in the run (the backend refused it: a
  // plan mismatch) goes too, with `latest` pointed back: it was no part of any run, though it would read as "the run
  // this machine last took part in".
  const latestBefore = newRecord && options.hooks?.tookPart ? await store.latestTarget() : undefined;
  const startedMs = Date.now();
  try {
    // The resume command as printed now: its paths absolute (nothing has moved yet).
    const resumeText = async (scopeDone: boolean, instead?: { planFile?: string; job?: string; approve?: boolean }): Promise<string | undefined> =>
      options.resumeCommand?.(execId, scopeDone, instead).then(commandOf);
    // Read once, for every check below (a new record has none).
    const metadata = newRecord ? {} : await readResumedMetadata(store, execId);
    // Off remote state, a record that may be a remote runner's part is never resumed as a local run.
    if (!newRecord && !options.remoteRunId) refuseResumingRunnerRecord(store, execId, metadata);
    const state = await loadState(store, execId, checksum, plan, metadata, (planFile) => resumeText(false, { planFile }).catch(() => undefined));
    loadedState = state;
    const { satisfied, unsatisfiable, failedOutside } = dependencyStatus(state, selection, options, execId);
    // Checked before anything is written: a refused --job must not touch the record (nor --retry clear the job).
    if (!options.hooks?.managesDependencies) await refuseMissingDependencies(state, selection, options, satisfied, (job) => resumeText(false, { job }), execId);
    // Read before anything is written: metadata of the wrong shape refuses the run with the record untouched. One
    // that is not JSON at all holds nothing to keep: the run goes on without it (as without one) and says so.
    const { meta: previous, unreadable } = recordedMetadata(metadata);
    if (unreadable) (options.warn ?? warnOnStderr)(`the record's metadata.json cannot be read (${unreadable}): this run writes a new one`);
    // --retry's logs go before its state: logs that cannot be cleared refuse the run with the job's result still on record.
    if (options.retry && selection.target && !newRecord) await store.clearJobLogs(execId, selection.target.id);
    const retried = prepareResume(state, selection, options);
    // A plan written before its checksum covered the revision loads without one; an execution it started before
    // the upgrade keeps the revision recorded then, so a resume does not drop that run's promotion evidence.
    const planned = plan.metadata?.revision ?? (previous?.planChecksum === checksum ? previous.revision : undefined);
    // Judged in the folders the jobs run in (--workdir, else each job's), which are not always the workspace's tree.
    const folders = { workspaceDir: workdir.workspaceDir, jobDirs: selection.selected.map((job) => jobDir(job, workdir)) };
    const revision = await revisionToRecord(planned, folders, options.warn ?? warnOnStderr, options.remoteRunId);
    options.hooks?.vouchFor?.(revision);
    // Each result this run records carries the revision it vouches for; an older orun's results get their record's.
    const stamped = stampEarlierResults(state, previous?.revision);
    writer = new StateWriter(store.stateFile(execId), state, options.stateWriteIntervalMs, revision);
    // Transitions a crashed run journaled go into state.json before the journal starts afresh — written with the
    // record's first awaited writes below, not by a timer before them.
    if (retried || stamped || foldedJournal(state) || !existsSync(store.stateFile(execId))) writer.markChanged();
    // Recorded now, for `orun status` to give if this process dies: a killed run prints no summary.
    // A local run's names the paths inside the store's root relative to it: status prints them where the root is then.
    // Only the --approve this run was given: pasted, it blocks a job requiring approval, whose summary then offers it.
    const startWords = options.remoteRunId ? undefined : await options.resumeCommand?.(execId, false).catch(() => undefined);
    const carryOn = options.remoteRunId ? { resumeCommand: options.rejoinCommand?.() } : startWords && recordedResume(startWords, store.rootDir);
    const vouched = recordRevision(state, revision);
    const meta: RunMetadata = {
      execId,
      planId,
      planName: plan.metadata?.name ?? "",
      planChecksum: checksum,
      // Not claimed for a record holding results of a run that vouched for another revision or none.
      ...(vouched ? { revision: vouched } : {}),
      ...(options.remoteRunId ? { remoteRunId: options.remoteRunId } : {}),
      ...(options.remoteRunId && options.remoteBackendUrl ? { remoteBackendUrl: options.remoteBackendUrl } : {}),
      ...(carryOn?.resumeCommand ? carryOn : {}),
      startedAt: previous?.startedAt ?? nowStamp(),
      status: "running",
      trigger: options.trigger ?? "cli",
      user: recordUser(),
      runner: options.runner.name,
      dryRun: false,
      pid: process.pid,
      jobTotal: plan.jobs.length,
      jobDone: 0,
      jobFailed: 0,
    };
    // Independent files, written together; all have landed (or failed) before a failure is handled,
    // so the clean-up below never races a "running" metadata write.
    recordWritten = true;
    // Earlier results stamped with their record's revision are on file before metadata.json names this run's: a
    // crash between the two must not leave them judged by the new one (or by none).
    if (stamped) await writer.flush();
    await settleAll([writer.flush(), store.pointLatest(execId), store.writeMetadata(meta), store.writeManifest(execId, plan)]);
    // Told once the record holds it: what a second Ctrl-C names is what status then gives.
    if (startWords) options.onResumeCommand?.(commandOf(startWords));

    const toRun: PlanJob[] = [];
    const summaries = new Map<string, JobSummary>();
    let resumed = 0;
    for (const job of selection.selected) {
      if (state.jobs[job.id]?.status === "completed") {
        resumed++;
        summaries.set(job.id, summarize(job, "cached"));
      } else toRun.push(job);
    }
    const cachedSteps = resumedSteps(toRun, state, (job) => whyNoStepSkipped(options.runner.name, state.jobs[job.id]?.runner, options.hooks !== undefined));

    runner = await runnerReady;
    runContext = {
      plan,
      execId,
      workspaceDir: workdir.override ? path.resolve(workdir.override) : workdir.workspaceDir,
      scratchDir: path.join(execDir, "tmp"),
      options: options.runnerOptions ?? {},
      jobs: toRun,
      concurrency,
      onMask: (value) => emit({ type: "mask", value }),
    };

    // The header names the plan that runs: under remote state, the run's when this runner joined it as that plan.
    // Learning that registers the run, so the runner is prepared first: one that cannot run (no container engine)
    // leaves no remote run behind. Without remote state the header comes first, as always: before a slow prepare
    // (docker waiting on its engine). A run with nothing left to run prepares nothing.
    const joining = toRun.length > 0 ? options.hooks?.joinedPlanId : undefined;
    if (joining) await prepareRunner(runner, runContext, options.runner.name);
    const runPlanId = (joining ? await joining.call(options.hooks, options.signal) : undefined) ?? planId;
    emit({ type: "run-start", plan, planId: runPlanId, execId, runner: options.runner, concurrency, failFast, jobs: selection.selected, resumed, target: selection.target?.id, remoteRunId: options.remoteRunId, remoteBackendUrl: options.remoteBackendUrl });
    // What the steps see (ORUN_PLAN_ID, ORUN_JOB_RUN_ID): the plan that runs, so one job of a remote run has one ID on every runner.
    const stepIds = { runner: options.runner.name, planId: runPlanId, execId, ...(options.remoteRunId ? { runId: options.remoteRunId } : {}) };
    runContext.ids = stepIds;
    for (const job of selection.selected) if (summaries.get(job.id)?.status === "cached") emit({ type: "job-cached", job });
    if (!joining && toRun.length > 0) await prepareRunner(runner, runContext, options.runner.name);

    const abort = new AbortController();
    // Every running step listens for cancellation: at high concurrency that is more than EventTarget's
    // default of 10 listeners, which is not a leak.
    setMaxListeners(0, abort.signal);
    const onOuterAbort = (): void => abort.abort();
    options.signal?.addEventListener("abort", onOuterAbort, { once: true });
    if (options.signal?.aborted) abort.abort();


    // The revision this run vouches for, not the plan's: a tree moved on since (a fix before a resume) has no evidence yet.
    const gates = new GateEvaluator(revision, store, execId, state, options.hooks, plan);
    const admission = new AbortController();
    /**
     * The failed job after which fail-fast stopped starting jobs (a job's error stopping the run is not fail-fast): a
     * handed-over job that runs on anyway says it started before that was known.
     */
    let failFastAfter: string | undefined;
    // Jobs are handed over (see scheduler.ts) when the runner can; remote state admits each job itself.
    // The completion the helper journals when a job's last step exits 0 and lets its successor start.
    const completion = (job: PlanJob): { file: string; line: string } => {
      const steps = Object.fromEntries(stepKeys(orderSteps(job.steps)).map((key) => [key, "completed" as const]));
      return { file: writer!.journalFile, line: journalLine(job.id, { status: "completed", startedAt: state.jobs[job.id]?.startedAt ?? nowStamp(), steps, revision: revision ?? NO_REVISION }) };
    };
    const latches = runner.handOff && !options.hooks ? new JobLatches(runner.handOff, completion) : undefined;
    const deps = { runner, runContext, ids: stepIds, state, writer, store, workdir, hooks: options.hooks, signal: abort.signal, runStopped: () => options.hooks?.runStopped?.(failFastAfter !== undefined) ?? failFastAfter !== undefined, emit, latches, cachedSteps };
    /** `held`: the hooks hold the job (remote state: claimed it) — told it as one held and not run (see stoppedBeforeStart). */
    const notRun = (job: PlanJob, status: "skipped" | "blocked" | "waiting", reason: string, held = false): void => {
      if (status !== "waiting") {
        state.jobs[job.id] = { status, steps: {}, reason, finishedAt: nowStamp() };
        writer!.settled(job.id);
      } else {
        // A waiting job is still to run in this execution; what an earlier run recorded for it stays.
        state.jobs[job.id] ??= { status: "pending", steps: {}, reason };
        writer!.schedule();
      }
      summaries.set(job.id, { ...summarize(job, status), reason });
      emit({ type: "job-not-run", job, status, reason });
      // Remote state reports it, so the backend's run still finishes and other runners stop waiting.
      options.hooks?.onJobNotRun?.(job, held || status === "blocked" ? "blocked" : "skipped", reason);
    };
    /**
     * Why a job picked to run must not start now: the run is stopping — canceled (Ctrl-C, SIGTERM), or fail-fast
     * tripped (or a job's error ended the run) while its admission was awaited. Undefined while the run goes on.
     * The reason is the one the scheduler gives the jobs the stop left in the queue.
     */
    const stopping = (): string | undefined => {
      if (abort.signal.aborted) return RUN_CANCELED;
      if (!admission.signal.aborted) return undefined;
      return typeof admission.signal.reason === "string" ? admission.signal.reason : RUN_ABORTED;
    };
    /**
     * A job picked to run that the run's stop reached before its first step: recorded not started, as the jobs the
     * stop left in the queue are — never shown started, then canceled. One the hooks hold (remote state: claimed) is
     * handed back to them as held and not run, which they report as not started on this runner.
     */
    const stoppedBeforeStart = (job: PlanJob, reason: string, held: boolean, recorded = state.jobs[job.id]): JobOutcome => {
      // In a resumed record the job's earlier result (failed, its steps, its error) stays: it did not run again, so
      // nothing new is known of it. This run's summary counts it as that result (as state.json and `orun status` do,
      // and as a completed one counts `cached`), its reason saying it was not run this time.
      if (previous !== undefined && recorded !== undefined && recorded.status !== "pending" && recorded.status !== "running") {
        state.jobs[job.id] = recorded;
        writer!.schedule();
        const kept = `${reason}: not run this time (its ${recorded.status} result from an earlier run stands)`;
        summaries.set(job.id, { ...standingResult(job, recorded), reason: kept });
        emit({ type: "job-not-run", job, status: "skipped", reason: kept });
        options.hooks?.onJobNotRun?.(job, held ? "blocked" : "skipped", reason);
        return "not-started";
      }
      notRun(job, "skipped", reason, held);
      return "not-started";
    };

    /**
     * Settles once a job's execution has ended and its result line is out (the `finally` below emits it, after the
     * earlier logs are discarded and the hooks' afterJob): a job that ran on after it waits for it.
     */
    const jobEnds = new Map<string, Promise<unknown>>();
    const executeAndSummarize = (job: PlanJob, held: boolean, stop?: AbortSignal, inflight?: InFlightStep, startNote?: string): Promise<JobOutcome> => {
      const outcome = runAndSummarize(job, held, stop, inflight, startNote);
      jobEnds.set(job.id, outcome.catch(() => undefined));
      return outcome;
    };
    const runAndSummarize = async (job: PlanJob, held: boolean, stop?: AbortSignal, inflight?: InFlightStep, startNote?: string): Promise<JobOutcome> => {
      const started = Date.now();
      // A handed-over job's step may be under way already (the helper starts it): it runs on as the stop leaves it.
      const stopped = (): string | undefined => (inflight ? undefined : stopping());
      if (stopped() !== undefined) return stoppedBeforeStart(job, stopped()!, held);
      // In a resumed record a job that runs again starts with empty logs: output of an earlier attempt must not pass
      // for this one's. They are moved aside, not deleted, until the job is known to start: a stop landing meanwhile
      // leaves them where they were. The logs of the steps it skips (they completed then) stay: they are those steps'.
      const earlier = previous !== undefined ? await store.setAsideJobLogs(execId, job.id, path.join(runContext!.scratchDir, "earlier-logs"), cachedSteps.get(job.id)) : undefined;
      const reason = stopped();
      if (reason !== undefined) {
        await earlier?.restore();
        return stoppedBeforeStart(job, reason, held);
      }
      // What the record held for the job: executeJob records it running as it begins, before the runner sets it up.
      const recorded = state.jobs[job.id];
      const execution = executeJob({ ...deps, ...(stop ? { signal: AbortSignal.any([abort.signal, stop]) } : {}) }, job, inflight, startNote);
      const result = await execution;
      // Canceled while the runner set it up (a docker image pull): not started after all (nothing of it was recorded
      // ended). The earlier logs go back — no step wrote any — and the earlier result stays.
      if (result.notStarted) {
        if (earlier) {
          // The logs of the steps a resume skips never left: they stay.
          if (!cachedSteps.has(job.id)) await store.clearJobLogs(execId, job.id);
          await earlier.restore();
        }
        // Steps a cancel after its start would still run (`if: always()`) did not run either, as on GitHub: said, not left to guess.
        const always = result.notRunAfterCancel;
        const reason = always ? `${RUN_CANCELED} during the job's set-up, before any step: its if: always() step${always.length > 1 ? "s" : ""} ${always.join(", ")} did not run either (as on GitHub)` : RUN_CANCELED;
        return stoppedBeforeStart(job, reason, held, recorded);
      }
      // The job's line is shown once the hooks had their say (below), whatever happens meanwhile.
      let end = result.end;
      try {
        // Journaled before the scheduler starts anything else: a crash from here on cannot make it run again.
        // Not journaled (a full disk): nothing more starts (the scheduler stops on a throw).
        writer!.settled(job.id);
        writer!.assertJournaled();
        // After the journal (a crash meanwhile must not run the job again); one that fails warns (the scratch folder
        // they are in goes when the run ends).
        await earlier?.discard();
        const shown = result.released ? { status: "released" as const, reason: result.released } : { status: result.status };
        summaries.set(job.id, { ...summarize(job, shown.status), durationMs: Date.now() - started, error: result.error, failedStep: result.failedStep, ...("reason" in shown ? { reason: shown.reason } : {}) });
        const verdict = await options.hooks?.afterJob?.(job, { status: result.status, error: result.error, ...(result.released ? { released: result.released } : {}) });
        if (result.released) return "released";
        // Run here, but the shared run kept another runner's result: this runner's part of it failed — its summary,
        // its record and its line say so, with why (its step logs keep what ran). What waits for the job is the
        // backend's to admit.
        if (verdict) {
          const error = result.error ? `${verdict.notRecorded} (here: ${result.error})` : verdict.notRecorded;
          summaries.set(job.id, { ...summaries.get(job.id)!, status: "failed", error, notRecorded: true });
          const recordedJob = state.jobs[job.id];
          if (recordedJob) Object.assign(recordedJob, { status: "failed", lastError: error });
          writer!.settled(job.id);
          if (end) end = { ...end, status: "failed", error };
        }
        return result.status === "failed" && !result.fatal ? "failed-tolerated" : result.status;
      } finally {
        if (end) emit(end);
      }
    };

    /** The reasons the scheduler gives the jobs a stop kept from starting (fail-fast's, once it trips). */
    const stopReasons = new Set<string>([RUN_CANCELED, RUN_ABORTED]);
    await schedule({
      jobs: toRun,
      concurrency,
      failFast,
      satisfied,
      unsatisfiable,
      failedOutside,
      ignoreDependencies: options.hooks?.managesDependencies,
      signal: abort.signal,
      // A job the stop left in the queue (Ctrl-C, fail-fast, a job's error) is told as one the stop reached before it
      // started: in a resumed record its earlier result stands.
      notRun: (job, reason, kind) => (kind === "skipped" && stopReasons.has(reason) ? void stoppedBeforeStart(job, reason, false) : notRun(job, kind, reason)),
      onFailFast: (reason, failed) => {
        failFastAfter = failed;
        stopReasons.add(reason);
        admission.abort(reason);
      },
      // A job that could not be run or recorded (e.g. remote state refusing its result) ends the run: nothing
      // new starts, jobs still waiting for admission stop, running ones finish before the record is closed.
      onError: (err) => admission.abort(err),
      run: async (job, context): Promise<JobOutcome> => {
        // Admission by the hooks first (remote state: the run exists and the job is claimed, its dependencies
        // done), then approval and gates: a blocked job is then this runner's to report.
        let stop: AbortSignal | undefined;
        let held = false;
        if (options.hooks?.beforeJob) {
          // Waiting for admission (remote: dependencies on other machines) ends on Ctrl-C or on this run's fail-fast.
          const decision = await options.hooks.beforeJob(job, AbortSignal.any([abort.signal, admission.signal]), context, abort.signal);
          // Another runner holds it and other jobs are ready: this slot takes one of them, and the job comes back later.
          if (decision.action === "defer") return "deferred";
          if (decision.action === "run") {
            stop = decision.stop;
            held = decision.claimed === true;
            // Admitted as the run stopped: not started, and handed back to the hooks when they hold it.
            const reason = stopping();
            if (reason !== undefined) return stoppedBeforeStart(job, reason, held);
          }
          if (decision.action === "skip") {
            state.jobs[job.id] = { status: "completed", steps: {}, reason: decision.reason, finishedAt: nowStamp() };
            writer!.settled(job.id);
            writer!.assertJournaled();
            summaries.set(job.id, { ...summarize(job, "cached"), reason: decision.reason });
            emit({ type: "job-cached", job });
            return "completed";
          }
          if (decision.action === "skipped") {
            notRun(job, "skipped", decision.reason);
            return "skipped";
          }
        }
        // Fail-fast ends a gate query as the cancel does: the job will not start whatever it answers. Only a job with
        // gates queries anything: AbortSignal.any costs tens of µs on Node 20, and a 1,000-job run paid it per job.
        const gated = (job.gates ?? []).length > 0;
        const blocked = await gates.check(job, { approve: options.approve ?? false, ...(gated ? { signal: AbortSignal.any([abort.signal, admission.signal]) } : {}) });
        // Stopped while its gates were judged: not started, whatever they said (a query the stop cut short says nothing).
        const reason = stopping();
        if (reason !== undefined) return stoppedBeforeStart(job, reason, held);
        if (blocked) {
          notRun(job, "blocked", blocked);
          return "blocked";
        }
        return executeAndSummarize(job, held, stop);
      },
      handOff: latches
        ? (job, after) => {
            const inflight = handOverFirstStep(deps, job, after);
            if (!inflight) return undefined;
            return {
              settle: async (go) => {
                // Its dependency has ended: a step still held never starts on that latch (confirmed, it then
                // runs the ordinary way).
                inflight.withdraw();
                if (go) return executeAndSummarize(job, false, undefined, inflight);
                // Not to run — unless the helper started it before it read the withdrawal (its dependency
                // exited 0 as the run stopped): then it ran, and is recorded as what it did (a resume must not
                // run it again). A cancel of the run stops it like any running step.
                if (await inflight.startedBeforeWithdrawal()) {
                  // Shown after its dependency's result: the helper started it when that job's last step exited 0,
                  // but that job may still be finishing here (its line came after this one's note, 3 in 48 runs;
                  // a resumed record's earlier logs are discarded before its line is out).
                  await jobEnds.get(after.id);
                  return executeAndSummarize(job, false, undefined, inflight, failFastAfter === undefined ? undefined : `started before ${failFastAfter}'s failure was known`);
                }
                latches.close(job.id);
                return undefined;
              },
            };
          }
        : undefined,
    });
    options.signal?.removeEventListener("abort", onOuterAbort);

    const canceled = abort.signal.aborted;
    const jobs = selection.selected.map((job) => summaries.get(job.id) ?? { ...summarize(job, "skipped"), reason: "not run" });
    const counts = {
      total: jobs.length,
      succeeded: jobs.filter((j) => j.status === "completed").length,
      failed: jobs.filter((j) => j.status === "failed").length,
      skipped: jobs.filter((j) => j.status === "skipped").length,
      blocked: jobs.filter((j) => j.status === "blocked").length,
      cached: jobs.filter((j) => j.status === "cached").length,
      waiting: jobs.filter((j) => j.status === "waiting").length,
      released: jobs.filter((j) => j.status === "released").length,
    };
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
      durationMs: Date.now() - startedMs,
      concurrency,
      counts,
      jobs,
      links: links.list(),
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
    });
    emit({ type: "run-end", summary });
    return { summary, exitCode: canceled ? 130 : ok ? 0 : 1 };
  } catch (err) {
    const tookNoPart = newRecord && recordWritten && options.hooks?.tookPart?.() === false;
    if (!recordWritten || tookNoPart) {
      // Refused before the record was touched (or, new, before its runner took part in a remote run): an existing one
      // stays as it was, a new one goes.
      if (tookNoPart) await writer?.flush().catch(() => undefined);
      // `latest` first: executions/ made by this run must be empty for discardRecord to remove it.
      if (tookNoPart) await store.unpointLatest(execId, latestBefore).catch(() => undefined);
      if (newRecord) await store.discardRecord(execId, opened.madeStoreFolder).catch(() => undefined);
      throw err;
    }
    // Record what we know; a failed flush must not hide the original error.
    await writer?.flush().catch(() => undefined);
    const meta = await store.readMetadata(execId).catch(() => undefined);
    // Only a record this process marked running is closed; another run's record is left as it was.
    if (meta?.status === "running" && meta.pid === process.pid) {
      const closed = { ...meta, status: "failed" as const, finishedAt: nowStamp(), error: errorMessage(err), ...(loadedState ? jobCounts(loadedState) : {}) };
      await store.writeMetadata(closed).catch(() => undefined);
    }
    throw err;
  } finally {
    try {
      if (runner && runContext) await runner.cleanup?.(runContext);
    } finally {
      await options.hooks?.close?.();
      if (runContext) await rm(runContext.scratchDir, { recursive: true, force: true }).catch(() => undefined);
      await lock.release();
    }
  }
}

function effectiveConcurrency(flag: number | undefined, plan: Plan): number {
  if (flag !== undefined && flag > 0) return Math.floor(flag);
  const fromPlan = Number(plan.execution?.concurrency ?? 0);
  return fromPlan > 0 ? Math.floor(fromPlan) : 1;
}

/** The runner's prepare (docker checks its engine and clears orphaned containers), its failure told as the runner's. */
async function prepareRunner(runner: Runner, context: RunContext, name: string): Promise<void> {
  try {
    await runner.prepare?.(context);
  } catch (err) {
    throw new OrunError(`prepare runner ${name}: ${errorMessage(err)}`);
  }
}


/** Waits for every promise, then throws the first failure (Promise.all would throw while others still run). */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find((result) => result.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}
