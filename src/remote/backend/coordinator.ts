// The coordination rules of one run, as pure functions over its state
// (40-remote-state.md §2 with decision 9's fixes). Stores load a run's state
// inside a locked transaction, call one of these, and persist what changed,
// so the rules live here once for SQLite and PostgreSQL alike.
import { findCycle, findUnknownDependency, indexNodes } from "../../model/dag.js";
import { MAX_NO_EVIDENCE_REASON_CHARS, type BackendPlan, type ClaimResponse, type HeartbeatResponse, type JobStatus, type NoEvidence, type ReleaseResponse, type RunStatus, type UpdateResponse, type UpdateStatus } from "../protocol.js";
import type { WorkflowRun } from "./auth/oidc.js";
import { formatTimeout } from "../../runtime/duration.js";
import { leaseHash, leaseMatches } from "./lease.js";

export interface JobRecord {
  jobId: string;
  /** Plan order, so listings follow the plan (not object-key order). */
  position: number;
  component: string;
  deps: string[];
  status: JobStatus;
  runnerId: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  heartbeatAt: string | null;
  lastError: string | null;
  /** How many times the job was claimed (takeovers included). */
  attempts: number;
  /** Size of the uploaded log, 0 when none (read-only; stores fill it in). */
  logBytes: number;
  /** Keys of the job's log sections in run order, as its plan gave them (null: a v2 runner's plan, or a run from before migration 14). */
  steps?: string[] | null;
  /**
   * The CI workflow run (GitHub's run ID) and attempt the job's state belongs to: the attempt of the runner that
   * last claimed it, or for a job skipped because an upstream job failed, that failure's. A later attempt of the
   * same workflow run may retry it (GitHub's "Re-run failed jobs"). Only GitHub's numbers: a `--retry` without OIDC
   * leaves them (it counts in `retries`), and one with an earlier attempt's token never lowers them. Null when
   * unknown: claimed with ORUN_TOKEN, never claimed, or recorded before migration 16.
   */
  ciRunId?: string | null;
  runAttempt?: number | null;
  /** How many times the failed job was reopened in its run (`--retry`, or a later workflow attempt); 0 before migration 17. */
  retries?: number;
  /**
   * The job's last result came from a runner that ran other code than the run's revision (UpdateRequest.revision,
   * or its OIDC token's commit): its success is no promotion evidence for the run. False for older runners' results
   * under a token naming no commit, and before migration 19.
   */
  noEvidence?: boolean;
  /**
   * With noEvidence, its cause (migration 20; protocol NO_EVIDENCE_CAUSES): the runner reported running another
   * revision than the run's (a retry after a fix), or none (an unclean checkout); or its GitHub Actions OIDC token's
   * commit is not the one vouched for, or its sha claim is unusable. Null when not recorded (results from before
   * migration 20).
   */
  noEvidenceCause?: NoEvidenceCause | null;
  /** With noEvidenceCause, the reason in words: printable ASCII (the runner's text escaped), at most MAX_NO_EVIDENCE_REASON_CHARS. */
  noEvidenceReason?: string | null;
  /**
   * SHA-256 of the lease secret its holder got with its claim (lease.ts; migration 21): heartbeats, results, releases
   * and log writes for the job must present the secret. Null when claimed without one (v2 and older orun runners).
   */
  leaseHash?: string | null;
  /** SHA-256 of the claim key that claim came with: a retry of that claim whose answer was lost proves it is the holder. */
  claimKeyHash?: string | null;
}

export type NoEvidenceCause = NonNullable<NoEvidence["cause"]>;

/**
 * A later workflow attempt's wait for its runner of a failed job to retry it (awaitsRetry): the attempt, and the
 * time its first claim of a job skipped for that failure was answered. Every claim of that attempt for a job skipped
 * for it, on any leg and replica, waits only for the retry grace after `since` (retryVerdict).
 */
export interface RetryWait {
  attempt: number;
  since: string;
}

export interface RunRecord {
  namespace: string;
  runId: string;
  status: RunStatus;
  planChecksum: string;
  triggerType: string;
  actor: string | null;
  dryRun: boolean;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** Source revision the plan was compiled from: promotion-gate evidence. */
  revision: string | null;
  /** The plan's failFast: a job failing stops the run (every job not started yet is skipped). */
  failFast?: boolean;
  /** Why the run stopped (`fail-fast after <job> failed`): no job starts in it any more. */
  stoppedReason?: string | null;
  /** The latest attempt's wait for the retry of each failed job that skipped others, by that job (migration 18). */
  retryWaits?: Record<string, RetryWait>;
}

export interface RunState {
  run: RunRecord;
  /**
   * The run's jobs in plan order. Mutations get only the jobs their scope
   * names (see MutationScope), so a claim on a 10,000-job run reads a handful
   * of rows.
   */
  jobs: JobRecord[];
}

/** Which jobs a mutation needs loaded. */
export type MutationScope =
  /**
   * These jobs, and with `deps` also their direct dependencies; with `upstream` too, transitively, the
   * dependencies of every pending dependency loaded (what a waiting job still waits on, through them).
   */
  | { jobIds: string[]; deps?: boolean; upstream?: boolean }
  /** Jobs in this status. */
  | { status: JobStatus }
  | "all";

/** What a mutation changed: the stores write exactly these rows, then re-derive the run's status. */
export interface Mutation<T> {
  result: T;
  changedJobs: JobRecord[];
  /**
   * Jobs whose stored logs the store deletes in the same transaction: a takeover's
   * new attempt starts with no log, and no write of the previous runner can land in between.
   */
  clearLogs?: string[];
  /** The run stops for this reason (stores record it once: the first reason stays). */
  stopRun?: string;
  /** The run's stop is cleared: a retry reopened it (claimJob), and the jobs the stop skipped are in changedJobs. */
  reopenRun?: boolean;
  /** The run's retry waits, written whole: an attempt's first claim behind a failure started its wait (claimJob). */
  retryWaits?: Record<string, RetryWait>;
}

/** What the run's status depends on, answered by the store with two index lookups. */
export interface JobTally {
  /** Some job is pending or running. */
  unfinished: boolean;
  /** Some job failed or was skipped. */
  failed: boolean;
}

