// What a cancel (Ctrl-C, SIGTERM, fail-fast) leaves running, the way GitHub's
// runner has it: a running step whose `if:` still holds once the job is
// cancelled (`always()`) runs on, the job's remaining `always()`/`cancelled()`
// steps run, then the actions' post hooks — all within one grace period from
// the cancel, so nothing can hold orun for ever. A second Ctrl-C makes orun
// exit at once, which stops whatever still runs.
import type { JobContext, StepContext } from "../runner.js";
import { JOB_HANDED_ON } from "../runner.js";
import type { PlanStep } from "../../model/plan.js";
import { orderSteps, stepKeys } from "../../model/steps.js";
import type { JobState } from "./job-state.js";
import { longTimeout } from "../../util/timers.js";

/** GitHub's step fields a plan written for this runner may carry beyond orun's own. */
export type LooseStep = PlanStep & { if?: string | boolean; "continue-on-error"?: boolean | string; "timeout-minutes"?: number | string };

export class CancelGrace {
  /** Aborted when this process exits (a second Ctrl-C): what still runs after a cancel is stopped. */
  private readonly exiting = new AbortController();
  private exitWatchers = 0;
  private readonly onExit = (): void => this.exiting.abort();

  constructor(private readonly graceMs: number) {}

  /** Has the grace after this job's cancel run out (nothing more may start)? Starts it if the cancel is new. */
  over(state: JobState): boolean {
    if (!state.cancelled) return false;
    state.graceEndsAt ??= Date.now() + this.graceMs;
    return Date.now() >= state.graceEndsAt;
  }

  /** The grace period, for messages (`60s`). */
  describe(): string {
    return this.graceMs % 1000 === 0 ? `${this.graceMs / 1000}s` : `${this.graceMs}ms`;
  }

  /**
   * A signal that stays quiet while the job runs and through the grace after its cancel (the job's own
   * signal is aborted by then and must not stop clean-up), then aborts; at once for a job handed to another
   * runner (its clean-up is the new owner's and must not race it). One grace per cancel: everything after
   * it shares the same end (`state.graceEndsAt`).
   */
  signal(job: JobContext, state: JobState): { signal: AbortSignal; dispose: () => void } {
    const grace = new AbortController();
    let stopTimer: (() => void) | undefined;
    const startGrace = (): void => {
      if (job.signal.reason === JOB_HANDED_ON) grace.abort(JOB_HANDED_ON);
      else {
        state.graceEndsAt ??= Date.now() + this.graceMs;
        // A grace past 2^31-1 ms (~24.8 days) would fire at once with setTimeout: chained instead.
        stopTimer = longTimeout(() => grace.abort(), Math.max(0, state.graceEndsAt - Date.now()));
      }
    };
    if (job.signal.aborted) startGrace();
    else job.signal.addEventListener("abort", startGrace, { once: true });
    // One exit listener for all jobs finishing at once (no listener per job).
    if (this.exitWatchers++ === 0) process.on("exit", this.onExit);
    return {
      signal: AbortSignal.any([grace.signal, this.exiting.signal]),
      dispose: () => {
        stopTimer?.();
        job.signal.removeEventListener("abort", startGrace);
        if (--this.exitWatchers === 0) process.off("exit", this.onExit);
      },
    };
  }

  /**
   * The signals that stop a running step whose `if:` checks the status. GitHub re-tests such a step's `if:`
   * when the job is cancelled: one that still `holds()` (`always()`) runs on, within the grace; any other
   * stop (a handed-over job, a condition now false or failing) stops it at once.
   */
  survivor(ctx: StepContext, state: JobState, holds: () => boolean): { signals: AbortSignal[]; dispose: () => void } {
    const stop = new AbortController();
    const grace = this.signal(ctx.job, state);
    const cancel = AbortSignal.any([ctx.signal, ctx.job.signal]);
    const onCancel = (): void => {
      let runsOn = false;
      try {
        runsOn = state.cancelled && ctx.job.signal.reason !== JOB_HANDED_ON && holds();
      } catch {
        runsOn = false;
      }
      if (!runsOn) stop.abort();
    };
    if (cancel.aborted) onCancel();
    else cancel.addEventListener("abort", onCancel, { once: true });
    return {
      signals: [stop.signal, grace.signal],
      dispose: () => {
        cancel.removeEventListener("abort", onCancel);
        grace.dispose();
      },
    };
  }
}

/** A job's steps in run order with their keys (`id`, else the runtime's step key). */
export function keyedSteps(job: JobContext): { step: PlanStep; key: string }[] {
  const steps = orderSteps(job.job.steps);
  const keys = stepKeys(steps);
  return steps.map((step, i) => ({ step, key: step.id || keys[i]! }));
}

/**
 * Job-level steps before `key` that the scheduler never handed over (an earlier failure or the cancel
 * skipped them) are `skipped` in the steps context, as on GitHub: `steps.<id>.outcome == 'skipped'`.
 */
export function markSkippedBefore(job: JobContext, state: JobState, key: string): void {
  for (const { key: k } of keyedSteps(job)) {
    if (k === key) return;
    if (!state.ran.has(k) && state.steps[k] === undefined) state.steps[k] = { outputs: {}, outcome: "skipped", conclusion: "skipped" };
  }
}
