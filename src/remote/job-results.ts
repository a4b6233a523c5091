// What becomes of a job this runner held, reported to the backend with its heartbeat still beating (held-jobs.ts):
// the result of a job that ran; a job canceled here given back (released) for another runner; a job blocked here (by
// approval or a gate) recorded failed so that its dependents end everywhere, or, stopped here before it started,
// recorded as not started. A result the backend refuses because another runner took the job over does not count.
import type { PlanJob } from "../model/plan.js";
import { canonicalJobId } from "../model/plan.js";
import { orderSteps, stepKeys } from "../model/steps.js";
import type { Masker } from "../runners/github-actions/masker.js";
import type { JobOutcome } from "../runtime/hooks.js";
import { errorMessage } from "../util/errors.js";
import { BackendError, RequestCancelled, isRunNotFound as isRunGone } from "./client.js";
import { clock, isLeaseRefusal, type ActiveJob, type HeldJobs } from "./held-jobs.js";
import type { RemoteHooksOptions } from "./hooks.js";
import { cancelledUpload } from "./job-log.js";
import type { PromotionEvidence } from "./promotion-evidence.js";
import type { UpdateRequest, UpdateResponse } from "./protocol.js";
import type { RerunAdvice } from "./rerun-advice.js";
import { runGoneError } from "./run-gone.js";

export class JobResults {
  /** Not-run reports, one after another in the order the executor gave them (a job before its dependents). */
  private reports: Promise<void> = Promise.resolve();
  /** Jobs run here whose result the backend refused: another runner's claim had taken them over (notRecorded). */
  private readonly notRecordedJobs = new Set<string>();

  /** `logMasker` hides in what a report says (a job's error, a cancel's reason) what the uploaded logs hide. */
  constructor(
    private readonly options: RemoteHooksOptions,
    private readonly say: (line: string) => void,
    private readonly held: HeldJobs,
    private readonly advice: RerunAdvice,
    private readonly evidence: PromotionEvidence,
    private readonly logMasker: Masker,
  ) {}

  /** Reports a held job's outcome once it ran: `notRecorded` when another runner's claim took the job over meanwhile. */
  async afterJob(job: PlanJob, result: JobOutcome): Promise<void | { notRecorded: string }> {
    const id = canonicalJobId(job.id);
    const entry = this.held.get(id);
    if (!entry) return;
    await this.held.whileBeating(id, entry, () => this.reportOutcome(id, job, entry, result));
    if (this.notRecordedJobs.has(id)) return { notRecorded: `its result was not recorded in remote run ${this.options.runId}: another runner took the job over, whose result counts` };
  }

  private async reportOutcome(id: string, job: PlanJob, entry: ActiveJob, result: JobOutcome): Promise<void> {
    await entry.log.finish();
    const { runnerId } = this.options;
    if (entry.runGone) throw runGoneError(this.options, id, "ran");
    if (entry.superseded && result.status === "failed") {
      // Stopped here because contact was lost (or the job was handed on): not a failure of its work, which must
      // not fail the job or stop a failFast run. Left unreported, its lease runs out and the backend releases it,
      // as for a runner that died; runners waiting for it are told how to run it again. The run's output says it
      // was released (the executor's `released` result), and its summary how to rejoin.
      return;
    }
    // A job cancelled here (Ctrl-C, SIGTERM) is no failure of its work: it stops only this runner, not the run — given
    // back to the backend, as a lapsed lease would, for the rejoin (or any runner) to take over. The executor judged
    // it (and recorded and showed it released): one verdict, whatever fail-fast or a late Ctrl-C did to the signals.
    if (result.status === "failed" && result.released !== undefined) return this.giveBack(id, `canceled while it ran (${result.error ?? "canceled"})`, entry);
    try {
      const tolerated = result.status === "failed" && failedOnlyTolerably(job, entry.failedSteps, result.error);
      const status = result.status === "completed" ? "success" : "failed";
      const body = { runnerId, status, ...(result.error ? { error: result.error } : {}), ...(tolerated ? { tolerated } : {}), ...this.evidence.vouching() } as const;
      const answer = await this.report(id, body, entry);
      if (status === "success") this.evidence.checkEvidenceWithheld(id, body.revision, answer);
      if (result.status === "failed" && !tolerated) this.say(`✕ job ${id} failed in remote run ${this.options.runId}; once fixed, retry it in this run: ${this.advice.rerun(id, true)}`);
    } catch (err) {
      // Stopped here and the backend did not take the result in time: its lease runs out and the backend releases it.
      if (err instanceof RequestCancelled) return this.say(`! result of ${id} not recorded: ${cancelledUpload()}; the backend releases the job when its lease runs out`);
      // Refused because the job is no longer this runner's (handed on before a heartbeat could tell us): the
      // other runner's result counts. Anything else is a real failure of this run.
      if (isRunGone(err)) throw runGoneError(this.options, id, "ran");
      if (!isTakenOver(err)) {
        if (!entry.superseded) throw err;
        this.say(`! result of ${id} not recorded: ${errorMessage(err)}`);
        return;
      }
      // Its verdict here does not count: another runner's claim holds the job. Said as such, and the runner exits 1.
      this.notRecordedJobs.add(id);
      const verdict = result.status === "completed" ? "succeeded" : "failed";
      this.say(`✕ job ${id} was taken over by another runner: it ${verdict} here, but its result was not recorded in remote run ${this.options.runId} (${errorMessage(err)}); the other runner's result counts, and this runner exits 1`);
    }
  }