export class CoordinatorError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export interface Clock {
  now: Date;
  /** A running job whose heartbeat is older than this is abandoned. */
  leaseMs: number;
  /**
   * How long a later workflow attempt's claim of a job skipped for an earlier attempt's failure waits for that
   * attempt's runner of the failed job to reopen it (default DEFAULT_RETRY_GRACE_MS; see retryVerdict).
   */
  retryGraceMs?: number;
  /**
   * The backend requires lease secrets (`serve --require-lease-secrets`): a job held without one (claimed by a v2 runner or an
   * orun runner from before lease secrets, before the backend was restarted with the flag) takes no heartbeat, result or release from its
   * runner ID alone either — it runs on until its lease lapses, then a current runner takes it over with a lease.
   */
  requireLease?: boolean;
}

/**
 * GitHub queues the legs of one attempt together, but runners start them in any order, minutes apart when queued:
 * the failed job's leg of "Re-run failed jobs" comes within this; a leg re-run alone ("Re-run this job") waits no
 * longer for a retry nobody will make.
 */
export const DEFAULT_RETRY_GRACE_MS = 5 * 60_000;

/** Validates a plan for registration; returns the job records of a new run. */
export function initialJobs(plan: BackendPlan): JobRecord[] {
  if (!plan || typeof plan !== "object" || typeof plan.checksum !== "string" || !plan.checksum || !Array.isArray(plan.jobs)) {
    throw new CoordinatorError(400, "Missing or invalid plan");
  }
  // Each job's shape is checked as the DAG module reaches it, so the first problem in plan order is the one reported.
  const index = indexNodes(plan.jobs, (job, i) => {
    if (!job || typeof job.jobId !== "string" || job.jobId.trim() === "") throw new CoordinatorError(400, `plan.jobs[${i}].jobId must be a non-empty string`);
    // PlanJob.component is text (the CLI's plan schema too); v2 plans may leave it out, stored as "".
    if (job.component !== undefined && typeof job.component !== "string") throw new CoordinatorError(400, `plan.jobs[${i}].component must be a string`);
    return job.jobId;
  });
  if ("duplicate" in index) throw new CoordinatorError(400, `Duplicate jobId: ${index.duplicate.id}`);
  const unknown = findUnknownDependency(
    plan.jobs,
    (job, i) => {
      if (job.deps !== undefined && (!Array.isArray(job.deps) || job.deps.some((d) => typeof d !== "string"))) {
        throw new CoordinatorError(400, `plan.jobs[${i}].deps must be an array of job IDs`);
      }
      return job.deps ?? [];
    },
    index.byId,
  );
  if (unknown) throw new CoordinatorError(400, `Job ${unknown.node.jobId} depends on unknown job ${unknown.dependency}`);
  const cycle = findCycle(index.byId.keys(), (id) => index.byId.get(id)?.deps ?? []);
  if (cycle) throw new CoordinatorError(400, `Dependency cycle: ${cycle.join(" -> ")}`);
  return plan.jobs.map((job, position) => ({
    jobId: job.jobId,
    position,
    component: typeof job.component === "string" ? job.component : "",
    deps: [...new Set(job.deps ?? [])],
    status: "pending",
    runnerId: null,
    startedAt: null,
    finishedAt: null,
    heartbeatAt: null,
    lastError: null,
    attempts: 0,
    logBytes: 0,
    steps: stepKeysOf(job.stepKeys, position),
    ciRunId: null,
    runAttempt: null,
    retries: 0,
  }));
}

/** A job's `stepKeys` as sent: absent (v2 runners) or a list of strings. */
function stepKeysOf(keys: unknown, position: number): string[] | null {
  if (keys === undefined || keys === null) return null;
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== "string")) throw new CoordinatorError(400, `plan.jobs[${position}].stepKeys must be an array of strings`);
  return keys as string[];
}

/**
 * For a store loading an `upstream` scope level by level: the dependencies of the pending jobs just loaded
 * that are not loaded yet. A job that is not pending waits on nothing: its own dependencies had succeeded.
 */
export function pendingUpstream(loaded: readonly JobRecord[], have: Set<string>): string[] {
  const next = new Set<string>();
  for (const job of loaded) if (job.status === "pending") for (const dep of job.deps) if (!have.has(dep)) next.add(dep);
  return [...next];
}

/**
 * The jobs upstream of `job` whose runner stopped (lease expired, released by the sweeper) or gave them back, and that nobody
 * has claimed since: pending again after an attempt. Walked through pending never-claimed dependencies, so
 * a runner waiting behind a chain (A abandoned → B waits → C waits on B) is told about A too.
 */
function abandonedUpstream(job: JobRecord, byId: Map<string, JobRecord>): string[] {
  const abandoned: string[] = [];
  const seen = new Set<string>();
  const queue = [...job.deps];
  while (queue.length > 0) {
    const dep = byId.get(queue.shift() as string);
    if (!dep || seen.has(dep.jobId) || dep.status !== "pending") continue;
    seen.add(dep.jobId);
    if (dep.attempts > 0) abandoned.push(dep.jobId);
    else queue.push(...dep.deps);
  }
  return abandoned;
}

export function isLeaseExpired(job: JobRecord, clock: Clock): boolean {
  if (job.status !== "running") return false;
  const beat = job.heartbeatAt ? Date.parse(job.heartbeatAt) : Number.NEGATIVE_INFINITY;
  return clock.now.getTime() - beat > clock.leaseMs;
}

/** How long until a running job's lease lapses (isLeaseExpired), 0 when it has; whole ms. */
function leaseLeftMs(job: JobRecord, clock: Clock): number {
  const beat = job.heartbeatAt ? Date.parse(job.heartbeatAt) : Number.NEGATIVE_INFINITY;
  return Math.max(0, Math.ceil(beat + clock.leaseMs - clock.now.getTime()));
}

function findJob(state: RunState, jobId: string): JobRecord {
  const job = state.jobs.find((j) => j.jobId === jobId);
  if (!job) throw new CoordinatorError(404, "Job not found");
  return job;
}

/** Pending jobs whose direct dependencies all succeeded, in plan order. */
export function runnableJobs(state: RunState): string[] {
  const status = new Map(state.jobs.map((j) => [j.jobId, j.status]));
  return state.jobs.filter((j) => j.status === "pending" && j.deps.every((d) => status.get(d) === "success")).map((j) => j.jobId);
}

/**
 * Run status derived from its jobs (the stores tally them after writing a
 * mutation): finished once every job is terminal, `failed` if any failed or
 * was skipped; `cancelled` is sticky.
 */
