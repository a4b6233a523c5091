// Go text/template's predefined functions (text/template/funcs.go). `and` and
// `or` short-circuit, so the executor evaluates them itself; they are listed
// here for arity and for the parser's "function not defined" check.

import { FormattedTooLong, sprint, sprintf, sprintln, formatValue } from "./format.js";
import { Missing, byteLength, compareCodePoints, hasKey, isInt, isMap, isNil, truth, typeName } from "./values.js";

/** A failure inside a function; the executor reports `error calling NAME: message` unless `plain`. */
export class FunctionError extends Error {
  constructor(
    message: string,
    readonly plain = false,
  ) {
    super(message);
  }
}

export interface CallContext {
  /** Where each argument came from (a key path such as `.parameters.list`, or the expression text). */
  argPaths: string[];
  /** Offset of the call, for values (missing keys) that remember where they were looked up. */
  pos: number;
}

export interface Builtin {
  /** Fixed arity, or the minimum when `variadic`. */
  arity: number;
  variadic: boolean;
  /** Absent for and/or, which the executor evaluates lazily. */
  call?: (args: unknown[], ctx: CallContext) => unknown;
  /** Go declares the arguments `...any`, so a nil literal is allowed (print nil); the others take reflect.Value. */
  takesAny: boolean;
}

const fixed = (arity: number, call?: Builtin["call"]): Builtin => ({ arity, variadic: false, call, takesAny: false });
const variadic = (arity: number, call?: Builtin["call"]): Builtin => ({ arity, variadic: true, call, takesAny: false });
const variadicAny = (arity: number, call: Builtin["call"]): Builtin => ({ arity, variadic: true, call, takesAny: true });

export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ["and", variadic(1)],
  ["or", variadic(1)],
  ["not", fixed(1, ([v]) => !truth(v))],
  ["len", fixed(1, ([v]) => length(v))],
  ["index", variadic(1, (args, ctx) => index(args[0], args.slice(1), ctx))],
  ["slice", variadic(1, (args) => slice(args[0], args.slice(1)))],
  ["print", variadicAny(0, (args) => bounded(() => sprint(args)))],
  ["printf", variadicAny(1, (args) => bounded(() => printf(args)))],
  ["println", variadicAny(0, (args) => bounded(() => sprintln(args)))],
  ["html", variadicAny(0, (args) => htmlEscape(bounded(() => stringOfArgs(args))))],
  ["js", variadicAny(0, (args) => jsEscape(bounded(() => stringOfArgs(args))))],
  ["urlquery", variadicAny(0, (args) => queryEscape(bounded(() => stringOfArgs(args))))],
  ["eq", variadic(1, (args) => eq(args[0], args.slice(1)))],
  ["ne", fixed(2, ([a, b]) => !eq(a, [b]))],
  ["lt", fixed(2, ([a, b]) => lt(a, b))],
  ["le", fixed(2, ([a, b]) => lt(a, b) || eq(a, [b]))],
  ["gt", fixed(2, ([a, b]) => !(lt(a, b) || eq(a, [b])))],
  ["ge", fixed(2, ([a, b]) => !lt(a, b))],
  ["call", variadic(1, (args, ctx) => call(ctx.argPaths[0] ?? "", args[0], args.slice(1)))],
]);

/** Runs a formatter, reporting a runaway result as the function's error. */
function bounded(format: () => string): string {
  try {
    return format();
  } catch (err) {
    if (err instanceof FormattedTooLong) throw new FunctionError(err.message);
    throw err;
  }
}

export function isBuiltinFunction(name: string): boolean {
  return BUILTINS.has(name);
}

function length(v: unknown): number {
  if (isNil(v)) throw new FunctionError("len of nil pointer");
  if (typeof v === "string") return byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).filter((k) => v[k] !== undefined).length;
  throw new FunctionError(`len of type ${typeName(v)}`);
}

function indexArg(index: unknown, cap: number): number {
  if (isNil(index)) throw new FunctionError("cannot index slice/array with nil");
  if (!isInt(index)) throw new FunctionError(`cannot index slice/array with type ${typeName(index)}`);
  if (index < 0 || index > cap) throw new FunctionError(`index out of range: ${index}`);
  return index;
}

