// The run's jobs through the scheduler: each admitted (remote state's hooks, approval, gates), run and summarized,
// or recorded not run — skipped, blocked, waiting, or reached by the run's stop (Ctrl-C, fail-fast, a job's error)
// before it started, when a resumed record keeps its earlier result. Chains of jobs are handed over to the runner
// (scheduler.ts handOff) when it can start a job's first step the moment its dependency ends.
import path from "node:path";
import { setMaxListeners } from "node:events";
import type { Plan, PlanJob } from "../model/plan.js";
import { orderSteps, stepKeys } from "../model/steps.js";
import type { Runner, RunContext } from "../runners/runner.js";
import type { JobSummary, RunEvent } from "./events.js";
import { GateEvaluator } from "./gates.js";
import type { ExecutionHooks } from "./hooks.js";
import { JobLatches, executeJob, handOverFirstStep, nowStamp, type InFlightStep } from "./job-executor.js";
import { journalLine } from "./records/journal.js";
import { NO_REVISION, type ExecState, type StateWriter } from "./records/state.js";
import type { ExecutionStore } from "./records/store.js";
import type { DependencyStatus } from "./run-dependencies.js";
import { standingResult, summarize } from "./run-summary.js";
import { RUN_ABORTED, RUN_CANCELED, schedule, type HandOffTicket, type JobOutcome, type RunContext as ScheduleContext } from "./scheduler.js";
import type { RuntimeIds } from "./step-env.js";
import type { WorkdirOptions } from "./workdir.js";

export interface JobRunInput {
  plan: Plan;
  execId: string;
  /** The jobs left to run (a resume's completed ones are not), in dependency order. */
  toRun: PlanJob[];
  concurrency: number;
  failFast: boolean;
  dependencies: DependencyStatus;
  /** The record has metadata of an earlier run: a job this run does not start keeps its earlier result. */
  resumedRecord: boolean;
  /** The revision this run vouches for (run-revision.ts). */
  revision: string | undefined;
  state: ExecState;
  writer: StateWriter;
  store: ExecutionStore;
  workdir: WorkdirOptions;
  runner: Runner;
  runContext: RunContext;
  stepIds: RuntimeIds;
  /** Per job, the steps a resume skips (resumedSteps). */
  cachedSteps: Map<string, ReadonlySet<string>>;
  /** Each job's summary, by ID: the resume's cached ones already in; every job run or not run here is added. */
  summaries: Map<string, JobSummary>;
  options: { hooks?: ExecutionHooks; approve?: boolean; signal?: AbortSignal };
  emit: (event: RunEvent) => void;
}

