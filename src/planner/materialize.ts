// Stage 6: materialize. Turns a bound job into its plan.json form: merged
// parameters and working path, the 4-layer env, steps sorted by phase/order
// and rendered with Go text/template (`.orun`, `.parameters`, `.env`).
//
// Parameter layers, later wins (shallow, per top-level key):
//   schema defaults → environment defaults["*"] → environment defaults[type]
//   → group defaults["*"] → group defaults[type] → component parameters
//   → subscription parameters.
// A `path` key in the defaults layers is a path default, not a parameter:
// component.path beats the group's, which beats the environment's.
// Env layers: intent env → environment env → component env → subscription env.
// Parameter and env strings only get `{{.environment}}`, `{{.component}}` and
// `{{.group}}` substituted (other `{{…}}` are dropped, `${{…}}` is kept).
import { posix } from "node:path";
import type { FreeMap, StepSpec, StringMap } from "../model/intent.js";
import type { PlanJob, PlanStep, PromotionGate, StepPhase } from "../model/plan.js";
import { renderTemplate, TemplateError } from "../template/index.js";
import { errorMessage, formatLocation, OrunError, type SourceLocation } from "../util/errors.js";
import { closeNames } from "../util/edit-distance.js";
import type { BoundJob } from "./bind.js";
import type { Instance } from "./expand.js";
import { formatField } from "./load/yaml.js";
import { expressionSyntaxError, STEP_EXPRESSION_CONSEQUENCE } from "./validate/expressions.js";

const LEGACY_KEYS = /\{\{\s*\.(environment|component|group)\s*\}\}/g;
/** Any remaining `{{…}}` on one line, unless it is a GitHub `${{ … }}` expression. */
const LEFTOVER = /(\$?)\{\{.*?\}\}/g;

/** v2.3's parameter/env interpolation (spec 12 §1.3). */
export function interpolate(value: string, vars: { environment: string; component: string; group: string }): string {
  return value
    .replace(LEGACY_KEYS, (_, key: "environment" | "component" | "group") => vars[key])
    .replace(LEFTOVER, (match, dollar: string) => (dollar ? match : ""))
    .trim();
}

/** The `{{…}}` expressions interpolate() drops from a value (not `${{…}}`, not the three it substitutes). */
export function droppedExpressions(value: string): string[] {
  if (!value.includes("{{")) return [];
  const out: string[] = [];
  for (const m of value.replace(LEGACY_KEYS, "").matchAll(LEFTOVER)) if (!m[1]) out.push(m[0]);
  return out;
}

/** `{{…}}` expressions written in a string, except GitHub's `${{…}}`. */
const TEMPLATE_EXPRESSION = /(?<!\$)\{\{.*?\}\}/g;

/**
 * The strings inside a list or map value that hold `{{…}}`, with their paths below `path` (keys sorted): only
 * top-level string values are substituted (parameters, env) or rendered (step `with`/`env`), as in v2.3, so these
 * are copied as written.
 */
export function nestedTemplateStrings(value: object, path: readonly (string | number)[]): { path: (string | number)[]; expressions: string[] }[] {
  const found: { path: (string | number)[]; expressions: string[] }[] = [];
  const walk = (item: unknown, at: (string | number)[]): void => {
    if (typeof item === "string") {
      const expressions = item.match(TEMPLATE_EXPRESSION);
      if (expressions) found.push({ path: at, expressions });
    } else if (Array.isArray(item)) {
      item.forEach((inner, i) => walk(inner, [...at, i]));
    } else if (item !== null && typeof item === "object") {
      for (const key of Object.keys(item).sort()) walk((item as Record<string, unknown>)[key], [...at, key]);
    }
  };
  walk(value, [...path]);
  return found;
}

