// Hooks let a state backend take part in scheduling without the scheduler
// knowing about it. Local runs use none; remote state (src/remote) implements
// them to claim jobs from the backend, heartbeat and upload logs.
import type { PlanJob, PromotionGate } from "../model/plan.js";

export type BeforeJobDecision =
  /**
   * Execute the job here; `stop` aborts it midway (e.g. its lease was handed to another runner). `claimed`: the hooks
   * hold the job now (remote state: this runner claimed it), so one that does not run after all (the run stopped
   * before it started) is handed back through onJobNotRun as `blocked`: theirs to report.
   */
  | { action: "run"; stop?: AbortSignal; claimed?: boolean }
  /** Already completed elsewhere (e.g. by another runner): count it as done. */
  | { action: "skip"; reason: string }
  /** Will never run (e.g. an upstream job failed on another machine). */
  | { action: "skipped"; reason: string }
  /**
   * Not decided yet, and nothing of it held (remote state: another runner runs it): the slot goes to another ready job,
   * and beforeJob is asked again once none waits. Only when the context said others were ready.
   */
  | { action: "defer" };

/** What beforeJob is told of the run's schedule (src/runtime/scheduler.ts RunContext). */
export interface AdmissionContext {
  /** Whether other ready jobs wait for a slot now: a job another runner holds is then deferred, not waited for. */
  othersReady(): boolean;
  /**
   * Puts the job, once deferred, ahead of every ready job: the next free slot takes it (remote state: the lease of the
   * runner holding it lapsed, so this runner takes it over now rather than after the ready jobs).
   */
  wake(): void;
  /** Wakes every deferred job (each as wake() would); whether there was one: the run changed on another runner. */
  wakeDeferred(): boolean;
  /** Calls `listener` whenever othersReady() turns true, until the returned function is called (RunContext.onOthersReady). */
  onOthersReady?(listener: () => void): () => void;
  /** Whether jobs wait deferred now (RunContext.hasDeferred). */
  hasDeferred?(): boolean;
}

/** What a job's run came to, as afterJob hears it. */
export interface JobOutcome {
  status: "completed" | "failed";
  error?: string;
  /** Why the job was released rather than ended (a cancel here without a verdict, or handed on). */
  released?: string;
}

