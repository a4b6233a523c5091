// Runs one job: its steps in phase order with retries, timeouts and
// onFailure, recording every transition in the execution state and
// streaming output to the step log, the hooks and the renderer.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { requiresApproval, type PlanJob, type PlanStep } from "../model/plan.js";
import { JOB_HANDED_ON, JOB_RUN_GONE, type HandOff, type JobContext, type Runner, type RunContext, type StepResult } from "../runners/runner.js";
import type { ExecutionHooks } from "./hooks.js";
import type { RunEvent } from "./events.js";
import type { ExecState, JobState, StateWriter } from "./records/state.js";
import type { ExecutionStore } from "./records/store.js";
import { StepLog } from "./records/logs.js";
import { orderSteps, phaseOf, stepKeys } from "../model/steps.js";
import { stepEnv, type RuntimeIds } from "./step-env.js";
import { jobDir, stepDir, type WorkdirOptions } from "./workdir.js";
import { parseDuration } from "./duration.js";
import { errorMessage } from "../util/errors.js";
import { writeFileAtomic } from "../util/fs-atomic.js";

export interface JobExecutorDeps {
  runner: Runner;
  runContext: RunContext;
  ids: RuntimeIds;
  state: ExecState;
  writer: StateWriter;
  store: ExecutionStore;
  workdir: WorkdirOptions;
  hooks?: ExecutionHooks;
  emit(event: RunEvent): void;
  /** Cancels everything (Ctrl-C). */
  signal: AbortSignal;
  /**
   * Whether the run had stopped (fail-fast, a job's error) before this job's cancel: a stopped remote run hands no
   * job on, so a job canceled then is failed (canceled), not given back.
   */
  runStopped?: () => boolean;
  /** Set when jobs may be handed over (Runner.handOff; not under remote state, whose hooks admit each job). */
  latches?: JobLatches;
  /** Resuming: per job, the steps an earlier run completed that are not run again (resumed-steps.ts); non-empty sets only. */
  cachedSteps?: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * The hand-off latch of each job that is running or handed over: it opens when the job's last step exits 0
 * with nothing failed before it, which starts the job handed over to wait for it (see handOverFirstStep).
 */
export class JobLatches {
  private readonly byJob = new Map<string, { latch: number; awaited: boolean }>();
  /** Jobs whose execution ended: their latch will never open (the scheduler may not have heard yet). */
  private readonly ended = new Set<string>();
  constructor(
    readonly handOff: HandOff,
    /**
     * The journal line recording the job as completed, and its file: written by the runner when the job's
     * latch opens, before the job waiting on it starts, so a crash in between cannot make the job run again.
     */
    private readonly completion?: (job: PlanJob) => { file: string; line: string },
  ) {}

  /** The job's latch, opened by its last step. */
  of(jobId: string): number {
    return this.entry(jobId).latch;
  }

  /** The job's latch, for a step to wait on; undefined once the job has ended (nothing would open it). */
  awaited(job: PlanJob): number | undefined {
    if (this.ended.has(job.id)) return undefined;
    const entry = this.entry(job.id);
    if (!entry.awaited && this.completion && this.handOff.journalOnOpen) {
      const { file, line } = this.completion(job);
      this.handOff.journalOnOpen(entry.latch, file, line);
    }
    entry.awaited = true;
    return entry.latch;
  }

  /** The job ended: a step still waiting on its latch never starts (only latches waited on need telling the runner). */
  close(jobId: string): void {
    this.ended.add(jobId);
    const entry = this.byJob.get(jobId);
    if (!entry) return;
    this.byJob.delete(jobId);
    if (entry.awaited) this.handOff.closeLatch(entry.latch);
  }

