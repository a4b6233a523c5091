// The runtime's entry point: run (or preview: dry-run.ts) a plan through a runner, recording everything under
// .orun/executions/<exec-id>/. The CLI builds the options; remote state plugs in through `hooks`. executePlan is
// the pipeline: plan the run (its jobs), open the record, load and check it (nothing written), start it (marked
// running), prepare the runner, run the jobs (run-jobs.ts), finish (run-end.ts); a failure closes the record as it
// must, and the end always releases it.
import { rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { planShortId, type Plan, type PlanJob } from "../model/plan.js";
import type { Runner, RunContext } from "../runners/runner.js";
import { createRunner, type RunnerOptions } from "../runners/registry.js";
import { OrunError, errorMessage } from "../util/errors.js";
import { warnOnStderr } from "../util/warning.js";
import { dryRun } from "./dry-run.js";
import type { JobSummary, Renderer, RunEvent, RunSummary } from "./events.js";
import { jobCounts } from "./execution-status.js";
import { canonicalizePlan, planChecksum } from "./graph.js";
import type { ExecutionHooks } from "./hooks.js";
import { generateExecId } from "./ids.js";
import { nowStamp } from "./job-executor.js";
import { selectJobs, type Selection } from "./job-selection.js";
import { LinkCollector } from "./links.js";
import { readResumedMetadata, recordedMetadata, refuseResumingRunnerRecord } from "./records/resume-guards.js";
import { loadState, prepareResume } from "./records/resume-state.js";
import { recordRevision, stampEarlierResults } from "./records/result-revision.js";
import { foldedJournal, StateWriter, type ExecState } from "./records/state.js";
import { ExecutionStore, recordUser, type OpenedRecord, type RunMetadata } from "./records/store.js";
import { resumedSteps, whyNoStepSkipped } from "./resumed-steps.js";
import { commandOf, recordedResume, type CommandWord } from "./resume-words.js";
import { dependencyStatus, refuseMissingDependencies, type DependencyStatus } from "./run-dependencies.js";
import { finishRun } from "./run-end.js";
import { runJobs } from "./run-jobs.js";
import { revisionToRecord } from "./run-revision.js";
import { summarize } from "./run-summary.js";
import { refuseUseSteps, type RunnerChoice } from "./runner-resolution.js";
import type { RuntimeIds } from "./step-env.js";
import { jobDir, type WorkdirOptions } from "./workdir.js";

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
  /** execId was generated for this command (by its --background parent), not given: refusals say so. */
  execIdGenerated?: boolean;
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
  const run = planRun(options);
  const links = new LinkCollector();
  const emit = (event: RunEvent): void => {
    links.observe(event);
    options.renderer.handle(event);
  };
  if (options.dryRun) return await dryRun(run.plan, run.selection, options, { ...run, emit });
  refuseUseSteps(options.runner.name, run.selection.selected);

  // The runner's code loads while the record is opened.
  const runnerReady = createRunner(options.runner.name, options.runnerOptions ?? {});
  runnerReady.catch(() => undefined); // awaited below; a failure surfaces there
  const record = await openRecord(run, options);
  const startedMs = Date.now();
  try {
    const loaded = await loadRecord(run, record, options);
    const started = await startRecord(run, record, loaded, options);
    const prepared = await prepareRun(run, record, loaded, await runnerReady, options, emit);
    const { canceled } = await runJobs({
      plan: run.plan,
      execId: record.execId,
      toRun: prepared.toRun,
      concurrency: run.concurrency,
      failFast: run.failFast,
      dependencies: loaded.dependencies,
      resumedRecord: loaded.previous !== undefined,
      revision: loaded.revision,
      state: loaded.state,
      writer: started.writer,
      store: record.store,
      workdir: run.workdir,
      runner: prepared.runner,
      runContext: prepared.runContext,
      stepIds: prepared.stepIds,
      cachedSteps: prepared.cachedSteps,
      summaries: prepared.summaries,
      options,
      emit,
    });
    return await finishRun({
      ...run,
      execId: record.execId,
      execDir: record.execDir,
      store: record.store,
      state: loaded.state,
      previous: loaded.previous,
      writer: started.writer,
      meta: started.meta,
      runPlanId: prepared.runPlanId,
      summaries: prepared.summaries,
      canceled,
      durationMs: Date.now() - startedMs,
      links: links.list(),
      resumeText: record.resumeText,
      options,
      emit,
    });
  } catch (err) {
    await closeFailedRecord(record, options, err);
    throw err;
  } finally {
    await releaseRecord(record, options);
  }
}

/** What the run is, from its plan and options alone: nothing read or written yet. */
interface RunPlan {
  plan: Plan;
  selection: Selection;
  concurrency: number;
  failFast: boolean;
  checksum: string;
  planId: string;
  workdir: WorkdirOptions;
}

