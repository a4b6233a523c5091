// The ready-queue DAG scheduler (product decision 6). A job starts as soon
// as all its dependencies succeeded and a concurrency slot is free — no
// waves. A failed (or blocked) job makes its transitive dependents
// `skipped` with the reason; failFast stops starting new jobs while running
// ones finish — also the jobs released by a completion delivered together
// with the failure: what completions release starts only once every
// completion delivered with them has been applied. A job whose dependency
// is outside this run (a component or environment filter) and not completed
// waits, as do its dependents — unless that dependency failed (then it is
// skipped) or a dependency inside the run fails meanwhile. It owns no I/O:
// callers supply how to run a job and are told about jobs that will not run.
//
// Hand-off: while a job runs, the one job that waits only for it may be
// handed over (request.handOff) to start the moment it succeeds, before the
// scheduler hears of it; the scheduler confirms or withdraws the job when
// its dependency ends. A chain of short jobs then costs no round trip per
// job, as under make.
import { ReadyQueue } from "../model/dag.js";
import type { PlanJob } from "../model/plan.js";

/**
 * `failed-tolerated`: failed only through `onFailure: continue` steps — counted failed, dependents skipped, no failFast.
 * `released`: stopped without a verdict and left to other runners (remote state) — no failure: dependents wait, no failFast.
 * `not-started`: the run's stop (cancel, fail-fast, a job's error) reached the job after it was picked, before its first
 * step (the caller recorded it not run, with the stop's reason): counted not run, and what waits for it is left to the
 * stop's reason, as every job the stop kept from starting.
 * `deferred`: not decided yet, nothing of it done (remote state: another runner holds it) — its slot goes to the next
 * ready job, and the job is picked again once no other ready job waits, or first when its run() wakes it (RunContext.wake).
 */
export type JobOutcome = "completed" | "failed" | "failed-tolerated" | "released" | "blocked" | "skipped" | "not-started" | "deferred";

/** What run() is told of the schedule when it picks a job. */
export interface RunContext {
  /** Whether other ready jobs wait for a slot now (a deferred job's slot would go to one of them). */
  othersReady(): boolean;
  /**
   * Once the job is deferred: it is picked next, ahead of every ready job (remote state: the lease of the runner that
   * held it lapsed, so it is this runner's to take over now). Ignored unless the job waits deferred.
   */
  wake(): void;
  /**
   * Wakes every job deferred now, as wake() does each; whether there was one. Remote state: the run changed elsewhere
   * (a job became claimable), so what they waited on may have ended — a completion there readies their dependents here.
   */
  wakeDeferred(): boolean;
  /**
   * Calls `listener` whenever a job is left ready (or woken) with no free slot for it — othersReady() turned true — until
   * the returned function is called. A job waiting for another runner waits for the backend without looking every
   * second whether it should give way (remote state: the long-poll ends at once instead).
   */
  onOthersReady(listener: () => void): () => void;
  /** Whether jobs wait deferred now (one may end on the runner holding it, readying dependents here). */
  hasDeferred(): boolean;
}

/** Why a job the run's cancel kept from starting did not run. */
export const RUN_CANCELED = "run canceled";

/** Why a job did not start once another job's `run` threw (the schedule then rejects with that error). */
export const RUN_ABORTED = "run aborted";

export interface ScheduleRequest {
  /** Jobs to consider, in topological order. */
  jobs: readonly PlanJob[];
  concurrency: number;
  failFast: boolean;
  /** Dependencies already satisfied (completed earlier in this execution, or outside the selection but completed). */
  satisfied: ReadonlySet<string>;
  /** Dependencies outside the selection that have not completed (nor failed): their dependents wait, with this reason. */
  unsatisfiable?: ReadonlyMap<string, string>;
  /** Dependencies outside the selection that failed, were skipped or blocked: their dependents are skipped, with this reason. */
  failedOutside?: ReadonlyMap<string, string>;
  /** When true, dependency order is enforced elsewhere (remote hooks): every job is ready at once. */
  ignoreDependencies?: boolean;
  run(job: PlanJob, context: RunContext): Promise<JobOutcome>;
  /**
   * A job that will not run in this execution: `skipped` (a dependency failed, was blocked or skipped; fail-fast;
   * cancel) or `waiting` (a dependency is outside this run and has not completed; nothing failed).
   */
  notRun(job: PlanJob, reason: string, kind: NotRunKind): void;
  /** Set when the run is being cancelled: nothing new starts. */
  signal?: AbortSignal;
  /** failFast tripped by job `failed`: nothing new starts (a job still being admitted may want to stop waiting). */
  onFailFast?(reason: string, failed: string): void;
  /**
   * A job's `run` threw: nothing new starts and the schedule rejects with that error once the jobs still
   * running have settled (the caller may cancel them here), so no job outlives the schedule.
   */
  onError?(err: unknown): void;
  /**
   * Optional: hand `job` over to start the moment `after` succeeds (`after` is running and is the one
   * dependency `job` still waits for). Undefined when `job` cannot be handed over; it then starts as usual.
   */
  handOff?(job: PlanJob, after: PlanJob): HandOffTicket | undefined;
}