  private entry(jobId: string): { latch: number; awaited: boolean } {
    let entry = this.byJob.get(jobId);
    if (!entry) this.byJob.set(jobId, (entry = { latch: this.handOff.newLatch(), awaited: false }));
    return entry;
  }
}

/** A job's first step handed to the runner before the job it waits for has ended (see handOverFirstStep). */
export interface InFlightStep {
  jobCtx: JobContext;
  result: Promise<StepResult>;
  /** Whether its process started: then it ran, whatever the scheduler decides. */
  started(): boolean;
  /**
   * Once withdrawn: whether the runner started it before it read the withdrawal (true) or answered that it
   * never will (false).
   */
  startedBeforeWithdrawal(): Promise<boolean>;
  /** Output so far goes to `sink`, and from now on straight to it (text, or bytes from StepContext.onOutputBytes). */
  attach(sink: (chunk: string | Buffer) => void): void;
  /**
   * The job it waited for has ended: a step still held on its latch is answered `notStarted` (then it runs
   * the ordinary way once confirmed, or not at all).
   */
  withdraw(): void;
}

export interface JobRunResult {
  status: "completed" | "failed";
  /** The error that stopped the job, else the last tolerated (`onFailure: continue`) one. */
  error?: string;
  failedStep?: string;
  /** False when only `onFailure: continue` steps failed: the job is failed but does not trigger failFast. */
  fatal: boolean;
  /**
   * Why the job was handed back without a verdict on its work — the hooks' stop (remote state: its lease lapsed, or
   * another runner took it over) or the run's cancel under hooks that give such a job back: recorded pending —
   * another runner's to run — not failed.
   */
  released?: string;
  /**
   * The run's cancel reached the job while the runner set it up, before any step started: nothing of it ran, and
   * nothing of it is recorded or shown ended — the caller records it not started (RUN_CANCELED).
   */
  notStarted?: boolean;
  /**
   * With `notStarted`: the steps that a cancel after the job's start would still have run (github-actions `if:
   * always()`, `cancelled()`). None runs — as on GitHub, where a job canceled during "Set up job" runs no step — and
   * the caller's reason says so.
   */
  notRunAfterCancel?: string[];
  /**
   * The job's `job-end`, for the caller to emit once the hooks had their say (afterJob): a result another runner's
   * took the place of is shown failed, as the run's summary counts it. Absent with `notStarted`.
   */
  end?: JobEndEvent;
}

export type JobEndEvent = Extract<RunEvent, { type: "job-end" }>;

/** Aborted by the run's cancel (Ctrl-C, SIGTERM), not by the hooks' stop of this job (handed on, its run gone). */
function canceledByRun(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason !== JOB_HANDED_ON && signal.reason !== JOB_RUN_GONE;
}

/** Aborted by the user's Ctrl-C / SIGTERM (an abort without a reason), not by fail-fast's stop, which gives one. */
function canceledByUser(signal: AbortSignal): boolean {
  return signal.aborted && (signal.reason as { name?: unknown } | undefined)?.name === "AbortError";
}

/**
 * Step key under which the runner's job-finish output (post hooks) is streamed
 * to renderers after the job's steps: --verbose shows it as the
 * `post-job logs` block (spec 20 §6.4), as it does each step's output.
 */
export const POST_JOB_LOGS = "post-job logs";

let stampSecond = NaN;
let stampText = "";

/** The current time in whole seconds, RFC 3339 (`2026-01-02T03:04:05Z`); formatted once per second. */
export function nowStamp(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== stampSecond) {
    stampSecond = second;
    stampText = new Date(second * 1000).toISOString().replace(".000Z", "Z");
  }
  return stampText;
}

/** Attempts for a step: its own `retry` when > 0, else the job's `retries`, plus the first try. */
export function attemptsFor(job: PlanJob, step: PlanStep): number {
  const stepRetry = Number(step.retry ?? 0);
  const retries = stepRetry > 0 ? stepRetry : Math.max(0, Number(job.retries ?? 0));
  return (Number.isFinite(retries) ? Math.floor(retries) : 0) + 1;
}

export function timeoutFor(job: PlanJob, step: PlanStep): string | undefined {
  const value = (step.timeout ?? "").trim() || (job.timeout ?? "").trim();
  return value === "" ? undefined : value;
}

/**
 * Hands `job` over: its first step goes to the runner now, to start the moment `after` (running, and `job`'s
 * only dependency left) succeeds — the runner's spawn helper starts it without a round trip through this
 * process, as make starts the next target. Nothing is recorded until the scheduler confirms that `after`
 * completed and executeJob takes the step over. Undefined when the job cannot be handed over: the runner
 * lacks the hand-off or has per-job set-up, or the job has gates or approval to check first.
 */
