// Job logs: POST replaces (the v2 behaviour) or, with `?append=true`,
// appends (`&offset=N` makes a retried append safe); both are capped per job.
// GET returns the bytes as text/plain: the whole log (v2), or with `?offset=N`
// only the bytes from N on, with the log's size and attempt in headers (a
// follower's poll downloads what the log gained, not the log again).
import { CORS_HEADERS, HttpError, checkId, notFound, readBody, sendJson, sendText } from "../http.js";
import type { RequestContext } from "../context.js";
import { logKey } from "../views.js";
import { LOG_ATTEMPT_HEADER, LOG_SIZE_HEADER } from "../../protocol.js";
import { leaseRefusal, unleasedRefusal } from "../coordinator.js";
import { leaseOf } from "./jobs.js";
import { planLogWrite, type LogWrite, type LogWriteResult } from "../store/types.js";

/** `?offset=`: absent → undefined; otherwise a non-negative integer (400 if not). */
function offsetParam(ctx: RequestContext): number | undefined {
  const raw = ctx.url.searchParams.get("offset");
  if (raw === null) return undefined;
  const offset = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(offset)) throw new HttpError(400, "INVALID_REQUEST", "offset must be a non-negative integer");
  return offset;
}

/**
 * With `?runnerId=` (what orun runners send) the job must still be that runner's: a runner whose
 * lease was handed on cannot write into the new attempt's log. A write the job's state refuses already
 * (no such run or job, another runner's job, a leased job without its secret) is refused before its body
 * is read, so a caller cannot make the backend hold up to the log cap per request it knows will fail.
 * The store checks ownership again inside the write's transaction, so a takeover that lands while a slow
 * body is still arriving refuses the write instead of letting it into the new attempt's log.
 */
export async function uploadLog(ctx: RequestContext): Promise<void> {
  const { maxLogBytes } = ctx.backend.settings;
  const mode = ctx.url.searchParams.get("append") === "true" ? "append" : "replace";
  const offset = offsetParam(ctx);
  const named = ctx.url.searchParams.get("runnerId");
  const runnerId = named === null ? undefined : checkId("runnerId", named);
  const { namespace } = ctx.caller;
  const { runId, jobId } = ctx.params;
  const lease = leaseOf(ctx, "lease");
  const requireLease = ctx.backend.settings.requireLeaseSecrets === true;
  const write: LogWrite = { mode, maxBytes: maxLogBytes, offset, runnerId, requireLease, ...lease };
  await refuseBeforeBody(ctx, write);
  const release = reserveBody(ctx);
  let outcome: LogWriteResult;
  try {
    const content = await readBody(ctx.req, maxLogBytes);
    outcome = await ctx.backend.store.writeLog(namespace, runId, jobId, content, write);
  } finally {
    release();
  }
  if (!("bytes" in outcome) || "tooLarge" in outcome || "conflict" in outcome) throw refusal(ctx, outcome, write);
  sendJson(ctx.res, 200, { ok: true, logRef: logKey(namespace, runId, jobId), bytes: outcome.bytes, followed: isFollowed(ctx, outcome.followedAt), maxBytes: maxLogBytes });
}

/**
 * Refuses the write from the job's current state (one read, no lock) when it is not the caller's to make. The
 * answer closes the connection: the client need not send, nor the server drain, a body nobody will read.
 */
async function refuseBeforeBody(ctx: RequestContext, write: LogWrite): Promise<void> {
  const { runId, jobId } = ctx.params;
  const state = await ctx.backend.store.getRun(ctx.caller.namespace, runId, { jobIds: [jobId] });
  // Ownership only (an empty replace): the offset and the cap are judged against the log as the write finds it.
  const planned = state ? planLogWrite(state.jobs.find((job) => job.jobId === jobId), 0, { ...write, mode: "replace", offset: undefined }) : { write: false as const, result: { notFound: "run" as const } };
  if (planned.write) return;
  const err = refusal(ctx, planned.result, write);
  throw new HttpError(err.status, err.code, err.message, { ...err.headers, Connection: "close" });
}

/** Each namespace's share of the log budget is 1/NAMESPACE_SHARES of it (4 × --max-log-size by default). */
const NAMESPACE_SHARES = 4;

/**
 * Counts the body against the bytes all uploads may hold at once (its declared size; the cap when it declares none),
 * or refuses it (503, which runners retry) before it is read. One namespace may hold at most a quarter of that budget,
 * so that one tenant's slow uploads cannot turn away every other tenant's. One body always fits, whatever the budget.
 */
