// Semantic diff of intent.yaml between two revisions: both versions are
// parsed and compared as data, so comments, formatting and key order never
// count as a change. Top-level sections (environments, groups, ...) are what
// `change.watches` subscribes to; inline components are compared by name.

import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { isDeepStrictEqual } from "node:util";
import { decodeText, expandedValues, MAX_EXPANDED_VALUES, resolveAlias, yamlV3Number, type PathSegment } from "../load/yaml.js";
import { allowsString } from "../validate/documents.js";
import { SCHEMAS } from "../validate/schemas.js";

/** Keys that describe the document rather than configure anything. */
const IGNORED_KEYS = new Set(["apiVersion", "kind", "metadata", "components"]);

export interface IntentDiff {
  /** Changed top-level sections other than apiVersion/kind/metadata/components, sorted. */
  changedSections: string[];
  /** Inline components (intent.yaml `components[]`) by name. */
  components: { added: string[]; modified: string[]; removed: string[] };
  /** Set when a version could not be parsed: what changed is unknown. */
  unreadable?: string;
}

export const EMPTY_DIFF: IntentDiff = { changedSections: [], components: { added: [], modified: [], removed: [] } };

/**
 * Compares two intent.yaml versions; `undefined` = the file does not exist in that revision.
 * Bytes (a file or `git show` output) are decoded as the loader decodes files: UTF-8, or UTF-16 with a BOM.
 */
export function diffIntentText(before: string | Uint8Array | undefined, after: string | Uint8Array | undefined): IntentDiff {
  const parsedBefore = parseIntent(before);
  const parsedAfter = parseIntent(after);
  if ("error" in parsedBefore || "error" in parsedAfter) {
    const which = "error" in parsedBefore ? `base version: ${parsedBefore.error}` : `head version: ${(parsedAfter as { error: string }).error}`;
    return { ...EMPTY_DIFF, unreadable: which };
  }
  return diffIntentData(parsedBefore.value, parsedAfter.value);
}

export function diffIntentData(before: Record<string, unknown>, after: Record<string, unknown>): IntentDiff {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changedSections = [...keys].filter((key) => !IGNORED_KEYS.has(key) && !isDeepStrictEqual(before[key], after[key])).sort();
  const beforeComponents = componentsByName(before.components);
  const afterComponents = componentsByName(after.components);
  const added: string[] = [];
  const modified: string[] = [];
  const removed: string[] = [];
  for (const [name, value] of afterComponents) {
    if (!beforeComponents.has(name)) added.push(name);
    else if (!isDeepStrictEqual(beforeComponents.get(name), value)) modified.push(name);
  }
  for (const name of beforeComponents.keys()) if (!afterComponents.has(name)) removed.push(name);
  return { changedSections, components: { added: added.sort(), modified: modified.sort(), removed: removed.sort() } };
}

function parseIntent(content: string | Uint8Array | undefined): { value: Record<string, unknown> } | { error: string } {
  if (content === undefined) return { value: {} };
  try {
    const text = typeof content === "string" ? content : decodeText(Buffer.from(content.buffer, content.byteOffset, content.byteLength), "intent.yaml");
    const doc = parseDocument(text, { uniqueKeys: true, intAsBigInt: true });
    if (doc.errors.length > 0) throw doc.errors[0];
    // An old revision's aliases of aliases would be expanded here without bound (this walk copies every alias).
    if (text.includes("*") && expandedValues(doc) > MAX_EXPANDED_VALUES) return { error: `its aliases expand to more than ${MAX_EXPANDED_VALUES} values` };
    const value = asPlanned(doc, doc.contents, []);
    if (value === null || value === undefined) return { value: {} };
    if (typeof value !== "object" || Array.isArray(value)) return { error: "not a YAML mapping" };
    return { value: value as Record<string, unknown> };
  } catch (err) {
    return { error: err instanceof Error ? err.message.split("\n")[0]! : String(err) };
  }
}

function componentsByName(list: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!Array.isArray(list)) return out;
  list.forEach((entry, i) => {
    const name = typeof entry === "object" && entry !== null && typeof (entry as { name?: unknown }).name === "string" ? (entry as { name: string }).name : `#${i}`;
    out.set(name, entry);
  });
  return out;
}

/**
 * The document's data as the planner reads it, so that only what reaches a plan counts as a change:
 * in a string map (env, labels) a number is its source text (X: 16 → X: 0x10 changes the env), and
 * elsewhere a number is its value (n: 1 → n: 1.0 changes nothing).
 */
function asPlanned(doc: Document, node: unknown, path: PathSegment[], depth = 0): unknown {
  if (depth > 200) return null;
  if (isAlias(node)) return asPlanned(doc, resolveAlias(doc, node), path, depth + 1);
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      Object.defineProperty(out, key, { value: asPlanned(doc, pair.value, [...path, key], depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item, i) => asPlanned(doc, item, [...path, i], depth + 1));
  if (!isScalar(node)) return null;
  // Numbers as the planner reads them (yaml.v3: `010` is 8, `1_000` is 1000), or a change of one goes unseen.
  const v3 = node.type === "PLAIN" && !node.tag && node.source !== undefined ? yamlV3Number(node.source) : undefined;
  const value = v3 ?? node.value;
  if (typeof value !== "number" && typeof value !== "bigint") return value;
  if (allowsString(SCHEMAS.intent, path)) return node.source ?? String(value);
  return typeof value === "bigint" && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
