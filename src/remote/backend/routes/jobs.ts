// Job coordination: list, status, runnable (with long-poll), claim, update,
// heartbeat. Every mutation is one coordinator function applied atomically
// by the store (see store/types.ts).
import { clipError, type ListJobsResponse, type RunnableResponse } from "../../protocol.js";
import { CoordinatorError, WholeRunNeeded, claimJob, heartbeatJob, releaseJob, type ClaimOptions, isJobActionable, runnableJobs, stoppedBy, updateJob, type Mutation, type MutationScope, type RunState } from "../coordinator.js";
import { HttpError, badRequest, checkId, checkText, notFound, readJson, sendJson } from "../http.js";
import type { RequestContext } from "../context.js";
import { jobView } from "../views.js";
import { leaseForClaim } from "../lease.js";
import { LEASE_HEADER } from "../../protocol.js";

async function loadRun(ctx: RequestContext): Promise<RunState> {
  const state = await ctx.backend.store.getRun(ctx.caller.namespace, ctx.params.runId);
  if (!state) throw notFound("Run not found");
  return state;
}

async function mutate<T>(ctx: RequestContext, scope: MutationScope, fn: (state: RunState) => Mutation<T>): Promise<T> {
  return mapCoordinatorError(async () => {
    const result = await ctx.backend.store.mutateRun(ctx.caller.namespace, ctx.params.runId, scope, fn);
    if (result === undefined) throw notFound("Run not found");
    return result;
  });
}

const COORDINATOR_ERROR_CODES = { 400: "INVALID_REQUEST", 403: "LEASE_REFUSED", 404: "NOT_FOUND", 409: "CONFLICT" } as const;

/** A coordinator refusal becomes the HTTP error it stands for. */
async function mapCoordinatorError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CoordinatorError) throw new HttpError(err.status, COORDINATOR_ERROR_CODES[err.status], err.message);
    throw err;
  }
}

/**
 * A runner asking about its run (a claim, a long-poll while it waits) keeps the run from retention even when
 * nothing in it changes: written at most once per `activityEveryMs`.
 */
async function recordActivity(ctx: RequestContext): Promise<void> {
  const { store, settings } = ctx.backend;
  const now = ctx.backend.clock().now;
  const every = settings.activityEveryMs ?? 30_000;
  // Recorded by this replica within the while: no database write (the store's condition covers other replicas).
  let recent = recentActivity.get(store);
  if (!recent) recentActivity.set(store, (recent = new Map()));
  const key = JSON.stringify([ctx.caller.namespace, ctx.params.runId]);
  if (now.getTime() - (recent.get(key) ?? -Infinity) < every) return;
  if (recent.size >= 10_000) recent.clear();
  recent.set(key, now.getTime());
  await store.recordActivity(ctx.caller.namespace, ctx.params.runId, now.toISOString(), new Date(now.getTime() - every).toISOString());
}

/** When this process last recorded a runner's activity in a run (recordActivity): per store, by namespace and run. */
const recentActivity = new WeakMap<object, Map<string, number>>();

export async function listJobs(ctx: RequestContext): Promise<void> {
  const state = await loadRun(ctx);
  const body: ListJobsResponse = {
    jobs: state.jobs.map((j) => jobView(state.run.namespace, state.run.runId, j, ctx.backend.settings.leaseMs)),
    now: ctx.backend.clock().now.toISOString(),
  };
  sendJson(ctx.res, 200, body);
}

export async function jobStatus(ctx: RequestContext): Promise<void> {
  const state = await loadRun(ctx);
  const job = state.jobs.find((j) => j.jobId === ctx.params.jobId);
  if (!job) throw notFound("Job not found");
  sendJson(ctx.res, 200, jobView(state.run.namespace, state.run.runId, job, ctx.backend.settings.leaseMs));
}

/**
 * GET …/runnable[?job=ID][&waitMs=N]. With `waitMs` the request is held until
 * something is worth acting on (the job became claimable, terminal or
 * abandoned; without `job`: any job became runnable) or the wait ends. Store
 * change events wake it at once; a slow re-check covers writers the store
 * cannot observe (another process on the same SQLite file).
 */