function reserveBody(ctx: RequestContext): () => void {
  const { maxLogBytes, maxBufferedLogBytes = Infinity } = ctx.backend.settings;
  const { namespace } = ctx.caller;
  const declared = Number(ctx.req.headers["content-length"] ?? NaN);
  const bytes = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, maxLogBytes) : maxLogBytes;
  const receiving = (ctx.backend.logBytesReceiving ??= { bytes: 0, byNamespace: new Map() });
  const ours = receiving.byNamespace.get(namespace) ?? 0;
  const share = maxBufferedLogBytes / NAMESPACE_SHARES;
  if (ours > 0 && ours + bytes > share) {
    throw new HttpError(503, "UNAVAILABLE", `Too many log bytes being received at once for ${namespace} (${ours} of its ${Math.floor(share)}); retry shortly`, { "Retry-After": "1", Connection: "close" });
  }
  if (receiving.bytes > 0 && receiving.bytes + bytes > maxBufferedLogBytes) {
    throw new HttpError(503, "UNAVAILABLE", `Too many log bytes being received at once (${receiving.bytes} of ${maxBufferedLogBytes}); retry shortly`, { "Retry-After": "1", Connection: "close" });
  }
  receiving.bytes += bytes;
  receiving.byNamespace.set(namespace, ours + bytes);
  return () => {
    receiving.bytes -= bytes;
    const left = (receiving.byNamespace.get(namespace) ?? bytes) - bytes;
    if (left > 0) receiving.byNamespace.set(namespace, left);
    else receiving.byNamespace.delete(namespace);
  };
}

/** The answer to a write the store did not make. */
function refusal(ctx: RequestContext, outcome: LogWriteResult, write: LogWrite): HttpError {
  const { jobId } = ctx.params;
  const { runnerId, lease, offset, maxBytes } = write;
  if ("notFound" in outcome) return notFound(outcome.notFound === "run" ? "Run not found" : "Job not found");
  if ("leaseRequired" in outcome) return new HttpError(403, "LEASE_REFUSED", unleasedRefusal(jobId, runnerId ?? "(none named)", "log write"));
  if ("leaseRefused" in outcome) return new HttpError(403, "LEASE_REFUSED", leaseRefusal(jobId, runnerId ?? "(none named)", lease, "log write"));
  if ("notHeld" in outcome) {
    const owner = outcome.status !== "pending" && outcome.runnerId ? ` on ${outcome.runnerId}` : "";
    return new HttpError(409, "CONFLICT", `Job ${jobId} is not running on runner ${runnerId} (${outcome.status}${owner}): its log belongs to the current attempt`);
  }
  if ("neverRan" in outcome) return new HttpError(409, "CONFLICT", `Job ${jobId} was ${outcome.status} before any runner claimed it: it ran nothing, so it takes no log`);
  if ("conflict" in outcome) return new HttpError(409, "CONFLICT", `Log of ${jobId} has ${outcome.bytes} bytes, append expected offset ${offset}`);
  return new HttpError(413, "PAYLOAD_TOO_LARGE", `Log for ${jobId} would exceed the ${maxBytes}-byte cap`);
}

/** A ranged read this recently (followers re-read whenever a log grew) means someone follows the run's logs. */
export const FOLLOWED_FOR_MS = 60_000;

/**
 * A follower's reads are recorded in the store (runs.followed_at, which every replica's appends read) at most this
 * often per run: a follower polls every second, and the mark only needs to be well inside FOLLOWED_FOR_MS.
 */
const MARK_FOLLOWED_EVERY_MS = 5_000;

function isFollowed(ctx: RequestContext, followedAt: string | undefined): boolean {
  if (!followedAt) return false;
  const age = ctx.backend.clock().now.getTime() - Date.parse(followedAt);
  return age < FOLLOWED_FOR_MS;
}

/**
 * Marks the run followed in the store. This replica skips the write when it made one within the while (the store's
 * condition covers other replicas); a mark that fails costs only the faster pace, never the follower's read.
 */
async function markFollowed(ctx: RequestContext): Promise<void> {
  const now = ctx.backend.clock().now;
  const key = JSON.stringify([ctx.caller.namespace, ctx.params.runId]);
  const marked = (ctx.backend.followMarkedAt ??= new Map());
  if (now.getTime() - (marked.get(key) ?? -Infinity) < MARK_FOLLOWED_EVERY_MS) return;
  if (marked.size >= 10_000) marked.clear();
  marked.set(key, now.getTime());
  const staleBefore = new Date(now.getTime() - MARK_FOLLOWED_EVERY_MS).toISOString();
  await ctx.backend.store.markFollowed(ctx.caller.namespace, ctx.params.runId, now.toISOString(), staleBefore).catch(() => marked.delete(key));
}

export async function readLog(ctx: RequestContext): Promise<void> {
  const { namespace } = ctx.caller;
  const { runId, jobId } = ctx.params;
  const offset = offsetParam(ctx);
  if (offset === undefined) {
    const log = await ctx.backend.store.readLog(namespace, runId, jobId);
    if (!log) throw notFound("Log not found");
    sendText(ctx.res, 200, log);
    return;
  }
  // A ranged read answers for any job of the run, logged or not yet (size 0): followers poll before output lands.
  const range = await ctx.backend.store.readLogFrom(namespace, runId, jobId, offset);
  if ("notFound" in range) throw notFound(range.notFound === "run" ? "Run not found" : "Job not found");
  await markFollowed(ctx);
  ctx.res.writeHead(200, {
    ...CORS_HEADERS,
    "Access-Control-Expose-Headers": `${LOG_SIZE_HEADER}, ${LOG_ATTEMPT_HEADER}`,
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": range.content.length,
    [LOG_SIZE_HEADER]: range.size,
    [LOG_ATTEMPT_HEADER]: range.attempt,
  });
  ctx.res.end(range.content);
}
