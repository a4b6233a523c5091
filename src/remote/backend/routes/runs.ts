// POST /v1/runs (create or join) and GET /v1/runs/:runId.
import { isCommitId, type BackendPlan, type CreateRunResponse, type EvidenceResponse } from "../../protocol.js";
import { CoordinatorError, initialJobs, type RunRecord } from "../coordinator.js";
import { HttpError, badRequest, checkId, checkText, notFound, readJson, sendJson } from "../http.js";
import type { RequestContext } from "../context.js";
import { runView } from "../views.js";
import { randomUUID } from "node:crypto";

export async function createRun({ req, res, caller, backend }: RequestContext): Promise<void> {
  const body = await readJson(req, backend.settings.maxJsonBytes, "a run's plan (see the backend's cap on JSON bodies)");
  const plan = body.plan as BackendPlan | undefined;
  if (!plan || typeof plan !== "object" || !plan.checksum || !Array.isArray(plan.jobs)) throw badRequest("Missing or invalid plan");
  const runId = body.runId === undefined ? randomUUID() : checkId("runId", body.runId);
  if (body.namespaceId !== undefined && String(body.namespaceId).trim().toLowerCase() !== caller.namespace.toLowerCase()) throw new HttpError(403, "FORBIDDEN", "Namespace mismatch");
  let jobs;
  try {
    jobs = initialJobs(plan);
  } catch (err) {
    if (err instanceof CoordinatorError) throw badRequest(err.message);
    throw err;
  }
  for (const job of jobs) checkId("jobId", job.jobId);
  const text = (field: string, value: unknown) => (typeof value === "string" ? checkText(field, value) : value);
  text("plan.checksum", plan.checksum);
  checkRevision(plan.revision);
  text("actor", body.actor);
  text("triggerType", body.triggerType);
  plan.jobs.forEach((job, i) => text(`plan.jobs[${i}].component`, job?.component));
  const now = backend.clock().now.toISOString();
  const run: RunRecord = {
    namespace: caller.namespace,
    runId,
    // Nothing to run is a finished run (v2 kept an empty run `running` for ever: status --watch never ended).
    status: jobs.length === 0 ? "completed" : "running",
    planChecksum: String(plan.checksum),
    triggerType: typeof body.triggerType === "string" && body.triggerType ? body.triggerType : "ci",
    actor: typeof body.actor === "string" && body.actor ? body.actor : caller.actor,
    dryRun: Boolean(body.dryRun),
    createdAt: now,
    updatedAt: now,
    finishedAt: jobs.length === 0 ? now : null,
    revision: plan.revision ?? null,
    failFast: plan.failFast === true,
  };
  const outcome = await backend.store.createRun({ run, jobs, planJson: JSON.stringify(plan) });
  if (outcome.created) {
    sendJson(res, 201, { runId, status: run.status, createdAt: now, failFast: Boolean(run.failFast) } satisfies CreateRunResponse);
    return;
  }
  const { existing } = outcome;
  if (existing.planChecksum !== run.planChecksum) {
    throw new HttpError(409, "CONFLICT", `Run exists with different plan checksum (run ${runId} has ${existing.planChecksum}, request has ${run.planChecksum})`);
  }
  // The same checksum is the same plan, failFast included (it is hashed): a run registered without it — by a
  // runner or backend from before fail-fast spanned runners (migration 10) — is failFast from now on.
  if (run.failFast && !existing.failFast) await backend.store.enableFailFast(caller.namespace, runId);
  const failFast = Boolean(run.failFast || existing.failFast);
  sendJson(res, 200, { runId, status: existing.status, createdAt: existing.createdAt, joined: true, failFast } satisfies CreateRunResponse);
}

/**
 * The run's revision is what promotion evidence is for, and runners compare it with the commit they ran (git's full
 * object name, lower case): anything else, which no runner can have run, is refused rather than stored.
 */
function checkRevision(revision: unknown): void {
  if (revision === undefined || revision === null || isCommitId(revision)) return;
  const got =
    typeof revision !== "string"
      ? Array.isArray(revision) ? "an array" : typeof revision === "object" ? "an object" : `a ${typeof revision}`
      : /^[\x20-\x7e]{0,80}$/.test(revision) ? JSON.stringify(revision) : `a ${revision.length}-character string`;
  throw badRequest(`Invalid plan.revision: must be a commit ID, 40 or 64 lower-case hex digits (git's full object name of the commit the plan was compiled from), or left out; got ${got}`);
}

export async function getRun({ res, params, caller, backend }: RequestContext): Promise<void> {
  const state = await backend.store.getRun(caller.namespace, params.runId);
  if (!state) throw notFound("Run not found");
  const view = runView(state, caller.namespaceSlug);
  sendJson(res, 200, { ...view, run: view });
}

/** Promotion-gate evidence (decision 8): did `component` succeed in `environment` at `revision` in some run of this namespace? */
export async function evidence({ res, url, caller, backend }: RequestContext): Promise<void> {
  const [component, environment, revision] = ["component", "environment", "revision"].map((k) => url.searchParams.get(k) ?? "");
  if (!component || !environment || !revision) throw badRequest("component, environment and revision are required");
  checkText("component", component);
  checkText("environment", environment);
  checkText("revision", revision);
  const found = await backend.store.componentSucceededAt(caller.namespace, revision, component, environment);
  let answer: EvidenceResponse = { satisfied: false };
  if (found && "runId" in found) answer = { satisfied: true, runId: found.runId };
  // Not `runId`: that ID may name a later run now.
  else if (found && "deletedRunId" in found) answer = { satisfied: true, deletedRun: { runId: found.deletedRunId, recordedAt: found.recordedAt } };
  // A run that succeeded but is no evidence: the gate names its cause.
  else if (found) answer = { satisfied: false, withheld: found.withheld };
  sendJson(res, 200, answer);
}
