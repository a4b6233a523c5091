// Component parameters against their composition's schema (decision 3). The
// composition schema describes `{ name, type, parameters, inputs, domain,
// labels }` (v2.3's shape; `inputs` is the same object as `parameters`), and
// its `default`s fill in missing parameters (ajv useDefaults).

import { Ajv, MissingRefError, type AnySchema, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ComponentSchema } from "../../model/composition.js";
import type { FreeMap, Origin, StringMap } from "../../model/intent.js";
import { OrunError } from "../../util/errors.js";
import type { PathSegment } from "../load/yaml.js";
import { addFormats, describeErrors, problemsError } from "./documents.js";

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
  try {
    fn = ajvFor(draft).compile(body as AnySchema);
  } catch (cause) {
    const reason =
      cause instanceof MissingRefError ? `external schema reference not supported: ${cause.missingRef}` : (cause as Error).message;
    const at = schema.origin.at();
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
  const locate = (path: PathSegment[]): { file: string; line: number } => {
    const origin = where.origin;
    if (!origin) return { file: componentSchema.origin.file, line: componentSchema.origin.line };
    const [head, ...rest] = path;
    const field = head === "inputs" || head === "parameters" ? ["parameters", ...rest] : head === undefined ? [] : [head];
    return { file: origin.file, line: origin.lineOf(field) };
  };
  const problems = describeErrors(fn.errors ?? [], subject, locate).map((p) => ({
    ...p,
    field: p.field.replace(/^inputs\b/, "parameters"),
  }));
  const unique = problems.filter((p, i) => problems.findIndex((q) => q.field === p.field && q.message === p.message) === i);
  const context = `component ${where.component}${where.environment ? ` (environment ${where.environment})` : ""} failed validation against type ${where.type}: `;
  throw problemsError(unique, context);
}
