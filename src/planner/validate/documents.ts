// Validates parsed YAML documents against the shipped JSON Schemas and turns
// ajv's errors into messages that name file, line and field:
//   intent.yaml:12: environments.prod.promotion.dependsOn[0].satisfy: must be one of same-plan, ...

import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { OrunError } from "../../util/errors.js";
import { quoted } from "../../util/printable.js";
import { exactIntegers, formatField, lineAt, scalarSourceAt, type PathSegment, type YamlDoc } from "../load/yaml.js";
import { didYouMean } from "./did-you-mean.js";
import { SCHEMAS, NO_NUL, SINGLE_LINE, type SchemaName } from "./schemas.js";

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
export const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as <A>(ajv: A) => A;

let ajv: Ajv | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();

function validatorFor(name: SchemaName): ValidateFunction {
  let fn = compiled.get(name);
  if (!fn) {
    // Shared definitions stay separate functions and the optimiser pass is skipped: compiling
    // all schemas this way takes half the time, which is most of the loader's fixed cost.
    ajv ??= addFormats(
      new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, strictTypes: false, inlineRefs: false, code: { optimize: false } }),
    );
    fn = ajv.compile(SCHEMAS[name]);
    compiled.set(name, fn);
  }
  return fn;
}

/** One validation problem, already located. */
export interface Problem {
  file: string;
  line: number;
  /** Full field path, e.g. `spec.jobs[0].steps[1].phase`. */
  field: string;
  message: string;
}

/** Throws an OrunError listing every schema violation of the document (first one located in the error). */
export function validateDocument(yd: YamlDoc, schema: SchemaName, basePath: readonly PathSegment[] = []): void {
  const root = SCHEMAS[schema];
  const checkIntegers = (): void => exactIntegers(yd, (path) => allowsString(root, path), (path) => mayBeString(root, path));
  // A document that is not a mapping is told so by the schema, not by a big integer inside it.
  const mapping = yd.value !== null && typeof yd.value === "object" && !Array.isArray(yd.value);
  if (mapping) checkIntegers();
  const fn = validatorFor(schema);
  // (Not a mapping: the schema judges a copy with the big integers as numbers, which messages can print.)
  const value = mapping ? yd.value : withoutBigints(yd.value);
  if (fn(value)) {
    if (!mapping) checkIntegers();
    return;
  }
  let errors = fn.errors ?? [];
  // v2.3 (yaml.v3) reads a plain scalar into a string field as its text (`domain: 10`, `tag: on`, `id: 1_000`); what the
  // schema says of that text (a name's pattern) is then what is wrong, not its type.
  if (mapping && writtenTextInStringFields(yd, errors, value, basePath)) {
    if (fn(value)) return;
    errors = fn.errors ?? [];
  }
  const problems = describeErrors(
    errors,
    value,
    (path) => ({ file: yd.file, line: lineAt(yd, [...basePath, ...path]), source: scalarSourceAt(yd, [...basePath, ...path]) }),
    basePath,
  );
  throw problemsError(problems);
}

type SchemaNode = Record<string, unknown>;

/**
 * Puts the text as written in place of each number or boolean a string-only field refused (the schema's `type` errors),
 * as yaml.v3 decodes a plain scalar into a Go string; whether it changed any. The caller validates again.
 */
function writtenTextInStringFields(yd: YamlDoc, errors: readonly ErrorObject[], value: unknown, basePath: readonly PathSegment[]): boolean {
  let changed = false;
  for (const err of errors) {
    if (err.keyword !== "type" || (err.params as { type?: unknown }).type !== "string") continue;
    if (!["number", "bigint", "boolean"].includes(typeof err.data)) continue;
    const path = pointerToPath(err.instancePath, value);
    const key = path.at(-1);
    const source = key === undefined ? undefined : scalarSourceAt(yd, [...basePath, ...path]);
    if (key === undefined || source === undefined) continue;
    let parent: unknown = value;
    for (const segment of path.slice(0, -1)) parent = (parent as Record<PathSegment, unknown>)[segment];
    (parent as Record<PathSegment, unknown>)[key] = source;
    changed = true;
  }
  return changed;
}

function withoutBigints(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(withoutBigints);
  return value;
}

/**
 * Whether the schema takes a string or a number at `path` (a field of a string
 * map such as env or labels, which keeps a number's source text). Follows $ref, properties,
 * patternProperties, additionalProperties and items, into every branch of then/else/allOf/anyOf/oneOf
 * (subscribe.environments items are `if string then … else subscription`); a branch that takes a string
 * there is enough, the validation that follows judges the rest. A free-form map is "no".
 */
export function allowsString(root: SchemaNode, path: readonly PathSegment[]): boolean {
  // Only where numbers are taken too, as their source text (string maps): a `type: string` field refuses 12 as well.
  return (schemaNodesAt(root, path) ?? []).some((node) => Array.isArray(node.type) && node.type.includes("string") && node.type.includes("number"));
}

