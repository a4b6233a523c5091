// The jobs a runner holds in a remote run, each under the lease its claim took: a heartbeat every quarter lease keeps
// it, and a job whose heartbeats stop getting through (or that the backend handed to another runner) is stopped here
// rather than run twice. Each held job's log (job-log.ts) uploads its output; its last upload and result report go
// on with the heartbeat still beating (whileBeating), so an outage they outlast does not let the lease lapse.
import { errorMessage } from "../util/errors.js";
import { JOB_HANDED_ON, JOB_RUN_GONE } from "../runners/runner.js";
import type { Masker } from "../runners/github-actions/masker.js";
import { BackendError, RequestCancelled, isRunNotFound as isRunGone, type RetryNoticeKind } from "./client.js";
import { JobLog } from "./job-log.js";
import type { RemoteHooksOptions } from "./hooks.js";

export interface ActiveJob {
  timer: NodeJS.Timeout;
  /** The job's remote log: its steps' output, uploaded as it streams. */
  log: JobLog;
  /** The backend handed the job to another runner (our lease expired). */
  superseded: boolean;
  /** The backend no longer has the run (retention deleted it, or its database was reset): nothing can be recorded. */
  runGone?: boolean;
  /** Stops the job here, saying why (once). */
  supersede(why: string): void;
  /** Aborted when superseded: the executor stops the job's steps. */
  stop: AbortController;
  /** Keys of the steps that failed (whether the job's failure is only `onFailure: continue` ones). */
  failedSteps: Set<string>;
  /** The run's stop signal as beforeJob got it: aborted without a reason of its own by Ctrl-C or SIGTERM. */
  runSignal?: AbortSignal;
  /** Aborts CANCEL_GRACE_MS after the run's cancel: log uploads and the result report give up then. */
  uploads?: AbortSignal;
  /** Aborted once the job's last log upload and result report are done (or given up): a heartbeat still retrying stops. */
  ended: AbortController;
  /**
   * The job's work is over and its last log upload and result report are under way: heartbeats go on (an outage
   * the report outlasts must not let the lease lapse, or another runner would claim a job that finished), but
   * nothing is stopped any more.
   */
  ending?: boolean;
  /** When this runner stops the job for want of a heartbeat the backend answered (epoch ms). */
  leaseEnds(): number;
  /** A heartbeat failed since the last one that got through: its failure was said once. */
  beatFailing?: boolean;
  /**
   * The job's lease secret from its claim (a backend that gives none: undefined), sent with the holder's heartbeats,
   * result, release and log appends. Kept here only: never printed, nor written to the execution record or a log.
   */
  lease?: string;
}

export class HeldJobs {
  private readonly active = new Map<string, ActiveJob>();
  /** Someone follows the run's logs, as the backend's last append answer said: running steps' lines go up every 2 s. */
  private readonly pace = { followed: false };

  /** `masker`: hides the runner's secrets and what its jobs' steps masked in every held job's log. */
  constructor(
    private readonly options: Pick<RemoteHooksOptions, "client" | "runId" | "runnerId" | "liveFlushMs">,
    private readonly say: (line: string) => void,
    private readonly logMasker: Masker,
  ) {}

  get(jobId: string): ActiveJob | undefined {
    return this.active.get(jobId);
  }

