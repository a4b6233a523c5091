// What one execution record proves about a component in an environment, for promotion gates (gates.ts) and the
// evidence `orun gc` keeps (gc-evidence.ts). A component succeeded there when every one of its jobs there in the
// record's plan (manifest.json) completed, as the backend judges a run: a scoped run (`--job`, `--component`, `-e`)
// leaves the plan's other jobs out of state.json, and they are no less part of the component.
import { canonicalJobId, parseJobId } from "../model/plan.js";
import { readRecordFile } from "./records/read-record.js";
import type { ExecState } from "./records/state.js";
import type { ExecutionStore } from "./records/store.js";

/**
 * `succeeded`: every job of the component in the environment that the plan holds completed; `failed`: one failed
 * (`job` names it); `partial`: some completed, others never ran or did not finish (`missing`, of `total`); `not-run`:
 * none completed (a run of other jobs); `absent`: the plan has no job of it there; `no-plan`: the record keeps no
 * readable plan, so what its plan held is unknown.
 */
export type ComponentOutcome =
  | { kind: "succeeded" }
  | { kind: "failed"; job: string }
  | { kind: "partial"; missing: string[]; total: number }
  | { kind: "not-run" }
  | { kind: "absent" }
  | { kind: "no-plan" };

/**
 * The canonical IDs of the jobs in the plan a record keeps (manifest.json); undefined when it is missing, not a
 * regular file, not JSON or not a plan (a record restored without it, a hand-edited one): such a record is no evidence.
 */
export async function readPlanJobIds(store: ExecutionStore, execId: string): Promise<string[] | undefined> {
  try {
    const text = await readRecordFile(store.manifestFile(execId), "execution manifest");
    if (text === undefined) return undefined;
    const plan = JSON.parse(text) as { jobs?: unknown };
    if (!Array.isArray(plan?.jobs)) return undefined;
    const ids = (plan.jobs as { id?: unknown }[]).map((job) => job?.id);
    return ids.every((id): id is string => typeof id === "string") ? ids.map(canonicalJobId) : undefined;
  } catch {
    return undefined;
  }
}

/** How the component's jobs in the environment ended in this record (planJobs: its plan's job IDs, canonical). */
export function componentOutcome(state: ExecState, planJobs: readonly string[] | undefined, component: string, environment: string): ComponentOutcome {
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
  return missing.length ? { kind: "partial", missing, total: ids.length } : { kind: "succeeded" };
}

/**
 * Each environment whose gates a record is evidence for, with the components every job of which in its plan completed
 * there (componentOutcome `succeeded`), environments and components sorted. None without a readable plan.
 */
export function succeededComponents(state: ExecState, planJobs: readonly string[] | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!planJobs) return out;
  const pairs = new Map<string, { component: string; environment: string }>();
  for (const id of planJobs) {
    const parts = parseJobId(id);
    if (parts) pairs.set(JSON.stringify([parts.component, parts.environment]), parts);
  }
  const sorted = [...pairs.values()].sort((a, b) => a.environment.localeCompare(b.environment) || a.component.localeCompare(b.component));
  for (const { component, environment } of sorted) {
    if (componentOutcome(state, planJobs, component, environment).kind !== "succeeded") continue;
    (out.get(environment) ?? out.set(environment, []).get(environment)!).push(component);
  }
  return out;
}