export function deriveRunStatus(current: RunStatus, tally: JobTally): RunStatus {
  if (current === "cancelled") return current;
  if (tally.unfinished) return "running";
  return tally.failed ? "failed" : "completed";
}

/** The run row after a mutation, given the new tally of its jobs. */
export function nextRunRecord(run: RunRecord, tally: JobTally, now: Date): RunRecord {
  const iso = now.toISOString();
  const status = deriveRunStatus(run.status, tally);
  const finished = status === "completed" || status === "failed";
  return { ...run, status, updatedAt: iso, finishedAt: finished ? (run.finishedAt ?? iso) : null };
}

function finishMutation<T>(result: T, changed: JobRecord[]): Mutation<T> {
  return { result, changedJobs: changed };
}

/** Who claims, beyond its runner ID: what may reopen a failed job (see claimJob). */
export interface ClaimOptions {
  /** `orun run --job X --retry`: X, if it failed, and the jobs skipped because of it run again. */
  retry?: boolean;
  /** The claimer's CI workflow run and attempt (from its OIDC token). */
  workflowRun?: WorkflowRun;
  /** `state` holds every job of the run. A retry needs them (it reopens dependents): without, it throws WholeRunNeeded. */
  wholeRun?: boolean;
  /**
   * The claimer asks for a lease secret (ClaimRequest.claimKey) and `newLease` is the one the route drew for it: a claim
   * that takes the job hands it out, and only its hash is kept (job.leaseHash, with the claim key's).
   */
  claimKey?: string;
  newLease?: string;
  /** The lease secret the claimer presented (X-Orun-Lease): a holder re-claiming its job keeps its lease. */
  presentedLease?: string;
}

/** A claim that reopens a failed job was decided on part of the run: decide it again on all of it. */
export class WholeRunNeeded extends Error {
  constructor() {
    super("the claim reopens a failed job: it needs every job of the run");
  }
}

/**
 * A claim. A failed job is claimed again — reset, with the jobs skipped because of it pending again, in the same
 * mutation — by `--retry` or by a later attempt of the workflow run that failed it (GitHub's "Re-run failed
 * jobs"); never a job that succeeded or runs under a live lease. In a stopped (fail-fast) run such a retry
 * reopens the run: its stop is cleared and the jobs the stop skipped are pending again (reopenStoppedRun). A job
 * skipped because an upstream job failed, or by the stop, in an earlier attempt waits, for a later attempt's
 * claimer, for that attempt to retry the failure.
 */