function planRun(options: ExecuteOptions): RunPlan {
  const plan = canonicalizePlan(options.plan);
  const selection = selectJobs(plan, options);
  const concurrency = effectiveConcurrency(options.concurrency, plan);
  const failFast = options.failFast ?? plan.execution?.failFast ?? false;
  const checksum = planChecksum(plan);
  const planId = planShortId({ metadata: { ...plan.metadata, checksum } });
  const workdir: WorkdirOptions = { workspaceDir: path.resolve(options.workspaceDir), override: options.workdirOverride };
  return { plan, selection, concurrency, failFast, checksum, planId, workdir };
}

function effectiveConcurrency(flag: number | undefined, plan: Plan): number {
  if (flag !== undefined && flag > 0) return Math.floor(flag);
  const fromPlan = Number(plan.execution?.concurrency ?? 0);
  return fromPlan > 0 ? Math.floor(fromPlan) : 1;
}

/**
 * The execution's record, locked by this run. The phases fill in what they set up (the writer, the runner): a failure
 * closes the record (closeFailedRecord) and the end releases it (releaseRecord) by what is there.
 */
interface OpenRecord {
  store: ExecutionStore;
  execId: string;
  execDir: string;
  opened: OpenedRecord;
  /** Under remote state, where a new record's `latest` pointed before: put back if its runner took no part in the run. */
  latestBefore?: string;
  /** The resume command as printed now: its paths absolute (nothing has moved yet). */
  resumeText: (scopeDone: boolean, instead?: { planFile?: string; job?: string; approve?: boolean }) => Promise<string | undefined>;
  /** Until the record is first written, a refusal leaves it exactly as it was (a new one is removed). */
  recordWritten: boolean;
  loadedState?: ExecState;
  writer?: StateWriter;
  runner?: Runner;
  runContext?: RunContext;
}

async function openRecord(run: RunPlan, options: ExecuteOptions): Promise<OpenRecord> {
  const store = new ExecutionStore(options.storeDir);
  // A generated ID gets a folder of its own, never an existing record to resume; a new record appears whole, locked.
  const opened = await store.openRecord(options.execId, () => generateExecId(run.plan.metadata?.name));
  const { execId } = opened;
  // Under remote state, a new record whose runner failed before it took part in the run (the backend refused it: a
  // plan mismatch) goes too, with `latest` pointed back: it was no part of any run, though it would read as "the run
  // this machine last took part in".
  const latestBefore = opened.created && options.hooks?.tookPart ? await store.latestTarget() : undefined;
  const resumeText = async (scopeDone: boolean, instead?: { planFile?: string; job?: string; approve?: boolean }): Promise<string | undefined> =>
    options.resumeCommand?.(execId, scopeDone, instead).then(commandOf);
  return { store, execId, execDir: store.execDir(execId), opened, latestBefore, resumeText, recordWritten: false };
}

/** The record as the run found it, checked and read before anything is written. */
interface LoadedRecord {
  state: ExecState;
  /** The metadata an earlier run of the execution wrote (none for a new record, or one that cannot be read). */
  previous?: RunMetadata;
  dependencies: DependencyStatus;
  /** prepareResume changed the state (a crash's running jobs, --retry's job). */
  retried: boolean;
  /** Earlier results got their record's revision (stampEarlierResults). */
  stamped: boolean;
  /** The revision this run vouches for (run-revision.ts). */
  revision: string | undefined;
}

async function loadRecord(run: RunPlan, record: OpenRecord, options: ExecuteOptions): Promise<LoadedRecord> {
  const { plan, selection, checksum, workdir } = run;
  const { store, execId, resumeText } = record;
  const newRecord = record.opened.created;
  // Read once, for every check below (a new record has none).
  const metadata = newRecord ? {} : await readResumedMetadata(store, execId);
  // Off remote state, a record that may be a remote runner's part is never resumed as a local run.
  if (!newRecord && !options.remoteRunId) refuseResumingRunnerRecord(store, execId, metadata);
  const state = await loadState(store, execId, checksum, plan, metadata, (planFile) => resumeText(false, { planFile }).catch(() => undefined));
  record.loadedState = state;
  const dependencies = dependencyStatus(state, selection, options, execId);
  // Checked before anything is written: a refused --job must not touch the record (nor --retry clear the job).
  if (!options.hooks?.managesDependencies) await refuseMissingDependencies(state, selection, options, dependencies.satisfied, (job) => resumeText(false, { job }), execId);
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
  return { state, previous, dependencies, retried, stamped, revision };
}

