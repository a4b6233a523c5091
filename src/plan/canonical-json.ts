// Go `encoding/json`-compatible serialisation of plans.
//
// orun v2.3 hashes and stores plans with Go's json.Marshal / MarshalIndent, so
// the bytes depend on rules JavaScript's JSON.stringify doesn't follow: struct
// fields keep their declared order (with `omitempty` dropping empty values),
// map keys are sorted by UTF-8 bytes (JS objects put integer-like keys first),
// and `<`, `>`, `&`, U+2028 and U+2029 are escaped. A value is described by a
// Shape; anything under an `any` shape is a free-form map/list/scalar.
//
// The encoder first builds an ordered tree (`Node`) that both the JSON writer
// here and the YAML writer in plan-yaml.ts consume.

export type Shape =
  | { kind: "any" }
  | { kind: "map"; value: Shape }
  | { kind: "array"; item: Shape }
  | { kind: "struct"; fields: readonly Field[] };

export interface Field {
  key: string;
  shape: Shape;
  /** Go `omitempty`: drop false, 0, "", empty arrays/maps (and always undefined/null). */
  omitEmpty: boolean;
}

/** An ordered, serialisation-ready value. */
export type Node =
  | { kind: "object"; entries: [string, Node][] }
  | { kind: "array"; items: Node[] }
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "boolean"; value: boolean }
  | { kind: "null" };

export const anyShape: Shape = { kind: "any" };
export const mapOf = (value: Shape = anyShape): Shape => ({ kind: "map", value });
export const arrayOf = (item: Shape): Shape => ({ kind: "array", item });

/** `struct("name", "id?", ["steps", arrayOf(step)])`: a trailing `?` means omitempty; a bare name is a scalar. */
export function struct(...specs: (string | [string, Shape])[]): Shape {
  const fields = specs.map((spec): Field => {
    const [rawKey, shape] = typeof spec === "string" ? [spec, anyShape] : spec;
    const omitEmpty = rawKey.endsWith("?");
    return { key: omitEmpty ? rawKey.slice(0, -1) : rawKey, shape, omitEmpty };
  });
  return { kind: "struct", fields };
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}

const SURROGATE = /[\ud800-\udfff]/;

/** Byte-wise (UTF-8) comparison, i.e. code-point order (UTF-16 order differs only around surrogates). */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : 1;
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** Sorted keys, Go map order. */
export function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  // Without surrogates, the default sort (UTF-16 order) is code-point order.
  for (const key of keys) if (SURROGATE.test(key)) return keys.sort(compareUtf8);
  return keys.sort();
}