/** Interpolates the top-level string values of a freshly merged map, in place. */
function interpolateTopLevel<T>(values: Record<string, T>, vars: Parameters<typeof interpolate>[1]): Record<string, T> {
  for (const k of Object.keys(values)) {
    const v = values[k];
    if (typeof v === "string" && v.includes("{{")) values[k] = interpolate(v, vars) as T;
    else if (typeof v === "string" && v !== v.trim()) values[k] = v.trim() as T;
  }
  return values;
}

export interface MergedParameters {
  parameters: FreeMap;
  /** Working path; `./` by default. */
  path: string;
}

interface DefaultsLayer {
  values: FreeMap;
  path?: string;
}

const EMPTY_LAYER: DefaultsLayer = { values: {} };
/** Split layers, cached: one environment/group layer is shared by many components. */
const splitLayers = new WeakMap<FreeMap, DefaultsLayer>();

/** Splits a defaults layer into its parameters and its `path` default. */
function defaultsLayer(layer: FreeMap | undefined): DefaultsLayer {
  if (!layer) return EMPTY_LAYER;
  let split = splitLayers.get(layer);
  if (!split) {
    const { path, ...values } = layer;
    split = { values, path: typeof path === "string" && path !== "" ? path : undefined };
    splitLayers.set(layer, split);
  }
  return split;
}

/** One parameter layer and where each of its keys is written (for error messages). */
interface ParameterLayer {
  values: FreeMap;
  at: (key: string) => SourceLocation | undefined;
  /** A `"*"` parameterDefaults layer: broadcast to every composition type. */
  wildcard?: boolean;
}

/** The parameter layers of an instance, earliest first (schema defaults excluded). */
function parameterLayers(instance: Instance): { layers: ParameterLayer[]; pathDefault?: string; pathAt?: SourceLocation } {
  const { component, environment, group, subscription } = instance;
  const type = component.type;
  const envStar = defaultsLayer(environment.parameterDefaults["*"]);
  const envType = defaultsLayer(environment.parameterDefaults[type]);
  const groupStar = defaultsLayer(group?.parameterDefaults?.["*"]);
  const groupType = defaultsLayer(group?.parameterDefaults?.[type]);
  const layers: ParameterLayer[] = [
    { values: envStar.values, at: (k) => environment.origin?.at(["parameterDefaults", "*", k]), wildcard: true },
    { values: envType.values, at: (k) => environment.origin?.at(["parameterDefaults", type, k]) },
    { values: groupStar.values, at: (k) => group?.origin?.at(["parameterDefaults", "*", k]), wildcard: true },
    { values: groupType.values, at: (k) => group?.origin?.at(["parameterDefaults", type, k]) },
    { values: component.parameters ?? {}, at: (k) => component.origin?.at(["parameters", k]) },
    { values: subscription?.parameters ?? {}, at: (k) => subscription?.origin?.at(["parameters", k]) },
  ];
  const pathDefault = component.path || groupType.path || groupStar.path || envType.path || envStar.path;
  const pathAt =
    component.path ? component.origin?.at("path")
    : groupType.path ? group?.origin?.at(["parameterDefaults", type, "path"])
    : groupStar.path ? group?.origin?.at(["parameterDefaults", "*", "path"])
    : envType.path ? environment.origin?.at(["parameterDefaults", type, "path"])
    : environment.origin?.at(["parameterDefaults", "*", "path"]);
  return { layers, pathDefault, pathAt };
}

/** Where the instance's working path was written (component `path`, a `path` default or a `path` parameter). */
export function pathSource(instance: Instance): SourceLocation | undefined {
  const { layers, pathDefault, pathAt } = parameterLayers(instance);
  if (pathDefault) return pathAt;
  for (let i = layers.length - 1; i >= 0; i--) if ("path" in layers[i]!.values) return layers[i]!.at("path");
  return undefined;
}

/**
 * Why a job's working path is refused, or undefined when it stays inside the
 * intent root: absolute, home-relative and `..`-escaping paths would make the
 * job run outside the workspace.
 */