export function handOverFirstStep(deps: JobExecutorDeps, job: PlanJob, after: PlanJob): InFlightStep | undefined {
  const { runner, latches } = deps;
  if (!latches || !runner.handOff || runner.startJob || runner.finishJob || deps.signal.aborted) return undefined;
  if ((job.gates ?? []).length > 0 || requiresApproval(job) || job.steps.length === 0) return undefined;
  // A resumed job's first step may be one it skips.
  if (deps.cachedSteps?.has(job.id)) return undefined;
  const steps = orderSteps(job.steps);
  const step = steps[0]!;
  const key = stepKeys(steps)[0]!;
  let timeoutMs: number | undefined;
  try {
    const text = timeoutFor(job, step);
    timeoutMs = text === undefined ? undefined : parseDuration(text);
  } catch {
    return undefined; // executeJob reports it
  }
  const awaited = latches.awaited(after);
  if (awaited === undefined) return undefined;
  const jobCtx = jobContext(deps, job);
  let started = false;
  let onStarted: () => void = () => undefined;
  const startReported = new Promise<boolean>((resolve) => (onStarted = () => resolve(true)));
  let sink: ((chunk: string | Buffer) => void) | undefined;
  const early: (string | Buffer)[] = [];
  const result = runner.runStep({
    job: jobCtx,
    step,
    stepKey: key,
    cwd: stepDir(jobCtx.jobDir, step),
    env: stepEnv(deps.ids, job, step),
    timeoutMs,
    signal: deps.signal,
    onOutput: (chunk) => (sink ? sink(chunk) : early.push(chunk)),
    onOutputBytes: (chunk) => (sink ? sink(chunk) : early.push(chunk)),
    opensLatch: steps.length === 1 ? latches.of(job.id) : undefined,
    waitsFor: {
      latch: awaited,
      onStart: () => {
        started = true;
        onStarted();
      },
    },
  });
  const settled = result.catch((err: unknown): StepResult => ({ exitCode: null, output: "", error: errorMessage(err) }));
  return {
    jobCtx,
    result: settled,
    started: () => started,
    // The helper answers a withdrawal in order: its start report, if it started the step first, precedes the
    // "not started" that ends a held request.
    startedBeforeWithdrawal: () => Promise.race([startReported, settled.then(() => started)]),
    attach(next) {
      sink = next;
      for (const chunk of early.splice(0)) next(chunk);
    },
    withdraw: () => runner.handOff?.closeLatch(awaited),
  };
}

function jobContext(deps: JobExecutorDeps, job: PlanJob): JobContext {
  return { run: deps.runContext, job, jobDir: jobDir(job, deps.workdir), signal: deps.signal };
}

/**
 * Runs `job`; `inflight` is its first step when the job was handed over (handOverFirstStep). `startNote` goes
 * with its job-start event (why a job starts after fail-fast, say).
 */
export async function executeJob(deps: JobExecutorDeps, job: PlanJob, inflight?: InFlightStep, startNote?: string): Promise<JobRunResult> {
  try {
    return await runJob(deps, job, inflight, startNote);
  } finally {
    deps.latches?.close(job.id);
  }
}

/** What failed a job, as its record and the run's output say it; `localActionRoot` as in StepResult. */
interface JobFailure {
  error: string;
  step?: string;
  localActionRoot?: string;
  /**
   * The step ended failed on its own before the run's cancel reached it: the job has a verdict, which a Ctrl-C during
   * the step's log upload (onStepFinished) or the job's end must not turn into a give-back.
   */
  verdict?: boolean;
}

