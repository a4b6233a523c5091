// Wire shapes of the backend's v2 HTTP API (40-remote-state.md §1), shared by
// the server (src/remote/backend) and the CLI client (src/remote/client.ts).

export type JobStatus = "pending" | "running" | "success" | "failed" | "skipped";
export type RunStatus = "pending" | "running" | "completed" | "failed" | "cancelled";

export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ["success", "failed", "skipped"];

/** A commit ID as git writes it (its full object name: SHA-1 or SHA-256, lower case): what BackendPlan.revision must be. */
export function isCommitId(value: unknown): boolean {
  return typeof value === "string" && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(value);
}

/** The plan as registered with the backend (POST /v1/runs body `plan`). */
export interface BackendPlan {
  checksum: string;
  /**
   * Source revision (git HEAD) the plan was compiled from, for promotion-gate evidence: a commit ID, 40 or 64
   * lower-case hex digits (this backend refuses anything else with 400); absent when the plan records none.
   */
  revision?: string;
  /**
   * The plan's `execution.failFast`: a job failing stops the whole run — every job not started yet is
   * skipped and claims answer `stop` — on every runner, not only the one where it failed.
   */
  failFast?: boolean;
  version?: string;
  createdAt?: string;
  jobs: BackendPlanJob[];
}

export interface BackendPlanJob {
  jobId: string;
  component?: string;
  deps?: string[];
  steps?: { stepId: string; uses: string; with?: Record<string, unknown>; timeout?: number }[];
  /**
   * The keys the job's steps are logged under (`=== <key> ===`), in the order they run (an orun addition; v2
   * runners send none). Readers of the job's log take a header only for a step after the current one (JobView.steps).
   */
  stepKeys?: string[];
}

export interface CreateRunRequest {
  plan: BackendPlan;
  runId?: string;
  namespaceId?: string;
  triggerType?: string;
  actor?: string;
  dryRun?: boolean;
}

export interface CreateRunResponse {
  runId: string;
  status: RunStatus;
  createdAt: string;
  /** True when this request joined an existing run (HTTP 200 instead of 201). */
  joined?: boolean;
  /**
   * The run stops on every runner when a job fails (its plan is failFast). Absent from a v2 backend, which
   * has no cross-runner fail-fast: a runner there can stop only itself.
   */
  failFast?: boolean;
}

export interface RunView {
  runId: string;
  namespace: { namespaceId: string; namespaceSlug: string };
  status: RunStatus;
  planChecksum: string;
  triggerType: string;
  actor: string | null;
  dryRun: boolean;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  jobTotal: number;
  jobDone: number;
  jobFailed: number;
  jobSkipped: number;
  jobRunning: number;
  /** Why the run stopped starting jobs (`fail-fast after <job> failed`); absent while it has not. */
  stoppedReason?: string;
  /**
   * The source revision of the run's plan (BackendPlan.revision: the commit its first runner planned at), what its
   * promotion evidence is for (this backend; absent when the plan recorded none, and from v2).
   */
  revision?: string;
}

/** GET /v1/runs/:id/jobs. */
export interface ListJobsResponse {
  jobs: JobView[];
  /**
   * The backend's clock when it answered (this backend; v2 sends none): what a job's lease end and times are dated
   * by, so a reader whose own clock is off does not say a live lease lapsed (or a lapsed one is live).
   */
  now?: string;
}

/**
 * GET /v1/runs/:id. Decision 9: the Run fields sit at the top level (what the
 * v2 CLI decodes) and under `run` (what the v2 backend sent), so both agree.
 */
export type GetRunResponse = RunView & { run: RunView };

export interface JobView {
  jobId: string;
  component: string;
  status: JobStatus;
  deps: string[];
  runnerId: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  lastError: string | null;
  heartbeatAt: string | null;
  /**
   * A running job's lease end: its last heartbeat plus the backend's lease (this backend; v2 sends none). Past it, the
   * sweeper releases the job and another runner's claim takes it over.
   */
  leaseExpiresAt?: string;
  /**
   * A running job held without a lease secret (claimed without a claimKey: by a v2 runner, an orun runner from before
   * lease secrets, or through a replica from before schema 21): held by runner ID alone, which anyone of the namespace
   * naming it can report or release, and which a backend requiring lease secrets refuses (this backend; absent otherwise).
   */
  noLeaseSecret?: true;
  attempts: number;
  logRef: string | null;
  /** Bytes of the job's stored log (sent by this backend, not by v2's): a follower reads a log only when it grew or restarted. */
  logBytes?: number;
  /**
   * The keys of the job's log sections in the order its steps run (this backend, for runs whose runners sent them):
   * a `=== <key> ===` line is a section header only when it names a step after the current section's.
   */
  steps?: string[];
  /**
   * The CI workflow run attempt the job's state belongs to (GitHub's run_attempt of the runner that claimed it, or of
   * the failure that skipped it). Absent when unknown (this backend only).
   */
  runAttempt?: number;
  /** How many times the failed job was retried in its run (`--retry`, or a later workflow attempt); absent when none. */
  retries?: number;
  /** A success that is no promotion evidence for the run, and why (this backend); absent otherwise. */
  noEvidence?: NoEvidence;
}

