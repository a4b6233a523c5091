// Remote state as execution hooks (src/runtime/hooks.ts): RemoteHooks is what the runtime sees of a run shared by
// many runners, and hands each part of it to the module that owns it:
//   run-registration.ts  creating or joining the run (as the run's stored plan when only the revision differs)
//   admission.ts         claiming each job before it runs, or saying why not, waiting meanwhile
//   deferrals.ts         jobs a whole-plan runner puts off while others are ready here, and what wakes them
//   held-jobs.ts         the claimed jobs' leases (heartbeats) and logs (job-log.ts: output uploaded as it streams)
//   job-results.ts       reporting what became of each held job (result, cancel given back, blocked, not started)
//   promotion-evidence.ts  gate queries, and the revision each result vouches for
//   rerun-advice.ts      the `orun run` commands a runner prints (retry, re-run, resume)
//   runner-naming.ts, run-gone.ts  what the lines say of a job's runner, and of a run the backend no longer has
// A job it holds but may not run (approval, a gate) is reported failed so its dependents end and their runners stop;
// jobs it never claimed are left to the run's other runners. Messages follow v2 (40-remote-state.md §4.5).
import type { Plan, PlanJob, PromotionGate } from "../model/plan.js";
import { canonicalJobId } from "../model/plan.js";
import type { AdmissionContext, BeforeJobDecision, ExecutionHooks, JobOutcome, WithheldGateEvidence } from "../runtime/hooks.js";
import { Masker } from "../runners/github-actions/masker.js";
import type { BackendClient, RetryNoticeKind } from "./client.js";
import { Admission } from "./admission.js";
import { Deferrals } from "./deferrals.js";
import { HeldJobs } from "./held-jobs.js";
import type { JobLogOptions } from "./job-log.js";
import { JobResults } from "./job-results.js";
import { PromotionEvidence } from "./promotion-evidence.js";
import { RerunAdvice } from "./rerun-advice.js";
import { RunRegistration } from "./run-registration.js";

export interface RemoteHooksOptions {
  client: BackendClient;
  plan: Plan;
  runId: string;
  runnerId: string;
  /**
   * `job`: one `--job` per process; the backend alone decides readiness.
   * `plan`: whole plan or `--env` slice; local order as usual, the backend
   * decides who runs each job.
   */
  mode: "job" | "plan";
  /** Longest wait for dependencies or another runner (v2: 30 min). */
  waitTimeoutMs?: number;
  /** How long one long-poll is held by the server. */
  longPollMs?: number;
  triggerType?: string;
  actor?: string;
  /** Progress messages (stderr by default, so --json stdout stays clean). */
  say?: (line: string) => void;
  /** How long a running step's whole lines wait before upload (job-log.ts; tests shorten them). */
  liveFlushMs?: JobLogOptions["liveFlushMs"];
  /** `--job X --retry`: the claim of X reopens it if it failed (and the jobs skipped because of it). */
  retryJob?: string;
  /**
   * The plan as this runner's command named it, for the commands it prints (src/runtime/plan-reference.ts): a file
   * path, a stored plan's name or ID, or "" for a plan compiled afresh (no plan argument). Absent: the plan's ID.
   */
  planRef?: string;
  /** The runner's flags that choose its plan, backend and runner, repeated in the commands it prints (plan-reference.ts). */
  commandFlags?: string;
  /**
   * The working folder's scope of a runner started in a component's folder, as `--component` words: repeated in the
   * commands that name no `--job` (the rejoin), which pasted from another folder would otherwise claim every job.
   */
  scopeFlags?: string;
  /** The runner's ORUN_* settings that change what those commands do, as `NAME=value` words before them (carriedEnv). */
  commandEnv?: string;
  /** The runner's `--job` (canonical), for the commands it prints. */
  job?: string;
  /**
   * Values hidden (`***`) in the logs this runner uploads, with those its jobs' steps mask: its backend token
   * (ORUN_TOKEN) and the host's secrets (host-secrets.ts), which the local runner's steps inherit in their environment.
   */
  logSecrets?: readonly (string | undefined)[];
  /**
   * Where this machine stores plans (`.orun/plans` below it): a run started from another plan is looked up there, and
   * joined when the two differ only in their revision (recorded-plan.ts).
   */
  storeDir?: string;
  /** The `orun plan` command that compiles this runner's plan again at a commit (a fresh plan's; absent for a given plan or trigger flags). */
  rebuildPlan?: string;
}

export class RemoteHooks implements ExecutionHooks {
  readonly managesDependencies: boolean;
  /** The backend's claim waits for dependencies that other runners execute. */
  readonly awaitsExternalDependencies = true;
  readonly givesBackCanceledJobs = true;
  private readonly say: (line: string) => void;
  /**
   * Hides in the uploaded logs the runner's secrets and what its jobs' steps masked, in every job run here after
   * (orun's GitHub Actions views hide a value in the run's every job, GitHub in the job that masked it).
   */
  private readonly logMasker = new Masker();
  /**
   * The run's stop as the last admission got it: a gate query follows its job's admission, and ends with it when
   * the runtime passes no signal of its own.
   */
  private runSignal?: AbortSignal;
  /** The commands this runner prints, and the jobs they name (the failed job to retry, those its --retry reopened). */
  private readonly advice: RerunAdvice;
  /** The run as the backend registered it: created, or joined (maybe as the run's own plan). */
  private readonly registration: RunRegistration;
  /** Promotion evidence: the gates' queries, and what each result vouches for. */
  private readonly evidence: PromotionEvidence;
  /** Jobs deferred here (another runner holds them, or their dependencies), and what wakes them. */
  private readonly deferrals: Deferrals;
  /** The jobs this runner holds: their leases (heartbeats) and logs. */
  private readonly held: HeldJobs;
  /** Claims each job, or says why it will not run here, waiting (or deferring it) meanwhile. */
  private readonly admission: Admission;
  /** What becomes of each held job: its result reported, its cancel given back, its blocking said. */
  private readonly results: JobResults;

