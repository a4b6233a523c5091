// plan.yaml encoding: the same key names and order as plan.json (format.ts).
import { Document, Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
import type { Plan } from "../model/plan.js";
import { anyShape, toNode, type Node, type Shape } from "./canonical-json.js";
import { planShape } from "./format.js";

/**
 * Strings a YAML 1.1 reader (PyYAML, Ruby's Psych, older yq, many CI tools)
 * would take as something else if written plain: booleans such as `on`/`yes`/`n`,
 * base-60 numbers (`1:20`), numbers with `_` or `0b`, timestamps, the merge key
 * `<<` and the value key `=`. The yaml package writes YAML 1.2, where these are
 * plain strings; yaml.v3 (v2.3's plan.yaml) quotes most of them for the same reason.
 */
const YAML11_NOT_A_STRING =
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|<<|=|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?|[-+]?0b[01_]+|[-+]?0x[0-9a-fA-F_]+|(?=[^_]*_)(?=[^0-9]*[0-9])[-+]?[0-9_]*\.?[0-9_]*(?:[eE][-+]?[0-9]+)?|\d{4}-\d\d?-\d\d?(?:(?:[Tt]|[ \t]+).*)?)$/;

/**
 * Characters a YAML 1.1 reader refuses raw (DEL, C1 controls, U+FFFE/U+FFFF, lone surrogates) or takes
 * as line breaks in a plain or block scalar (U+0085, U+2028, U+2029): such a string is double-quoted
 * and these are written as escapes (the yaml package writes them raw, even in double quotes).
 */
const RAW_UNSAFE_CHARS = "[\\x7f-\\x9f\\u2028\\u2029\\ufffe\\uffff]|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]";
const RAW_UNSAFE = new RegExp(RAW_UNSAFE_CHARS, "g");
/** Also C0 controls (escaped by the yaml package once double-quoted) and a tab in a single-line string (PyYAML refuses it plain). */
const NEEDS_DOUBLE_QUOTES = new RegExp(`${RAW_UNSAFE_CHARS}|[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]|^[^\\n]*\\t[^\\n]*$`);

function stringScalar(value: string): Scalar {
  const scalar = new Scalar(value);
  if (YAML11_NOT_A_STRING.test(value) || NEEDS_DOUBLE_QUOTES.test(value)) scalar.type = Scalar.QUOTE_DOUBLE;
  return scalar;
}

/** Escapes what RAW_UNSAFE finds; they only occur in double-quoted scalars (stringScalar), where \x and \u escapes work. */
function escapeRawUnsafe(text: string): string {
  return text.replace(RAW_UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).toUpperCase().padStart(2, "0")}` : `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
  });
}

function yamlNode(node: Node, doc: Document): unknown {
  switch (node.kind) {
    case "object": {
      const map = new YAMLMap();
      for (const [key, child] of node.entries) map.items.push(new Pair(stringScalar(key), yamlNode(child, doc)));
      return map;
    }
    case "string":
      return stringScalar(node.value);
    case "array": {
      const seq = new YAMLSeq();
      for (const item of node.items) seq.items.push(yamlNode(item, doc));
      return seq;
    }
    case "null":
      return new Scalar(null);
    default:
      return new Scalar(node.value);
  }
}

/** Any value as YAML, keys in the order the shape gives (as the JSON output), 4-space indent like yaml.v3. */
export function encodeShapedYaml(value: unknown, shape: Shape = anyShape): string {
  const doc = new Document();
  doc.contents = yamlNode(toNode(value, shape), doc) as YAMLMap;
  return escapeRawUnsafe(doc.toString({ indent: 4, lineWidth: 0 }));
}

/** YAML with the same key names and order as the JSON. */
export function encodePlanYaml(plan: Plan): string {
  return encodeShapedYaml({ ...plan, jobs: plan.jobs ?? [] }, planShape);
}
