// Remote state as execution hooks (src/runtime/hooks.ts): before a job runs,
// claim it from the backend — waiting (long-poll) while its dependencies or
// another runner's attempt are unfinished; while it runs, heartbeat and
// upload each step's output to the job's remote log as it streams (job-log.ts, up to the backend's
// cap); afterwards, report the outcome. A job it holds but may not run
// (approval, a gate) is reported failed so its dependents end and their
// runners stop; jobs it never claimed are left to the run's other runners.
// Messages follow v2 (40-remote-state.md §4.5).
import type { Plan, PlanJob, PromotionGate } from "../model/plan.js";
import { canonicalJobId } from "../model/plan.js";
import type { AdmissionContext, BeforeJobDecision, ExecutionHooks, JobOutcome, WithheldGateEvidence } from "../runtime/hooks.js";
import { OrunError } from "../util/errors.js";
import type { BackendClient, RetryNoticeKind } from "./client.js";
import type { RunnableResponse } from "./protocol.js";
import { formatDuration } from "../runtime/duration.js";
import { describedError } from "../runtime/output/failure-text.js";
import { Masker } from "../runners/github-actions/masker.js";
import { CANCEL_GRACE_MS, type JobLogOptions } from "./job-log.js";
import { graceAfter } from "../util/timers.js";
import { RerunAdvice } from "./rerun-advice.js";
import { rethrowRunGone } from "./run-gone.js";
import { RunRegistration } from "./run-registration.js";
import { PromotionEvidence } from "./promotion-evidence.js";
import { JobResults } from "./job-results.js";
import { HeldJobs } from "./held-jobs.js";
import { Deferrals, deferrablePollMs } from "./deferrals.js";
import { holder, recordedRunner, runningOn } from "./runner-naming.js";

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
  /** Why the run stopped (a claim answered `stop`: a failFast run had a failure): no job starts here any more. */
  private stopped?: string;
  /**
   * Failed jobs of an earlier workflow attempt that this attempt did not retry within the backend's grace (a claim
   * answered `notRetried`): this runner's jobs behind them are skipped without asking, as after a stop.
   */
  private readonly notRetried = new Set<string>();
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
  /** What each job's admission said it waits for (the line is said again only when it changes). */
  private readonly announced = new Map<string, string>();
  /** What each job's admission waits for, as its last claim answered (`its dependencies`, `runner R, which holds it`): a cancel names it. */
  private readonly waitingFor = new Map<string, string>();
  /** Dependencies whose runner died (a claim's depsAbandoned) this runner has said so of: once each. */
  private readonly announcedAbandoned = new Set<string>();
  private readonly advice: RerunAdvice;
  /** The run as the backend registered it: created, or joined (maybe as the run's own plan). */
  private readonly registration: RunRegistration;
  /** Promotion evidence: the gates' queries, and what each result vouches for. */
  private readonly evidence: PromotionEvidence;
  /** Jobs deferred here (another runner holds them, or their dependencies), and what wakes them. */
  private readonly deferrals: Deferrals;
  /** The jobs this runner holds: their leases (heartbeats) and logs. */
  private readonly held: HeldJobs;
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
    this.results = new JobResults(options, this.say, this.held, this.advice, this.evidence, this.logMasker);
  }

  /**
   * See ExecutionHooks.runStopped. Fail-fast here stops the shared run unless the backend said its run does not stop
   * on a failure (an error that ends this runner's run, e.g. a result it could not report, stops nothing there).
   */
  runStopped(failFastTrippedHere: boolean): boolean {
    return this.stopped !== undefined || (failFastTrippedHere && this.registration.runFailFast !== false);
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

  async beforeJob(job: PlanJob, signal: AbortSignal, context?: AdmissionContext, cancel: AbortSignal = signal): Promise<BeforeJobDecision> {
    const id = canonicalJobId(job.id);
    this.runSignal = signal;
    // Picked again (woken, or by a free slot): its claim below answers afresh.
    this.deferrals.picked(id);
    try {
      await this.ensureRun(signal);
      if (this.stopped) return { action: "skipped", reason: this.stopped };
      const behind = this.behindNotRetried(id);
      if (behind) {
        const reason = `${behind} failed in an earlier attempt, and this attempt did not retry it`;
        this.say(`✕ job ${id} will not run: it depends on ${behind} (above)`);
        return { action: "skipped", reason };
      }
      const decision = await this.admit(id, signal, cancel, this.options.mode === "plan" ? context : undefined);
      this.waitingFor.delete(id);
      return decision;
    } catch (err) {
      if (!signal.aborted) throw err;
      // Stopped while waiting — Ctrl-C (the run ends as cancelled, exit 130) or this run's fail-fast (the
      // executor's admission signal carries the reason): the job is not run here and stays for other runners.
      const waited = (this.registration.registered && this.waitingFor.get(id)) || `the backend at ${this.options.client.baseUrl}`;
      const reason = typeof signal.reason === "string" ? signal.reason : `canceled while waiting for ${waited}`;
      this.waitingFor.delete(id);
      this.say(`✕ job ${id}: ${reason}`);
      return { action: "skipped", reason };
    }
  }

  /**
   * Claims `id`, waiting while its dependencies or another runner's attempt are unfinished. `context` (a whole plan or
   * `--env` slice): while other jobs are ready here, a job another runner holds or whose dependencies run elsewhere is
   * deferred — this slot takes one of those, and the job comes back once none waits — so runners walking the same plan
   * share its jobs instead of all waiting on the first ones.
   */
  private async admit(id: string, signal: AbortSignal, cancel: AbortSignal, context?: AdmissionContext): Promise<BeforeJobDecision> {
    const { client, runId, runnerId } = this.options;
    const waitTimeoutMs = this.options.waitTimeoutMs ?? 30 * 60_000;
    const deadline = Date.now() + waitTimeoutMs;
    let pollDelay = 500;
    /** Looks of this wait in a row that found nothing new elsewhere in the run (the deferrable long-poll's back-off). */
    let quiet = 0;
    for (;;) {
      if (signal.aborted) throw new OrunError("canceled");
      const retry = this.options.retryJob === id;
      const claim = await client.claim(runId, id, runnerId, { signal, retry }).catch((err: unknown) => rethrowRunGone(this.options, err, id, "waited"));
      const lapsesAt = claim.currentStatus === "running" && typeof claim.leaseExpiresInMs === "number" ? Date.now() + claim.leaseExpiresInMs : undefined;
      for (const reopened of claim.retried ? (claim.reopened ?? []) : []) this.advice.reopenedHere.add(reopened);
      if (claim.claimed || claim.currentStatus === "success") this.advice.reopenedHere.delete(id);
      if (claim.claimed) {
        if (claim.takeover) this.say(`↻ taking over job ${id} from a previous runner`);
        if (claim.retried) {
          // This attempt's legs of them waited for this retry past the backend's grace, and gave up.
          const gaveUp = claim.reopenedGaveUpAfter
            ? ` (this attempt's legs of them gave up waiting for ${id} after ${claim.reopenedGaveUpAfter}, orun backend serve --retry-grace: re-run them)`
            : "";
          const reopened = claim.reopened?.length ? `; pending again: ${claim.reopened.join(", ")}${gaveUp}` : "";
          const unstopped = claim.runReopened ? `; the run, stopped by ${claim.runReopened}, is open again` : "";
          this.say(`↻ retrying job ${id}, which failed in remote run ${runId}${claim.runAttempt ? ` (attempt ${claim.runAttempt})` : ""}${unstopped}${reopened}`);
        }
        // Claimed as this runner was being stopped (Ctrl-C, fail-fast): it is this runner's now, so the executor hands
        // it back unstarted (onJobNotRun), and its report says what became of it.
        const entry = this.held.hold(id, claim.leaseMs ?? 120_000, claim.leaseToken);
        entry.runSignal = signal;
        // From the cancel on, not from fail-fast or a job's error: those stop admissions, and this job runs on to its end.
        entry.uploads = entry.log.uploads = graceAfter(cancel, CANCEL_GRACE_MS, entry.ended.signal);
        return { action: "run", stop: entry.stop.signal, claimed: true };
      }
      if (claim.currentStatus === "success") {
        if (retry) this.say(`✓ job ${id} is not retried: it succeeded in remote run ${runId} (--retry reopens only a failed job)`);
        // Not "by another runner": the runner that completed it may have been this machine's, an earlier command.
        else this.say(`✓ job ${id} already completed in remote run ${runId}`);
        return { action: "skip", reason: `already completed in remote run ${runId}` };
      }
      // Skipped for a failure of an earlier workflow attempt that this attempt did not re-run (its leg re-run alone).
      if (claim.notRetried) {
        const reason = claim.reason ?? `${claim.notRetried} failed in an earlier attempt, and this attempt did not retry it`;
        this.say(`✕ job ${id} will not run: ${reason}; or retry ${claim.notRetried} in this run (${this.advice.rerun(claim.notRetried, true)}), then run ${id} again`);
        // Said once: the backend answers the same for every job behind it (one grace per failure and attempt).
        this.notRetried.add(claim.notRetried);
        this.advice.blame(claim.notRetried);
        if (claim.stop) this.stopped = `not started: ${claim.notRetried} failed in an earlier attempt, and this attempt did not retry it`;
        return { action: "skipped", reason };
      }
      if (claim.stop) {
        // The run's fail-fast: said once; the jobs this runner has not started yet are skipped without asking.
        const failed = /fail-fast after (\S+) failed/.exec(claim.reason ?? "")?.[1];
        this.stopped = `not started: fail-fast after ${failed ?? "a job"} failed`;
        // Retrying the failed job reopens the run (the backend sets the jobs its stop skipped pending again).
        const reopen = failed ? `; retrying ${failed} reopens the run: ${this.advice.rerun(failed, true)}` : "";
        if (failed) this.advice.blame(failed);
        this.say(`✕ remote run ${runId} stopped: its plan is failFast and ${failed ?? "a job"} failed; job ${id} and any others not started here will not run${reopen}`);
        return { action: "skipped", reason: this.stopped };
      }
      // Skipped for a failure of an earlier workflow attempt, which this attempt retries (depsWaiting): waited for.
      if (!claim.depsWaiting && (claim.depsBlocked || claim.currentStatus === "skipped")) {
        // The failed job upstream can be retried in this run, which reopens this one.
        const failed = claim.stop ? undefined : /(?:upstream|dependency) (\S+) failed/.exec(claim.reason ?? "")?.[1];
        const hint = failed ? `; retry ${failed} in this run (${this.advice.rerun(failed, true)}), then run ${id} again` : "";
        if (failed) this.advice.blame(failed);
        // The backend's own advice to a --retry of this job says what the hint says: said once.
        const why = failed ? claim.reason?.replace(/ — --retry reopens a failed job: retry the failed one, which reopens this one$/, "") : claim.reason;
        const reason = `upstream dependencies are blocked or failed (${why ?? "an upstream job failed"})`;
        this.say(`✕ job ${id} will not run: ${reason}${hint}`);
        return { action: "skipped", reason };
      }
      if (claim.currentStatus === "failed") {
        // Failed by whichever runner ran it — maybe this machine's, an earlier command: named as the backend records it
        // (a nicety: given 5 s in all, retries and a backend that never answers included, and ended by the run's stop).
        const runner = await recordedRunner(client, runId, id, signal);
        // Its error as the local runner's output words it (`step s1: command exited with code 3`, not the recorded `exit status 3`).
        const error = claim.reason ? `: ${describedError(claim.reason)}` : "";
        const reason = `already failed in remote run ${runId}${runner ? ` (on runner ${runner})` : ""}${error}`;
        this.advice.blame(id);
        // An orun backend reopens a failed job a --retry claims: one that answers "failed" retries nothing (v2's).
        if (retry) this.say(`✕ job ${id} ${reason}; the backend at ${client.baseUrl} did not reopen it for --retry (a v2 backend retries no job): run it in a new run, under another --exec-id`);
        else this.say(`✕ job ${id} not run: it ${reason}; once fixed, retry it in this run: ${this.advice.rerun(id, true)}`);
        return { action: "skipped", reason };
      }
      // A dependency whose runner died stays pending until some runner claims it: say so (once each), or this looks like
      // any wait — before a deferral too, or a job deferred while ready jobs keep coming here would say it only once
      // they ran out.
      for (const dep of claim.depsAbandoned ?? []) {
        if (this.announcedAbandoned.has(dep)) continue;
        this.announcedAbandoned.add(dep);
        // Given back by a runner that was canceled (POST …/release), or left by one that stopped heartbeating.
        const how = claim.depsReleased?.includes(dep) ? "was canceled and released it" : "stopped (lease expired)";
        this.say(`! ${dep}: its runner ${how} and no runner has taken it over; re-run it in this run: ${this.advice.rerun(dep, false)}`);
      }
      // Held elsewhere or waiting on other runners' jobs: nothing here to wait for while another job is ready.
      const deferrable = context !== undefined && !retry && claim.currentStatus !== "skipped";
      if (deferrable && context.othersReady()) return this.deferrals.defer(id, context, lapsesAt, claim.depsWaiting);
      const message =
        claim.currentStatus === "skipped"
          ? `○ job ${id} was skipped: ${claim.reason ?? "an upstream job failed in an earlier attempt"}...`
          : claim.depsWaiting
            ? `○ waiting for dependencies of ${id}...`
            : `● job ${id} is running in remote run ${runId}${runningOn(claim.reason)}${retry ? " (not retried: its lease is live)" : ""}, waiting...`;
      // Said once for as long as it holds: a deferred job comes back here again and again.
      if (message !== this.announced.get(id)) this.say(message);
      this.announced.set(id, message);
      // What a cancel now interrupts, as its line names it.
      this.waitingFor.set(
        id,
        claim.currentStatus === "skipped" ? `a retry of the failed job that ${id} depends on` : claim.depsWaiting ? "its dependencies" : `${holder(claim.reason) ? `runner ${holder(claim.reason)}` : "another runner"}, which holds it`,
      );
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new OrunError(`dependency wait timeout (${formatDuration(waitTimeoutMs)}) exceeded for ${id}${claim.reason ? `: ${claim.reason}` : ""}`);
      }
      // Deferrable, the wait is cut short to look again whether the run changed elsewhere meanwhile, or at once when a
      // job becomes ready here (where the scheduler tells).
      // No back-off while jobs wait deferred here: one of them ending on its runner (seen only by a look at the run, not
      // by this job's long-poll) readies its dependents here, which waited up to 8 s for the look (rev27b).
      const lookMs = deferrable ? deferrablePollMs(context.hasDeferred?.() === true ? 0 : quiet, context.onOthersReady !== undefined) : Number.POSITIVE_INFINITY;
      const waitMs = Math.min(this.options.longPollMs ?? 25_000, lookMs, left);
      const res = await this.waitForRunnable(id, waitMs, signal, deferrable ? context : undefined);
      // Given way to a job ready here: the loop's claim answers afresh, and defers the job while that one waits.
      if (!res) continue;
      // A job that became claimable elsewhere means the run moved: a job deferred here may have ended on its runner
      // (its dependents then ready here) or been given back. The deferred jobs are looked at again, ahead of this one.
      const appeared = this.deferrals.sawRunnable(res.jobs, id);
      quiet = appeared ? 0 : quiet + 1;
      if (deferrable && (context.othersReady() || (appeared && context.wakeDeferred()))) return this.deferrals.defer(id, context, lapsesAt, claim.depsWaiting);
      // A backend without long-poll (v2) answers at once and says nothing
      // about the job: poll it with back-off instead of hammering it.
      if (!res.job && !res.jobs.includes(id)) {
        await sleep(Math.min(pollDelay, Math.max(0, deadline - Date.now())), signal);
        pollDelay = Math.min(pollDelay * 2, 15_000);
      }
    }
  }

  /**
   * The long-poll of a waiting job; undefined when it ended because a job became ready here (`context`'s scheduler said
   * so), which the job's slot is to give way to.
   */
  private async waitForRunnable(id: string, waitMs: number, signal: AbortSignal, context: AdmissionContext | undefined): Promise<RunnableResponse | undefined> {
    const { client, runId } = this.options;
    const readyHere = new AbortController();
    const unsubscribe = context?.onOthersReady?.(() => readyHere.abort());
    try {
      if (context?.othersReady()) return undefined;
      return await client.runnable(runId, { job: id, waitMs, signal: AbortSignal.any([signal, readyHere.signal]) });
    } catch (err) {
      if (readyHere.signal.aborted && !signal.aborted) return undefined;
      return rethrowRunGone(this.options, err, id, "waited");
    } finally {
      unsubscribe?.();
    }
  }

  /** A failed job this attempt did not retry (notRetried) that `id` depends on, directly or through the plan's jobs. */
  private behindNotRetried(id: string): string | undefined {
    if (this.notRetried.size === 0) return undefined;
    const deps = new Map(this.options.plan.jobs.map((j) => [canonicalJobId(j.id), (j.dependsOn ?? []).map(canonicalJobId)]));
    const seen = new Set<string>();
    const queue = [...(deps.get(id) ?? [])];
    for (let dep = queue.shift(); dep !== undefined; dep = queue.shift()) {
      if (this.notRetried.has(dep)) return dep;
      if (seen.has(dep)) continue;
      seen.add(dep);
      queue.push(...(deps.get(dep) ?? []));
    }
    return undefined;
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

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