/**
 * Whether a quoted value could stand at `path`: a free-form place (parameters) or a field some branch
 * of which takes any string. retries, order and a duration such as timeout do not.
 */
function mayBeString(root: SchemaNode, path: readonly PathSegment[]): boolean {
  const nodes = schemaNodesAt(root, path);
  if (nodes === undefined) return true;
  return nodes.some((node) => {
    const type = node.type;
    const takesString = type === "string" || (Array.isArray(type) && type.includes("string"));
    const anyLine = node.pattern === undefined || node.pattern === SINGLE_LINE || node.pattern === NO_NUL;
    return takesString && anyLine && node.enum === undefined && node.format === undefined && node.const === undefined;
  });
}

/**
 * The schema nodes (every then/else/allOf/anyOf/oneOf branch) that describe the value at `path`;
 * undefined where the schema does not describe it (a free-form map, additionalProperties: true).
 */
function schemaNodesAt(root: SchemaNode, path: readonly PathSegment[]): SchemaNode[] | undefined {
  const deref = (node: unknown): SchemaNode | undefined => {
    let n = node as SchemaNode | undefined;
    for (let i = 0; i < 10 && n && typeof n.$ref === "string"; i++) {
      const name = /^#\/definitions\/(.+)$/.exec(n.$ref)?.[1];
      n = name ? ((root.definitions as Record<string, SchemaNode> | undefined)?.[name] ?? undefined) : undefined;
    }
    return n && typeof n === "object" ? n : undefined;
  };
  // A node and the nodes of its branches, all of which may describe the value.
  const branches = (node: SchemaNode | undefined, out: SchemaNode[] = [], depth = 0): SchemaNode[] => {
    if (!node || depth > 10 || out.includes(node)) return out;
    out.push(node);
    for (const key of ["then", "else"]) branches(deref(node[key]), out, depth + 1);
    for (const key of ["allOf", "anyOf", "oneOf"]) {
      if (Array.isArray(node[key])) for (const item of node[key] as unknown[]) branches(deref(item), out, depth + 1);
    }
    return out;
  };
  const child = (node: SchemaNode, seg: PathSegment): SchemaNode | undefined => {
    if (typeof seg === "number") return deref(node.items);
    const own = (node.properties as Record<string, unknown> | undefined)?.[seg];
    const patterned = Object.entries((node.patternProperties as Record<string, unknown> | undefined) ?? {}).find(([pattern]) => new RegExp(pattern, "u").test(seg))?.[1];
    return deref(own ?? patterned ?? (typeof node.additionalProperties === "object" ? node.additionalProperties : undefined));
  };
  let nodes = branches(deref(root));
  for (const seg of path) {
    nodes = nodes.flatMap((node) => branches(child(node, seg)));
    if (nodes.length === 0) return undefined;
  }
  return nodes;
}

/** Builds one OrunError out of located problems: the first is the headline, the rest follow indented. */
export function problemsError(problems: Problem[], prefix = "", suffix = ""): OrunError {
  const [first, ...rest] = problems;
  if (!first) return new OrunError(`${prefix}validation failed`);
  const lines = rest.slice(0, 9).map((p) => `\n  ${p.file}:${p.line}: ${p.field ? `${p.field}: ` : ""}${p.message}`);
  if (rest.length > 9) lines.push(`\n  … and ${rest.length - 9} more`);
  return new OrunError(`${prefix}${first.field ? `${first.field}: ` : ""}${first.message}${suffix}${lines.join("")}`, {
    location: { file: first.file, line: first.line },
  });
}

/**
 * Turns ajv errors into located, readable problems, sorted by line and without
 * the noise of `if`/`propertyNames` wrappers.
 */