/**
 * `GET /v1/runs/:runId/logs/:jobId?offset=N` answers with the log's bytes from N on (none past its end)
 * and these headers: the log's whole size, and the job's attempt it belongs to (a takeover restarts the
 * log and changes the attempt). Without `offset` the answer is v2's (the whole log, no such headers).
 */
export const LOG_SIZE_HEADER = "X-Orun-Log-Size";
export const LOG_ATTEMPT_HEADER = "X-Orun-Log-Attempt";

/**
 * The lease secret of a claimed job (ClaimResponse.leaseToken), on its holder's heartbeats, results, releases and log
 * writes (an orun addition). A job claimed with one refuses them without it (403 LEASE_REFUSED, naming the job).
 */
export const LEASE_HEADER = "X-Orun-Lease";

export interface ClaimResponse {
  claimed: boolean;
  takeover?: boolean;
  currentStatus?: JobStatus;
  depsWaiting?: boolean;
  /**
   * With depsWaiting: jobs upstream — direct dependencies, or further up through pending ones — whose runner
   * stopped (lease expired) or gave them back (depsReleased) and that no runner has taken over since.
   */
  depsAbandoned?: string[];
  /** Of depsAbandoned, those their runner gave back (it was canceled: POST …/release), not left to lapse (this backend). */
  depsReleased?: string[];
  depsBlocked?: boolean;
  /** Why the job cannot run (e.g. `dependency a@dev.x failed`). */
  reason?: string;
  /**
   * The run stopped starting jobs: its plan is failFast and a job failed, so this one was skipped
   * (with depsBlocked and currentStatus `skipped`, which v2 runners read as blocked).
   */
  stop?: boolean;
  /** Lease length granted with a claim; heartbeat well within it. */
  leaseMs?: number;
  /**
   * With claimed, for a claim that sent a claimKey (this backend; v2 and orun backends before it send none): the job's
   * lease secret, which its holder sends as LEASE_HEADER. Only its hash is kept; a takeover issues a new one. Keep it
   * in memory: never print it or write it to a record or log.
   */
  leaseToken?: string;
  /**
   * With currentStatus `running` (another runner holds it): how long until its lease lapses, in ms on the backend's
   * clock (this backend; v2 sends none). A claim after that takes it over: a runner that moved on from the job wakes
   * then to claim it (deferrals.ts).
   */
  leaseExpiresInMs?: number;
  /** The claim reopened a failed job (`retry`, or a later attempt of the workflow run that failed it). */
  retried?: boolean;
  /** With `retried`: the jobs skipped because of it, or by the run's stop it cleared, that are pending again. */
  reopened?: string[];
  /** With `retried`: the run had stopped (fail-fast) for this reason; the retry reopened it. */
  runReopened?: string;
  /** The CI workflow run attempt the claimed job now belongs to (JobView.runAttempt). */
  runAttempt?: number;
  /**
   * With depsBlocked: the failed job that skipped this one in an earlier attempt of the claimer's workflow run,
   * which no runner of the claimer's attempt retried within the backend's retry grace (a leg re-run alone).
   */
  notRetried?: string;
  /**
   * With retried and reopened: the claimer's attempt had waited for this retry, and its legs behind the failed job
   * gave up after this long (the backend's retry grace, formatted): the reopened jobs' legs need re-running.
   */
  reopenedGaveUpAfter?: string;
}

/** POST …/jobs/:jobId/claim (`retry` is this backend's addition; v2 reads only `runnerId`). */
export interface ClaimRequest {
  runnerId: string;
  /**
   * `orun run --job X --retry`: a failed X is reset and claimed, and the jobs skipped because of it are pending
   * again; a job that succeeded, or runs under a live lease, is answered as without it.
   */
  retry?: boolean;
  /**
   * Asks for a lease secret (ClaimResponse.leaseToken): a random key (16–256 base64url characters) the runner draws per
   * claim and sends again when it repeats that claim, so a repeat whose first answer was lost proves it is the holder
   * and gets the same secret (derived from the key). Without it (v2 and older orun runners) the job is held by runner ID alone, as before.
   */
  claimKey?: string;
}

/** Terminal statuses a job's owner may report. */
export type UpdateStatus = "success" | "failed" | "skipped";

export interface UpdateRequest {
  runnerId: string;
  /** `skipped`: the owner decided not to run the job (e.g. fail-fast); its pending dependents are skipped too. */
  status: UpdateStatus;
  /** Why it failed or was skipped: at most MAX_ERROR_CHARS characters are kept (clipError). */
  error?: string;
  /**
   * With `failed`: a failure that does not stop a failFast run — only `onFailure: continue` steps failed,
   * or the job was blocked (approval, a gate) before it ran. Its dependents are skipped all the same.
   */
  tolerated?: boolean;
  /**
   * The source revision the job's run vouches for (an orun addition): the commit whose code ran, or null when the
   * runner's tree was no commit's (edited) or not the plan's (a retry after a committed fix,
   * src/runtime/run-revision.ts). A success counts as promotion evidence only when this is the run's revision;
   * absent (older runners, v2), it is taken to be, unless the runner's OIDC token is for another commit.
   */
  revision?: string | null;
}