export function unsafeJobPath(jobPath: string): string | undefined {
  const slashed = jobPath.replace(/\\/g, "/");
  if (slashed.startsWith("/") || /^[A-Za-z]:\//.test(slashed)) return "is absolute";
  if (slashed.startsWith("~")) return "starts with ~ (home directory)";
  const normalized = posix.normalize(slashed);
  if (normalized === ".." || normalized.startsWith("../")) return "leaves the intent root";
  return undefined;
}

/**
 * Where the merged value of a top-level parameter was written (the last layer
 * setting it) and whether that was a `"*"` default; undefined when no layer sets
 * it (a missing or schema-default value).
 */
export function parameterSource(instance: Instance, key: string): { at?: SourceLocation; wildcard: boolean } | undefined {
  const { layers } = parameterLayers(instance);
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (key in layer.values) return { at: layer.at(key), wildcard: layer.wildcard === true };
  }
  return undefined;
}

export function mergeParameters(instance: Instance, schemaDefaults: FreeMap = {}): MergedParameters {
  const { layers, pathDefault } = parameterLayers(instance);
  const merged: FreeMap = { ...schemaDefaults };
  for (const layer of layers) Object.assign(merged, layer.values);
  if (pathDefault) merged.path = pathDefault;
  const parameters = interpolateTopLevel(merged, vars(instance));
  if (!("path" in parameters)) return { parameters, path: "./" };
  if (typeof parameters.path === "string") {
    const { path, ...rest } = parameters;
    return { parameters: rest, path: path as string };
  }
  return { parameters, path: "" };
}

function vars(instance: Instance): { environment: string; component: string; group: string } {
  return { environment: instance.environment.name, component: instance.component.name, group: instance.component.domain ?? "" };
}

export function mergeEnv(instance: Instance, rootEnv: StringMap): StringMap {
  const merged: StringMap = {
    ...rootEnv,
    ...instance.environment.env,
    ...(instance.component.env ?? {}),
    ...(instance.subscription?.env ?? {}),
  };
  return interpolateTopLevel(merged, vars(instance));
}

const PHASE_RANK: Record<StepPhase, number> = { pre: 0, main: 1, post: 2 };

function stepError(job: BoundJob, step: StepSpec, message: string, field?: string): OrunError {
  return new OrunError(`failed to render steps for job ${job.id}: ${message}`, { location: step.origin?.at(field) });
}

/** Phase (pre < main < post), then `order`, then declaration order. */
export function orderSteps(job: BoundJob): { step: StepSpec; phase: StepPhase }[] {
  return job.steps
    .map((step, index) => {
      const raw = (step.phase as string | undefined) ?? "";
      const phase = (raw.trim().toLowerCase() || "main") as StepPhase;
      if (!(phase in PHASE_RANK)) throw stepError(job, step, `invalid step phase "${raw}" in step ${step.name || step.id || index + 1}`, "phase");
      return { step, phase, index };
    })
    .sort((a, b) => PHASE_RANK[a.phase] - PHASE_RANK[b.phase] || (a.step.order ?? 0) - (b.step.order ?? 0) || a.index - b.index);
}

export interface TemplateData {
  orun: {
    component: { name: string; type: string; domain: string };
    environment: { name: string };
    composition: { type: string };
    profile: { name: string };
    job: { id: string; name: string };
  };
  parameters: FreeMap;
  env: StringMap;
}

export function templateData(job: BoundJob, parameters: FreeMap, env: StringMap): TemplateData {
  const { component, environment } = job.instance;
  return {
    orun: {
      component: { name: component.name, type: component.type, domain: component.domain ?? "" },
      environment: { name: environment.name },
      composition: { type: component.type },
      profile: { name: job.profile.name },
      job: { id: job.id, name: job.name },
    },
    parameters,
    env,
  };
}

/**
 * Receives a planner warning (printed `⚠ warning: …`) and the job it was found in: the compiler tells one
 * place once, naming the jobs that share it.
 */
