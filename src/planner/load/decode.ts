// Small decoders from schema-validated YAML values to model objects. They
// trust the shapes the schema already checked and attach origins.

import { withOrigin, type FreeMap, type StepSpec, type StringMap } from "../../model/intent.js";
import { hasControlCharacter } from "../../plan/validate.js";
import { errorAt, originAt, scalarSourceAt, type PathSegment, type YamlDoc } from "./yaml.js";
import { quoted } from "../../util/printable.js";

export type Obj = Record<string, unknown>;

export function obj(value: unknown): Obj {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Obj) : {};
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function strings(value: unknown): string[] {
  return list(value).map(String);
}

export function optString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function freeMap(value: unknown): FreeMap {
  return { ...obj(value) };
}

/** `map[string]string`: non-string scalars keep their source text (`1.0` → "1.0"). */
export function stringMap(yd: YamlDoc, path: readonly PathSegment[], value: unknown): StringMap {
  const out: StringMap = {};
  for (const [k, v] of Object.entries(obj(value))) {
    out[k] = typeof v === "string" ? v : (scalarSourceAt(yd, [...path, k]) ?? String(v));
  }
  return out;
}

/** `type-or-*` → defaults map. */
export function parameterDefaults(value: unknown): Record<string, FreeMap> {
  const out: Record<string, FreeMap> = {};
  for (const [k, v] of Object.entries(obj(value))) out[k] = freeMap(v);
  return out;
}

const STEP_STRING_FIELDS = ["id", "name", "capability", "run", "use", "shell", "working-directory", "timeout"] as const;

/** A step runs a shell command (`run`) or an action (`use`): exactly one of them (seed 004). */
function checkStepAction(yd: YamlDoc, path: readonly PathSegment[], v: Obj): void {
  const has = (key: string): boolean => v[key] !== undefined && v[key] !== null;
  const index = path.at(-1);
  const label = typeof v.name === "string" ? `"${v.name}"` : typeof v.id === "string" ? `"${v.id}"` : typeof index === "number" ? `#${index + 1}` : "";
  if (has("run") && has("use")) throw errorAt(yd, [...path, "use"], `step ${label} has both run and use: a step runs a shell command (run) or an action (use), not both`);
  if (!has("run") && !has("use")) throw errorAt(yd, path, `step ${label} has neither run nor use: a step needs a shell command (run) or an action (use)`);
}

export function step(yd: YamlDoc, path: readonly PathSegment[], value: unknown): StepSpec {
  const v = obj(value);
  checkStepAction(yd, path, v);
  // A step's id or name becomes its ID in the plan, printed and used as a record key: a plan file with a
  // control character there is refused when it is run (src/plan/validate.ts), so it is refused here first.
  for (const key of ["id", "name"] as const) {
    if (typeof v[key] === "string" && hasControlCharacter(v[key])) {
      throw errorAt(yd, [...path, key], `step ${key} ${quoted(v[key])} contains a control character (a tab, newline or escape)`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const f of STEP_STRING_FIELDS) if (typeof v[f] === "string") out[f] = v[f];
  if (typeof v.phase === "string") out.phase = v.phase;
  if (typeof v.order === "number") out.order = v.order;
  if (v.with !== undefined) out.with = freeMap(v.with);
  if (v.env !== undefined) out.env = stringMap(yd, [...path, "env"], v.env);
  if (typeof v.retry === "number") out.retry = v.retry;
  if (typeof v.onFailure === "string") out.onFailure = v.onFailure;
  return withOrigin(out as unknown as StepSpec, originAt(yd, path));
}

export function steps(yd: YamlDoc, path: readonly PathSegment[], value: unknown): StepSpec[] {
  return list(value).map((s, i) => step(yd, [...path, i], s));
}

/** Env keys starting with ORUN_ (any case) are reserved for values orun injects. */
export function checkReservedEnv(yd: YamlDoc, p: readonly PathSegment[], env: StringMap, context: string): void {
  for (const key of Object.keys(env)) {
    if (key.toUpperCase().startsWith("ORUN_")) {
      throw errorAt(yd, [...p, key], `${context}: env key "${key}" uses reserved ORUN_ prefix`);
    }
  }
}
