// Jobs a whole-plan (or --env slice) runner defers instead of waiting on them while other jobs are ready here: a job
// another runner holds, or whose dependencies other runners run. Deferred, a job comes back when the scheduler has no
// ready job left — or earlier, woken: when its holder's lease lapses (that runner may have died), when its
// dependencies end elsewhere (one long-poll per runner watches them), or when a look at the run finds a job newly
// claimable. A waiting slot's looks back off while nothing changes (deferrablePollMs).
import type { AdmissionContext, BeforeJobDecision } from "../runtime/hooks.js";
import type { RemoteHooksOptions } from "./hooks.js";

/**
 * How long a deferrable job's wait (admit) long-polls at first before it looks whether the run changed elsewhere (a job
 * deferred here became claimable); each look that finds nothing new doubles it, up to DEFERRABLE_POLL_MAX_MS, with
 * jitter so a run's waiting slots do not ask together. Its own job's change ends the long-poll at once (the backend's),
 * and so does a job becoming ready here where the scheduler says so (AdmissionContext.onOthersReady).
 */
const DEFERRABLE_POLL_MS = 1_000;
const DEFERRABLE_POLL_MAX_MS = 8_000;

/**
 * How long after a held job's lease lapses (as its claim's answer dated it) a runner that moved on from it wakes to
 * claim it: the backend takes over a lease only once it has lapsed, and the answer reached this runner after it dated it.
 */
const LAPSE_MARGIN_MS = 250;

export class Deferrals {
  /** The run's claimable jobs at the last look of a waiting slot (admit): one that appears since wakes the deferred jobs. */
  private lastRunnable = new Set<string>();
  /** Deferred jobs another runner holds: the timer that wakes each when its holder's lease lapses (defer). */
  private readonly leaseWatches = new Map<string, NodeJS.Timeout>();
  /** Deferred jobs whose dependencies other runners hold (a claim answered depsWaiting): watchDeps wakes them. */
  private readonly depsDeferred = new Set<string>();
  /** watchDeps runs (one per runner). */
  private depsWatching = false;
  /** The job watchDeps long-polls on now, and the poll's abort: picked again here, it no longer needs watching. */
  private depsPoll?: { id: string; abort: AbortController };
  /** Aborted by close(): ends watchDeps. */
  private readonly closing = new AbortController();

  /** `runSignal`: the run's stop as the last admission got it, which ends a dependencies watch with the run. */
  constructor(
    private readonly options: Pick<RemoteHooksOptions, "client" | "runId" | "longPollMs">,
    private readonly say: (line: string) => void,
    private readonly runSignal: () => AbortSignal | undefined,
  ) {}

  /** `id` is being admitted again (woken, or by a free slot): what watched it for a wake lets go. */
  picked(id: string): void {
    clearTimeout(this.leaseWatches.get(id));
    this.leaseWatches.delete(id);
    this.depsDeferred.delete(id);
    if (this.depsPoll?.id === id) this.depsPoll.abort.abort();
  }

  /**
   * Defers `id`. When another runner holds it and the backend said when that runner's lease lapses (`lapsesAt`, this
   * machine's clock), the job is woken then, ahead of the ready jobs: if that runner died, the next free slot here
   * takes the job over (the backend lets one claim do so) instead of leaving it until no ready job is left. A holder
   * that is alive has beaten meanwhile: the claim answers with its new lease, and the job is deferred again until then.
   */
  defer(id: string, context: AdmissionContext, lapsesAt: number | undefined, depsWaiting = false): BeforeJobDecision {
    if (depsWaiting && lapsesAt === undefined) {
      this.depsDeferred.add(id);
      if (!this.depsWatching) void this.watchDeps(id, context);
    }
    if (lapsesAt !== undefined) {
      const timer = setTimeout(() => {
        this.leaseWatches.delete(id);
        context.wake();
      }, Math.max(0, lapsesAt - Date.now()) + LAPSE_MARGIN_MS);
      timer.unref();
      this.leaseWatches.set(id, timer);
    }
    return { action: "defer" };
  }

  /**
   * Notes the run's claimable jobs as a look found them; true when one appeared since the last look (`except`: the
   * looking job's own, which is no news to it).
   */
  sawRunnable(jobs: readonly string[], except?: string): boolean {
    const appeared = jobs.some((job) => job !== except && !this.lastRunnable.has(job));
    this.lastRunnable = new Set(jobs);
    return appeared;
  }

  /**
   * While jobs are deferred here for dependencies other runners hold (outside this runner's slice, or run elsewhere),
   * one long-poll per runner waits on the first of them: the backend answers when that job's dependencies end (or
   * another job appears claimable in the run), and every deferred job is woken, ahead of the ready jobs — otherwise
   * only a slot that happens to wait, or one left with no ready job, would look again, and while ready jobs keep
   * coming here the job would starve. Woken jobs deferred again start the next watch. `first` is the job it watches.
   */
  private async watchDeps(first: string, context: AdmissionContext): Promise<void> {
    const { client, runId } = this.options;
    const runSignal = this.runSignal();
    const stop = runSignal ? AbortSignal.any([runSignal, this.closing.signal]) : this.closing.signal;
    this.depsWatching = true;
    try {
      for (let id: string | undefined = first; id !== undefined && !stop.aborted; id = this.depsDeferred.values().next().value) {
        const poll = { id, abort: new AbortController() };
        this.depsPoll = poll;
        const res = await client.runnable(runId, { job: id, waitMs: this.options.longPollMs ?? 25_000, signal: AbortSignal.any([stop, poll.abort.signal]) }).catch(() => undefined);
        // Picked again meanwhile (a free slot, a waiting slot's wake): the next deferred job is watched.
        if (poll.abort.signal.aborted || !this.depsDeferred.has(id)) continue;
        // A v2 backend says nothing of the job (nor holds the request), and an outage ends the watch: the waiting
        // slots' looks are left, and the next deferral watches again.
        if (!res?.job || stop.aborted) return;
        const appeared = this.sawRunnable(res.jobs);
        if (res.job.status === "pending" && !res.jobs.includes(id) && !appeared) continue;
        this.depsDeferred.clear();
        if (context.wakeDeferred() && res.jobs.includes(id)) this.say(`○ dependencies of ${id} ended elsewhere in remote run ${runId}: it runs next here`);
        return;
      }
    } finally {
      this.depsWatching = false;
      this.depsPoll = undefined;
    }
  }

  /** Stops the lease timers and the dependencies watch (the runner is done). */
  close(): void {
    for (const timer of this.leaseWatches.values()) clearTimeout(timer);
    this.leaseWatches.clear();
    this.depsDeferred.clear();
    this.closing.abort();
  }
}

/**
 * How long a deferrable wait's `quiet`-th look in a row that found nothing new long-polls: doubling from
 * DEFERRABLE_POLL_MS to DEFERRABLE_POLL_MAX_MS, ±20% jitter. Without the scheduler's word when a job becomes ready
 * here (`toldWhenReady` false), every look is DEFERRABLE_POLL_MS: the wait itself must notice it.
 */
export function deferrablePollMs(quiet: number, toldWhenReady: boolean): number {
  if (!toldWhenReady) return DEFERRABLE_POLL_MS;
  const ms = Math.min(DEFERRABLE_POLL_MAX_MS, DEFERRABLE_POLL_MS * 2 ** quiet);
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}