  /**
   * Gives back a job this runner was canceled in (Ctrl-C, SIGTERM): the backend sets it pending at once, its dependents
   * waiting on every runner, and this runner's rejoin command (or any runner's claim) takes it over. A backend without
   * the release API (v2, orun backends before it) is told nothing: the job's lease lapses and its sweeper releases it.
   */
  private async giveBack(id: string, why: string, entry: ActiveJob): Promise<void> {
    const { client, runId, runnerId } = this.options;
    this.advice.released.add(id);
    try {
      const answer = await client.release(runId, id, { runnerId, reason: this.logMasker.mask(why) }, { signal: entry.uploads, lease: entry.lease });
      this.say(
        answer.status === "skipped"
          ? `↷ job ${id} was canceled here; remote run ${runId} had stopped, so it is recorded skipped (not run) there, as the jobs its stop kept from starting`
          : `↷ job ${id} was canceled here and released in remote run ${runId}: it is pending again, its dependents wait, and any runner's claim takes it over`,
      );
    } catch (err) {
      if (isRunGone(err)) throw runGoneError(this.options, id, "ran");
      const lapses = `the backend releases it when its lease lapses (by ${clock(entry.leaseEnds())})`;
      if (err instanceof RequestCancelled) return this.say(`! job ${id} was canceled here, and could not be released: ${cancelledUpload()}; ${lapses}`);
      if (err instanceof BackendError && err.status === 404 && !/run not found/i.test(err.message)) {
        return this.say(`! job ${id} was canceled here; the backend at ${client.baseUrl} cannot release a job (no release API: a v2 or older orun backend), so ${lapses}`);
      }
      // Another runner's already (handed on meanwhile), or no longer running: nothing of it is this runner's to give back.
      if (isTakenOver(err)) return this.say(`! job ${id} was canceled here and not released: ${errorMessage(err)}`);
      this.say(`! job ${id} was canceled here, and could not be released: ${errorMessage(err)}; ${lapses}`);
    }
  }

  /**
   * Reports a job's outcome. The client repeats a request whose answer was lost; a v2 backend refuses the
   * repeat of an update that landed ("Job is not running (current: failed)": its update is not idempotent).
   * The job then reads as this runner's with this status, and the outcome counts as recorded.
   */
  private async report(jobId: string, body: UpdateRequest, entry: ActiveJob): Promise<UpdateResponse | undefined> {
    const { client, runId } = this.options;
    // A job's error may quote its steps (a runner's error, a step's `::error::`): masked as its log is.
    if (body.error !== undefined) body = { ...body, error: this.logMasker.mask(body.error) };
    try {
      return await client.update(runId, jobId, body, { signal: entry.uploads, lease: entry.lease });
    } catch (err) {
      if (!(err instanceof BackendError && err.status === 400 && /not running/i.test(err.message))) throw err;
      const job = await client.jobStatus(runId, jobId).catch(() => undefined);
      if (job?.status !== body.status || job.runnerId !== body.runnerId) throw err;
      return undefined;
    }
  }

  /**
   * A job this runner will not run. One it holds (claimed, then blocked by approval or a gate) is
   * reported `failed` ("blocked: …"), so its dependents become `skipped` and their runners stop
   * waiting; one it holds that its stop (Ctrl-C, fail-fast) kept from starting is reported as not
   * started here, no verdict on it. A job it never claimed — not started because of fail-fast or
   * Ctrl-C — is left pending for the other runners of the run: this runner's stop is not theirs to share.
   */
  notRun(job: PlanJob, status: "skipped" | "blocked", reason: string): void {
    const id = canonicalJobId(job.id);
    const entry = this.held.get(id);
    // Only a held job is this runner's to report (one the backend settled or another runner holds is never active here).
    if (status !== "blocked" || !entry) return;
    // Judged now: the executor hands a held job back as this runner's stop reached it; a Ctrl-C after a gate blocked it
    // must not turn the gate's verdict into a cancel.
    const stoppedBy = entry.runSignal?.aborted !== true ? undefined : cancelledHere(entry.runSignal) ? "cancel" : "fail-fast";
    // Recorded failed (blocked) in the run: retried there once it may run (not one stopped here, which is no verdict).
    if (!stoppedBy) this.advice.blame(id);
    this.reports = this.reports
      .then(() => this.reportBlocked(id, reason, stoppedBy))
      .catch((err: unknown) => this.say(`! could not report ${id} as ${stoppedBy ? "not started" : "blocked"} to the backend: ${errorMessage(err)}`));
  }

