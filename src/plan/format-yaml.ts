// plan.yaml encoding: the same key names and order as plan.json (format.ts).
import { Document, Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
import type { Plan } from "../model/plan.js";
import { anyShape, toNode, type Node, type Shape } from "./canonical-json.js";
import { planShape } from "./format.js";

function yamlNode(node: Node, doc: Document): unknown {
  switch (node.kind) {
    case "object": {
      const map = new YAMLMap();
      for (const [key, child] of node.entries) map.items.push(new Pair(new Scalar(key), yamlNode(child, doc)));
      return map;
    }
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
