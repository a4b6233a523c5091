// plan.yaml encoding: the same key names and order as plan.json (format.ts).
import { Document, Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
import type { Plan } from "../model/plan.js";
import { toNode, type Node } from "./canonical-json.js";
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

/** YAML with the same key names and order as the JSON (4-space indent like yaml.v3). */
export function encodePlanYaml(plan: Plan): string {
  const doc = new Document();
  doc.contents = yamlNode(toNode({ ...plan, jobs: plan.jobs ?? [] }, planShape), doc) as YAMLMap;
  return doc.toString({ indent: 4, lineWidth: 0 });
}