export function claimJob(state: RunState, jobId: string, runnerId: string, clock: Clock, options: ClaimOptions = {}): Mutation<ClaimResponse> {
  const job = findJob(state, jobId);
  const iso = clock.now.toISOString();
  const claimer = options.workflowRun;
  const take = (kind: "first" | "takeover" | "retry"): Mutation<ClaimResponse> => {
    job.status = "running";
    job.runnerId = runnerId;
    job.heartbeatAt = iso;
    job.startedAt = kind === "takeover" && job.startedAt ? job.startedAt : iso;
    job.finishedAt = null;
    job.lastError = null;
    job.attempts += 1;
    // GitHub's attempt numbers stay GitHub's: isLaterAttempt compares a re-run's token with them.
    if (claimer && !(job.ciRunId === claimer.runId && (job.runAttempt ?? 0) > claimer.attempt)) {
      job.ciRunId = claimer.runId;
      job.runAttempt = claimer.attempt;
    }
    if (kind === "retry") job.retries = (job.retries ?? 0) + 1;
    // A new holder, a new lease: whoever held the job before is refused from now on, whatever runner ID it gives.
    const lease = issueLease(job, options);
    const result: ClaimResponse = { claimed: true, leaseMs: clock.leaseMs, ...lease, ...(job.runAttempt ? { runAttempt: job.runAttempt } : {}) };
    // No runner wrote what a first claim finds (another client's log write naming no runner, which v2's replace
    // is): deleted, so it neither passes for this runner's output nor refuses its first append at offset 0.
    if (kind === "first") return job.logBytes > 0 ? { ...finishMutation(result, [job]), clearLogs: [jobId] } : finishMutation(result, [job]);
    // What the previous runner left (a partial attempt, or the failed one) must not pass for this attempt's output.
    if (kind === "takeover") result.takeover = true;
    return { ...finishMutation(result, [job]), clearLogs: [jobId] };
  };
  const stopped = state.run.stoppedReason;
  // Its holder, by runner ID and — for a job claimed with a lease — by its lease secret or the claim's key.
  const holder = isHeldBy(job, runnerId) && holderProof(job, options, clock) !== undefined;
  // A stopped run starts no job: not a pending one, nor one whose runner stopped heartbeating (no takeover).
  if (stopped && !holder && (job.status === "pending" || (job.status === "running" && isLeaseExpired(job, clock)))) {
    const status = job.status === "pending" ? "skipped" : "failed";
    endInStoppedRun(job, stopped, iso);
    return finishMutation({ claimed: false, currentStatus: status, depsBlocked: true, stop: true, reason: job.lastError ?? stopped }, [job]);
  }
  switch (job.status) {
    case "pending": {
      const byId = new Map(state.jobs.map((j) => [j.jobId, j]));
      const blocked = job.deps.find((d) => ["failed", "skipped"].includes(byId.get(d)?.status ?? ""));
      if (blocked) return { result: { claimed: false, currentStatus: "pending", depsBlocked: true, reason: `dependency ${blocked} ${byId.get(blocked)?.status}` }, changedJobs: [] };
      const waiting = job.deps.filter((d) => byId.get(d)?.status !== "success");
      if (waiting.length > 0) {
        // Claimed once and pending again: the sweeper released it from a runner that stopped heartbeating, or its
        // runner gave it back (releaseJob), which the waiting runner is told apart.
        const abandoned = abandonedUpstream(job, byId);
        const released = abandoned.filter((id) => givenBack(byId.get(id)!));
        const result: ClaimResponse = { claimed: false, currentStatus: "pending", depsWaiting: true, reason: `waiting for ${waiting.join(", ")}` };
        if (abandoned.length > 0) result.depsAbandoned = abandoned;
        if (released.length > 0) result.depsReleased = released;
        return { result, changedJobs: [] };
      }
      // Its own swept job, untouched since: the runner is back, nothing was handed on.
      if (holder) return reclaim(job, iso, clock, options);
      // A pending job that was claimed before lost its runner (swept lease).
      return take(job.attempts > 0 ? "takeover" : "first");
    }
    case "running":
      // A repeated claim by the holder (its first answer was lost and it retried): the same claim, not a second attempt.
      // Under a lease, only with its secret or that claim's key: a runner ID alone is anyone's to give.
      if (holder) return reclaim(job, iso, clock, options);
      if (isLeaseExpired(job, clock)) return take("takeover");
      return { result: { claimed: false, currentStatus: "running", reason: `running on runner ${job.runnerId}`, leaseExpiresInMs: leaseLeftMs(job, clock) }, changedJobs: [] };
    case "failed": {
      const failed: ClaimResponse = { claimed: false, currentStatus: "failed", ...(job.lastError ? { reason: job.lastError } : {}) };
      if (!options.retry && !isLaterAttempt(job, claimer)) return { result: failed, changedJobs: [] };
      if (!options.wholeRun) throw new WholeRunNeeded();
      // A stop made in the claimer's own attempt (another job of it failed again) told that attempt's legs to stop:
      // a later-attempt leg of another failed job must not undo it; an explicit --retry still may.
      if (stopped && !options.retry && stoppedInAttempt(state, claimer)) {
        return { result: { ...failed, depsBlocked: true, stop: true, reason: `the run stopped in attempt ${claimer!.attempt} (${stopped}); --retry reopens it` }, changedJobs: [] };
      }
      // Retrying in a stopped run (fail-fast: every compiled plan) reopens it, or the run could never finish.
      const unstopped = stopped ? reopenStoppedRun(state) : [];
      const reopened = reopenDependents(state, job, iso, unstopped);
      const claimed = take("retry");
      const pending = reopened.filter((j) => j.status === "pending").sort((a, b) => a.position - b.position);
      const gaveUp = pending.length > 0 && claimer && waitEnded(state.run.retryWaits?.[job.jobId], claimer, clock);
      const result: ClaimResponse = {
        ...claimed.result,
        retried: true,
        ...(stopped ? { runReopened: stopped } : {}),
        ...(pending.length ? { reopened: pending.map((j) => j.jobId) } : {}),
        ...(gaveUp ? { reopenedGaveUpAfter: formatTimeout(retryGraceOf(clock)) } : {}),
      };
      return { ...claimed, result, changedJobs: [job, ...reopened], ...(stopped ? { reopenRun: true } : {}) };
    }
    case "skipped": {
      // Skipped for a failure of an earlier attempt: this attempt's runner of that job will retry it — if the
      // attempt re-ran that job's leg too, which only its coming within the retry grace tells.
      if (awaitsRetry(job, state, claimer)) {
        // A stop made in the claimer's own attempt (another job of it failed again) is why nothing runs: no retry of
        // the earlier failure changes that, so it is said at once. Which attempt stopped it needs every job.
        if (stopped) {
          if (!options.wholeRun) throw new WholeRunNeeded();
          if (stoppedInAttempt(state, claimer)) {
            return { result: { claimed: false, currentStatus: "skipped", depsBlocked: true, stop: true, reason: `the run stopped in attempt ${claimer!.attempt} (${stopped}); --retry reopens it` }, changedJobs: [] };
          }
        }
        const failed = failureBehind(job, state) ?? job.jobId;
        const verdict = retryVerdict(job, failed, state.run, claimer!, clock);
        if (verdict === "not retried") return { result: notRetried(job, failed, state, claimer!, clock), changedJobs: [] };
        const result: ClaimResponse = { claimed: false, currentStatus: "skipped", depsWaiting: true, reason: `${job.lastError} in attempt ${job.runAttempt}; waiting for attempt ${claimer!.attempt} to retry it` };
        if (verdict === "waiting") return { result, changedJobs: [] };
        // The attempt's first claim behind this failure: its wait starts now, for every job skipped for it (one write
        // per attempt and failure; later claims only read it).
        const retryWaits = { ...state.run.retryWaits, [failed]: { attempt: claimer!.attempt, since: iso } };
        state.run.retryWaits = retryWaits;
        return { result, changedJobs: [], retryWaits };
      }
      const why = job.lastError ?? "an upstream job failed";
      const retryHint = !options.retry
        ? ""
        : !stopped && skippedForDependency(job)
          ? " — --retry reopens a failed job: retry the failed one, which reopens this one"
          : skippedByStop(job, state.run)
            ? " — --retry reopens a failed job: retry the one that stopped the run, which reopens the run and this job"
            : "";
      const result: ClaimResponse = { claimed: false, currentStatus: "skipped", depsBlocked: true, reason: `${why}${retryHint}` };
      // The run stopped (fail-fast): no job starts in it any more (a runner stops asking).
      return { result: stopped ? { ...result, stop: true } : result, changedJobs: [] };
    }
    default:
      return { result: { claimed: false, currentStatus: job.status, ...(job.lastError ? { reason: job.lastError } : {}) }, changedJobs: [] };
  }
}

/** The claimer runs a later attempt of the workflow run the job's state belongs to. */
function isLaterAttempt(job: JobRecord, claimer: WorkflowRun | undefined): boolean {
  return claimer !== undefined && job.ciRunId === claimer.runId && typeof job.runAttempt === "number" && claimer.attempt > job.runAttempt;
}

/** A job of the claimer's workflow run failed, or was skipped by the run's stop, in the claimer's attempt or a later one: the stop is that attempt's. */
function stoppedInAttempt(state: RunState, claimer: WorkflowRun | undefined): boolean {
  if (!claimer) return false;
  return state.jobs.some(
    (j) => j.ciRunId === claimer.runId && typeof j.runAttempt === "number" && j.runAttempt >= claimer.attempt && (j.status === "failed" || skippedByStop(j, state.run)),
  );
}

/** Skipped because a dependency failed or was skipped (skipDependents), not by its runner. */
function skippedForDependency(job: JobRecord): boolean {
  return job.status === "skipped" && (job.lastError ?? "").startsWith("dependency ");
}

/** Skipped, never started, by the run's current stop (endInStoppedRun): what reopening the run sets pending again. */
function skippedByStop(job: JobRecord, run: RunRecord): boolean {
  return job.status === "skipped" && Boolean(run.stoppedReason) && job.lastError === `not started: ${run.stoppedReason}`;
}

