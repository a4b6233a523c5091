// The compiled plan: the boundary between planning and execution.
// Shape follows orun v2.3's plan.json (key order matters for the canonical
// serialisation, see src/plan/canonical-json.ts). Job IDs are canonical
// `component@environment.job` (product decision 1); the dotted v2 form is
// accepted on input and normalised by `canonicalJobId`.

export const PLAN_API_VERSION = "orun.io/v1";
export const PLAN_KIND = "Plan";

export type StepPhase = "pre" | "main" | "post";

export interface PlanStep {
  id: string;
  name?: string;
  phase: StepPhase;
  order?: number;
  run?: string;
  use?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  shell?: string;
  "working-directory"?: string;
  timeout?: string;
  retry?: number;
  onFailure?: string;
}

export interface PromotionGate {
  type: "environment-promotion";
  environment: string;
  component: string;
  condition: string;
  match: { revision: string };
}

export interface PlanJob {
  id: string;
  uid?: string;
  displayName?: string;
  checkName?: string;
  name: string;
  component: string;
  environment: string;
  composition?: string;
  profile?: string;
  profileSource?: string;
  profileRuleTriggerRef?: string;
  jobRegistry?: string;
  job?: string;
  runsOn?: string;
  path?: string;
  steps: PlanStep[];
  dependsOn?: string[];
  gates?: PromotionGate[];
  timeout?: string;
  retries?: number;
  env?: Record<string, string>;
  labels?: Record<string, string>;
  parameters?: Record<string, unknown>;
  /**
   * Merged policies (group, then environment, then execution profile; later
   * wins), values as strings. `requireApproval: "true"` makes the runtime
   * refuse the job without `--approve` (decision 5).
   */
  policies?: Record<string, string>;
}

export interface PlanTriggerInfo {
  mode: "named-trigger" | "event-file";
  provider?: string;
  event?: string;
  action?: string;
  matchedBindings: string[];
  activeEnvironments: string[];
  /** environment → the matched bindings that activated it (several bindings can match one event). */
  activatedBy?: Record<string, string[]>;
  /**
   * The plan scope: a named trigger records its binding's `plan.scope` as written, "" when it declares none
   * (spec 12 §6.1, conformance case 22); an event records the matched bindings' common scope, else "full".
   * "" plans the full scope.
   */
  scope: "full" | "changed" | "";
  base?: string;
  head?: string;
}

export interface PlanMetadata {
  name: string;
  description?: string;
  namespace?: string;
  generatedAt?: string;
  checksum?: string;
  scope?: { detectedComponent?: string; components: string[] };
  trigger?: PlanTriggerInfo;
  workDir?: string;
  /** Source revision the plan was compiled from (git HEAD), used by promotion gates. */
  revision?: string;
}

export interface PlanExecution {
  concurrency: number;
  failFast: boolean;
  stateFile?: string;
  state?: { mode?: "local" | "remote"; backendUrl?: string };
}

export interface CompositionSourceRecord {
  name: string;
  kind: string;
  ref?: string;
  path?: string;
  resolvedDigest: string;
  exports?: string[];
}

export interface PlanSpec {
  jobBindings?: Record<string, string>;
  compositionSources?: CompositionSourceRecord[];
}

export interface Plan {
  apiVersion: typeof PLAN_API_VERSION;
  kind: typeof PLAN_KIND;
  metadata: PlanMetadata;
  execution: PlanExecution;
  spec: PlanSpec;
  jobs: PlanJob[];
}

export interface JobIdParts {
  component: string;
  environment: string;
  job: string;
}

/** `component@environment.job` */
export function formatJobId(parts: JobIdParts): string {
  return `${parts.component}@${parts.environment}.${parts.job}`;
}

/**
 * Parses either `component@environment.job` or the v2 dotted form
 * `component.environment.job`. Job names may contain dots, so the dotted form
 * splits on the first two dots. Returns undefined when neither form fits.
 */
export function parseJobId(id: string): JobIdParts | undefined {
  const at = id.indexOf("@");
  if (at > 0) {
    const rest = id.slice(at + 1);
    const dot = rest.indexOf(".");
    if (dot <= 0 || dot === rest.length - 1) return undefined;
    return { component: id.slice(0, at), environment: rest.slice(0, dot), job: rest.slice(dot + 1) };
  }
  const first = id.indexOf(".");
  const second = first < 0 ? -1 : id.indexOf(".", first + 1);
  if (first <= 0 || second <= first + 1 || second === id.length - 1) return undefined;
  return { component: id.slice(0, first), environment: id.slice(first + 1, second), job: id.slice(second + 1) };
}

/** Normalises a user- or file-supplied job ID to the canonical form; unknown shapes are returned unchanged. */
export function canonicalJobId(id: string): string {
  const text = id.trim();
  // With an `@` after its first character it is canonical already, or of no known shape: as is either way (status
  // --all canonicalises every job ID of every state.json it lists, so no parts are built to be joined again).
  if (text.indexOf("@") > 0) return text;
  const parts = parseJobId(text);
  return parts ? formatJobId(parts) : text;
}

/**
 * What a job-ID fragment (`orun logs --job api.dev`) may be written as: as given, in canonical form, and — for
 * a dotted fragment such as `api.dev` — with its first dot as the `@` of the canonical ID (decision 1: either
 * form names the same job).
 */
export function jobIdFragments(fragment: string): string[] {
  const text = fragment.trim();
  const needles = new Set([text, canonicalJobId(text)]);
  if (!text.includes("@") && text.includes(".")) needles.add(text.replace(".", "@"));
  return [...needles].filter(Boolean);
}

/**
 * The shorter names a job ID goes by, for "did you mean" (`orun run --job deplyo`): its job name, and the job name
 * after its component or its environment (`api.deploy`, `dev.deploy`), as people abbreviate it.
 */
export function jobIdShortForms(id: string): string[] {
  const parts = parseJobId(id);
  return parts ? [parts.job, `${parts.component}.${parts.job}`, `${parts.environment}.${parts.job}`] : [];
}

/** Short plan ID: the first 12 hex characters of the checksum digest. */
export function planShortId(plan: Pick<Plan, "metadata">): string {
  const checksum = plan.metadata.checksum ?? "";
  return checksum.replace(/^sha256-/, "").slice(0, 12);
}

/** A policy flag's value as a boolean, or undefined when it is none of true/false/yes/no/1/0/on/off (any case). */
export function policyFlag(value: string): boolean | undefined {
  const word = value.trim().toLowerCase();
  if (["true", "yes", "1", "on"].includes(word)) return true;
  if (["false", "no", "0", "off"].includes(word)) return false;
  return undefined;
}

/**
 * True when the job's policies demand an explicit `--approve` before it runs. A value that is not a
 * recognised boolean (the planner refuses one; a hand-edited plan may still hold it) demands approval:
 * an approval policy fails closed.
 */
export function requiresApproval(job: Pick<PlanJob, "policies">): boolean {
  const value = job.policies?.requireApproval;
  return value !== undefined && policyFlag(value) !== false;
}