async function runJob(deps: JobExecutorDeps, job: PlanJob, inflight: InFlightStep | undefined, startNote: string | undefined): Promise<JobRunResult> {
  const started = Date.now();
  const steps = orderSteps(job.steps);
  const keys = stepKeys(steps);
  // Steps an earlier run completed keep that record; the others start pending.
  const cached = deps.cachedSteps?.get(job.id);
  const jobState: JobState = { status: "running", startedAt: nowStamp(), steps: Object.fromEntries(keys.map((key) => [key, cached?.has(key) ? ("completed" as const) : ("pending" as const)])), runner: deps.runner.name };
  deps.state.jobs[job.id] = jobState;
  deps.writer.schedule();
  deps.emit({ type: "job-start", job, ...(startNote !== undefined ? { note: startNote } : {}) });

  const jobCtx = inflight?.jobCtx ?? jobContext(deps, job);
  const outputs: string[] = [];
  /** Each step's own output: a failed job's block shows the failed step's, not a post step's that ran after it. */
  const stepOutputs = new Map<string, string>();
  // `fatal` stopped the job; `lastFailure` is the latest failure of any kind (spec: each step error sets lastError).
  let fatal: JobFailure | undefined;
  let lastFailure: JobFailure | undefined;
  /** The step that was running when the run was cancelled, if one was. */
  let canceledDuring: string | undefined;

  /** The runner could not set the job up, and its steps run only in what it sets up: none runs (Runner.stepsNeedJobStart). */
  let unstarted = false;
  try {
    await deps.runner.startJob?.(jobCtx);
  } catch (err) {
    fatal = lastFailure = { error: `start job: ${errorMessage(err)}` };
    unstarted = deps.runner.stepsNeedJobStart === true;
  }
  // The run was canceled while the runner set the job up (the docker runner creating its container), before any
  // step started: the job did not start, as those the cancel left in the queue did not. What the set-up made goes.
  if (deps.runner.startJob && canceledByRun(deps.signal) && inflight?.started() !== true) {
    try {
      await deps.runner.finishJob?.(jobCtx, { failed: true });
    } catch {
      // The run's cleanup takes down whatever is left.
    }
    const notRunAfterCancel = keys.filter((_, i) => deps.runner.runsAfterCancel?.(jobCtx, steps[i]!) === true);
    return { status: "failed", fatal: false, notStarted: true, ...(notRunAfterCancel.length > 0 ? { notRunAfterCancel } : {}) };
  }

  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const key = keys[i]!;
    if (cached?.has(key)) {
      // What it masked then stays hidden in what later steps print (its kept log holds the masks; it prints nothing now).
      const { recordedJobMasks } = await import("./output/gha-logs.js");
      const file = deps.store.stepLogFile(deps.ids.execId, job.id, key);
      for (const value of (await recordedJobMasks([{ jobId: job.id, stepKey: key, file, status: "completed" }])).get(job.id) ?? []) deps.emit({ type: "mask", value });
      deps.emit({ type: "step-cached", job, stepKey: key, index: i, total: steps.length });
      continue;
    }
    // After a fatal failure only post steps (clean-up) still run, and steps whose condition the runner
    // evaluates against the failure (github-actions `if: always()` / `failure()`).
    // A handed-over first step that already started is under way: it ends as the cancel leaves it.
    const underWay = i === 0 && inflight?.started() === true;
    // After a cancel the runner may still run a step whose condition holds then (github-actions `if: always()`);
    // the job stays failed, since it was cancelled.
    const afterCancel = !unstarted && deps.signal.aborted && !underWay && deps.runner.runsAfterCancel?.(jobCtx, step) === true;
    // The record names the step the cancel stopped (or that ran on through it), not this one, which runs now.
    if (afterCancel) fatal ??= lastFailure = canceledDuring ? { error: `step ${canceledDuring}: canceled while it ran`, step: canceledDuring } : { error: "job canceled" };
    if (unstarted || (!afterCancel && ((fatal && phaseOf(step) !== "post" && !deps.runner.runsAfterFailure?.(step)) || (deps.signal.aborted && !underWay)))) {
      jobState.steps[key] = "skipped";
      // Canceled between steps: the job did not finish, so it must not pass for completed (a resume runs it again).
      if (deps.signal.aborted) fatal ??= lastFailure = { error: `step ${key}: canceled before it started`, step: key };
      // Skipped for a failure before it: shown (verbose, the GitHub Actions groups) as its record says, not left out.
      else if (!unstarted && fatal) deps.emit({ type: "step-end", job, stepKey: key, status: "skipped", durationMs: 0, output: "", reason: skippedAfter(fatal) });
      continue;
    }
    // The last step opens the job's latch (a job handed over to wait for this one then starts) — unless
    // something failed already, since then the job will not succeed however the step ends.
    const opensLatch = i === steps.length - 1 && lastFailure === undefined && deps.latches ? deps.latches.of(job.id) : undefined;
    const abortedBefore = deps.signal.aborted;
    const outcome = await runStep(deps, jobCtx, step, key, i, steps.length, opensLatch, i === 0 ? inflight : undefined);
    // Canceled during the step's run, not after it ended (its output's upload): it did not stop the step.
    if (!abortedBefore && outcome.canceledBeforeEnd) canceledDuring ??= key;
    if (outcome.output) outputs.push(outcome.output);
    stepOutputs.set(key, outcome.output);
    if (outcome.error === undefined) continue;
    const failure: JobFailure = {
      error: `step ${key}: ${outcome.error}`,
      step: key,
      ...(outcome.localActionRoot !== undefined ? { localActionRoot: outcome.localActionRoot } : {}),
      ...(outcome.canceledBeforeEnd ? {} : { verdict: true }),
    };
    lastFailure = failure;
    if ((step.onFailure ?? "").trim().toLowerCase() !== "continue") fatal ??= failure;
  }

  try {
    const finish = await deps.runner.finishJob?.(jobCtx, { failed: lastFailure !== undefined });
    if (finish?.output) outputs.push(finish.output);
    // The runner's scratch space is removed at run end: what it printed and the summary belong in the record.
    if (finish?.output?.trim()) {
      await writeJobLog(deps.store.jobFinishFile(deps.ids.execId, job.id), finish.output);
      deps.emit({ type: "step-output", job, stepKey: POST_JOB_LOGS, chunk: `${finish.output.replace(/\n+$/, "")}\n` });
    }
    // Kept apart from the finish log (`orun logs` shows it once, as `job summary`), and shown after it live.
    const summary = finish?.outputs?.summary;
    if (summary?.trim()) {
      await writeJobLog(deps.store.jobSummaryFile(deps.ids.execId, job.id), summary);
      deps.emit({ type: "step-output", job, stepKey: POST_JOB_LOGS, chunk: `▸ Job summary\n${summary.replace(/\n+$/, "")}\n` });
    }
    if (finish?.error) fatal ??= lastFailure = { error: `job finalizer: ${finish.error}` };
  } catch (err) {
    fatal ??= lastFailure = { error: `job finalizer: ${errorMessage(err)}` };
  }

  // A later failing post step must not hide the failure that stopped the job.
  // Stopped because its remote run was deleted: that, not the step's "canceled", is why it failed.
  const runGone = deps.signal.aborted && deps.signal.reason === JOB_RUN_GONE;
  const reported = runGone ? { ...(fatal ?? lastFailure), error: RUN_GONE_ERROR } : (fatal ?? lastFailure);
  const status = reported ? "failed" : "completed";
  // Handed back unfinished (the hooks' stop, or the run's cancel where the hooks give the job back): no verdict, so it
  // is to run again, not failed.
  const handedOn = deps.signal.aborted && deps.signal.reason === JOB_HANDED_ON;
  // A step that failed on its own before the cancel came is the job's verdict: recorded failed, not given back.
  const givenBack = deps.hooks?.givesBackCanceledJobs === true && canceledByUser(deps.signal) && reported?.verdict !== true && deps.runStopped?.() !== true;
  const released = reported === undefined ? undefined : handedOn ? RELEASED_REASON : givenBack ? CANCELED_RELEASED_REASON : undefined;
  jobState.status = released ? "pending" : status;
  jobState.finishedAt = nowStamp();
  if (reported) jobState.lastError = reported.error;
  if (released) jobState.reason = released;
  deps.writer.schedule();
  const localActionRoot = reported?.localActionRoot;
  const end: JobEndEvent = {
    type: "job-end",
    job,
    status,
    ...(released ? { released } : {}),
    durationMs: Date.now() - started,
    error: reported?.error,
    failedStep: reported?.step,
    ...(localActionRoot !== undefined ? { localActionRoot } : {}),
    // A step's failure shows that step's output; a failure of no step (start, finalizer) what the job printed.
    output: reported?.step !== undefined ? (stepOutputs.get(reported.step) ?? "") : outputs.join("\n"),
  };
  return { status, error: reported?.error, failedStep: reported?.step, fatal: (fatal !== undefined || runGone) && !released, ...(released ? { released } : {}), end };
}