/**
 * A job skipped because an upstream job failed, or by the stop that failure caused, in an earlier attempt of the
 * claimer's workflow run: that attempt's runner of the failed job reopens it (claimJob), so the claimer waits
 * rather than giving up.
 */
export function awaitsRetry(job: JobRecord, state: RunState, claimer: WorkflowRun | undefined): boolean {
  return (skippedForDependency(job) || skippedByStop(job, state.run)) && isLaterAttempt(job, claimer);
}

/**
 * Where a later attempt's wait for the retry of `failed`, the failure that skipped `job`, stands: not started yet
 * ("first claim"), the retry grace since the attempt's first claim behind that failure runs ("waiting") or ended
 * ("not retried"). The grace is the failure's and the attempt's, not the job's: a leg of many jobs behind one failure
 * waits it once. The backend cannot know which legs an attempt re-runs: an attempt whose runner of the failed job
 * has not reopened it within the grace ("Re-run this job" on a dependent's leg) most likely never will.
 */
function retryVerdict(job: JobRecord, failed: string, run: RunRecord, claimer: WorkflowRun, clock: Clock): "first claim" | "waiting" | "not retried" {
  const wait = run.retryWaits?.[failed];
  // A wait that began before the job was skipped (again: a retry by hand failed anew) was for an earlier skip.
  if (!wait || wait.attempt !== claimer.attempt || (job.finishedAt !== null && wait.since < job.finishedAt)) return "first claim";
  return waitEnded(wait, claimer, clock) ? "not retried" : "waiting";
}

/** `claimer`'s attempt waited for a failed job's retry (`wait`), and its retry grace has ended. */
function waitEnded(wait: RetryWait | undefined, claimer: WorkflowRun, clock: Clock): boolean {
  return wait !== undefined && wait.attempt === claimer.attempt && clock.now.getTime() - Date.parse(wait.since) >= retryGraceOf(clock);
}

function retryGraceOf(clock: Clock): number {
  return clock.retryGraceMs ?? DEFAULT_RETRY_GRACE_MS;
}

/**
 * The answer to a claim whose attempt did not retry the failure that skipped the job within the grace: the job
 * will not run in this attempt (`depsBlocked`, and `stop` in a stopped run), naming the failed job
 * (`notRetried`), its attempt, and what was observed: nobody retried it yet — its leg was not re-run, or is queued.
 */
function notRetried(job: JobRecord, failed: string, state: RunState, claimer: WorkflowRun, clock: Clock): ClaimResponse {
  const { run } = state;
  const grace = formatTimeout(retryGraceOf(clock));
  const named = failed !== job.jobId;
  const what = named ? failed : "the failed job";
  const reason =
    `${job.lastError} in attempt ${job.runAttempt}, and no runner of attempt ${claimer.attempt} retried ${what} within ${grace}: ` +
    `if its leg was not re-run with this one (GitHub's "Re-run this job" re-runs one leg), "Re-run failed jobs" re-runs both; ` +
    `if it is queued, re-run this leg once it has retried ${what} (orun backend serve --retry-grace sets how long a leg waits)`;
  return { claimed: false, currentStatus: "skipped", depsBlocked: true, reason, ...(named ? { notRetried: failed } : {}), ...(run.stoppedReason ? { stop: true } : {}) };
}

/**
 * The failed job that skipped `job`, from the reasons skipDependents, reopenDependents and the run's stop give;
 * through skipped jobs the state holds (reopenDependents names the skipped dependency, not its failure).
 */
function failureBehind(job: JobRecord, state: RunState): string | undefined {
  const byId = new Map(state.jobs.map((j) => [j.jobId, j]));
  const seen = new Set<string>();
  let cause = job;
  for (;;) {
    seen.add(cause.jobId);
    const why = cause.lastError ?? "";
    const named: string | undefined = skippedByStop(cause, state.run)
      ? stoppedBy(state.run)
      : (/\(upstream (\S+) (?:failed|skipped)\)$/.exec(why) ?? /^dependency (\S+) (?:failed|skipped)$/.exec(why))?.[1];
    const next = named === undefined ? undefined : byId.get(named);
    if (!next || next.status !== "skipped" || seen.has(next.jobId)) return named;
    cause = next;
  }
}

/** The job whose failure stopped the run (`fail-fast after <job> failed`), if it is stopped. */
export function stoppedBy(run: RunRecord): string | undefined {
  return /^fail-fast after (\S+) failed$/.exec(run.stoppedReason ?? "")?.[1];
}

/**
 * Clears the run's stop (a failed job is being retried in it): the jobs the stop skipped are pending again.
 * Returns them, for reopenDependents to skip again any that still depend on another failed job.
 */
function reopenStoppedRun(state: RunState): JobRecord[] {
  const reopened = state.jobs.filter((j) => skippedByStop(j, state.run));
  for (const job of reopened) reopenJob(job);
  state.run.stoppedReason = null;
  return reopened;
}

/** A skipped job pending again, as if it had not run: no end, no error, no runner. */
function reopenJob(job: JobRecord): void {
  job.status = "pending";
  job.finishedAt = null;
  job.lastError = null;
  job.runnerId = null;
}

/**
 * The jobs skipped because `failed` failed, transitively, pending again (it is about to be retried), with
 * `pending` (jobs a reopened run's stop had skipped). One that still depends on another failed or skipped job is
 * skipped again for that one. Returns the jobs it changed.
 */
function reopenDependents(state: RunState, failed: JobRecord, iso: string, pending: JobRecord[] = []): JobRecord[] {
  const reopened: JobRecord[] = [...pending];
  const queue = [failed.jobId];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const cause = queue.shift() as string;
    for (const dependent of state.jobs) {
      if (seen.has(dependent.jobId) || !dependent.deps.includes(cause) || !skippedForDependency(dependent)) continue;
      seen.add(dependent.jobId);
      reopenJob(dependent);
      reopened.push(dependent);
      queue.push(dependent.jobId);
    }
  }
  // Until nothing changes: a job skipped again may be what another reopened job depends on.
  const byId = new Map(state.jobs.map((j) => [j.jobId, j]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const job of reopened) {
      if (job.status !== "pending") continue;
      const blocker = job.deps.map((d) => byId.get(d)).find((d) => d && d !== failed && (d.status === "failed" || d.status === "skipped"));
      if (!blocker) continue;
      job.status = "skipped";
      job.finishedAt = iso;
      job.lastError = `dependency ${blocker.jobId} ${blocker.status}`;
      job.ciRunId = blocker.ciRunId ?? null;
      job.runAttempt = blocker.runAttempt ?? null;
      changed = true;
    }
  }
  return reopened;
}

