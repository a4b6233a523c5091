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

/** Byte-wise (UTF-8) comparison, which for strings equals code-point order. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
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
  return Object.keys(obj).sort(compareUtf8);
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
      if (!Number.isFinite(value)) throw new TypeError(`json: unsupported value: ${value}`);
      return { kind: "number", value };
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

/** A JSON string literal the way Go writes it (HTML-safe escaping). */
export function goJsonString(value: string): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function writeNode(node: Node, indent: string, depth: number, out: string[]): void {
  switch (node.kind) {
    case "string":
      out.push(goJsonString(node.value));
      return;
    case "number":
      // Go's float formatting for JSON is the ES6 algorithm; integers print plainly.
      out.push(Object.is(node.value, -0) ? "0" : String(node.value));
      return;
    case "boolean":
      out.push(node.value ? "true" : "false");
      return;
    case "null":
      out.push("null");
      return;
    case "array":
    case "object": {
      const [open, close] = node.kind === "array" ? ["[", "]"] : ["{", "}"];
      const count = node.kind === "array" ? node.items.length : node.entries.length;
      out.push(open);
      if (count === 0) {
        out.push(close);
        return;
      }
      const inner = indent ? `\n${indent.repeat(depth + 1)}` : "";
      for (let i = 0; i < count; i++) {
        if (i > 0) out.push(",");
        out.push(inner);
        if (node.kind === "array") {
          writeNode(node.items[i]!, indent, depth + 1, out);
        } else {
          const [key, child] = node.entries[i]!;
          out.push(goJsonString(key), indent ? ": " : ":");
          writeNode(child, indent, depth + 1, out);
        }
      }
      if (indent) out.push(`\n${indent.repeat(depth)}`);
      out.push(close);
      return;
    }
  }
}

/** Go json.Marshal (indent "") or json.MarshalIndent(v, "", indent). No trailing newline. */
export function encodeGoJson(value: unknown, shape: Shape = anyShape, indent = ""): string {
  const out: string[] = [];
  writeNode(toNode(value, shape), indent, 0, out);
  return out.join("");
}