/** Why a step did not run after the failure that stopped its job: the step that failed, else the failure itself. */
function skippedAfter(failure: JobFailure): string {
  return failure.step !== undefined ? `not run: step ${failure.step} failed` : `not run: ${failure.error}`;
}

/** Why a job stopped because its remote run was deleted (JOB_RUN_GONE) failed, as its record and the run's output say it. */
export const RUN_GONE_ERROR = "stopped here: its remote run is gone from the backend, so no runner takes the job on and its result cannot be recorded";

/** Why a job the run's cancel stopped, given back by the hooks (JobRunResult.released), is not done. */
export const CANCELED_RELEASED_REASON = "released: canceled here without a verdict; the backend hands it on to another runner";

/** Why a job handed back by the hooks (JobRunResult.released) is not done, as its record and the run's output say it. */
export const RELEASED_REASON = "released: stopped here without a verdict, its lease lapsed; the backend hands it on to another runner";

async function runStep(
  deps: JobExecutorDeps,
  jobCtx: JobContext,
  step: PlanStep,
  key: string,
  index: number,
  total: number,
  opensLatch: number | undefined,
  inflight: InFlightStep | undefined,
): Promise<{ error?: string; output: string; localActionRoot?: string; canceledBeforeEnd: boolean }> {
  const { job } = jobCtx;
  const jobState = deps.state.jobs[job.id]!;
  jobState.steps[key] = "running";
  // Written now, not with the next transition: a runner killed (-9) in this step leaves a record that shows it
  // interrupted, not pending (a remote runner's record had no other write before the step ended).
  deps.writer.schedule();
  const cwd = stepDir(jobCtx.jobDir, step);
  const attempts = attemptsFor(job, step);
  const timeoutText = timeoutFor(job, step);
  const started = Date.now();
  const log = new StepLog(() => deps.store.stepLogFile(deps.ids.execId, job.id, key));

  const end = async (error: string | undefined, output: string, skipped = false): Promise<{ error?: string; output: string; canceledBeforeEnd: boolean }> => {
    // Whether the run's cancel came before the step's outcome was known (it may have stopped the step), not during
    // what follows: the step log's close, the hooks' upload of its output.
    const canceledBeforeEnd = deps.signal.aborted;
    await log.close();
    // A step the runner did not run (github-actions `if:` false) is skipped, not completed.
    const status = error !== undefined ? "failed" : skipped ? "skipped" : "completed";
    jobState.steps[key] = status;
    deps.writer.schedule();
    const continuing = error !== undefined && (step.onFailure ?? "").trim().toLowerCase() === "continue";
    deps.emit({ type: "step-end", job, stepKey: key, status, durationMs: Date.now() - started, error, output, continuing });
    await deps.hooks?.onStepFinished?.(job, key, output, error !== undefined);
    return { error, output, canceledBeforeEnd };
  };

  let timeoutMs: number | undefined;
  if (timeoutText !== undefined) {
    try {
      timeoutMs = parseDuration(timeoutText);
    } catch (err) {
      return end(`invalid timeout "${timeoutText}" for job ${job.id} step ${key}: ${errorMessage(err)} (use Go durations such as 300ms, 15m, 1h30m)`, "");
    }
  }

  let last: { error?: string; output: string; skipped?: boolean; localActionRoot?: string } = { output: "" };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) {
      deps.emit({ type: "step-retry", job, stepKey: key, attempt, attempts, error: last.error ?? "" });
      log.retryMarker(attempt, attempts);
      // Remote state marks it in the job's uploaded log too.
      deps.hooks?.onStepRetry?.(job, key, attempt, attempts);
    }
    deps.emit({ type: "step-start", job, step, stepKey: key, index, total, cwd: deps.runner.shownWorkdir?.(jobCtx, cwd) ?? cwd, attempt, attempts });
    const show = (chunk: string): void => {
      if (chunk === "") return;
      deps.hooks?.onStepOutput?.(job, key, chunk);
      deps.emit({ type: "step-output", job, stepKey: key, chunk });
    };
    const onOutput = (chunk: string): void => {
      log.write(chunk);
      show(chunk);
    };
    // The log keeps the bytes a runner has as they are; the console and the hooks get them decoded.
    let decoder: StringDecoder | undefined; // made when output arrives: most steps are silent
    const onOutputBytes = (chunk: Buffer): void => {
      log.write(chunk);
      show((decoder ??= new StringDecoder("utf8")).write(chunk));
    };
    try {
      let result: StepResult | undefined;
      // A handed-over first attempt is already under way (or never started: then it runs now).
      if (attempt === 1 && inflight) {
        inflight.attach((chunk) => (typeof chunk === "string" ? onOutput(chunk) : onOutputBytes(chunk)));
        result = await inflight.result;
        if (result.notStarted) result = undefined;
      }
      result ??= await deps.runner.runStep({ job: jobCtx, step, stepKey: key, cwd, env: stepEnv(deps.ids, job, step), timeoutMs, signal: deps.signal, onOutput, onOutputBytes, opensLatch });
      if (decoder) show(decoder.end());
      last = { error: result.error ?? (result.exitCode !== 0 ? `exit status ${result.exitCode}` : undefined), output: result.output.replace(/\n+$/, ""), skipped: result.skipped, localActionRoot: result.localActionRoot };
      // Runners that return output without streaming it still get it logged.
      if (result.output && !log.hasOutput) log.write(result.output);
    } catch (err) {
      last = { error: errorMessage(err), output: "" };
    }
    if (last.error === undefined || deps.signal.aborted) break;
  }
  const ended = await end(last.error, last.output, last.skipped === true);
  return ended.error !== undefined && last.localActionRoot !== undefined ? { ...ended, localActionRoot: last.localActionRoot } : ended;
}

async function writeJobLog(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, text.endsWith("\n") ? text : `${text}\n`);
}