/**
 * The owner's heartbeat extends its lease. A runner that stalled past its lease
 * gets its job back if nobody claimed it since (the sweeper keeps the last
 * runnerId on the released job); only a runner whose job was handed on is told to abort.
 */
export function heartbeatJob(state: RunState, jobId: string, runnerId: string, clock: Clock, lease?: string): Mutation<HeartbeatResponse> {
  const job = findJob(state, jobId);
  checkLease(job, runnerId, lease, "heartbeat", clock);
  // A job its runner gave back (releaseJob) is not taken back by a beat that was already on its way.
  if (!isHeldBy(job, runnerId) || givenBack(job)) return { result: { ok: false, abort: true }, changedJobs: [] };
  return { result: { ok: true }, changedJobs: [retake(job, clock.now.toISOString())] };
}

/**
 * The job is this runner's: running on it, or released by the sweeper and not claimed by anyone since.
 * Heartbeats and log writes (checked by the stores inside the write's transaction) follow this one rule.
 */
export function isHeldBy(job: Pick<JobRecord, "status" | "runnerId">, runnerId: string): boolean {
  return job.runnerId === runnerId && (job.status === "running" || job.status === "pending");
}

/**
 * How a claimer proves it holds its job: a job claimed without a lease (v2 and older orun runners) by its runner ID
 * alone (`"runner"`); one claimed with a lease by its secret (`"lease"`) or by the key of the claim that took it
 * (`"claimKey"`: that claim's answer was lost, so its runner never got the secret). Undefined: no proof.
 */
function holderProof(job: JobRecord, options: ClaimOptions, clock: Clock): "runner" | "lease" | "claimKey" | undefined {
  // A backend that requires lease secrets takes a runner ID for no proof: such a job goes to whoever claims it once its lease lapses.
  if (!job.leaseHash) return clock.requireLease ? undefined : "runner";
  if (leaseMatches(job.leaseHash, options.presentedLease)) return "lease";
  if (job.claimKeyHash && leaseMatches(job.claimKeyHash, options.claimKey)) return "claimKey";
  return undefined;
}

/** A lease for a claim that takes the job (none when the claimer asked for none): kept hashed on the job. */
function issueLease(job: JobRecord, options: ClaimOptions): { leaseToken?: string } {
  const asked = options.claimKey !== undefined && options.newLease !== undefined;
  job.leaseHash = asked ? leaseHash(options.newLease!) : null;
  job.claimKeyHash = asked ? leaseHash(options.claimKey!) : null;
  return asked ? { leaseToken: options.newLease } : {};
}

/**
 * The holder claims its job again (its first answer was lost, or its swept job is back): the same claim. Proved by
 * the claim's key, it gets its secret again (the same: derived from the key; it may never have got the first answer);
 * proved by the secret, it keeps that one.
 */
function reclaim(job: JobRecord, iso: string, clock: Clock, options: ClaimOptions): Mutation<ClaimResponse> {
  const lease = job.leaseHash && holderProof(job, options, clock) === "claimKey" ? issueLease(job, options) : {};
  return finishMutation({ claimed: true, leaseMs: clock.leaseMs, ...lease }, [retake(job, iso)]);
}

/**
 * A job claimed with a lease takes its holder's heartbeats, result, release (and log writes: the stores check them with
 * leaseMatches) only with the lease secret: a runner ID is no proof, since runner IDs are shown and guessable. A request
 * under another runner ID is answered as before (it is not the holder either way).
 */
function checkLease(job: JobRecord, runnerId: string, presented: string | undefined, what: string, clock: Clock): void {
  if (job.runnerId !== runnerId) return;
  if (!job.leaseHash) {
    if (clock.requireLease) throw new CoordinatorError(403, unleasedRefusal(job.jobId, runnerId, what));
    return;
  }
  if (leaseMatches(job.leaseHash, presented)) return;
  throw new CoordinatorError(403, leaseRefusal(job.jobId, runnerId, presented, what));
}

/**
 * Why a backend that requires lease secrets refuses a request for a job held without one (403): its holder can prove
 * nothing but its runner ID. The coordinator's checks and the log writes say it alike.
 */
export function unleasedRefusal(jobId: string, runnerId: string, what: string): string {
  return `Job ${jobId} is held without a lease secret (claimed without a claimKey: by a v2 runner or an orun runner from before lease secrets): this ${what} for runner ${runnerId} is refused, since this backend requires lease secrets (--require-lease-secrets); nothing was changed — once the job's lease lapses, a current orun runner can take it over with a lease`;
}

/** Why a request for a leased job is refused (403): the same words for the coordinator's checks and the log writes. */
export function leaseRefusal(jobId: string, runnerId: string, presented: string | undefined, what: string): string {
  const why = presented === undefined ? "presented no lease secret (X-Orun-Lease)" : "presented a lease secret that is not the job's current lease (it was taken over by another claim)";
  return `Job ${jobId} is held under a lease: this ${what} for runner ${runnerId} ${why}; nothing was changed`;
}

/** The holder keeps (or gets back) its job: running, fresh heartbeat; no new attempt. */
function retake(job: JobRecord, iso: string): JobRecord {
  if (job.status === "pending") {
    job.status = "running";
    job.lastError = null;
    job.finishedAt = null;
  }
  job.heartbeatAt = iso;
  return job;
}

/**
 * Terminal update by the owner. Repeating the same terminal status is
 * idempotent (a retried request after a lost response). A failure, or a job
 * its runner decided not to run (`skipped`), marks every pending transitive
 * dependent `skipped`, so their runners stop waiting. In a failFast run a
 * failure (unless `tolerated`) stops the run: every other job not started
 * yet is skipped too, so no runner starts another (running ones finish).
 * `state` must hold all the run's jobs for a failure.
 */