export function toNode(value: unknown, shape: Shape = anyShape): Node {
  if (value === undefined || value === null) return { kind: "null" };
  switch (shape.kind) {
    case "struct": {
      const record = value as Record<string, unknown>;
      const entries: [string, Node][] = [];
      for (const field of shape.fields) {
        const v = record[field.key];
        if (v === undefined || (field.omitEmpty && isEmpty(v))) continue;
        entries.push([field.key, toNode(v, field.shape)]);
      }
      return { kind: "object", entries };
    }
    case "array":
      return Array.isArray(value) ? { kind: "array", items: value.map((item) => toNode(item, shape.item)) } : toNode(value);
    case "map": {
      const record = value as Record<string, unknown>;
      return { kind: "object", entries: sortedKeys(record).map((k) => [k, toNode(record[k], shape.value)]) };
    }
    case "any":
      break;
  }
  if (Array.isArray(value)) return { kind: "array", items: value.map((item) => toNode(item)) };
  if (value instanceof Date) return { kind: "string", value: value.toISOString().replace(/\.000Z$/, "Z") };
  switch (typeof value) {
    case "string":
      return { kind: "string", value };
    case "number":
      return { kind: "number", value: finite(value) };
    case "bigint":
      return { kind: "number", value: Number(value) };
    case "boolean":
      return { kind: "boolean", value };
    case "object": {
      const record = value as Record<string, unknown>;
      return { kind: "object", entries: sortedKeys(record).filter((k) => record[k] !== undefined).map((k) => [k, toNode(record[k])]) };
    }
    default:
      throw new TypeError(`json: unsupported type: ${typeof value}`);
  }
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/;
const HTML_UNSAFE_ALL = /[<>&\u2028\u2029]/g;

/** Anything that JSON or Go's HTML-safe encoding would escape (controls, quotes, <>&, U+2028/9, surrogates). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;

/** A JSON string literal the way Go writes it (HTML-safe escaping). */
export function goJsonString(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  const json = JSON.stringify(value);
  return HTML_UNSAFE.test(value) ? json.replace(HTML_UNSAFE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : json;
}

function finite(value: number): number {
  if (!Number.isFinite(value)) throw new TypeError(`json: unsupported value: ${value}`);
  return value;
}

/** Go's float formatting for JSON is the ES6 algorithm; integers print plainly. */
function goNumber(value: number): string {
  return Object.is(finite(value), -0) ? "0" : String(value);
}

const CHUNK = 1 << 16;

/** Thrown by plainCopy for a value JSON.stringify would not write as Go does. */
const NOT_PLAIN = Symbol("not plain");

/**
 * A copy of `value` whose own keys are in Go's output order (struct fields as
 * declared, omitempty applied; map keys sorted), so that JSON.stringify writes
 * Go's compact bytes. Throws NOT_PLAIN where it would not: keys starting with a
 * digit (JS puts integer-like keys first), `__proto__`, non-finite numbers,
 * bigints, Dates and other non-plain objects, functions, shapes that don't fit.
 */
function plainCopy(value: unknown, shape: Shape): unknown {
  if (value === undefined || value === null) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw NOT_PLAIN;
      return value;
    case "object":
      break;
    default:
      throw NOT_PLAIN;
  }
  if (Array.isArray(value)) {
    if (shape.kind !== "array" && shape.kind !== "any") throw NOT_PLAIN;
    const item = shape.kind === "array" ? shape.item : anyShape;
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = plainCopy(value[i], item);
    return copy;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || shape.kind === "array") throw NOT_PLAIN;
  const record = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  if (shape.kind === "struct") {
    for (const field of shape.fields) {
      const v = record[field.key];
      if (v === undefined || (field.omitEmpty && isEmpty(v))) continue;
      copy[field.key] = plainCopy(v, field.shape);
    }
    return copy;
  }
  const valueShape = shape.kind === "map" ? shape.value : anyShape;
  for (const key of sortedKeys(record)) {
    const v = record[key];
    if (v === undefined) continue;
    const first = key.charCodeAt(0);
    if ((first >= 48 && first <= 57) || key === "__proto__") throw NOT_PLAIN;
    copy[key] = plainCopy(v, valueShape);
  }
  return copy;
}

/**
 * Compact Go-JSON of `value` through the engine's JSON.stringify (several times
 * faster than writing it piece by piece, which matters for checksums at run
 * start), or undefined when only the general writer gets the bytes right.
 */
function compactViaStringify(value: unknown, shape: Shape): string | undefined {
  let text: string;
  try {
    text = JSON.stringify(plainCopy(value, shape));
  } catch (err) {
    if (err === NOT_PLAIN) return undefined;
    throw err;
  }
  return HTML_UNSAFE.test(text) ? text.replace(HTML_UNSAFE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : text;
}

/**
 * Writes one value as Go marshals it, in chunks of about 64K characters handed to
 * `flush` (a hash, a buffer list): plans can be large, and one string built from
 * millions of small pieces costs far more memory than the text itself.
 */
class GoJsonWriter {
  private out = "";
  private readonly pads: string[] = [];
  private readonly colon: string;

  constructor(
    private readonly indent: string,
    private readonly flush: (chunk: string) => void,
  ) {
    this.colon = indent ? ": " : ":";
  }

  private emit(text: string): void {
    this.out += text;
    if (this.out.length >= CHUNK) {
      this.flush(this.out);
      this.out = "";
    }
  }

  end(): void {
    if (this.out) this.flush(this.out);
    this.out = "";
  }

  private newline(depth: number): string {
    if (!this.indent) return "";
    return (this.pads[depth] ??= `\n${this.indent.repeat(depth)}`);
  }

  value(value: unknown, shape: Shape, depth: number): void {
    // Compact output: each top-level field, and each item of a top-level array (a job), in one piece.
    if (!this.indent && (depth === 2 || (depth === 1 && !Array.isArray(value)))) {
      const text = compactViaStringify(value, shape);
      if (text !== undefined) {
        this.emit(text);
        return;
      }
    }
    if (value === undefined || value === null) {
      this.emit("null");
      return;
    }
    if (shape.kind === "struct") return this.struct(value as Record<string, unknown>, shape.fields, depth);
    if (shape.kind === "map") return this.map(value as Record<string, unknown>, shape.value, depth);
    if (Array.isArray(value)) return this.array(value, shape.kind === "array" ? shape.item : anyShape, depth);
    switch (typeof value) {
      case "string":
        this.emit(goJsonString(value));
        return;
      case "number":
        this.emit(goNumber(value));
        return;
      case "bigint":
        this.emit(value.toString());
        return;
      case "boolean":
        this.emit(value ? "true" : "false");
        return;
      case "object":
        if (value instanceof Date) {
          this.emit(goJsonString(value.toISOString().replace(/\.000Z$/, "Z")));
          return;
        }
        return this.map(value as Record<string, unknown>, anyShape, depth);
      default:
        throw new TypeError(`json: unsupported type: ${typeof value}`);
    }
  }

  private struct(record: Record<string, unknown>, fields: readonly Field[], depth: number): void {
    let first = true;
    this.emit("{");
    for (const field of fields) {
      const v = record[field.key];
      if (v === undefined || (field.omitEmpty && isEmpty(v))) continue;
      this.emit(`${first ? "" : ","}${this.newline(depth + 1)}"${field.key}"${this.colon}`);
      first = false;
      this.value(v, field.shape, depth + 1);
    }
    this.emit(first ? "}" : `${this.newline(depth)}}`);
  }

  private array(items: readonly unknown[], item: Shape, depth: number): void {
    if (items.length === 0) {
      this.emit("[]");
      return;
    }
    this.emit("[");
    for (let i = 0; i < items.length; i++) {
      this.emit(i ? `,${this.newline(depth + 1)}` : this.newline(depth + 1));
      this.value(items[i], item, depth + 1);
    }
    this.emit(`${this.newline(depth)}]`);
  }

  private map(record: Record<string, unknown>, valueShape: Shape, depth: number): void {
    const keys = sortedKeys(record);
    let first = true;
    this.emit("{");
    for (const key of keys) {
      const v = record[key];
      if (v === undefined) continue;
      this.emit(`${first ? "" : ","}${this.newline(depth + 1)}${goJsonString(key)}${this.colon}`);
      first = false;
      this.value(v, valueShape, depth + 1);
    }
    this.emit(first ? "}" : `${this.newline(depth)}}`);
  }
}

/** Streams Go-JSON of `value` to `flush` in chunks. */
export function writeGoJson(value: unknown, shape: Shape, indent: string, flush: (chunk: string) => void): void {
  const writer = new GoJsonWriter(indent, flush);
  writer.value(value, shape, 0);
  writer.end();
}

/** Go json.Marshal (indent "") or json.MarshalIndent(v, "", indent) as UTF-8 bytes. No trailing newline. */
export function encodeGoJsonBuffer(value: unknown, shape: Shape = anyShape, indent = ""): Buffer {
  const parts: Buffer[] = [];
  writeGoJson(value, shape, indent, (chunk) => parts.push(Buffer.from(chunk, "utf8")));
  return Buffer.concat(parts);
}

/** Go json.Marshal (indent "") or json.MarshalIndent(v, "", indent). No trailing newline. */
export function encodeGoJson(value: unknown, shape: Shape = anyShape, indent = ""): string {
  let only: string | undefined;
  const parts: Buffer[] = [];
  writeGoJson(value, shape, indent, (chunk) => {
    if (only === undefined && parts.length === 0) {
      only = chunk;
      return;
    }
    if (only !== undefined) parts.push(Buffer.from(only, "utf8"));
    only = undefined;
    parts.push(Buffer.from(chunk, "utf8"));
  });
  return parts.length > 0 ? Buffer.concat(parts).toString("utf8") : (only ?? "");
}
