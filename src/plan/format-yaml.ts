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

function stringScalar(value: string): Scalar {
  const scalar = new Scalar(value);
  if (YAML11_NOT_A_STRING.test(value)) scalar.type = Scalar.QUOTE_DOUBLE;
  return scalar;
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
  return doc.toString({ indent: 4, lineWidth: 0 });
}

/** YAML with the same key names and order as the JSON. */
export function encodePlanYaml(plan: Plan): string {
  return encodeShapedYaml({ ...plan, jobs: plan.jobs ?? [] }, planShape);
}
