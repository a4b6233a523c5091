// Component parameters against their composition's schema (decision 3). The
// composition schema describes `{ name, type, parameters, inputs, domain,
// labels }` (v2.3's shape; `inputs` is the same object as `parameters`), and
// its `default`s fill in missing parameters (ajv useDefaults).

import { Ajv, MissingRefError, type AnySchema, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ComponentSchema } from "../../model/composition.js";
import type { FreeMap, Origin, StringMap } from "../../model/intent.js";
import { OrunError, type SourceLocation } from "../../util/errors.js";
import type { PathSegment } from "../load/yaml.js";
import { addFormats, describeErrors, problemsError, shown } from "./documents.js";

type AnyAjv = Ajv | Ajv2019 | Ajv2020;

const OPTIONS = { allErrors: true, useDefaults: true, strict: false, verbose: true } as const;
const instances = new Map<string, AnyAjv>();
const validators = new WeakMap<object, ValidateFunction>();

function ajvFor(draft: string): AnyAjv {
  let inst = instances.get(draft);
  if (!inst) {
    inst = draft === "2020" ? new Ajv2020(OPTIONS) : draft === "2019" ? new Ajv2019(OPTIONS) : new Ajv(OPTIONS);
    addFormats(inst);
    instances.set(draft, inst);
  }
  return inst;
}

function draftOf(schema: FreeMap): string {
  const id = typeof schema.$schema === "string" ? schema.$schema : "";
  if (id.includes("2020-12")) return "2020";
  if (id.includes("2019-09")) return "2019";
  return "07";
}

/**
 * Where a parameter schema breaks the JSON Schema meta-schema (`type: integr`),
 * so the error names that line and field rather than the whole schema: the
 * deepest failing place, with what the meta-schema says about it.
 */
function schemaProblem(ajv: AnyAjv, body: FreeMap): { path: PathSegment[]; message: string } | undefined {
  if (ajv.validateSchema(body as AnySchema) !== false || !ajv.errors?.length) return undefined;
  const errors = ajv.errors;
  const depth = (e: ErrorObject): number => e.instancePath.split("/").length;
  const deepest = errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
  // The JSON pointer back to a field path (array items by index), and the value found there.
  const path: PathSegment[] = [];
  let value: unknown = body;
  for (const raw of deepest.instancePath.split("/").slice(1)) {
    const segment = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const key: PathSegment = Array.isArray(value) ? Number(segment) : segment;
    path.push(key);
    value = value !== null && typeof value === "object" ? (value as Record<string | number, unknown>)[key] : undefined;
  }
  const messages = [...new Set(errors.filter((e) => e.instancePath === deepest.instancePath && e.keyword !== "anyOf").map((e) => e.message ?? e.keyword))];
  // `type` fails three ways at once (enum, array, anyOf); one sentence says it.
  const text = path.at(-1) === "type" && !Array.isArray(value) ? "must be a JSON Schema type: string, number, integer, boolean, object, array or null" : messages.join(", ");
  return { path, message: `${text}${value === undefined ? "" : ` (got ${shown(value)})`}` };
}

/**
 * Compiles (once per schema object) a component type's parameter schema. Errors name
 * the composition document: an unusable schema is a composition bug, not a component one.
 */
export function compileComponentSchema(schema: ComponentSchema): ValidateFunction {
  const cached = validators.get(schema.schema);
  if (cached) return cached;
  const body = { ...schema.schema };
  delete body.$id; // several compositions may reuse an $id; each gets its own compilation
  const draft = draftOf(body);
  if (draft === "07" && typeof body.$schema === "string" && !body.$schema.includes("draft-07")) delete body.$schema;
  let fn: ValidateFunction;
  const ajv = ajvFor(draft);
  try {
    fn = ajv.compile(body as AnySchema);
  } catch (cause) {
    const invalid = cause instanceof MissingRefError ? undefined : schemaProblem(ajv, body);
    const reason =
      cause instanceof MissingRefError ? `external schema reference not supported: ${cause.missingRef}` : (invalid?.message ?? (cause as Error).message);
    const at = schema.origin.at(invalid?.path);
    throw new OrunError(`${at.field ? `${at.field}: ` : ""}invalid parameter schema: ${reason}`, { location: { file: at.file, line: at.line }, cause });
  }
  validators.set(schema.schema, fn);
  return fn;
}

export interface ParameterContext {
  component: string;
  type: string;
  domain?: string;
  labels?: StringMap;
  /** Environment the parameters were merged for, named in errors. */
  environment?: string;
  /** The component's origin: errors point at its `parameters` fields. */
  origin?: Origin;
  /**
   * Where a merged top-level parameter was written (an environment's or group's
   * parameterDefaults, a subscription), when not in the component's `parameters`.
   */
  locateParameter?: (key: string) => SourceLocation | undefined;
  /** Top-level parameters an `additionalProperties`/`unevaluatedProperties: false` schema does not reject. */
  toleratesUnknown?: (key: string) => boolean;
}

/** An "unknown key" error about a top-level parameter the context tolerates. */
function tolerated(err: ErrorObject, where: ParameterContext): boolean {
  if (!where.toleratesUnknown || (err.instancePath !== "/parameters" && err.instancePath !== "/inputs")) return false;
  const params = err.params as { additionalProperty?: string; unevaluatedProperty?: string };
  const key = err.keyword === "additionalProperties" ? params.additionalProperty : err.keyword === "unevaluatedProperties" ? params.unevaluatedProperty : undefined;
  return key !== undefined && where.toleratesUnknown(key);
}

/**
 * Validates merged parameters and returns them with schema defaults filled in
 * (a fresh object; the input is not modified). Throws an OrunError naming the
 * component's file, line and the parameter.
 */
export function validateComponentParameters(params: FreeMap, componentSchema: ComponentSchema, where: ParameterContext): FreeMap {
  const fn = compileComponentSchema(componentSchema);
  const parameters = structuredClone(params);
  const subject = {
    name: where.component,
    type: where.type,
    parameters,
    inputs: parameters,
    domain: where.domain ?? "",
    labels: where.labels ?? {},
  };
  if (fn(subject)) return parameters;
  const errors = (fn.errors ?? []).filter((err) => !tolerated(err, where));
  if (errors.length === 0) return parameters;
  const locate = (path: PathSegment[]): { file: string; line: number } => {
    const origin = where.origin;
    if (!origin) return { file: componentSchema.origin.file, line: componentSchema.origin.line };
    const [head, ...rest] = path;
    const source = (head === "inputs" || head === "parameters") && rest.length > 0 ? where.locateParameter?.(String(rest[0])) : undefined;
    if (source?.file !== undefined && source.line !== undefined) return { file: source.file, line: source.line };
    const field = head === "inputs" || head === "parameters" ? ["parameters", ...rest] : head === undefined ? [] : [head];
    return { file: origin.file, line: origin.lineOf(field) };
  };
  const problems = describeErrors(errors, subject, locate).map((p) => ({
    ...p,
    field: p.field.replace(/^inputs\b/, "parameters"),
  }));
  const unique = problems.filter((p, i) => problems.findIndex((q) => q.field === p.field && q.message === p.message) === i);
  // The environment goes last: parameters are merged per environment, the component is what is wrong.
  throw problemsError(unique, `component ${where.component} failed validation against type ${where.type}: `, where.environment ? ` (environment ${where.environment})` : "");
}