  private async reportBlocked(id: string, reason: string, stoppedBy: "cancel" | "fail-fast" | undefined): Promise<void> {
    const entry = this.held.get(id);
    if (!entry) return;
    await this.held.whileBeating(id, entry, () => this.reportBlockedOutcome(id, reason, entry, stoppedBy));
  }

  private async reportBlockedOutcome(id: string, reason: string, entry: ActiveJob, stoppedBy: "cancel" | "fail-fast" | undefined): Promise<void> {
    await entry.log.finish();
    const { runId, runnerId } = this.options;
    if (stoppedBy === "cancel") {
      // Ctrl-C while its admission (its claim's answer, a gate query) was still being decided: given back, as a job
      // canceled while it runs is, and no verdict of the gate's.
      return this.giveBack(id, `canceled before it started (${reason})`, entry);
    }
    if (stoppedBy === "fail-fast") {
      // This runner stopped starting jobs while the job's admission was decided: not started, no failure of its own —
      // skipped, as the backend skips the run's jobs its stop kept from starting (the same `not started: …` reason), so
      // retrying the job that stopped the run reopens it with them. A backend that takes no `skipped` result (v2)
      // records it failed, tolerated (no verdict, no fail-fast), and the line says so.
      const why = reason.replace(/^not started: /, "");
      const skipped = await this.report(id, { runnerId, status: "skipped", error: reason }, entry).then(
        () => true,
        (err: unknown) => {
          if (err instanceof BackendError && err.status === 400 && !/not running|does not own/i.test(err.message)) return false;
          throw err;
        },
      );
      if (!skipped) await this.report(id, { runnerId, status: "failed", error: `${reason} (on its runner, which had claimed it)`, tolerated: true }, entry);
      const recorded = skipped
        ? `skipped (not started) in remote run ${runId}, as the jobs the run's stop kept from starting`
        : `failed in remote run ${runId} (not started; the backend at ${this.options.client.baseUrl} takes no skipped result), with no verdict on it`;
      this.say(`! job ${id} was claimed but not started: this runner stopped starting jobs (${why}); it is recorded as ${recorded}`);
      return;
    }
    // A blocked job does not trip fail-fast (as in a local run): only its dependents are skipped — said when it has any.
    await this.report(id, { runnerId, status: "failed", error: `blocked: ${reason}`, tolerated: true }, entry);
    const dependents = this.options.plan.jobs.filter((other) => (other.dependsOn ?? []).some((dep) => canonicalJobId(dep) === id)).map((other) => canonicalJobId(other.id));
    const skipped = dependents.length > 0 ? `, so its dependents (${dependents.join(", ")}) are skipped` : "";
    this.say(`! job ${id} is recorded as failed in remote run ${runId} (blocked)${skipped}; once it may run, retry it in this run: ${this.advice.rerun(id, true)}`);
  }

  /** Jobs this runner ran whose result the backend refused, taken over by another runner meanwhile: the run exits 1. */
  notRecorded(): string[] {
    return [...this.notRecordedJobs];
  }

  /** Resolves once the not-run reports under way are done. */
  settled(): Promise<void> {
    return this.reports;
  }
}

/**
 * A result refused because the job is no longer this runner's: its lease was taken over (under another runner ID, or
 * this one's: a lease refusal), and the job may have ended on that runner since (`not running`).
 */
function isTakenOver(err: unknown): boolean {
  return isLeaseRefusal(err) || (err instanceof BackendError && err.status >= 400 && err.status < 500 && /does not own|not running/i.test(err.message));
}

/** The runner itself was stopped (Ctrl-C, SIGTERM: an abort without a reason); fail-fast aborts admission with its reason. */
function cancelledHere(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && (signal.reason as { name?: unknown } | undefined)?.name === "AbortError";
}

/**
 * A failed job whose failure does not trip fail-fast, as the executor judges it: every step that failed is an
 * `onFailure: continue` one, and the error reported is one of theirs (a start, finalizer or cancel error is not).
 */
function failedOnlyTolerably(job: PlanJob, failedSteps: ReadonlySet<string>, error: string | undefined): boolean {
  if (failedSteps.size === 0 || error === undefined) return false;
  const steps = orderSteps(job.steps);
  const continuing = new Set(stepKeys(steps).filter((key, i) => (steps[i]!.onFailure ?? "").trim().toLowerCase() === "continue"));
  return [...failedSteps].every((key) => continuing.has(key)) && [...continuing].some((key) => failedSteps.has(key) && error.startsWith(`step ${key}: `));
}