  /** Holds `jobId` as its claim answered (its lease's length and secret): heartbeats every quarter lease, and its log. */
  hold(jobId: string, leaseMs: number, lease: string | undefined): ActiveJob {
    const { client, runId, runnerId } = this.options;
    const interval = Math.max(50, Math.floor(leaseMs / 4));
    const entry: ActiveJob = {
      lease,
      log: new JobLog({ client, runId, runnerId, jobId, lease, say: this.say, pace: this.pace, liveFlushMs: this.options.liveFlushMs, masker: this.logMasker, onRunGone: () => goneWhileRunning() }),
      superseded: false,
      supersede: (why) => supersede(why),
      stop: new AbortController(),
      ended: new AbortController(),
      failedSteps: new Set(),
      leaseEnds: () => Date.now() + leaseMs,
      // A quarter of the lease leaves room for a couple of lost beats.
      timer: setInterval(() => {
        const sent = Date.now();
        // A late tick means this process itself was stalled (suspended, overloaded): ask the backend first — it
        // may give the job back. Ticks on time without answers for most of the lease mean the backend is out of
        // reach and may hand the job on within one more beat: stop it here rather than risk running it twice.
        const late = sent - lastTick > interval * 1.5;
        lastTick = sent;
        // After a stall the lease is judged from this tick's question: its answer may take a beat or two.
        if (late) since = Math.max(since, sent);
        if (!late && !entry.ending && sent - Math.max(lastBeat, since) > leaseMs - interval) return supersede(`no heartbeat reached the backend within its lease (${Math.round(leaseMs / 1000)}s)`);
        client.heartbeat(runId, jobId, runnerId, { budgetMs: interval, signal: entry.ended.signal, lease }).then(
          (res) => {
            // Handed on while its result was being reported: the report is refused and says so; no more beats.
            if (res.abort && entry.ending) return clearInterval(entry.timer);
            if (res.abort) return supersede("the backend handed this job to another runner (lease expired)");
            lastBeat = Math.max(lastBeat, sent);
            if (entry.beatFailing) this.say(`heartbeat for ${jobId} reached the backend again; the job keeps its lease`);
            entry.beatFailing = false;
          },
          (err) => {
            if (err instanceof RequestCancelled || entry.ended.signal.aborted) return;
            // Nowhere to report to: stop the job now rather than run it to a result nobody can record.
            if (isRunGone(err)) return goneWhileRunning();
            // Its lease is another claim's now (a takeover under this runner's ID): as a beat answered `abort`.
            if (isLeaseRefusal(err)) return entry.ending ? clearInterval(entry.timer) : supersede("the backend handed this job to another runner (its lease was taken over)");
            // Once per outage, with the deadline that matters: each beat gives up within a quarter lease, by design.
            if (entry.beatFailing) return;
            entry.beatFailing = true;
            this.say(`! heartbeat for ${jobId} failed: ${errorMessage(err)}; the job goes on, and stops here at ${clock(entry.leaseEnds())} if none reaches the backend by then (its lease)`);
          },
        );
      }, interval),
    };
    let lastBeat = Date.now();
    let lastTick = lastBeat;
    let since = lastBeat;
    entry.leaseEnds = () => Math.max(lastBeat, since) + leaseMs - interval;
    // Nowhere to report to and no run to hand the job on in: stopped as failed, not released (JOB_RUN_GONE).
    const goneWhileRunning = (): void => {
      entry.runGone = true;
      stopHere(`remote run ${runId} is gone from the backend (deleted by its retention, or its database was reset)`, JOB_RUN_GONE);
    };
    // Another runner may run it now: this one stops the job instead of running it a second time.
    const supersede = (why: string): void => stopHere(why, JOB_HANDED_ON);
    const stopHere = (why: string, reason: typeof JOB_HANDED_ON | typeof JOB_RUN_GONE): void => {
      if (entry.superseded) return;
      entry.superseded = true;
      this.say(`! job ${jobId}: ${why}; stopping it here`);
      entry.stop.abort(reason);
    };
    entry.timer.unref();
    this.active.set(jobId, entry);
    return entry;
  }

  /**
   * Runs the job's last steps here — its log's last upload and its result report — with its heartbeat still
   * going, then stops the heartbeat (its timer and any beat still retrying), whatever the outcome.
   */
  async whileBeating(id: string, entry: ActiveJob, last: () => Promise<void>): Promise<void> {
    entry.ending = true;
    try {
      await last();
    } finally {
      clearInterval(entry.timer);
      entry.ended.abort();
      this.active.delete(id);
    }
  }

  /**
   * For the client's outage notice: when the jobs running here stop unless a heartbeat gets through (a running job
   * cannot outwait its lease, whatever the retry budget says); "" when none runs or the notice is not of an outage.
   */
  leaseNote(kind: RetryNoticeKind): string {
    const running = [...this.active].filter(([, entry]) => !entry.ending && !entry.superseded);
    if (running.length === 0 || kind !== "outage") return "";
    const [first] = running.sort(([, a], [, b]) => a.leaseEnds() - b.leaseEnds());
    const more = running.length > 1 ? ` (and ${running.length - 1} more)` : "";
    return `; running job ${first![0]}${more} stops here at ${clock(first![1].leaseEnds())} unless a heartbeat reaches the backend by then (its lease)`;
  }

  /** Stops every heartbeat and log upload still going (the runner is done). */
  close(): void {
    for (const entry of this.active.values()) {
      clearInterval(entry.timer);
      entry.ended.abort();
      entry.log.close();
    }
    this.active.clear();
  }
}

/** A request for a job refused for want of its current lease secret (403): another claim holds the job now. */
export function isLeaseRefusal(err: unknown): boolean {
  return err instanceof BackendError && err.status === 403 && err.code === "LEASE_REFUSED";
}

/** HH:MM:SS UTC, as the notices name a deadline. */
export function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}
