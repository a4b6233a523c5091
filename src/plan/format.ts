// plan.json encoding: the plan's field order (orun v2.3's Go struct order,
// spec 12 §4), and the reader for plan files in either format. YAML output
// lives in format-yaml.ts.
import type { Plan } from "../model/plan.js";
import { anyShape, arrayOf, encodeGoJson, encodeGoJsonBuffer, mapOf, struct, type Shape } from "./canonical-json.js";

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
 * trigger, scope, workDir). metadata.revision IS hashed: promotion gates require
 * evidence for it and a run records evidence under it, so it decides what the
 * plan does, and an edited revision must not keep the plan's ID.
 */
export const hashedPlanShape = omitFields(planShape, [], {
  metadata: omitFields(fieldShape(planShape, "metadata"), ["generatedAt", "checksum", "scope", "trigger", "workDir"]),
  spec: omitFields(fieldShape(planShape, "spec"), ["compositionSources"]),
  jobs: arrayOf(omitFields(jobShape, ["uid", "displayName", "checkName"])),
});

/**
 * The hash of plans written by earlier builds of orun, before the revision
 * was hashed: the same without metadata.revision. Such a plan still loads;
 * its revision, which nothing vouches for, is dropped (see verifyRecordedChecksum).
 */
export const unrevisedHashedPlanShape = omitFields(hashedPlanShape, [], {
  metadata: omitFields(fieldShape(planShape, "metadata"), ["generatedAt", "checksum", "scope", "trigger", "workDir", "revision"]),
});

/**
 * The plan as orun v2.3 hashed it (spec 12 §4.4): generatedAt is part of it, and
 * v2.3 writes no revision. Used only to recognise plan files v2.3 wrote.
 */
export const v2HashedPlanShape = omitFields(hashedPlanShape, [], {
  metadata: omitFields(fieldShape(planShape, "metadata"), ["checksum", "scope", "trigger", "workDir", "revision"]),
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

/**
 * Parses a plan file's text (JSON, falling back to YAML; `.yaml`/`.yml` names
 * go straight to YAML). The YAML library is loaded only for YAML plans: a run
 * of a plan.json must not pay for it at start-up.
 */
export async function decodePlan(text: string, fileName = ""): Promise<unknown> {
  if (!/\.ya?ml$/i.test(fileName)) {
    try {
      return JSON.parse(text);
    } catch (err) {
      if (/^\s*[[{]/.test(text)) throw err;
    }
  }
  const { parse } = await import("yaml");
  return parse(text) as unknown;
}