export function describeErrors(
  errors: ErrorObject[],
  data: unknown,
  /** Where a value is written, and its text as written when it is a scalar (for a "quote it" hint). */
  locate: (path: PathSegment[]) => { file: string; line: number; source?: string | undefined },
  basePath: readonly PathSegment[] = [],
): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const err of errors) {
    if (err.keyword === "if" || err.keyword === "propertyNames") continue;
    const path = pointerToPath(err.instancePath, data);
    let message: string;
    const params = err.params as Record<string, unknown>;
    const propertyName = (err as ErrorObject & { propertyName?: string }).propertyName;
    if (propertyName !== undefined) {
      path.push(propertyName);
      message = `invalid name ${shown(propertyName)}: ${patternText(String(params.pattern ?? ""))}${lookAlike(propertyName)}`;
    } else {
      switch (err.keyword) {
        case "additionalProperties": {
          const key = String(params.additionalProperty);
          path.push(key);
          const allowed = Object.keys(((err.parentSchema ?? {}) as { properties?: object }).properties ?? {});
          const suggestion = didYouMean(key, allowed);
          // Every key is ASCII: one close to a known key but for a look-alike letter reads the same as the suggestion.
          message = `unknown key ${shown(key)}${suggestion}${suggestion ? lookAlike(key) : ""}`;
          if (allowed.length > 0 && !suggestion) message += `; allowed keys: ${allowed.join(", ")}`;
          break;
        }
        case "required":
          path.push(String(params.missingProperty));
          message = "is required";
          break;
        case "enum":
          message = `must be one of ${(params.allowedValues as unknown[]).map(String).join(", ")} (got ${shown(err.data)})`;
          break;
        case "const":
          message = `must be ${JSON.stringify(params.allowedValue)} (got ${shown(err.data)})`;
          break;
        case "type": {
          message = `must be ${typeText(params.type)} (got ${describeValue(err.data)})`;
          // A plain 1_000, 010 or true reads as a number or a boolean (as in v2.3): quoting keeps the text.
          const source = params.type === "string" && (typeof err.data === "number" || typeof err.data === "boolean") ? locate(path).source : undefined;
          if (source !== undefined) message += `; quote it ("${source}") to keep it as a string`;
          break;
        }
        case "pattern":
          message = `${patternText(String(params.pattern))} (got ${shown(err.data)})${typeof err.data === "string" && asciiOnlyPattern(String(params.pattern)) ? lookAlike(err.data) : ""}`;
          break;
        case "minLength":
          message = params.limit === 1 ? "must not be empty" : (err.message ?? "is too short");
          break;
        case "format":
          message = `must be a valid ${String(params.format).toUpperCase()} (got ${shown(err.data)})`;
          break;
        default:
          message = err.message ?? `violates ${err.keyword}`;
      }
    }
    const full = [...basePath, ...path];
    const key = `${formatField(full)}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const where = locate(path);
    out.push({ file: where.file, line: where.line, field: formatField(full), message });
  }
  return out.sort((a, b) => a.line - b.line);
}

/** `/environments/prod/promotion/dependsOn/0` → segments, numbers where the data is an array. */
export function pointerToPath(pointer: string, data: unknown): PathSegment[] {
  if (!pointer) return [];
  const out: PathSegment[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split("/")) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(cur)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function typeText(type: unknown): string {
  const names: Record<string, string> = {
    string: "a string",
    integer: "an integer",
    number: "a number",
    boolean: "a boolean",
    object: "a mapping",
    array: "a list",
    null: "null",
  };
  const list = String(type).split(",");
  if (list.length === 1) return names[list[0]!] ?? list[0]!;
  return `${names[list[0]!]?.split(" ")[0] ?? "a"} ${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}`;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${shown(value)}`;
}

/** A value quoted in a message, cut short: the whole of a long string buries the message. */
export function shown(value: unknown): string {
  // Each control, bidi or zero-width character as `\u{hex}` (src/util/printable.ts): the form the rest of the line has.
  return quoted(value, 80);
}

/**
 * `; "е" (U+0435) is not an ASCII letter` for a name refused with a letter that looks like an ASCII one (Cyrillic,
 * Greek, fullwidth): the name reads as valid otherwise. Hidden characters are already shown as `\u{hex}`.
 */
function lookAlike(name: string): string {
  const char = [...name].find((c) => /\p{L}|\p{N}/u.test(c) && !/[A-Za-z0-9]/.test(c));
  if (char === undefined) return "";
  const code = char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  return `; "${char}" (U+${code}) is not an ASCII ${/\p{N}/u.test(char) ? "digit" : "letter"}`;
}

/**
 * A rule that allows only ASCII letters and digits (a name), where a look-alike letter is the fault. Others allow any
 * letter (the single-line rule; a duration's `µs`), so a note about one would name a fault that is not there.
 */
function asciiOnlyPattern(pattern: string): boolean {
  return /^\^\[(A-Za-z0-9|A-Za-z_|a-z0-9)\]/.test(pattern);
}

function patternText(pattern: string): string {
  if (pattern === NO_NUL) return "must not contain a NUL byte (no process can be given one)";
  if (pattern === SINGLE_LINE) return "must not contain control characters (a tab, a line break, an escape sequence)";
  if (pattern.startsWith("^[A-Za-z0-9][A-Za-z0-9_-]")) return "must start with a letter or digit and contain only letters, digits, '-' and '_'";
  if (pattern.startsWith("^[A-Za-z0-9][A-Za-z0-9._-]")) return "must start with a letter or digit and contain only letters, digits, '.', '-' and '_' (no path separators)";
  if (pattern.startsWith("^[A-Za-z_]")) return "must be an environment variable name (letters, digits and '_')";
  if (pattern.startsWith("^([0-9]")) return "must be a duration such as 30s, 10m or 1h30m";
  if (pattern.startsWith("^sha256:")) return "must be sha256:<64 lowercase hex digits>";
  if (pattern.startsWith("^[a-z0-9]([-a-z0-9]")) return "must be lowercase letters, digits and '-' (starting and ending with a letter or digit)";
  return `must match ${pattern}`;
}