export function updateJob(
  state: RunState,
  jobId: string,
  runnerId: string,
  status: UpdateStatus,
  error: string | undefined,
  clock: Clock,
  options: { tolerated?: boolean; revision?: string | null; tokenCommit?: string | null; lease?: string } = {},
): Mutation<UpdateResponse> {
  const job = findJob(state, jobId);
  checkLease(job, runnerId, options.lease, "result", clock);
  // A repeat (its answer was lost) is answered as the update it repeats was, with the reason evidence was withheld.
  if (job.status === status && job.runnerId === runnerId) return { result: withheld(updateAnswer(state, job), unattestedRevision(options.revision, options.tokenCommit, state.run.revision)), changedJobs: [] };
  // A runner whose lease was swept may still finish its job, unless another runner claimed it meanwhile. One that
  // gave the job back (releaseJob) holds it no longer: the job awaits the next claim, and a result it still sends (a
  // stale runner, a request that was on its way) must not settle it behind that claim's back.
  if (givenBack(job)) throw new CoordinatorError(400, `Job is not running (current: pending): ${job.lastError}; its result is not recorded`);
  if (!isHeldBy(job, runnerId)) {
    throw new CoordinatorError(400, job.status === "running" ? "Runner does not own this job" : `Job is not running (current: ${job.status})`);
  }
  const iso = clock.now.toISOString();
  job.status = status;
  job.finishedAt = iso;
  job.lastError = status === "success" ? null : (error ?? status);
  // A runner that says which revision it ran vouches for the run's only when that is it; one that does not say
  // (older runners) is taken to, unless its OIDC token names the commit its workflow run is for (`tokenCommit`, the
  // signed `sha` claim): then that commit must be the run's revision, and the one it says it ran too.
  const unattested = unattestedRevision(options.revision, options.tokenCommit, state.run.revision);
  const why = noEvidenceWhy(options.revision, state.run.revision, unattested, options.tokenCommit);
  job.noEvidence = why !== undefined;
  job.noEvidenceCause = why?.cause ?? null;
  job.noEvidenceReason = why?.reason ?? null;
  const changed = [job];
  if (status === "failed" && state.run.failFast && !options.tolerated) {
    const reason = state.run.stoppedReason ?? `fail-fast after ${jobId} failed`;
    for (const other of state.jobs) {
      if (other.status !== "pending") continue;
      endInStoppedRun(other, reason, iso, job);
      changed.push(other);
    }
    return { ...finishMutation({ ok: true }, changed), stopRun: reason };
  }
  if (status !== "success") changed.push(...skipDependents(state, jobId, status, iso));
  return finishMutation(withheld(updateAnswer(state, job), unattested), changed);
}

/**
 * Why a result is no evidence for the run, kept with the job: the runner ran other code (it says so: another revision,
 * or none: an unclean checkout), its OIDC token does not vouch for the revision (`unattested`, the token's commit
 * `tokenCommit`), or both. Undefined when it is evidence.
 */
function noEvidenceWhy(
  revision: string | null | undefined,
  runRevision: string | null,
  unattested: string | undefined,
  tokenCommit: string | null | undefined,
): { cause: NoEvidenceCause; reason: string } | undefined {
  if (revision !== undefined && revision !== runRevision) {
    const ran = revision === null ? "the runner reported running code that is not its plan's commit (a tree that moved on, has edits, or is another folder)" : `the runner reported running ${reportedRevision(revision)}`;
    const run = runRevision === null ? "and the run has no revision" : `not the run's revision ${runRevision.slice(0, 12)}`;
    if (!unattested) return { cause: revision === null ? "other-checkout" : "other-code", reason: bounded(`${ran}, ${run}`) };
    // The runner's text is quoted once: unattested repeats it ("the runner reported running X, but its … token …").
    const token = tokenCommit ? `its GitHub Actions OIDC token is for commit ${tokenCommit.slice(0, 12)} (the commit its workflow run is for; the token's sha claim)` : unattested;
    return { cause: "other-code-and-oidc-commit", reason: bounded(`${ran}, ${run}; also, ${runnersText(token)}`) };
  }
  if (unattested === undefined) return undefined;
  return { cause: "oidc-commit", reason: bounded(runnersText(unattested)) };
}

/** The answer's text speaks to the runner (`its … token`); kept with the job, it names the runner. */
function runnersText(text: string): string {
  return text.replace(/^its /u, "the runner's ");
}

function bounded(reason: string): string {
  return reason.length <= MAX_NO_EVIDENCE_REASON_CHARS ? reason : `${reason.slice(0, MAX_NO_EVIDENCE_REASON_CHARS - 3)}...`;
}

/** A success's answer with the reason it is no evidence, when the backend knows one. */
function withheld(answer: UpdateResponse, unattested: string | undefined): UpdateResponse {
  return unattested && answer.evidence === false ? { ...answer, evidenceWithheld: unattested } : answer;
}

/**
 * Why a job result is no evidence for the run's revision (`runRevision`) although the runner may say it is: its
 * OIDC token is for another commit (`tokenCommit`, the `sha` claim, lower case) than the revision it reports, or,
 * when it reports none (older runners), than the run's. Undefined when the token names no commit, the result names
 * no commit (null: no evidence anyway), the run has no revision, or the token's commit is the one vouched for.
 */
export function unattestedRevision(revision: string | null | undefined, tokenCommit: string | null | undefined, runRevision: string | null): string | undefined {
  if (tokenCommit === undefined || revision === null) return undefined;
  // A signed claim in a form that names no commit (not full hex) cannot vouch: fail closed.
  if (tokenCommit === null) return runRevision === null ? undefined : "its GitHub Actions OIDC token's sha claim is not a full hex commit ID, so the commit its workflow run is for cannot be checked";
  const token = `its GitHub Actions OIDC token is for commit ${tokenCommit.slice(0, 12)} (the commit its workflow run is for; the token's sha claim)`;
  if (revision === undefined) {
    if (runRevision === null || runRevision.toLowerCase() === tokenCommit) return undefined;
    return `the runner reported no revision, and ${token}, not the run's revision ${runRevision.slice(0, 12)}`;
  }
  if (revision.toLowerCase() === tokenCommit) return undefined;
  return `the runner reported running ${reportedRevision(revision)}, but ${token}`;
}

/**
 * The revision a runner reported, as the backend quotes it: a commit's hex ID shortened, else the runner's text
 * quoted and cut — it goes to the answer, the backend's log and the job's stored reason, so anything outside
 * printable ASCII (C1 controls, bidi overrides) is escaped.
 */
