// Type checks for every plan field the runtime reads (spec 12 §4.1–4.3,
// 20-runtime §1, §3, §5), run when a plan file is parsed: a wrong type is
// refused naming the file and the field (`jobs[0].steps[1].timeout`) before any
// execution record is written, instead of crashing mid-run or being misread
// (a string concurrency run sequentially, `failFast: "no"` taken as on).
// Hand-written rather than a JSON Schema: this runs at every `orun run` start,
// and a 1,000-job plan must not load noticeably slower.
//
// Types follow the composition schemas the planner validates against
// (schemas/job-template.schema.json): `with` is free-form (runners pass
// non-strings on as JSON), `env` values are strings, numbers or booleans.
// Values are checked, not normalised: a duration's syntax is still the
// runtime's to judge (spec 20 §3.5: a step error naming job and step).
import { OrunError } from "../util/errors.js";
import { quoted } from "../util/printable.js";

type Fields = Record<string, unknown>;

export function isRecord(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function invalidPlan(file: string, field: string, problem: string): OrunError {
  return new OrunError(`invalid plan: ${problem}`, { location: { file, field } });
}

/** `number 30`, `"four"`, `an array`, for "…, got X". */
function shown(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    // Each control, bidi or zero-width character as `\u{hex}` (src/util/printable.ts).
    return quoted(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  }
  return `${typeof value} ${String(value)}`;
}

/** Checks a present field's value; throws naming `field` (the value's path) when it is wrong. */
type Check = (value: unknown, field: string, file: string) => void;

function fail(file: string, field: string, problem: string, value: unknown): never {
  throw invalidPlan(file, field, `${problem}, got ${shown(value)}`);
}

const string: Check = (value, field, file) => {
  if (typeof value !== "string") fail(file, field, "must be a string", value);
};

/**
 * Names and IDs are printed to terminals and used as record keys: a control
 * character (an ANSI escape, a newline) in one can only come from an edited or
 * hostile plan file, and would rewrite what `orun describe`/`run` show.
 */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}
const label: Check = (value, field, file) => {
  string(value, field, file);
  if (hasControlCharacter(value as string)) fail(file, field, "must not contain control characters", value);
};

/** What a step's process is given (its command, shell, folder, environment): an edited plan's NUL byte failed the step with no field named. */
function processText(value: string, field: string, file: string): void {
  if (value.includes("\u0000")) fail(file, field, "must not contain a NUL byte (no process can be given one)", value);
}

const processString: Check = (value, field, file) => {
  string(value, field, file);
  processText(value as string, field, file);
};

const boolean: Check = (value, field, file) => {
  if (typeof value !== "boolean") fail(file, field, "must be true or false", value);
};

const number: Check = (value, field, file) => {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(file, field, "must be a number", value);
};

function integer(min = -Infinity): Check {
  const wanted = min === -Infinity ? "must be a whole number" : `must be a whole number ≥ ${min}`;
  return (value, field, file) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) fail(file, field, wanted, value);
  };
}

/** One of `allowed`, compared trimmed and case-insensitively as the runtime does; "" means the default. */
function oneOf(...allowed: string[]): Check {
  const wanted = `must be ${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1)}`;
  return (value, field, file) => {
    if (typeof value !== "string" || (value.trim() !== "" && !allowed.includes(value.trim().toLowerCase()))) fail(file, field, wanted, value);
  };
}

const map: Check = (value, field, file) => {
  if (!isRecord(value)) fail(file, field, "must be a map", value);
};

/** A step's `with:`: any values, but the text ones (and the names) become the action's INPUT_* environment. */
const actionInputs: Check = (value, field, file) => {
  map(value, field, file);
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    processText(key, `${field}.${key}`, file);
    if (typeof item === "string") processText(item, `${field}.${key}`, file);
  }
};

/** A map of strings (`scalars`: or numbers/booleans, which the runtime passes on as text; `labels`: strings without control characters). */
function mapOf(values: "strings" | "scalars" | "labels"): Check {
  const wanted = values === "scalars" ? "must be a string, number or boolean" : "must be a string";
  return (value, field, file) => {
    if (!isRecord(value)) fail(file, field, "must be a map", value);
    for (const key in value) {
      const item = value[key];
      // An env name is given to the process as much as its value.
      if (values === "scalars") processText(key, `${field}.${key}`, file);
      if (values === "labels") label(item, `${field}.${key}`, file);
      if (typeof item === "string") {
        if (values === "scalars") processText(item, `${field}.${key}`, file);
        continue;
      }
      if (values === "scalars" && (typeof item === "boolean" || (typeof item === "number" && Number.isFinite(item)))) continue;
      fail(file, `${field}.${key}`, wanted, item);
    }
  };
}

function arrayOf(what: string, item: Check): Check {
  return (value, field, file) => {
    if (!Array.isArray(value)) fail(file, field, `must be an array of ${what}`, value);
    for (let i = 0; i < value.length; i++) item(value[i], `${field}[${i}]`, file);
  };
}