export type Warn = (message: string, jobId: string) => void;

function render(job: BoundJob, step: StepSpec, stepName: string, field: string, source: string, data: TemplateData, warn?: Warn): string {
  if (!source.includes("{{")) return source;
  const what = `component ${job.instance.component.name}, job ${job.id}, step ${stepName} (${field})`;
  let rendered: string;
  try {
    rendered = renderTemplate(source, data, { name: `${job.instance.component.type}:${stepName}:${field}` });
  } catch (err) {
    if (err instanceof TemplateError && err.kind === "missing-key") {
      const near = nearKey(err.keyPath, data);
      throw stepError(job, step, `${what}: missing key ${err.keyPath ?? ""}: ${errorMessage(err)}${near ? `; did you mean ${near}?` : ""}`, fieldPath(field));
    }
    throw stepError(job, step, `${what}: ${errorMessage(err)}`, fieldPath(field));
  }
  // The schema refuses one written in the field (renderMap, one in a `with:` value); a value the template brings in
  // (a parameter) is caught here.
  if (field !== "use" && rendered.includes("\u0000")) {
    throw stepError(job, step, `${what}: the rendered value contains a NUL byte (no process can be given one): check the parameters and env it uses`, fieldPath(field));
  }
  // `${{ }}` is left for the runner to evaluate, but a syntax error in it is worth a warning (./validate/expressions.ts).
  const invalid = warn && expressionSyntaxError(rendered);
  if (invalid) warnExpression({ job, step, stepName, field, source, rendered, invalid, data }, warn);
  return rendered;
}

/**
 * The key a missing `.a.b.typo` may have meant: one of the keys of the map `.a.b` holds, a few typos away
 * (`.env.REGON` → `.env.REGION`, `.orun.component.nmae` → `.orun.component.name`), as a path; undefined if none is near.
 */
function nearKey(keyPath: string | undefined, data: TemplateData): string | undefined {
  const segments = (keyPath ?? "").split(".");
  if (segments.length < 2 || segments[0] !== "") return undefined;
  const typed = segments.pop()!;
  let map: unknown = data;
  for (const segment of segments.slice(1)) {
    map = map !== null && typeof map === "object" && Object.hasOwn(map, segment) ? (map as Record<string, unknown>)[segment] : undefined;
  }
  if (map === null || typeof map !== "object" || Array.isArray(map)) return undefined;
  const [near] = closeNames(typed, Object.keys(map), { limit: 1 });
  return near === undefined ? undefined : [...segments, near].join(".");
}

interface BadExpression {
  job: BoundJob;
  step: StepSpec;
  stepName: string;
  field: string;
  source: string;
  rendered: string;
  invalid: string;
  data: TemplateData;
}

/**
 * Warns about a rendered step field whose `${{ }}` does not parse, at the place it was written: the step's
 * field when the composition wrote it, else the parameter it was substituted from (an env value is warned
 * about where it is declared, as job env, by the compiler), else the step, saying it came from a substitution.
 */
function warnExpression(bad: BadExpression, warn: Warn): void {
  const { job, step, stepName, field, source, rendered, invalid, data } = bad;
  const warnJob = (message: string): void => warn(message, job.id);
  // The template engine passes the step's own `${{ … }}` through as text (src/template/lexer.ts), so the
  // source holds them exactly as the rendered text does.
  const own = expressionSyntaxError(source);
  if (own) warnJob(`${located(step.origin?.at(fieldPath(field)))}step ${stepName} (${field}) of composition ${job.instance.component.type}: ${own}: ${STEP_EXPRESSION_CONSEQUENCE}`);
  // Env values: warned about as job env where they are declared.
  let found = own !== undefined || Object.values(data.env).some((value) => value && rendered.includes(value) && expressionSyntaxError(value));
  for (const [key, value] of Object.entries(data.parameters)) {
    const from = nestedStrings(value).find((text) => rendered.includes(text) && expressionSyntaxError(text));
    if (from === undefined) continue;
    found = true;
    const at = parameterSource(job.instance, key)?.at;
    const where = at?.file ? located(at) : `component ${job.instance.component.name}: parameters.${key}: `;
    warnJob(`${where}${expressionSyntaxError(from)!}: substituted into step ${stepName} (${field}) of composition ${job.instance.component.type}: ${STEP_EXPRESSION_CONSEQUENCE}`);
  }
  if (!found) {
    warnJob(`component ${job.instance.component.name}, step ${stepName} (${field}): ${invalid}: the expression comes from a {{ }} substitution (the component's parameters or env), not from the step's text: ${STEP_EXPRESSION_CONSEQUENCE}`);
  }
}