function reportedRevision(revision: string): string {
  // One escape style throughout: `\u{1b}` for a control as for é; `\"` and `\\` keep the quoting unambiguous.
  return /^[0-9a-f]{1,64}$/i.test(revision) ? revision.slice(0, 12) : `"${revision.slice(0, 64).replace(/["\\]/gu, "\\$&").replace(/[^\x20-\x7e]/gu, escapeChar)}"`;
}

function escapeChar(char: string): string {
  return `\\u{${char.codePointAt(0)!.toString(16)}}`;
}

/** The answer to a job's result: with a success, whether it counts toward the run's promotion evidence. */
function updateAnswer(state: RunState, job: JobRecord): UpdateResponse {
  return job.status === "success" ? { ok: true, evidence: state.run.revision !== null && !job.noEvidence } : { ok: true };
}

/** Skips every pending transitive dependent of `originId`, which ended `outcome` (failed or skipped). */
function skipDependents(state: RunState, originId: string, outcome: "failed" | "skipped", iso: string): JobRecord[] {
  const skipped: JobRecord[] = [];
  const origin = state.jobs.find((j) => j.jobId === originId);
  const queue = [originId];
  while (queue.length > 0) {
    const cause = queue.shift() as string;
    for (const dependent of state.jobs) {
      if (dependent.status !== "pending" || !dependent.deps.includes(cause)) continue;
      dependent.status = "skipped";
      dependent.finishedAt = iso;
      dependent.lastError = cause === originId ? `dependency ${originId} ${outcome}` : `dependency ${cause} skipped (upstream ${originId} ${outcome})`;
      // The failure's attempt: a later attempt of its workflow run waits for that job's retry (awaitsRetry).
      dependent.ciRunId = origin?.ciRunId ?? null;
      dependent.runAttempt = origin?.runAttempt ?? null;
      skipped.push(dependent);
      queue.push(dependent.jobId);
    }
  }
  return skipped;
}

/**
 * A job that will not run (or finish) because its run stopped: a pending one is skipped — with the attempt of
 * `failure`, the job whose failure stopped the run, so a later attempt of its workflow run waits for that job's
 * retry (awaitsRetry) —; a running one whose runner stopped heartbeating fails, since it will not be handed on.
 */
function endInStoppedRun(job: JobRecord, reason: string, iso: string, failure?: JobRecord): void {
  if (job.status !== "running" && failure) {
    job.ciRunId = failure.ciRunId ?? null;
    job.runAttempt = failure.runAttempt ?? null;
  }
  job.lastError = job.status === "running" ? `lease expired after the run stopped (${reason}): runner ${job.runnerId} stopped heartbeating, and no runner takes it over` : `not started: ${reason}`;
  job.status = job.status === "running" ? "failed" : "skipped";
  job.finishedAt = iso;
}

/**
 * Sweeper: abandoned jobs go back to pending so a waiting runner can take them
 * over. The runnerId stays: if that runner was only stalled and nobody claimed
 * the job since, its heartbeat or update takes the job back (heartbeatJob).
 */
export function releaseExpiredLeases(state: RunState, clock: Clock): Mutation<string[]> {
  const released = state.jobs.filter((j) => isLeaseExpired(j, clock));
  const stopped = state.run.stoppedReason;
  if (stopped) {
    // Nobody may take it over in a stopped run: it ends here.
    for (const job of released) endInStoppedRun(job, stopped, clock.now.toISOString());
    return finishMutation([], released);
  }
  for (const job of released) {
    job.lastError = `lease expired (runner ${job.runnerId} stopped heartbeating)`;
    job.status = "pending";
    job.heartbeatAt = null;
  }
  return finishMutation(released.map((j) => j.jobId), released);
}

/** The lastError of a job its runner gave back unfinished (releaseJob). */
const GIVEN_BACK = "released by its runner";

function givenBack(job: JobRecord): boolean {
  return job.status === "pending" && (job.lastError?.startsWith(GIVEN_BACK) ?? false);
}

/**
 * The holder gives its job back unfinished (its runner was canceled): pending again at once, as the sweeper leaves a
 * job whose lease lapsed — its attempt counted, its log kept until a takeover starts it afresh, its dependents
 * waiting — so any runner's claim takes it over. In a run its fail-fast stopped nobody takes it over: it is skipped
 * as the jobs the stop kept from starting are, so retrying the failed job reopens it with them. A repeat (its answer
 * was lost) is answered as the release was.
 */
export function releaseJob(state: RunState, jobId: string, runnerId: string, reason: string | undefined, clock: Clock, lease?: string): Mutation<ReleaseResponse> {
  const job = findJob(state, jobId);
  checkLease(job, runnerId, lease, "release", clock);
  if (givenBack(job) && job.runnerId === runnerId) return { result: { ok: true, status: "pending" }, changedJobs: [] };
  if (job.status !== "running" || job.runnerId !== runnerId) {
    throw new CoordinatorError(400, job.status === "running" ? "Runner does not own this job" : `Job is not running (current: ${job.status})`);
  }
  const stopped = state.run.stoppedReason;
  if (stopped) {
    job.status = "skipped";
    job.lastError = `not started: ${stopped}`;
    job.finishedAt = clock.now.toISOString();
    return finishMutation({ ok: true, status: "skipped" }, [job]);
  }
  job.status = "pending";
  job.lastError = `${GIVEN_BACK} ${runnerId}${reason ? `: ${reason}` : ""}`;
  job.heartbeatAt = null;
  return finishMutation({ ok: true, status: "pending" }, [job]);
}

/** Whether a runner waiting for `job` should ask again now; `claimer`: its workflow run attempt (see awaitsRetry). */
export function isJobActionable(job: JobRecord, state: RunState, clock: Clock, claimer?: WorkflowRun): boolean {
  if (job.status === "running") return isLeaseExpired(job, clock);
  // Its claim answers once the retry grace ends (retryVerdict), or the run stopped in the claimer's attempt (which
  // the state shows when it holds the job that stopped it): the long-poll's re-checks see either.
  if (awaitsRetry(job, state, claimer)) {
    if (state.run.stoppedReason && stoppedInAttempt(state, claimer)) return true;
    return retryVerdict(job, failureBehind(job, state) ?? job.jobId, state.run, claimer!, clock) === "not retried";
  }
  if (job.status !== "pending") return true;
  const byId = new Map(state.jobs.map((j) => [j.jobId, j.status]));
  return job.deps.every((d) => byId.get(d) === "success") || job.deps.some((d) => ["failed", "skipped"].includes(byId.get(d) ?? ""));
}