/** An object whose listed fields are checked (others are not the runtime's concern). */
function record(fields: Record<string, Check>): Check {
  const checks = new Map(Object.entries(fields));
  return (value, field, file) => {
    if (!isRecord(value)) fail(file, field, "must be a map", value);
    checkFields(value, checks, field, file);
  };
}

/** Only the fields present are visited: most of a job's possible fields are usually absent. */
function checkFields(value: Fields, checks: ReadonlyMap<string, Check>, where: string, file: string): void {
  for (const key in value) {
    const check = checks.get(key);
    const item = value[key];
    if (check !== undefined && item !== undefined) check(item, where ? `${where}.${key}` : key, file);
  }
}

/**
 * `metadata.workDir` (the intent folder relative to where `orun plan` ran, spec 12 §4.1) is not covered by the
 * checksum, yet a plan file run outside its intent runs there: only a relative path inside that folder is
 * something `orun plan` writes, so anything else (absolute, `..`, `~`) is an edited plan moving the steps.
 */
const workDir: Check = (value, field, file) => {
  string(value, field, file);
  const text = value as string;
  if (text.startsWith("/") || text.startsWith("~") || /^[A-Za-z]:/.test(text) || text.split(/[\\/]/).includes("..")) {
    fail(file, field, "must be a relative path that stays in the plan's folder (orun plan never writes another)", value);
  }
};

const PLAN_FIELDS = new Map<string, Check>([
  [
    "metadata",
    record({
      description: string,
      // Printed by describe, get jobs and run's banner: as labels, no control characters.
      ...Object.fromEntries(["name", "namespace", "generatedAt", "checksum", "revision"].map((key) => [key, label])),
      workDir,
      scope: record({ detectedComponent: string, components: arrayOf("component names", string) }),
    }),
  ],
  // concurrency ≤ 0 means 1 (as v2.3's runner clamps it).
  ["execution", record({ concurrency: integer(), failFast: boolean, stateFile: string, state: record({ mode: string, backendUrl: string }) })],
  [
    "spec",
    record({
      jobBindings: mapOf("labels"),
      compositionSources: arrayOf("composition sources", record(Object.fromEntries(["name", "kind", "ref", "path", "resolvedDigest"].map((key) => [key, label])))),
    }),
  ],
]);

const JOB_FIELDS = new Map<string, Check>([
  ["path", string],
  // What describe and the runners print about a job.
  ...["uid", "displayName", "checkName", "name", "component", "environment", "composition", "profile", "profileSource", "profileRuleTriggerRef", "jobRegistry", "job", "runsOn", "timeout"].map(
    (key): [string, Check] => [key, label],
  ),
  ["dependsOn", arrayOf("job IDs", label)],
  ["retries", integer(0)],
  ["env", mapOf("scalars")],
  ["policies", mapOf("strings")],
  [
    "gates",
    arrayOf("promotion gates", record({ type: label, environment: label, component: label, condition: label, match: record({ revision: label }) })),
  ],
]);

const STEP_FIELDS = new Map<string, Check>([
  ...["use", "timeout"].map((key): [string, Check] => [key, string]),
  ...["run", "shell", "working-directory"].map((key): [string, Check] => [key, processString]),
  ...["id", "name"].map((key): [string, Check] => [key, label]),
  ["phase", oneOf("pre", "main", "post")],
  ["order", number],
  ["retry", integer(0)],
  ["onFailure", oneOf("continue", "stop")],
  ["with", actionInputs],
  ["env", mapOf("scalars")],
]);

/** metadata (the caller has checked it is an object), execution and spec. */
export function validatePlanHeader(plan: Fields, file: string): void {
  checkFields(plan, PLAN_FIELDS, "", file);
}

/**
 * One job (`where` = `jobs[i]`): its ID and steps first (the structure
 * scheduling needs), then every field a runner reads, then its steps.
 */
export function validateJob(raw: unknown, file: string, where: string): asserts raw is Fields {
  if (!isRecord(raw)) throw invalidPlan(file, where, "must be an object");
  if (typeof raw.id !== "string" || raw.id === "") throw invalidPlan(file, `${where}.id`, "must be a non-empty string");
  label(raw.id, `${where}.id`, file);
  if (!Array.isArray(raw.steps)) throw invalidPlan(file, `${where}.steps`, "must be an array");
  checkFields(raw, JOB_FIELDS, where, file);
  const steps = raw.steps;
  for (let s = 0; s < steps.length; s++) {
    const step: unknown = steps[s];
    if (!isRecord(step)) throw invalidPlan(file, `${where}.steps[${s}]`, "must be an object");
    // `id` may be absent: the step key is then its name or use (spec 20 §3.5).
    checkFields(step, STEP_FIELDS, `${where}.steps[${s}]`, file);
  }
}