export async function runnable(ctx: RequestContext): Promise<void> {
  const job = ctx.url.searchParams.get("job");
  // Read from the store like a path's job ID: a NUL was a 500 on PostgreSQL.
  const jobId = job === null ? undefined : checkText("job", job);
  const rawWait = ctx.url.searchParams.get("waitMs");
  if (rawWait !== null && !/^\d+$/.test(rawWait)) throw badRequest("waitMs must be a non-negative integer (milliseconds)");
  const waitMs = Math.min(Number(rawWait ?? 0), ctx.backend.settings.maxLongPollMs);
  await recordActivity(ctx);
  const evaluate = async (): Promise<{ ready: boolean; body: () => Promise<RunnableResponse>; watch?: string[] }> => {
    if (!jobId) {
      const state = await loadRun(ctx);
      const jobs = runnableJobs(state);
      return { ready: jobs.length > 0 || state.run.status !== "running", body: async () => ({ jobs }) };
    }
    // Every change of the run wakes every runner waiting in it: each re-check reads its job and that job's
    // dependencies, not the whole run (50 waiters on a 2,000-job run read 100,000 rows per change).
    const state = await ctx.backend.store.getRun(ctx.caller.namespace, ctx.params.runId, { jobIds: [jobId], deps: true });
    if (!state) throw notFound("Run not found");
    const job = state.jobs.find((j) => j.jobId === jobId);
    if (!job) throw notFound("Job not found");
    // A later attempt's wait ends when its own attempt stopped the run (isJobActionable): the job named by the stop
    // tells which attempt that was.
    const stopper = stoppedBy(state.run);
    if (stopper && ctx.caller.workflowRun && job.status === "skipped" && !state.jobs.some((j) => j.jobId === stopper)) {
      state.jobs.push(...((await ctx.backend.store.getRun(ctx.caller.namespace, ctx.params.runId, { jobIds: [stopper] }))?.jobs ?? []));
    }
    const view = jobView(state.run.namespace, state.run.runId, job);
    // The run's runnable jobs (v2's answer) are read once, for the answer.
    return {
      // A later workflow attempt's runner waits while the failure that skipped its job awaits that attempt's retry.
      ready: isJobActionable(job, state, ctx.backend.clock(), ctx.caller.workflowRun),
      body: async () => ({ jobs: runnableJobs(await loadRun(ctx)), job: view }),
      watch: [job.jobId, ...job.deps],
    };
  };
  const body = await (waitMs > 0 ? await waitUntilReady(ctx, waitMs, evaluate) : (await evaluate()).body)();
  sendJson(ctx.res, 200, body);
}

/**
 * Holds the request until `evaluate` says ready or the wait ends. A change of the run wakes it when it touched
 * a job the waiter watches (its job and that job's dependencies), or any job when it watches the whole run.
 */
async function waitUntilReady<T>(ctx: RequestContext, waitMs: number, evaluate: () => Promise<{ ready: boolean; body: T; watch?: readonly string[] }>): Promise<T> {
  const { store } = ctx.backend;
  const deadline = Date.now() + waitMs;
  let wake: (() => void) | undefined;
  let dirty = false;
  let watch: Set<string> | undefined;
  const unsubscribe = store.onRunChanged((ns, runId, jobIds) => {
    if (ns !== ctx.caller.namespace || runId !== ctx.params.runId) return;
    // 50 runners waiting in a 2,000-job run each re-read on every change: 3 claim+complete cycles a second on PostgreSQL.
    if (watch && jobIds && !jobIds.some((id) => watch!.has(id))) return;
    dirty = true;
    wake?.();
  });
  let gone = false;
  const onClose = () => {
    gone = true;
    wake?.();
  };
  ctx.res.on("close", onClose);
  try {
    for (;;) {
      dirty = false;
      const outcome = await evaluate();
      watch = outcome.watch && new Set(outcome.watch);
      const left = deadline - Date.now();
      if (outcome.ready || left <= 0 || gone) return outcome.body;
      if (dirty) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, ctx.backend.settings.longPollRecheckMs));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    unsubscribe();
    ctx.res.off("close", onClose);
  }
}

/**
 * Cap on a claim or heartbeat body: a runner ID. Without it these took plan-sized bodies (16 MiB), read into
 * memory and parsed, from every caller at once. An update takes the backend's JSON cap (see update).
 */