function index(item: unknown, indexes: unknown[], ctx: CallContext): unknown {
  if (isNil(item)) throw new FunctionError("index of untyped nil");
  let path = ctx.argPaths[0];
  for (const idx of indexes) {
    if (isNil(item)) throw new FunctionError("index of nil pointer");
    if (Array.isArray(item) || typeof item === "string") {
      const len = typeof item === "string" ? byteLength(item) : item.length;
      const x = indexArg(idx, len);
      if (x === len) throw new FunctionError(`index out of range: ${x}`);
      // Indexing a string yields a byte, as in Go.
      item = typeof item === "string" ? Buffer.from(item, "utf8")[x] : item[x];
      path += `[${x}]`;
    } else if (isMap(item)) {
      if (typeof idx !== "string") throw new FunctionError(`value has type ${typeName(idx)}; should be string`);
      path += `.${idx}`;
      if (!hasKey(item, idx)) return new Missing(path, idx, ctx.pos);
      item = item[idx];
    } else {
      throw new FunctionError(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, indexes: unknown[]): unknown {
  if (isNil(item)) throw new FunctionError("slice of untyped nil");
  if (indexes.length > 3) throw new FunctionError(`too many slice indexes: ${indexes.length}`);
  let cap: number;
  if (typeof item === "string") {
    if (indexes.length === 3) throw new FunctionError("cannot 3-index slice a string");
    cap = byteLength(item);
  } else if (Array.isArray(item)) {
    cap = item.length;
  } else {
    throw new FunctionError(`can't slice item of type ${typeName(item)}`);
  }
  const idx = [0, cap, cap];
  indexes.forEach((x, i) => (idx[i] = indexArg(x, cap)));
  if (idx[0] > idx[1]) throw new FunctionError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1] > idx[2]) throw new FunctionError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (typeof item === "string") {
    return cap === item.length ? item.slice(idx[0], idx[1]) : Buffer.from(item, "utf8").subarray(idx[0], idx[1]).toString("utf8");
  }
  return item.slice(idx[0], idx[1]);
}

function printf(args: unknown[]): string {
  const [format, ...rest] = args;
  if (typeof format !== "string") throw new FunctionError(`wrong type for value; expected string; got ${typeName(format)}`, true);
  return sprintf(format, rest);
}

type Kind = "nil" | "bool" | "number" | "string" | undefined;

function basicKind(v: unknown): Kind {
  if (isNil(v)) return "nil";
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "number":
    case "bigint":
      // int and float64 compare with each other: YAML's 2.0 arrives as the integer 2.
      return "number";
    case "string":
      return "string";
  }
  return undefined;
}

function eq(a: unknown, others: unknown[]): boolean {
  if (others.length === 0) throw new FunctionError("missing argument for comparison");
  const ka = basicKind(a);
  for (const b of others) {
    const kb = basicKind(b);
    let equal: boolean;
    if (ka === "nil" || kb === "nil") {
      equal = ka === kb;
    } else if (ka === undefined || kb === undefined) {
      if (ka !== kb) throw new FunctionError("incompatible types for comparison");
      // Go's canCompare: a list and a map are not even of one kind (Go's odd order: value: type, type: value).
      if (Array.isArray(a) !== Array.isArray(b)) throw new FunctionError(`non-comparable types ${formatValue(a)}: ${typeName(a)}, ${typeName(b)}: ${formatValue(b)}`);
      throw new FunctionError(`non-comparable type ${formatValue(b)}: ${typeName(b)}`);
    } else if (ka !== kb) {
      throw new FunctionError("incompatible types for comparison");
    } else {
      equal = a === b;
    }
    if (equal) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === undefined || ka === "nil" || kb === undefined || kb === "nil") throw new FunctionError("invalid type for comparison");
  if (ka !== kb) throw new FunctionError("incompatible types for comparison");
  if (ka === "bool") throw new FunctionError("invalid type for comparison");
  if (ka === "string") return compareCodePoints(a as string, b as string) < 0;
  return (a as number) < (b as number);
}

function call(name: string, fn: unknown, args: unknown[]): unknown {
  if (isNil(fn)) throw new FunctionError("call of nil");
  if (typeof fn !== "function") throw new FunctionError(`non-function ${name} of type ${typeName(fn)}`);
  try {
    return (fn as (...a: unknown[]) => unknown)(...args);
  } catch (err) {
    throw new FunctionError(err instanceof Error ? err.message : String(err));
  }
}

/** Go's evalArgs for html/js/urlquery: a lone string as is, otherwise fmt.Sprint. */
function stringOfArgs(args: unknown[]): string {
  return args.length === 1 && typeof args[0] === "string" ? args[0] : sprint(args);
}

const HTML_ESCAPES: Record<string, string> = { '"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;", "\0": "\ufffd" };

export function htmlEscape(s: string): string {
  return s.replace(/["'&<>\0]/g, (c) => HTML_ESCAPES[c]);
}

const NON_PRINTABLE = /^[\p{C}\p{Z}]$/u;

export function jsEscape(s: string): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case "\\":
        out += "\\\\";
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case "<":
        out += "\\u003C";
        continue;
      case ">":
        out += "\\u003E";
        continue;
      case "&":
        out += "\\u0026";
        continue;
      case "=":
        out += "\\u003D";
        continue;
    }
    if (cp < 0x20) out += `\\u00${cp.toString(16).toUpperCase().padStart(2, "0")}`;
    else if (cp >= 0x80 && ch !== " " && NON_PRINTABLE.test(ch)) out += `\\u${cp.toString(16).toUpperCase().padStart(4, "0")}`;
    else out += ch;
  }
  return out;
}

/** url.QueryEscape: unreserved bytes kept, space as +, everything else %XX. */
export function queryEscape(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