/** `file:line: field: ` for a warning, or nothing when the place is unknown. */
function located(at: SourceLocation | undefined): string {
  const where = at ? formatLocation(at) : "";
  return where ? `${where}: ` : "";
}

/** Every string in a parameter value (nested maps and lists included). */
function nestedStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (value && typeof value === "object") return Object.values(value).flatMap(nestedStrings);
  return [];
}

function fieldPath(field: string): string {
  return field.replace(":", ".");
}

function renderMap<T>(job: BoundJob, step: StepSpec, stepName: string, kind: "with" | "env", map: Record<string, T> | undefined, data: TemplateData, warn?: Warn): Record<string, T> | undefined {
  if (!map || Object.keys(map).length === 0) return undefined;
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(map)) {
    if (kind === "with") refuseWrittenNul(job, step, stepName, k, v);
    if (typeof v === "string") out[k] = render(job, step, stepName, `${kind}:${k}`, v, data, warn) as T;
    else out[k] = v;
    if (warn && v !== null && typeof v === "object") warnNestedTemplates(job, step, stepName, kind, k, v, warn);
  }
  return out;
}

/**
 * A step's `with:` input becomes the action's INPUT_* environment, and `orun run` refuses a plan with a NUL byte in
 * its name or text (src/plan/validate.ts): the schema takes any value there, so one written there is refused here.
 */
function refuseWrittenNul(job: BoundJob, step: StepSpec, stepName: string, key: string, value: unknown): void {
  const part = key.includes("\u0000") ? "name" : typeof value === "string" && value.includes("\u0000") ? "value" : undefined;
  if (part === undefined) return;
  const what = `component ${job.instance.component.name}, job ${job.id}, step ${stepName} (with:${key})`;
  throw stepError(job, step, `${what}: the input's ${part} contains a NUL byte (no process can be given one)`, fieldPath(`with:${key}`));
}

/** A `{{…}}` in a list or map inside a step's `with`/`env` is not rendered (v2.3, spec 12 §2.1): say so where it is written. */
function warnNestedTemplates(job: BoundJob, step: StepSpec, stepName: string, kind: "with" | "env", key: string, value: object, warn: Warn): void {
  for (const { path, expressions } of nestedTemplateStrings(value, [kind, key])) {
    const at = step.origin?.at(path);
    const field = at?.field ?? formatField(path);
    warn(
      `${at?.file ? `${at.file}:${at.line}: ` : ""}${field}: ${expressions.join(", ")} ${expressions.length > 1 ? "are" : "is"} kept as written: step ${stepName || "(unnamed)"} of composition ${job.instance.component.type} renders only the top-level string values of ${kind}, not values inside its lists and maps`,
      job.id,
    );
  }
}


/**
 * Step IDs: the step's name, else `step-<position>`. Two steps of one job with the
 * same name are an error. A generated ID never takes a name used in the job: it
 * gets a `-2`, `-3`… suffix instead (deterministic, and only where a collision
 * would otherwise happen, so plans without collisions keep v2.3's IDs).
 */