export const COORDINATION_BODY_BYTES = 64 * 1024;

export async function claim(ctx: RequestContext): Promise<void> {
  const what = "a claim (it holds only runnerId)";
  const body = await readJson(ctx.req, COORDINATION_BODY_BYTES, what);
  const runnerId = checkId("runnerId", body.runnerId);
  // A misspelt value must not pass for `false` (nor for `true`: a retry reopens a failed job and its dependents).
  if (body.retry !== undefined && typeof body.retry !== "boolean") throw badRequest("retry must be a boolean");
  const claimKey = claimKeyOf(body.claimKey);
  if (claimKey === undefined && ctx.backend.settings.requireLeaseSecrets) throw badRequest(leaseSecretsRequired(ctx.params.jobId, runnerId));
  await recordActivity(ctx);
  const clock = ctx.backend.clock();
  const scope: MutationScope = { jobIds: [ctx.params.jobId], deps: true, upstream: true };
  const options: ClaimOptions = {
    retry: body.retry === true,
    ...(ctx.caller.workflowRun ? { workflowRun: ctx.caller.workflowRun } : {}),
    // For every claim that asks: handed out only by one that takes the job (only its hash is stored).
    ...(claimKey !== undefined ? { claimKey, newLease: leaseForClaim(claimKey, { namespace: ctx.caller.namespace, runId: ctx.params.runId, jobId: ctx.params.jobId }) } : {}),
    ...leaseOf(ctx, "presentedLease"),
  };
  const decide = (state: RunState, wholeRun = false) => claimJob(state, ctx.params.jobId, runnerId, clock, { ...options, wholeRun });
  // Most claims change nothing (the job is done, running elsewhere, or waits): answered from a snapshot without
  // the run's lock, which every runner of the run queues for (16 runners walking a 200-job plan made 4,000 claims,
  // ~300 ms each on PostgreSQL). Such an answer was true at the snapshot; the runner asks again when it changes.
  const peek = await mapCoordinatorError(async () => {
    const state = await ctx.backend.store.getRun(ctx.caller.namespace, ctx.params.runId, scope);
    if (!state) throw notFound("Run not found");
    try {
      return decide(state);
    } catch (err) {
      if (err instanceof WholeRunNeeded) return undefined;
      throw err;
    }
  });
  if (peek && !peek.result.claimed && peek.changedJobs.length === 0 && !peek.stopRun && !peek.retryWaits) return sendJson(ctx.res, 200, peek.result);
  // A takeover also deletes the job's log in the claim's transaction (claimJob's clearLogs): the new owner appends from offset 0.
  // A retry reopens the failed job's dependents too: that claim loads the whole run (also when the job failed after the snapshot).
  const answer = peek
    ? await mutate(ctx, scope, decide).catch((err: unknown) => (err instanceof WholeRunNeeded ? undefined : Promise.reject(err)))
    : undefined;
  sendJson(ctx.res, 200, answer ?? (await mutate(ctx, "all", (state) => decide(state, true))));
}

/** A claim without a claimKey on a backend that requires lease secrets: what to upgrade. */
function leaseSecretsRequired(jobId: string, runnerId: string): string {
  return `Job ${jobId} was not claimed: this backend requires lease secrets (--require-lease-secrets) and the claim for runner ${runnerId} sent no claimKey; use an orun runner that sends one (this version or later; v2 runners and orun runners from before lease secrets do not)`;
}

/** ClaimRequest.claimKey: absent, or 16–256 base64url characters (a key too short to be secret would prove nothing). */
function claimKeyOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !/^[A-Za-z0-9_-]{16,256}$/.test(value)) throw badRequest("claimKey must be 16 to 256 base64url characters (a random key the runner draws per claim)");
  return value;
}