export interface ExecutionHooks {
  /**
   * When true, dependency readiness is decided by the hooks (beforeJob may
   * block until the job is claimable), not by local state.
   */
  readonly managesDependencies?: boolean;
  /**
   * When true, dependencies outside this run's selection (another
   * environment in `--env` fan-out, running on another machine) are awaited
   * through beforeJob instead of being reported as never satisfiable.
   */
  readonly awaitsExternalDependencies?: boolean;
  /**
   * When true, a job the run's cancel (Ctrl-C, SIGTERM) stops is given back by afterJob (remote state: pending again
   * on the backend, for any runner) — released, not failed: its work got no verdict.
   */
  readonly givesBackCanceledJobs?: boolean;
  /**
   * Whether the shared run has stopped (remote state: a claim answered `stop`, or this runner's fail-fast tripped and
   * the backend stops the run on a failure): a job canceled then is failed, not given back — a stopped run hands
   * nothing on. Without it, fail-fast tripping here is the run's stop.
   */
  runStopped?(failFastTrippedHere: boolean): boolean;
  /**
   * Whether this runner has taken part in the run (remote state: registered it with the backend). A new record of a
   * runner that failed before it did (a plan the run refuses) is discarded: it holds nothing of any run.
   */
  tookPart?(): boolean;
  /**
   * `signal`: admission ends (Ctrl-C, SIGTERM, fail-fast, a job's error ending the run). `cancel`: the run's cancel
   * alone — a job admitted before a stop of admissions runs on to its end, so only a cancel cuts what it still sends.
   */
  beforeJob?(job: PlanJob, signal: AbortSignal, context?: AdmissionContext, cancel?: AbortSignal): Promise<BeforeJobDecision>;
  /**
   * `released`: the executor recorded the job released, not ended (JobRunResult.released): give it back, don't report it.
   * Answers `notRecorded` when the job's result here counts for nothing (remote state: another runner took it over):
   * the run's summary then counts it failed, with that reason.
   */
  afterJob?(job: PlanJob, result: JobOutcome): Promise<void | { notRecorded: string }>;
  onStepOutput?(job: PlanJob, stepKey: string, chunk: string): void;
  /**
   * A step is about to run again (attempt `attempt` of `attempts`): its output so far was an earlier attempt's.
   * Remote state marks it in the job's log as the local step log does (`↻ retry N/M`).
   */
  onStepRetry?(job: PlanJob, stepKey: string, attempt: number, attempts: number): void;
  onStepFinished?(job: PlanJob, stepKey: string, output: string, failed: boolean): Promise<void>;
  /**
   * A job this execution will not run: `blocked` by an approval policy or a
   * promotion gate (after beforeJob admitted it), or one beforeJob `claimed`
   * that the run's stop kept from starting; else `skipped` (a dependency
   * failed, fail-fast, cancellation). Fire and forget: the hooks report it
   * in the background and close() waits for the reports.
   */
  onJobNotRun?(job: PlanJob, status: "skipped" | "blocked", reason: string): void;
  /**
   * Promotion-gate evidence kept elsewhere (remote state: the backend's runs
   * of the same source revision, decision 8). When present it alone decides:
   * local execution history is not consulted. `signal` is the run's stop (Ctrl-C, SIGTERM): the query then
   * ends at once, rejecting with an error named "AbortError" (the DOM convention for an aborted operation).
   */
  gateSatisfied?(gate: PromotionGate, revision: string, signal?: AbortSignal): Promise<boolean | WithheldGateEvidence>;
  /**
   * The revision this run's results vouch for (run-revision.ts), told once before any job runs: undefined when the
   * code that runs is no commit's or not the plan's. Remote state reports it with each job's result, so the backend
   * counts no success of other code as promotion evidence for the run's revision.
   */
  vouchFor?(revision: string | undefined): void;
  /**
   * Called once before the run's header when jobs are to run: the ID of the plan the run goes on as, when that is
   * not this one (remote state registers the run here, and a runner whose plan differs from the run's only in
   * metadata.revision joins it as the run's plan: src/remote/recorded-plan.ts). A registration that failed rejects,
   * before the header (a runner that took no part keeps no record for the header to name); so does one a Ctrl-C
   * stopped, with an AbortError (the caller exits as canceled).
   */
  joinedPlanId?(signal?: AbortSignal): Promise<string | undefined>;
  /**
   * Jobs of the run a `--retry` here set pending again that this runner did not run, and the command that runs them in
   * the run: the summary says the run is still incomplete rather than "Done" alone (no runner may ever claim them).
   */
  stillToRun?(): { jobs: string[]; command: string } | undefined;
  /** Called once when the run ends, success or not. */
  close?(): Promise<void>;
}

/**
 * Not satisfied, though a run at the revision had every job of the gate's component in its environment succeed: job
 * `jobId` of run `runId` is no evidence, for `cause` — `other-code` (it ran another commit than the run's revision: a
 * retry after a fix), `other-checkout` (it ran from a checkout that was not the revision: moved on, with edits, or
 * another folder), `oidc-commit` (its GitHub Actions runner's OIDC token does not vouch for the revision),
 * `other-code-and-oidc-commit` (the first and the third), or null when the evidence store kept no cause. Every text
 * is printable already (escaped by the hook).
 */
export interface WithheldGateEvidence {
  withheld: { runId: string; jobId: string; cause: "other-code" | "other-checkout" | "oidc-commit" | "other-code-and-oidc-commit" | null; reason: string | null };
}
