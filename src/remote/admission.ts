// Admission of a job in a remote run (before it runs here): its claim, which the backend answers with the job, or
// with why not — done or failed in the run, the run stopped, a dependency failed — or with a wait, for its
// dependencies or another runner's attempt. The wait long-polls the backend (/runnable); a whole-plan runner defers
// the job instead while other jobs are ready here (deferrals.ts). What the claims answered is said once each.
import { canonicalJobId } from "../model/plan.js";
import type { AdmissionContext, BeforeJobDecision } from "../runtime/hooks.js";
import { formatDuration } from "../runtime/duration.js";
import { describedError } from "../runtime/output/failure-text.js";
import { OrunError } from "../util/errors.js";
import { graceAfter } from "../util/timers.js";
import { deferrablePollMs, type Deferrals } from "./deferrals.js";
import type { HeldJobs } from "./held-jobs.js";
import type { RemoteHooksOptions } from "./hooks.js";
import { CANCEL_GRACE_MS } from "./job-log.js";
import type { ClaimResponse, RunnableResponse } from "./protocol.js";
import type { RerunAdvice } from "./rerun-advice.js";
import { rethrowRunGone } from "./run-gone.js";
import type { RunRegistration } from "./run-registration.js";
import { holder, recordedRunner, runningOn } from "./runner-naming.js";

export class Admission {
  /** Why the run stopped (a claim answered `stop`: a failFast run had a failure): no job starts here any more. */
  stopped?: string;
  /**
   * Failed jobs of an earlier workflow attempt that this attempt did not retry within the backend's grace (a claim
   * answered `notRetried`): this runner's jobs behind them are skipped without asking, as after a stop.
   */
  private readonly notRetried = new Set<string>();
  /** What each job's admission said it waits for (the line is said again only when it changes). */
  private readonly announced = new Map<string, string>();
  /** What each job's admission waits for, as its last claim answered (`its dependencies`, `runner R, which holds it`): a cancel names it. */
  private readonly waitingFor = new Map<string, string>();
  /** Dependencies whose runner died (a claim's depsAbandoned) this runner has said so of: once each. */
  private readonly announcedAbandoned = new Set<string>();

  /** A claimed job is held in `held`; what the claims answered blames the job to retry in `advice`. */
  constructor(
    private readonly options: RemoteHooksOptions,
    private readonly say: (line: string) => void,
    private readonly registration: RunRegistration,
    private readonly advice: RerunAdvice,
    private readonly deferrals: Deferrals,
    private readonly held: HeldJobs,
  ) {}

  /**
   * Whether job `id` runs here: claimed (its lease held from then on), or skipped, saying why — it completed or failed
   * in the run, the run stopped, a job it depends on failed — or deferred. `signal` is the run's stop (Ctrl-C, or
   * fail-fast with its reason), `cancel` the runner's cancel alone, from which a claimed job's uploads get their grace.
   */
  async beforeJob(id: string, signal: AbortSignal, context: AdmissionContext | undefined, cancel: AbortSignal): Promise<BeforeJobDecision> {
    // Picked again (woken, or by a free slot): its claim below answers afresh.
    this.deferrals.picked(id);
    try {
      await this.registration.ensure(signal);
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
      if (claim.claimed) return this.take(id, claim, signal, cancel);
      const settled = this.settled(id, claim, retry);
      if (settled) return settled;
      if (claim.currentStatus === "failed") return this.failedInRun(id, claim, retry, signal);
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
   * The decision when the claim's answer ends the wait without the job (but for a job failed in the run: failedInRun):
   * it completed in the run, the run stopped, or a failure upstream (of this attempt, or one this attempt did not
   * retry) keeps it from running; each is said, with the command that retries the failed job. Undefined otherwise.
   */
  private settled(id: string, claim: ClaimResponse, retry: boolean): BeforeJobDecision | undefined {
    const { runId } = this.options;
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
    return undefined;
  }

  /** Skipped: the job failed in the run (on whichever runner: named as the backend records it), said with its retry. */
  private async failedInRun(id: string, claim: ClaimResponse, retry: boolean, signal: AbortSignal): Promise<BeforeJobDecision> {
    const { client, runId } = this.options;
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

  /** The job is claimed: held from now on (its lease beaten, its log uploaded), and run. */
  private take(id: string, claim: ClaimResponse, signal: AbortSignal, cancel: AbortSignal): BeforeJobDecision {
    const { runId } = this.options;
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