/** The lease secret the request presents (LEASE_HEADER), under `key`; nothing when it presents none. */
export function leaseOf<K extends string>(ctx: RequestContext, key: K): { [P in K]?: string } {
  const raw = ctx.req.headers[LEASE_HEADER.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return (value ? { [key]: value } : {}) as { [P in K]?: string };
}

export async function update(ctx: RequestContext): Promise<void> {
  const what = "an update (runnerId, status, error, revision; see the backend's cap on JSON bodies)";
  // Runners before clipError sent a step's error whole (a refused command quoted in full): refused, the job's
  // result was never recorded and the job stayed running. One update per job: the JSON cap, and only the
  // error's first MAX_ERROR_CHARS characters are kept.
  const body = await readJson(ctx.req, ctx.backend.settings.maxJsonBytes, what);
  const runnerId = checkId("runnerId", body.runnerId);
  const status = body.status;
  if (status !== "success" && status !== "failed" && status !== "skipped") throw badRequest("status must be 'success', 'failed' or 'skipped'");
  if (body.error !== undefined && body.error !== null && typeof body.error !== "string") throw badRequest("error must be a string");
  // A misspelt flag must not pass for `false`: a failure read as not tolerated stops a failFast run.
  if (body.tolerated !== undefined && typeof body.tolerated !== "boolean") throw badRequest("tolerated must be a boolean");
  // Only compared with the run's revision (never stored); misread, a job would vouch for the run's revision.
  const revision = body.revision;
  if (revision !== undefined && revision !== null && typeof revision !== "string") throw badRequest("revision must be the commit the job ran at (a string) or null (none)");
  // A step's error may quote its output: a NUL (which PostgreSQL text cannot hold) is replaced, not refused.
  const error = typeof body.error === "string" ? clipError(body.error).replaceAll("\u0000", "\uFFFD") : undefined;
  const clock = ctx.backend.clock();
  // Failed and skipped jobs skip their dependents: those need every job loaded.
  const scope: MutationScope = status === "success" ? { jobIds: [ctx.params.jobId] } : "all";
  const tolerated = body.tolerated === true;
  const vouches = revision === undefined ? {} : { revision: revision as string | null };
  // The commit a GitHub Actions runner's token is signed for: the revision it reports is believed only when it is that.
  const attested = ctx.caller.sha !== undefined ? { tokenCommit: ctx.caller.sha } : {};
  // A repeat (its answer was lost) changes nothing: its answer says why again, the log does not.
  let repeat = false;
  const answer = await mutate(ctx, scope, (state) => {
    const mutation = updateJob(state, ctx.params.jobId, runnerId, status, error, clock, { tolerated, ...vouches, ...attested, ...leaseOf(ctx, "lease") });
    repeat = mutation.changedJobs.length === 0;
    return mutation;
  });
  if (answer.evidenceWithheld && !repeat) {
    const run = `run ${ctx.params.runId}${ctx.caller.namespaceSlug ? ` of ${ctx.caller.namespaceSlug}` : ""}`;
    ctx.backend.log?.(`orun backend: ${run}: job ${ctx.params.jobId}'s success is no promotion evidence: ${answer.evidenceWithheld}`);
  }
  sendJson(ctx.res, 200, answer);
}

/** The holder gives its job back unfinished (protocol ReleaseRequest): pending again, for any runner to take over. */
export async function release(ctx: RequestContext): Promise<void> {
  const what = "a release (runnerId, reason)";
  const body = await readJson(ctx.req, COORDINATION_BODY_BYTES, what);
  const runnerId = checkId("runnerId", body.runnerId);
  if (body.reason !== undefined && body.reason !== null && typeof body.reason !== "string") throw badRequest("reason must be a string");
  const reason = typeof body.reason === "string" ? clipError(body.reason).replaceAll("\u0000", "\uFFFD") : undefined;
  const clock = ctx.backend.clock();
  sendJson(ctx.res, 200, await mutate(ctx, { jobIds: [ctx.params.jobId] }, (state) => releaseJob(state, ctx.params.jobId, runnerId, reason, clock, leaseOf(ctx, "lease").lease)));
}

export async function heartbeat(ctx: RequestContext): Promise<void> {
  const what = "a heartbeat (it holds only runnerId)";
  const body = await readJson(ctx.req, COORDINATION_BODY_BYTES, what);
  const runnerId = checkId("runnerId", body.runnerId);
  const clock = ctx.backend.clock();
  sendJson(ctx.res, 200, await mutate(ctx, { jobIds: [ctx.params.jobId] }, (state) => heartbeatJob(state, ctx.params.jobId, runnerId, clock, leaseOf(ctx, "lease").lease)));
}