  constructor(private readonly options: RemoteHooksOptions) {
    this.managesDependencies = options.mode === "job";
    this.advice = new RerunAdvice(options, () => this.registration.planId);
    this.say = options.say ?? ((line) => void process.stderr.write(`${line}\n`));
    for (const secret of options.logSecrets ?? []) this.logMasker.add(secret);
    this.evidence = new PromotionEvidence(options, this.say, () => this.registration.runRevision);
    this.registration = new RunRegistration(options, this.say, this.advice, this.evidence);
    this.deferrals = new Deferrals(options, this.say, () => this.runSignal);
    this.held = new HeldJobs(options, this.say, this.logMasker);
    this.admission = new Admission(options, this.say, this.registration, this.advice, this.deferrals, this.held);
    this.results = new JobResults(options, this.say, this.held, this.advice, this.evidence, this.logMasker);
  }

  /**
   * See ExecutionHooks.runStopped. Fail-fast here stops the shared run unless the backend said its run does not stop
   * on a failure (an error that ends this runner's run, e.g. a result it could not report, stops nothing there).
   */
  runStopped(failFastTrippedHere: boolean): boolean {
    return this.admission.stopped !== undefined || (failFastTrippedHere && this.registration.runFailFast !== false);
  }

  /** The backend has registered this runner's run (created or joined it): see ExecutionHooks.tookPart. */
  tookPart(): boolean {
    return this.registration.registered;
  }

  /** See RunRegistration.ensure. */
  ensureRun(signal?: AbortSignal): Promise<void> {
    return this.registration.ensure(signal);
  }

  /** See RunRegistration.joinedPlanId. */
  joinedPlanId(signal?: AbortSignal): Promise<string | undefined> {
    return this.registration.joinedPlanId(signal);
  }

  /** See Admission.beforeJob; the run's stop it is given also ends gate queries and the dependencies watch. */
  async beforeJob(job: PlanJob, signal: AbortSignal, context?: AdmissionContext, cancel: AbortSignal = signal): Promise<BeforeJobDecision> {
    this.runSignal = signal;
    return this.admission.beforeJob(canonicalJobId(job.id), signal, context, cancel);
  }

  /** See JobResults.notRecorded. */
  resultsNotRecorded(): string[] {
    return this.results.notRecorded();
  }

  /** See RerunAdvice.retryCommand. */
  retryCommand(jobIds: readonly string[] = []): string | undefined {
    return this.advice.retryCommand(jobIds);
  }

  /** See RerunAdvice.stillToRun. */
  stillToRun(): { jobs: string[]; command: string } | undefined {
    return this.advice.stillToRun();
  }

  /** See RerunAdvice.resumeCommand. */
  resumeCommand(): string {
    return this.advice.resumeCommand();
  }

  /** Output as the step writes it: the job's log uploads it as it streams (job-log.ts). */
  onStepOutput(job: PlanJob, stepKey: string, chunk: string): void {
    this.held.get(canonicalJobId(job.id))?.log.output(stepKey, chunk);
  }

  /** The step runs again: the output that follows is the next attempt's, marked as in the local step log. */
  onStepRetry(job: PlanJob, stepKey: string, attempt: number, attempts: number): void {
    this.held.get(canonicalJobId(job.id))?.log.retry(stepKey, attempt, attempts);
  }

  /** The step ended: its last output goes up, and a failed step is kept for the job's result (tolerated or not). */
  onStepFinished(job: PlanJob, stepKey: string, output: string, failed = false): Promise<void> {
    const entry = this.held.get(canonicalJobId(job.id));
    if (!entry) return Promise.resolve();
    if (failed) entry.failedSteps.add(stepKey);
    return entry.log.stepFinished(stepKey, output);
  }

  /** See JobResults.afterJob. */
  afterJob(job: PlanJob, result: JobOutcome): Promise<void | { notRecorded: string }> {
    return this.results.afterJob(job, result);
  }

  /** See JobResults.notRun. */
  onJobNotRun(job: PlanJob, status: "skipped" | "blocked", reason: string): void {
    this.results.notRun(job, status, reason);
  }

  /** See PromotionEvidence.gateSatisfied; the run's stop (as the last admission got it) ends the query by default. */
  gateSatisfied(gate: PromotionGate, revision: string, signal: AbortSignal | undefined = this.runSignal): Promise<boolean | WithheldGateEvidence> {
    return this.evidence.gateSatisfied(gate, revision, signal);
  }

  /** See PromotionEvidence.vouchFor. */
  vouchFor(revision: string | undefined): void {
    this.evidence.vouchFor(revision);
  }

  /** See HeldJobs.leaseNote. */
  leaseNote(kind: RetryNoticeKind): string {
    return this.held.leaseNote(kind);
  }

  async close(): Promise<void> {
    await this.results.settled();
    this.deferrals.close();
    this.held.close();
  }
}