/** The record marked running: its state, `latest`, metadata.json and manifest.json written. */
async function startRecord(run: RunPlan, record: OpenRecord, loaded: LoadedRecord, options: ExecuteOptions): Promise<{ writer: StateWriter; meta: RunMetadata }> {
  const { plan, checksum, planId } = run;
  const { store, execId } = record;
  const { state, previous, revision, stamped } = loaded;
  const writer = new StateWriter(store.stateFile(execId), state, options.stateWriteIntervalMs, revision);
  record.writer = writer;
  // Transitions a crashed run journaled go into state.json before the journal starts afresh — written with the
  // record's first awaited writes below, not by a timer before them.
  if (loaded.retried || stamped || foldedJournal(state) || !existsSync(store.stateFile(execId))) writer.markChanged();
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
  // so the clean-up never races a "running" metadata write.
  record.recordWritten = true;
  // Earlier results stamped with their record's revision are on file before metadata.json names this run's: a
  // crash between the two must not leave them judged by the new one (or by none).
  if (stamped) await writer.flush();
  await settleAll([writer.flush(), store.pointLatest(execId), store.writeMetadata(meta), store.writeManifest(execId, plan)]);
  // Told once the record holds it: what a second Ctrl-C names is what status then gives.
  if (startWords) options.onResumeCommand?.(commandOf(startWords));
  return { writer, meta };
}

/** The runner ready to run the jobs left to run, and the run's header shown. */
interface PreparedRun {
  toRun: PlanJob[];
  /** The resume's completed jobs (cached), by ID; runJobs adds the others. */
  summaries: Map<string, JobSummary>;
  cachedSteps: Map<string, ReadonlySet<string>>;
  runner: Runner;
  runContext: RunContext;
  stepIds: RuntimeIds;
  /** The plan that runs: under remote state, the run's. */
  runPlanId: string;
}

async function prepareRun(run: RunPlan, record: OpenRecord, loaded: LoadedRecord, runner: Runner, options: ExecuteOptions, emit: (event: RunEvent) => void): Promise<PreparedRun> {
  const { plan, selection, concurrency, failFast, planId, workdir } = run;
  const { execId } = record;
  const { state } = loaded;
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

  record.runner = runner;
  const runContext: RunContext = {
    plan,
    execId,
    workspaceDir: workdir.override ? path.resolve(workdir.override) : workdir.workspaceDir,
    scratchDir: path.join(record.execDir, "tmp"),
    options: options.runnerOptions ?? {},
    jobs: toRun,
    concurrency,
    onMask: (value) => emit({ type: "mask", value }),
  };
  record.runContext = runContext;

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
  return { toRun, summaries, cachedSteps, runner, runContext, stepIds, runPlanId };
}

/** The runner's prepare (docker checks its engine and clears orphaned containers), its failure told as the runner's. */
async function prepareRunner(runner: Runner, context: RunContext, name: string): Promise<void> {
  try {
    await runner.prepare?.(context);
  } catch (err) {
    throw new OrunError(`prepare runner ${name}: ${errorMessage(err)}`);
  }
}

/** A run that failed (a refusal, a runner's or the record's error): its record left as it was, removed, or closed failed. */
async function closeFailedRecord(record: OpenRecord, options: ExecuteOptions, err: unknown): Promise<void> {
  const { store, execId, writer, recordWritten } = record;
  const newRecord = record.opened.created;
  const tookNoPart = newRecord && recordWritten && options.hooks?.tookPart?.() === false;
  if (!recordWritten || tookNoPart) {
    // Refused before the record was touched (or, new, before its runner took part in a remote run): an existing one
    // stays as it was, a new one goes.
    if (tookNoPart) await writer?.flush().catch(() => undefined);
    // `latest` first: executions/ made by this run must be empty for discardRecord to remove it.
    if (tookNoPart) await store.unpointLatest(execId, record.latestBefore).catch(() => undefined);
    if (newRecord) await store.discardRecord(execId, record.opened.madeStoreFolder).catch(() => undefined);
    return;
  }
  // Record what we know; a failed flush must not hide the original error.
  await writer?.flush().catch(() => undefined);
  const meta = await store.readMetadata(execId).catch(() => undefined);
  // Only a record this process marked running is closed; another run's record is left as it was.
  if (meta?.status === "running" && meta.pid === process.pid) {
    const closed = { ...meta, status: "failed" as const, finishedAt: nowStamp(), error: errorMessage(err), ...(record.loadedState ? jobCounts(record.loadedState) : {}) };
    await store.writeMetadata(closed).catch(() => undefined);
  }
}

/** Whatever the run's end: the runner cleans up, the hooks close, the scratch folder goes, the lock is released. */
async function releaseRecord(record: OpenRecord, options: ExecuteOptions): Promise<void> {
  const { runner, runContext } = record;
  try {
    if (runner && runContext) await runner.cleanup?.(runContext);
  } finally {
    await options.hooks?.close?.();
    if (runContext) await rm(runContext.scratchDir, { recursive: true, force: true }).catch(() => undefined);
    await record.opened.lock.release();
  }
}

/** Waits for every promise, then throws the first failure (Promise.all would throw while others still run). */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find((result) => result.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}