/** POST …/jobs/:jobId/update answer. */
export interface UpdateResponse {
  ok: boolean;
  /**
   * With a success (this backend, not v2 nor orun backends before it): whether the job's success counts toward the
   * run's promotion evidence — the run has a revision and the job ran it (UpdateRequest.revision).
   */
  evidence?: boolean;
  /**
   * With `evidence: false`, when the backend knows a reason the runner may not: its GitHub Actions OIDC token is for
   * another commit (the `sha` claim) than the revision the runner reported running, or, reporting none, than the run's.
   */
  evidenceWithheld?: string;
}

/** A job's error as the backend keeps it: a step's error may quote its output in full (a 70 KB refused command). */
export const MAX_ERROR_CHARS = 4000;

/** `error` cut to MAX_ERROR_CHARS characters, an ellipsis marking the cut (client and backend cut alike). */
export function clipError(error: string): string {
  return error.length <= MAX_ERROR_CHARS ? error : `${error.slice(0, MAX_ERROR_CHARS - 1)}…`;
}

/**
 * POST …/jobs/:jobId/release (an orun addition; v2 and orun backends before it answer 404): the job's holder gives
 * it back unfinished — its runner was canceled (Ctrl-C, SIGTERM) — so it is pending again at once, as a lapsed lease
 * leaves it, for any runner's claim to take over; its dependents keep waiting.
 */
export interface ReleaseRequest {
  runnerId: string;
  /** Why, kept as the job's lastError (at most MAX_ERROR_CHARS characters). */
  reason?: string;
}

export interface ReleaseResponse {
  ok: boolean;
  /** What became of the job: `pending` (released), or, in a run its fail-fast stopped, `skipped` (no runner takes it over). */
  status: "pending" | "skipped";
}

export interface HeartbeatResponse {
  ok: boolean;
  abort?: boolean;
}

export interface RunnableResponse {
  jobs: string[];
  /** With `?job=`: that job's current state, so a waiting runner knows what changed. */
  job?: JobView;
}

/** GET /v1/evidence?component=&environment=&revision= */
export interface EvidenceResponse {
  satisfied: boolean;
  /** The (live) run that provides the evidence. */
  runId?: string;
  /**
   * Evidence kept from a run that retention has deleted (no `runId` then): its ID — which a later run may
   * have reused — and when it last changed. Kept evidence is pruned after the backend's --evidence-retention.
   */
  deletedRun?: { runId: string; recordedAt: string };
  /**
   * Not satisfied, though a live run at the revision had every job of the component in the environment succeed: one
   * of them is no evidence (this backend). `cause` and `reason` as JobView.noEvidence's.
   */
  withheld?: { runId: string; jobId: string } & NoEvidence;
}

/**
 * Why a job's success is no promotion evidence for its run: `other-code`, its runner reported running another commit
 * (a retry after a fix); `other-checkout`, it reported running code that is not its plan's commit (its checkout had
 * moved on, had edits, or was another folder); `oidc-commit`, its runner's GitHub Actions OIDC token is for another commit than
 * the one vouched for, or its sha claim is unusable; `other-code-and-oidc-commit`, the first and the third at once.
 */
export const NO_EVIDENCE_CAUSES = ["other-code", "other-checkout", "oidc-commit", "other-code-and-oidc-commit"] as const;
export type NoEvidenceCause = (typeof NO_EVIDENCE_CAUSES)[number];

/** A cause this version knows; another (a newer backend's) reads as not recorded. */
export function knownNoEvidenceCause(value: unknown): NoEvidenceCause | null {
  return NO_EVIDENCE_CAUSES.find((cause) => cause === value) ?? null;
}

/**
 * A job's success that is no promotion evidence: its cause (NO_EVIDENCE_CAUSES). Both null when the backend recorded
 * no cause (results from before it kept one); `reason` is printable ASCII, bounded, but comes from the backend: escape
 * it before printing.
 */
export interface NoEvidence {
  cause: NoEvidenceCause | null;
  reason: string | null;
}

/** NoEvidence.reason's bound: the longest the backend builds (a 64-character runner text, every character escaped) fits. */
export const MAX_NO_EVIDENCE_REASON_CHARS = 1000;

export interface ErrorBody {
  error: string;
  code: ErrorCode;
}

export type ErrorCode =
  | "INVALID_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  /**
   * 403 for a request about a job claimed with a lease that lacks its current secret (LEASE_HEADER), or, on a backend that
   * requires lease secrets, about a job held without one: not an auth failure.
   */
  | "LEASE_REFUSED"
  | "NOT_FOUND"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  | "RATE_LIMITED"
  | "UNAVAILABLE"
  | "INTERNAL_ERROR";
