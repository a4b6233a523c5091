// plan.json / plan.yaml encoding: the plan's field order (orun v2.3's Go
// struct order, spec 12 §4) and the readers for both formats.
import { Document, Pair, parse as parseYaml, Scalar, YAMLMap, YAMLSeq } from "yaml";
import type { Plan } from "../model/plan.js";
import { anyShape, arrayOf, encodeGoJson, encodeGoJsonBuffer, mapOf, struct, toNode, type Node, type Shape } from "./canonical-json.js";

const stringMap = mapOf();

export const stepShape = struct(
  "id?",
  "name?",
  "phase?",
  "order?",
  "run?",
  "use?",
  ["with?", mapOf(anyShape)],
  ["env?", stringMap],
  "shell?",
  "working-directory?",
  "timeout?",
  "retry?",
  "onFailure?",
);

export const gateShape = struct("type", "environment", "component", "condition", ["match", struct("revision")]);

export const jobShape = struct(
  "id",
  "uid?",
  "displayName?",
  "checkName?",
  "name",
  "component",
  "environment",
  "composition?",
  "profile?",
  "profileSource?",
  "profileRuleTriggerRef?",
  "jobRegistry?",
  "job?",
  "runsOn?",
  "path?",
  ["steps", arrayOf(stepShape)],
  ["dependsOn?", arrayOf(anyShape)],
  ["gates?", arrayOf(gateShape)],
  "timeout?",
  "retries?",
  ["env?", stringMap],
  ["labels?", stringMap],
  ["parameters?", mapOf(anyShape)],
  ["policies?", stringMap],
);

const triggerShape = struct(
  "mode",
  "provider?",
  "event?",
  "action?",
  ["matchedBindings", arrayOf(anyShape)],
  ["activeEnvironments", arrayOf(anyShape)],
  ["activatedBy?", mapOf(arrayOf(anyShape))],
  "scope",
  "base?",
  "head?",
);

export const planShape = struct(
  "apiVersion",
  "kind",
  [
    "metadata",
    struct(
      "name",
      "description?",
      "namespace?",
      "generatedAt?",
      "checksum?",
      ["scope?", struct("detectedComponent?", ["components", arrayOf(anyShape)])],
      ["trigger?", triggerShape],
      "workDir?",
      "revision?",
    ),
  ],
  ["execution", struct("concurrency", "failFast", "stateFile?", ["state?", struct("mode?", "backendUrl?")])],
  [
    "spec",
    struct(
      ["jobBindings?", stringMap],
      ["compositionSources?", arrayOf(struct("name", "kind", "ref?", "path?", "resolvedDigest", ["exports?", arrayOf(anyShape)]))],
    ),
  ],
  ["jobs", arrayOf(jobShape)],
);

function omitFields(shape: Shape, keys: readonly string[], nested: Record<string, Shape> = {}): Shape {
  if (shape.kind !== "struct") return shape;
  const fields = shape.fields.filter((f) => !keys.includes(f.key)).map((f) => (nested[f.key] ? { ...f, shape: nested[f.key]! } : f));
  return { kind: "struct", fields };
}

function fieldShape(shape: Shape, key: string): Shape {
  const field = shape.kind === "struct" ? shape.fields.find((f) => f.key === key) : undefined;
  if (!field) throw new Error(`no field ${key}`);
  return field.shape;
}

/**
 * The plan as the checksum sees it (decision 2): without generatedAt, the checksum
 * itself, the job identity fields and the where/when context (compositionSources,
 * trigger, scope, workDir, revision).
 */
export const hashedPlanShape = omitFields(planShape, [], {
  metadata: omitFields(fieldShape(planShape, "metadata"), ["generatedAt", "checksum", "scope", "trigger", "workDir", "revision"]),
  spec: omitFields(fieldShape(planShape, "spec"), ["compositionSources"]),
  jobs: arrayOf(omitFields(jobShape, ["uid", "displayName", "checkName"])),
});

/** Compact Go-JSON of the whole plan (json.Marshal). */
export function encodePlanCompact(plan: Plan): string {
  return encodeGoJson({ ...plan, jobs: plan.jobs ?? [] }, planShape);
}

/** The stored form: Go MarshalIndent with two spaces, no trailing newline. */
export function encodePlanJson(plan: Plan): string {
  return encodeGoJson({ ...plan, jobs: plan.jobs ?? [] }, planShape, "  ");
}

/** encodePlanJson as UTF-8 bytes (what the store writes; cheaper for large plans). */
export function encodePlanJsonBuffer(plan: Plan): Buffer {
  return encodeGoJsonBuffer({ ...plan, jobs: plan.jobs ?? [] }, planShape, "  ");
}

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

/** Parses a plan file's text (JSON, falling back to YAML; `.yaml`/`.yml` names go straight to YAML). */
export function decodePlan(text: string, fileName = ""): unknown {
  if (!/\.ya?ml$/i.test(fileName)) {
    try {
      return JSON.parse(text);
    } catch (err) {
      if (/^\s*[[{]/.test(text)) throw err;
    }
  }
  const value: unknown = parseYaml(text);
  return value;
}