/** Runs the jobs to their ends (or the run's stop); `canceled` when the run was canceled (Ctrl-C, SIGTERM). */
export async function runJobs(input: JobRunInput): Promise<{ canceled: boolean }> {
  const { plan, execId, toRun, concurrency, failFast, resumedRecord, revision, state, writer, store, workdir, runner, runContext, stepIds, cachedSteps, summaries, options, emit } = input;
  const { satisfied, unsatisfiable, failedOutside } = input.dependencies;
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
    return { file: writer.journalFile, line: journalLine(job.id, { status: "completed", startedAt: state.jobs[job.id]?.startedAt ?? nowStamp(), steps, revision: revision ?? NO_REVISION }) };
  };
  const latches = runner.handOff && !options.hooks ? new JobLatches(runner.handOff, completion) : undefined;
  const deps = { runner, runContext, ids: stepIds, state, writer, store, workdir, hooks: options.hooks, signal: abort.signal, runStopped: () => options.hooks?.runStopped?.(failFastAfter !== undefined) ?? failFastAfter !== undefined, emit, latches, cachedSteps };
  /** `held`: the hooks hold the job (remote state: claimed it) — told it as one held and not run (see stoppedBeforeStart). */
  const notRun = (job: PlanJob, status: "skipped" | "blocked" | "waiting", reason: string, held = false): void => {
    if (status !== "waiting") {
      state.jobs[job.id] = { status, steps: {}, reason, finishedAt: nowStamp() };
      writer.settled(job.id);
    } else {
      // A waiting job is still to run in this execution; what an earlier run recorded for it stays.
      state.jobs[job.id] ??= { status: "pending", steps: {}, reason };
      writer.schedule();
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
    if (resumedRecord && recorded !== undefined && recorded.status !== "pending" && recorded.status !== "running") {
      state.jobs[job.id] = recorded;
      writer.schedule();
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
    const earlier = resumedRecord ? await store.setAsideJobLogs(execId, job.id, path.join(runContext.scratchDir, "earlier-logs"), cachedSteps.get(job.id)) : undefined;
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
      writer.settled(job.id);
      writer.assertJournaled();
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
        writer.settled(job.id);
        if (end) end = { ...end, status: "failed", error };
      }
      return result.status === "failed" && !result.fatal ? "failed-tolerated" : result.status;
    } finally {
      if (end) emit(end);
    }
  };

  /** Admits a job the scheduler picks — the hooks' claim (remote state), approval, gates — then runs it. */
  const admitAndRun = async (job: PlanJob, context: ScheduleContext): Promise<JobOutcome> => {
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
        writer.settled(job.id);
        writer.assertJournaled();
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
  };

  /** A job whose first step waits on `after`'s latch (scheduler.ts handOff): settled once `after` has ended. */
  const handOver = (latches: JobLatches, job: PlanJob, after: PlanJob): HandOffTicket | undefined => {
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
  };

  /** The reasons the scheduler gives the jobs a stop kept from starting (fail-fast's, once it trips). */
  const stopReasons = new Set<string>([RUN_CANCELED, RUN_ABORTED]);
  // A job skipped for its dependencies whose own promotion gate blocks it too says so: told only the dependency's
  // reason, a user met one gate per resume.
  const ownBlocks = await ownGateBlocks(toRun, gates, options.hooks?.managesDependencies === true, abort.signal);
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
    notRun: (job, reason, kind) => {
      if (kind === "skipped" && stopReasons.has(reason)) return void stoppedBeforeStart(job, reason, false);
      const own = kind === "skipped" ? ownBlocks.get(job.id) : undefined;
      notRun(job, kind, own ? `${reason}; its own ${own}` : reason);
    },
    onFailFast: (reason, failed) => {
      failFastAfter = failed;
      stopReasons.add(reason);
      admission.abort(reason);
    },
    // A job that could not be run or recorded (e.g. remote state refusing its result) ends the run: nothing
    // new starts, jobs still waiting for admission stop, running ones finish before the record is closed.
    onError: (err) => admission.abort(err),
    run: admitAndRun,
    handOff: latches ? (job, after) => handOver(latches, job, after) : undefined,
  });
  options.signal?.removeEventListener("abort", onOuterAbort);

  const canceled = abort.signal.aborted;
  return { canceled };
}

/**
 * What blocks each job of the run that the scheduler may skip for its dependencies, judged before the run starts (the
 * scheduler tells a skip at once, so the note can't wait for a query): gated jobs with dependencies whose gates need
 * no job of this run — a gate this run's own jobs may yet satisfy is not judged. None under remote state, where
 * nothing is skipped for dependencies here. Approval is left out: the resume line names the jobs it needs --approve for.
 */
async function ownGateBlocks(toRun: readonly PlanJob[], gates: GateEvaluator, remote: boolean, signal: AbortSignal): Promise<Map<string, string>> {
  const blocks = new Map<string, string>();
  if (remote) return blocks;
  const inRun = new Set(toRun.map((job) => `${job.component}\0${job.environment}`));
  const judged = toRun.filter(
    (job) => (job.dependsOn ?? []).length > 0 && (job.gates ?? []).length > 0 && job.gates!.every((gate) => !inRun.has(`${gate.component}\0${gate.environment}`)),
  );
  await Promise.all(
    judged.map(async (job) => {
      // approve: the gates alone, not the approval a job requiring one would be told of first.
      const blocked = await gates.check(job, { approve: true, signal }).catch(() => undefined);
      if (blocked && !signal.aborted) blocks.set(job.id, blocked);
    }),
  );
  return blocks;
}
