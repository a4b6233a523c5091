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
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `${typeof value} ${String(value)}`;
}

/** Checks one object's fields; `where` is its path (`jobs[2]`), absent fields are fine unless required. */
class FieldChecker {
  constructor(
    private readonly file: string,
    private readonly record: Fields,
    private readonly where: string,
  ) {}

  path(key: string): string {
    return this.where ? `${this.where}.${key}` : key;
  }

  fail(key: string, problem: string): never {
    throw invalidPlan(this.file, this.path(key), `${problem}, got ${shown(this.record[key])}`);
  }

  string(...keys: string[]): this {
    for (const key of keys) {
      const value = this.record[key];
      if (value !== undefined && typeof value !== "string") this.fail(key, "must be a string");
    }
    return this;
  }

  boolean(key: string): this {
    const value = this.record[key];
    if (value !== undefined && typeof value !== "boolean") this.fail(key, "must be true or false");
    return this;
  }

  number(key: string): this {
    const value = this.record[key];
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value))) this.fail(key, "must be a number");
    return this;
  }

  integer(key: string, min: number): this {
    const value = this.record[key];
    if (value !== undefined && (typeof value !== "number" || !Number.isInteger(value) || value < min)) {
      this.fail(key, min === 0 ? "must be a whole number ≥ 0" : `must be a whole number ≥ ${min}`);
    }
    return this;
  }

  /** One of `allowed`, compared trimmed and case-insensitively as the runtime does; "" means the default. */
  oneOf(key: string, allowed: readonly string[]): this {
    const value = this.record[key];
    if (value === undefined) return this;
    if (typeof value !== "string" || (value.trim() !== "" && !allowed.includes(value.trim().toLowerCase()))) {
      this.fail(key, `must be ${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1)}`);
    }
    return this;
  }

  object(key: string): this {
    const value = this.record[key];
    if (value !== undefined && !isRecord(value)) this.fail(key, "must be a map");
    return this;
  }

  /** A map whose values are strings (`scalars`: or numbers/booleans, which the runtime prints as text). */
  map(key: string, values: "strings" | "scalars"): this {
    const value = this.record[key];
    if (value === undefined) return this;
    if (!isRecord(value)) this.fail(key, "must be a map");
    for (const name in value) {
      const item = value[name];
      const ok = typeof item === "string" || (values === "scalars" && (typeof item === "boolean" || (typeof item === "number" && Number.isFinite(item))));
      if (!ok) new FieldChecker(this.file, value, this.path(key)).fail(name, values === "strings" ? "must be a string" : "must be a string, number or boolean");
    }
    return this;
  }

  stringArray(key: string, what: string): this {
    const value = this.record[key];
    if (value === undefined) return this;
    if (!Array.isArray(value)) this.fail(key, `must be an array of ${what}`);
    for (let i = 0; i < value.length; i++) {
      if (typeof value[i] !== "string") throw invalidPlan(this.file, `${this.path(key)}[${i}]`, `must be a string, got ${shown(value[i])}`);
    }
    return this;
  }
}

const PHASES = ["pre", "main", "post"] as const;
const ON_FAILURE = ["continue", "stop"] as const;

/** metadata (the caller has checked it is an object), execution and spec. */
export function validatePlanHeader(plan: Fields, file: string): void {
  const metadata = plan.metadata as Fields;
  new FieldChecker(file, metadata, "metadata").string("name", "description", "namespace", "generatedAt", "checksum", "workDir", "revision").object("scope");
  if (isRecord(metadata.scope)) new FieldChecker(file, metadata.scope, "metadata.scope").string("detectedComponent").stringArray("components", "component names");
  new FieldChecker(file, plan, "").object("execution").object("spec");
  if (isRecord(plan.execution)) {
    new FieldChecker(file, plan.execution, "execution").integer("concurrency", 1).boolean("failFast").string("stateFile").object("state");
    if (isRecord(plan.execution.state)) new FieldChecker(file, plan.execution.state, "execution.state").string("mode", "backendUrl");
  }
}

/**
 * One job (`where` = `jobs[i]`): its ID, steps and dependencies first (the
 * structure scheduling needs), then every field a runner reads.
 */
export function validateJob(raw: unknown, file: string, where: string): asserts raw is Fields {
  if (!isRecord(raw)) throw invalidPlan(file, where, "must be an object");
  if (typeof raw.id !== "string" || raw.id === "") throw invalidPlan(file, `${where}.id`, "must be a non-empty string");
  if (!Array.isArray(raw.steps)) throw invalidPlan(file, `${where}.steps`, "must be an array");
  new FieldChecker(file, raw, where)
    .stringArray("dependsOn", "job IDs")
    .string("uid", "displayName", "checkName", "name", "component", "environment", "runsOn", "path", "timeout")
    .integer("retries", 0)
    .map("env", "scalars")
    .map("policies", "strings");
  const gates = raw.gates;
  if (gates !== undefined) {
    if (!Array.isArray(gates)) throw invalidPlan(file, `${where}.gates`, `must be an array, got ${shown(gates)}`);
    gates.forEach((gate, g) => {
      if (!isRecord(gate)) throw invalidPlan(file, `${where}.gates[${g}]`, `must be an object, got ${shown(gate)}`);
      new FieldChecker(file, gate, `${where}.gates[${g}]`).string("type", "environment", "component", "condition").object("match");
      if (isRecord(gate.match)) new FieldChecker(file, gate.match, `${where}.gates[${g}].match`).string("revision");
    });
  }
  const steps = raw.steps;
  for (let s = 0; s < steps.length; s++) validateStep(steps[s], file, `${where}.steps[${s}]`);
}

function validateStep(raw: unknown, file: string, where: string): void {
  if (!isRecord(raw) || typeof raw.id !== "string") throw invalidPlan(file, `${where}.id`, "must be a string");
  new FieldChecker(file, raw, where)
    .string("name", "run", "use", "shell", "working-directory", "timeout")
    .oneOf("phase", PHASES)
    .number("order")
    .integer("retry", 0)
    .oneOf("onFailure", ON_FAILURE)
    .object("with")
    .map("env", "scalars");
}
