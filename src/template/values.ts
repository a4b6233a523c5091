// How JavaScript data maps onto Go's dynamic values in a template:
// null/undefined → nil, string → string, integer number → int, other number →
// float64, boolean → bool, array → []interface {}, other object → map[string]interface {}
// (own enumerable keys), function → func.

/**
 * The result of looking up an absent map key. Go's default mode yields an
 * invalid value (printed `<no value>`); here it is false in truth tests (if,
 * with, and, or, not) and an error anywhere else (printing, arguments,
 * comparisons, range), which is Go's `missingkey=error` except that
 * `{{if .maybe}}` stays usable.
 */
export class Missing {
  constructor(
    /** Dotted path of the absent key, e.g. `.parameters.replicas`. */
    readonly path: string,
    readonly key: string,
    /** Source offset of the expression that looked it up. */
    readonly pos: number,
  ) {}
}

export type GoMap = Record<string, unknown>;

export function isMap(v: unknown): v is GoMap {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Missing);
}

export function isNil(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

/** Integral numbers within Go's int64 range are ints; everything else is a float64. */
export function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && Math.abs(v) < 2 ** 63;
}

export function hasKey(map: GoMap, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(map, key) && map[key] !== undefined;
}

/** UTF-16 code unit remapped so that comparing units orders strings by code point (as Go compares UTF-8 bytes). */
function codePointOrder(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  return unit >= 0xe000 ? unit - 0x800 : unit;
}

/** Orders strings as Go does (by UTF-8 bytes, that is by code point). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrder(x) - codePointOrder(y);
  }
  return a.length - b.length;
}

// eslint-disable-next-line no-control-regex
const BELOW_SURROGATES = /^[\u0000-\ud7ff]*$/;

/** Map keys in Go's printing and ranging order: sorted by bytes (code points), not UTF-16 units. */
export function sortedKeys(map: GoMap): string[] {
  let keys = Object.keys(map);
  keys = keys.every((k) => BELOW_SURROGATES.test(k)) ? keys.sort() : keys.sort(compareCodePoints);
  return keys.some((k) => map[k] === undefined) ? keys.filter((k) => map[k] !== undefined) : keys;
}

/** Go's template truth: false, 0, "", nil, empty slice or map (and a missing key) are false. */
export function truth(v: unknown): boolean {
  if (v === null || v === undefined || v instanceof Missing) return false;
  switch (typeof v) {
    case "boolean":
      return v;
    case "number":
      return v !== 0; // NaN is true, as in Go
    case "string":
      return v.length > 0;
    case "function":
      return true;
  }
  if (Array.isArray(v)) return v.length > 0;
  return Object.keys(v as object).some((k) => (v as GoMap)[k] !== undefined);
}

/** The Go type name, as in `%T` and error messages. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return "<nil>";
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
      return isInt(v) ? "int" : "float64";
    case "boolean":
      return "bool";
    case "function":
      return "func";
    case "bigint":
      return "int";
  }
  if (Array.isArray(v)) return "[]interface {}";
  return "map[string]interface {}";
}

/** Length in bytes of the UTF-8 encoding, which is what Go's len() counts. */
export function byteLength(s: string): number {
  // Fast path: ASCII strings.
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s.length : Buffer.byteLength(s, "utf8");
}