export interface HandOffTicket {
  /**
   * The verdict once `after` has ended or the run stops. `go` (`after` completed; the job takes its slot):
   * resolves with the job's outcome, as run() does. Not `go`: resolves with undefined once the job is known
   * not to have started (it is then treated as any job that does not run) — or, when it had started before
   * the withdrawal reached the runner, with its outcome once it has ended (it ran: it counts as what it did).
   */
  settle(go: boolean): Promise<JobOutcome | undefined>;
}

export type NotRunKind = "skipped" | "waiting";

export interface ScheduleResult {
  completed: number;
  failed: number;
  blocked: number;
  notRun: number;
}

export function schedule(request: ScheduleRequest): Promise<ScheduleResult> {
  const concurrency = Math.max(1, Math.floor(request.concurrency) || 1);
  const byId = new Map(request.jobs.map((job) => [job.id, job]));
  const unmet = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  // Unmet counts are live run state (only a completed job releases its dependents), not a
  // static ordering, so they live here; ready jobs start smallest ID first, as the plan orders them.
  const ready = new ReadyQueue();
  /** Jobs whose run() deferred them (JobOutcome `deferred`), in the order they were: picked when no ready job waits. */
  const deferred: string[] = [];
  /** Deferred jobs woken (RunContext.wake): picked before any ready job. */
  const woken: string[] = [];
  /** Waiting admissions to tell when a job is left ready with no free slot (RunContext.onOthersReady). */
  const readyListeners = new Set<() => void>();
  const result: ScheduleResult = { completed: 0, failed: 0, blocked: 0, notRun: 0 };
  const finished = new Set<string>();
  const notRunReasons = new Map<string, string>();
  let running = 0;
  /** Started and not finished (a dependency of a job that may be handed over). */
  const active = new Set<string>();
  /** Handed-over jobs awaiting the verdict, and how many verdicts are still being carried out. */
  const tickets = new Map<string, HandOffTicket>();
  const handedOverAfter = new Set<string>();
  const notHandedOver = new Set<string>();
  let settling = 0;
  /** Completions applied whose released jobs have not been started yet (see startReleased), and what they released. */
  let startsDue = false;
  const confirmedDue: string[] = [];
  const completedDue: string[] = [];
  let stopReason: string | undefined;
  let failure: { err: unknown } | undefined;

  // Set inside the promise below (it needs the schedule's callbacks); markNotRun calls it for handed-over jobs.
  let release: (id: string, go: boolean, reason?: string) => void = () => undefined;
  const markNotRun = (id: string, reason: string, kind: NotRunKind = "skipped"): void => {
    if (finished.has(id)) return;
    // Handed over: withdrawn now, marked once it is known not to have started.
    if (tickets.has(id)) return release(id, false, reason);
    finished.add(id);
    notRunReasons.set(id, reason);
    result.notRun++;
    request.notRun(byId.get(id)!, reason, kind);
  };
  // Transitive dependents of `id` will never run.
  const skipDependents = (id: string, reason: string, kind: NotRunKind = "skipped"): void => {
    const stack = [...(dependents.get(id) ?? [])];
    while (stack.length) {
      const next = stack.pop()!;
      if (finished.has(next)) continue;
      markNotRun(next, reason, kind);
      stack.push(...(dependents.get(next) ?? []));
    }
  };

  // Jobs waiting on a dependency outside the run: never ready, told apart from skipped ones once the run ends.
  const waitingOn = new Map<string, string>();
  const deferredSkips: [string, string][] = [];
  for (const job of request.jobs) {
    let count = 0;
    if (!request.ignoreDependencies) {
      for (const dep of new Set(job.dependsOn ?? [])) {
        if (byId.has(dep)) {
          let list = dependents.get(dep);
          if (!list) dependents.set(dep, (list = []));
          list.push(job.id);
          count++;
        } else if (request.failedOutside?.has(dep)) {
          deferredSkips.push([job.id, request.failedOutside.get(dep)!]);
        } else if (!request.satisfied.has(dep)) {
          count++;
          if (!waitingOn.has(job.id)) waitingOn.set(job.id, request.unsatisfiable?.get(dep) ?? `dependency ${dep} has not completed in this execution`);
        }
      }
    }
    unmet.set(job.id, count);
  }
  for (const [id, reason] of deferredSkips) {
    markNotRun(id, reason);
    skipDependents(id, `dependency ${id} was skipped`);
  }
  for (const job of request.jobs) if (unmet.get(job.id) === 0 && !finished.has(job.id)) ready.push(job.id);

  /** At the end: a job still waiting on an outside dependency (itself or through one of its own) waits; anything else left was skipped. */
  const markLeftovers = (): void => {
    const waiting = new Set<string>();
    for (const job of request.jobs) {
      if (finished.has(job.id)) continue;
      const through = (job.dependsOn ?? []).find((dep) => waiting.has(dep));
      const reason = waitingOn.get(job.id) ?? (through !== undefined ? `dependency ${through} is waiting` : undefined);
      if (reason !== undefined) {
        waiting.add(job.id);
        markNotRun(job.id, reason, "waiting");
      } else markNotRun(job.id, stopReason ?? "dependencies did not complete");
    }
  };

  return new Promise((resolve, reject) => {
    // Nothing new starts; jobs handed over are withdrawn (startReleased, with the completions delivered alongside).
    const stop = (reason: string): void => {
      stopReason ??= reason;
      startSoon();
    };
    const onAbort = (): void => stop(RUN_CANCELED);
    request.signal?.addEventListener("abort", onAbort, { once: true });

    const settleIfDone = (): void => {
      if (running > 0 || tickets.size > 0 || settling > 0 || startsDue) return;
      if ((ready.size > 0 || deferred.length > 0 || woken.length > 0) && stopReason === undefined) return;
      // Whatever never became ready or was never started is recorded with a reason.
      markLeftovers();
      request.signal?.removeEventListener("abort", onAbort);
      if (failure) reject(failure.err);
      else resolve(result);
    };

    const started = (id: string, promise: Promise<JobOutcome>): void => {
      active.add(id);
      promise.then(
        (outcome) => complete(id, outcome),
        (err: unknown) => {
          stop(RUN_ABORTED);
          running--;
          active.delete(id);
          finished.add(id);
          if (!failure) {
            failure = { err };
            request.onError?.(err);
          }
          settleIfDone();
        },
      );
    };

    // Of the jobs waiting only for running job `after`, the one the ready queue would start first once it
    // completes (the smallest ID) is handed over to start then — unless ready jobs are queued (they would lose
    // their turn) or `after` already has one. So a run starts jobs in the order it would without hand-offs.
    const considerDependents = (after: string): void => {
      if (!request.handOff || stopReason !== undefined || ready.size > 0 || !active.has(after) || handedOverAfter.has(after)) return;
      let first: string | undefined;
      for (const next of dependents.get(after) ?? []) {
        if (unmet.get(next) === 1 && !finished.has(next) && !tickets.has(next) && (first === undefined || next < first)) first = next;
      }
      if (first === undefined || notHandedOver.has(first)) return;
      const ticket = request.handOff(byId.get(first)!, byId.get(after)!);
      if (!ticket) notHandedOver.add(first);
      else {
        tickets.set(first, ticket);
        handedOverAfter.add(after);
      }
    };

    release = (id, go, reason) => {
      const ticket = tickets.get(id)!;
      tickets.delete(id);
      settling++;
      if (go) running++;
      const verdict = ticket.settle(go);
      if (go) started(id, verdict.then((outcome) => outcome ?? "skipped"));
      verdict.then(
        (outcome) => {
          settling--;
          if (go) return; // `started` carries it on
          if (outcome !== undefined) {
            // It ran after all: it ends as a running job does (nothing starts after a stop).
            running++;
            active.add(id);
            complete(id, outcome);
            return;
          }
          markNotRun(id, reason ?? stopReason ?? "dependencies did not complete");
          skipDependents(id, `dependency ${id} was skipped`);
          settleIfDone();
        },
        (err: unknown) => {
          settling--;
          // `started` reports the error when `go`; otherwise a job that ran on could not be recorded.
          if (!go) {
            finished.add(id);
            stop(RUN_ABORTED);
            if (!failure) {
              failure = { err };
              request.onError?.(err);
            }
          }
          settleIfDone();
        },
      );
      if (go) considerDependents(id);
    };

    const complete = (id: string, outcome: JobOutcome): void => {
      running--;
      active.delete(id);
      if (outcome === "deferred") {
        // Not finished: back in line behind every ready job.
        handedOverAfter.delete(id);
        deferred.push(id);
        return startSoon();
      }
      handedOverAfter.delete(id);
      finished.add(id);
      if (outcome === "completed") {
        result.completed++;
        const confirmed: string[] = [];
        for (const next of dependents.get(id) ?? []) {
          const left = unmet.get(next)! - 1;
          unmet.set(next, left);
          if (left !== 0 || finished.has(next)) continue;
          if (tickets.has(next)) confirmed.push(next);
          else ready.push(next);
        }
        confirmedDue.push(...confirmed);
        completedDue.push(id);
      } else if (outcome === "not-started" && stopReason !== undefined) {
        result.notRun++;
      } else if (outcome === "released") {
        // Not done, not failed: whoever takes it over may run it, and then its dependents.
        result.notRun++;
        skipDependents(id, `dependency ${id} was released unfinished`, "waiting");
      } else {
        const failed = outcome === "failed" || outcome === "failed-tolerated";
        if (failed) result.failed++;
        else if (outcome === "blocked") result.blocked++;
        else result.notRun++;
        // A job that failed once the run was canceled failed of the cancel (its step was stopped): its dependents
        // are not run for the cancel, as those a handed-over start withdrew say (the docker runner, which hands
        // nothing over, said `dependency … failed`).
        const canceled = failed && request.signal?.aborted === true;
        skipDependents(id, canceled ? RUN_CANCELED : `dependency ${id} ${failed ? "failed" : outcome === "blocked" ? "was blocked" : "was skipped"}`);
        if (outcome === "failed" && request.failFast && stopReason === undefined) {
          stop(`not started: fail-fast after ${id} failed`);
          request.onFailFast?.(stopReason!, id);
        }
      }
      startSoon();
    };

    const startSoon = (): void => {
      if (startsDue) return;
      startsDue = true;
      setImmediate(startReleased);
    };

    // What completions released starts once every completion delivered with them has been applied: jobs that
    // end together (one batch of end replies from the spawn helper) resolve in the same turn, and a failure among
    // them must stop fail-fast runs before a job another one released starts, whichever is applied first. So must
    // a cancel read in that turn: a Ctrl-C (or a step's end read with it) is a callback of the same poll phase as
    // the end reply, run after the ticks and promise jobs the reply queued, so the start waits for the check
    // phase that follows every callback of the phase (a tick started a dependent that the cancel then stopped).
    const startReleased = (): void => {
      startsDue = false;
      const confirmed = confirmedDue.splice(0);
      const completed = completedDue.splice(0);
      // Once every job these completions made ready is queued: a confirmed job may hand over its own successor
      // only if none of them waits. After a stop every ticket is withdrawn, confirmed or not: one whose step the
      // helper had already started answers with what it did (see HandOffTicket.settle).
      for (const next of confirmed) if (tickets.has(next)) release(next, stopReason === undefined);
      if (stopReason !== undefined) for (const id of [...tickets.keys()]) release(id, false);
      pump();
      // Left waiting for a slot: a slot held by a job waiting on another runner gives way to it.
      if (ready.size > 0 || woken.length > 0) for (const listener of [...readyListeners]) listener();
      // Jobs one step from ready may now be handed over to the running job they wait for.
      for (const id of completed) {
        for (const next of dependents.get(id) ?? []) {
          if (unmet.get(next) !== 1 || finished.has(next)) continue;
          const after = byId.get(next)!.dependsOn?.find((dep) => active.has(dep));
          if (after !== undefined) considerDependents(after);
        }
      }
    };

    const contextOf = (id: string): RunContext => ({
      // Woken jobs count: a slot waiting on a held job gives way to them.
      othersReady: () => ready.size > 0 || woken.length > 0,
      wake: () => {
        const at = deferred.indexOf(id);
        if (at < 0 || stopReason !== undefined) return;
        deferred.splice(at, 1);
        woken.push(id);
        startSoon();
      },
      wakeDeferred: () => {
        if (deferred.length === 0 || stopReason !== undefined) return false;
        woken.push(...deferred.splice(0));
        startSoon();
        return true;
      },
      hasDeferred: () => deferred.length > 0,
      onOthersReady: (listener) => {
        readyListeners.add(listener);
        return () => readyListeners.delete(listener);
      },
    });

    const pump = (): void => {
      const startedNow: string[] = [];
      while (running < concurrency && (woken.length > 0 || ready.size > 0 || deferred.length > 0) && stopReason === undefined) {
        const id = woken.length > 0 ? woken.shift()! : ready.size > 0 ? ready.pop()! : deferred.shift()!;
        if (finished.has(id)) continue;
        running++;
        let promise: Promise<JobOutcome>;
        try {
          promise = request.run(byId.get(id)!, contextOf(id));
        } catch (err) {
          promise = Promise.reject(err);
        }
        started(id, promise);
        startedNow.push(id);
      }
      for (const id of startedNow) considerDependents(id);
      settleIfDone();
    };
    if (request.signal?.aborted) onAbort();
    pump();
  });
}
