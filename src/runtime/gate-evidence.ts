// What one execution record proves about a component in an environment, for promotion gates (gates.ts) and the
// evidence `orun gc` keeps (gc-evidence.ts). A component succeeded there when every one of its jobs there in the
// record's plan (manifest.json) completed, as the backend judges a run: a scoped run (`--job`, `--component`, `-e`)
// leaves the plan's other jobs out of state.json, and they are no less part of the component. The commit it succeeded
// at is the one every such job ran at (records/result-revision.ts): each result keeps the revision its own run vouched
// for, so a job that succeeded running an uncommitted fix is no evidence for the commit a later resume vouches for.
import { canonicalJobId, parseJobId } from "../model/plan.js";
import { readRecordFile } from "./records/read-record.js";
import { resultRevision } from "./records/result-revision.js";
import type { ExecState } from "./records/state.js";
import type { ExecutionStore } from "./records/store.js";

/**
 * `succeeded`: every job of the component in the environment that the plan holds completed (`ranAt`: the revision
 * each ran at, undefined for none); `failed`: one failed
 * (`job` names it); `partial`: some completed, others never ran or did not finish (`missing`, of `total`); `not-run`:
 * none completed (a run of other jobs); `absent`: the plan has no job of it there; `no-plan`: the record keeps no
 * readable plan, so what its plan held is unknown.
 */
export type ComponentOutcome =
  | { kind: "succeeded"; ranAt: Map<string, string | undefined> }
  | { kind: "failed"; job: string }
  | { kind: "partial"; missing: string[]; total: number }
  | { kind: "not-run" }
  | { kind: "absent" }
  | { kind: "no-plan" };

/**
 * The plan a record keeps (manifest.json): the canonical IDs of its jobs, and the revision it was compiled at;
 * undefined when it is missing, not a regular file, not JSON or not a plan (a record restored without it, a
 * hand-edited one): such a record is no evidence.
 */
export async function readRecordedPlan(store: ExecutionStore, execId: string): Promise<{ jobIds: string[]; revision?: string } | undefined> {
  try {
    const text = await readRecordFile(store.manifestFile(execId), "execution manifest");
    if (text === undefined) return undefined;
    const plan = JSON.parse(text) as { jobs?: unknown; metadata?: { revision?: unknown } };
    if (!Array.isArray(plan?.jobs)) return undefined;
    const ids = (plan.jobs as { id?: unknown }[]).map((job) => job?.id);
    if (!ids.every((id): id is string => typeof id === "string")) return undefined;
    const revision = plan.metadata?.revision;
    return { jobIds: ids.map(canonicalJobId), ...(typeof revision === "string" ? { revision } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * How the component's jobs in the environment ended in this record (planJobs: its plan's job IDs, canonical;
 * recordRevision: its metadata.revision, for results recorded without their own).
 */
export function componentOutcome(state: ExecState, planJobs: readonly string[] | undefined, component: string, environment: string, recordRevision: string | undefined): ComponentOutcome {
  if (!planJobs) return { kind: "no-plan" };
  const ids = planJobs.filter((id) => {
    const parts = parseJobId(id);
    return parts?.component === component && parts.environment === environment;
  });
  if (ids.length === 0) return { kind: "absent" };
  const failed = ids.find((id) => state.jobs[id]?.status === "failed");
  if (failed !== undefined) return { kind: "failed", job: failed };
  const missing = ids.filter((id) => state.jobs[id]?.status !== "completed");
  if (missing.length === ids.length) return { kind: "not-run" };
  if (missing.length) return { kind: "partial", missing, total: ids.length };
  return { kind: "succeeded", ranAt: new Map(ids.map((id) => [id, resultRevision(state.jobs[id]!, recordRevision)])) };
}

/** The revision a success is evidence for: the one all its jobs ran at; undefined when one ran at none, or they differ. */
export function evidenceRevision(ranAt: ReadonlyMap<string, string | undefined>): string | undefined {
  const revisions = new Set(ranAt.values());
  return revisions.size === 1 ? [...revisions][0] : undefined;
}

/**
 * Each environment whose gates a record is evidence for, with the components every job of which in its plan completed
 * there at one revision (componentOutcome `succeeded`, evidenceRevision), and that revision; environments and
 * components sorted. None without a readable plan.
 */
export function succeededComponents(state: ExecState, planJobs: readonly string[] | undefined, recordRevision: string | undefined): Map<string, { component: string; revision: string }[]> {
  const out = new Map<string, { component: string; revision: string }[]>();
  if (!planJobs) return out;
  const pairs = new Map<string, { component: string; environment: string }>();
  for (const id of planJobs) {
    const parts = parseJobId(id);
    if (parts) pairs.set(JSON.stringify([parts.component, parts.environment]), parts);
  }
  const sorted = [...pairs.values()].sort((a, b) => a.environment.localeCompare(b.environment) || a.component.localeCompare(b.component));
  for (const { component, environment } of sorted) {
    const outcome = componentOutcome(state, planJobs, component, environment, recordRevision);
    const revision = outcome.kind === "succeeded" ? evidenceRevision(outcome.ranAt) : undefined;
    if (revision === undefined) continue;
    (out.get(environment) ?? out.set(environment, []).get(environment)!).push({ component, revision });
  }
  return out;
}