export function stepIds(job: BoundJob, ordered: readonly { step: StepSpec }[]): string[] {
  const named = new Map<string, StepSpec>();
  for (const { step } of ordered) {
    if (!step.name) continue;
    if (named.has(step.name)) {
      const first = named.get(step.name)!.origin;
      const firstAt = first ? ` (first at ${first.file}:${first.line})` : "";
      throw stepError(job, step, `duplicate step ID "${step.name}" in job ${job.id}${firstAt}: step names must be unique in a job`, "name");
    }
    named.set(step.name, step);
  }
  const taken = new Set(named.keys());
  return ordered.map(({ step }, i) => {
    if (step.name) return step.name;
    let id = `step-${i + 1}`;
    for (let n = 2; taken.has(id); n++) id = `step-${i + 1}-${n}`;
    taken.add(id);
    return id;
  });
}

export function renderSteps(job: BoundJob, data: TemplateData, warn?: Warn): PlanStep[] {
  const ordered = orderSteps(job);
  const ids = stepIds(job, ordered);
  return ordered.map(({ step, phase }, i): PlanStep => {
    const stepName = step.name ?? "";
    const out: PlanStep = { id: ids[i]!, phase };
    if (stepName) out.name = stepName;
    if (step.order) out.order = step.order;
    if (step.run) out.run = render(job, step, stepName, "run", step.run, data, warn);
    if (step.use) out.use = render(job, step, stepName, "use", step.use, data, warn);
    const withMap = renderMap(job, step, stepName, "with", step.with, data, warn);
    if (withMap) out.with = withMap;
    const env = renderMap(job, step, stepName, "env", step.env, data, warn);
    if (env) out.env = env;
    if (step.shell) out.shell = render(job, step, stepName, "shell", step.shell, data, warn);
    const wd = step["working-directory"];
    if (wd) out["working-directory"] = render(job, step, stepName, "working-directory", wd, data, warn);
    if (step.timeout) out.timeout = step.timeout;
    if (step.retry) out.retry = step.retry;
    if (step.onFailure) out.onFailure = step.onFailure;
    return out;
  });
}

export interface MaterializeContext {
  rootEnv: StringMap;
  /** `component@environment` → its merged, validated parameters (schema defaults filled in). */
  parameters: ReadonlyMap<string, MergedParameters>;
  /** Where warnings about step fields go (a `${{ }}` that does not parse). */
  warn?: Warn;
}

function nonEmpty<T extends object>(value: T | undefined): T | undefined {
  return value && Object.keys(value).length > 0 ? value : undefined;
}

export function materializeJob(job: BoundJob, graph: { dependsOn: string[]; gates: PromotionGate[] }, ctx: MaterializeContext): PlanJob {
  const { component, environment } = job.instance;
  const { parameters, path } = ctx.parameters.get(`${component.name}@${environment.name}`) ?? mergeParameters(job.instance);
  const env = mergeEnv(job.instance, ctx.rootEnv);
  const steps = renderSteps(job, templateData(job, parameters, env), ctx.warn);
  const planJob: PlanJob = {
    id: job.id,
    name: job.name,
    component: component.name,
    environment: environment.name,
    composition: component.type,
    profile: job.profile.ref,
    profileSource: job.profile.source,
    profileRuleTriggerRef: job.profile.ruleTriggerRef,
    // The package of the composition this component is bound to (a compositionRef may pick another source than jobBindings[type]).
    jobRegistry: job.composition.jobRegistryName || undefined,
    job: job.name,
    runsOn: job.template.runsOn,
    path,
    steps,
    dependsOn: graph.dependsOn.length ? graph.dependsOn : undefined,
    gates: graph.gates.length ? graph.gates : undefined,
    timeout: job.template.timeout,
    retries: job.template.retries || undefined,
    env: nonEmpty(env),
    labels: nonEmpty(component.labels),
    parameters: nonEmpty(parameters),
    policies: nonEmpty(job.policies),
  };
  for (const key of Object.keys(planJob) as (keyof PlanJob)[]) if (planJob[key] === undefined) delete planJob[key];
  return planJob;
}
