// Job logs: POST replaces (the v2 behaviour) or, with `?append=true`,
// appends (`&offset=N` makes a retried append safe); both are capped per job. GET returns the bytes as text/plain.
import { HttpError, notFound, readBody, sendJson, sendText } from "../http.js";
import type { RequestContext } from "../context.js";
import { logKey } from "../views.js";

/**
 * The job must exist; with `?runnerId=` (what orun runners send) it must also still be that runner's:
 * a runner whose lease was handed on cannot write into the new attempt's log.
 */
async function assertWritable(ctx: RequestContext): Promise<void> {
  const state = await ctx.backend.store.getRun(ctx.caller.namespace, ctx.params.runId);
  if (!state) throw notFound("Run not found");
  const job = state.jobs.find((j) => j.jobId === ctx.params.jobId);
  if (!job) throw notFound("Job not found");
  const runnerId = ctx.url.searchParams.get("runnerId");
  // A pending job that still names this runner was released from it (lease expired) and claimed by nobody since: still its attempt.
  if (runnerId !== null && (!["running", "pending"].includes(job.status) || job.runnerId !== runnerId)) {
    const owner = job.status !== "pending" && job.runnerId ? ` on ${job.runnerId}` : "";
    throw new HttpError(409, "CONFLICT", `Job ${job.jobId} is not running on runner ${runnerId} (${job.status}${owner}): its log belongs to the current attempt`);
  }
}

export async function uploadLog(ctx: RequestContext): Promise<void> {
  await assertWritable(ctx);
  const { maxLogBytes } = ctx.backend.settings;
  const content = await readBody(ctx.req, maxLogBytes);
  const mode = ctx.url.searchParams.get("append") === "true" ? "append" : "replace";
  const offsetParam = ctx.url.searchParams.get("offset");
  const offset = offsetParam === null ? undefined : Number(offsetParam);
  if (offset !== undefined && (!Number.isInteger(offset) || offset < 0)) throw new HttpError(400, "INVALID_REQUEST", "offset must be a non-negative integer");
  const { namespace } = ctx.caller;
  const outcome = await ctx.backend.store.writeLog(namespace, ctx.params.runId, ctx.params.jobId, content, { mode, maxBytes: maxLogBytes, offset });
  if ("conflict" in outcome) throw new HttpError(409, "CONFLICT", `Log of ${ctx.params.jobId} has ${outcome.bytes} bytes, append expected offset ${offset}`);
  if ("tooLarge" in outcome) throw new HttpError(413, "PAYLOAD_TOO_LARGE", `Log for ${ctx.params.jobId} would exceed the ${maxLogBytes}-byte cap`);
  sendJson(ctx.res, 200, { ok: true, logRef: logKey(namespace, ctx.params.runId, ctx.params.jobId), bytes: outcome.bytes });
}

export async function readLog(ctx: RequestContext): Promise<void> {
  const log = await ctx.backend.store.readLog(ctx.caller.namespace, ctx.params.runId, ctx.params.jobId);
  if (!log) throw notFound("Log not found");
  sendText(ctx.res, 200, log);
}
