// Reads and checks an action's metadata file (action.yml / action.yaml).
// Errors name the file, line and field, like every other input orun reads.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { LineCounter, parseDocument, isMap, isScalar, type Document } from "yaml";
import { conditionSyntaxError } from "./expressions.js";
import { userRecord } from "./job-state.js";

export interface ActionInput {
  description?: string;
  required: boolean;
  default?: string;
  /** Where the input is declared in the metadata file. */
  line?: number;
}

export interface CompositeStep {
  id?: string;
  name?: string;
  run?: string;
  uses?: string;
  shell?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  if?: string | boolean;
  "working-directory"?: string;
  "continue-on-error"?: boolean | string;
}

export type ActionRuns =
  | { using: "node"; version: string; main: string; pre?: string; post?: string; preIf?: string; postIf?: string }
  | { using: "composite"; steps: CompositeStep[]; /** The line of each step's `if:` (for errors evaluating it). */ ifLines: (number | undefined)[] }
  | DockerRuns;

/** `runs:` of a docker container action; every string may hold `${{ }}` expressions. */
export interface DockerRuns {
  using: "docker";
  image: string;
  env: Record<string, string>;
  entrypoint?: string;
  preEntrypoint?: string;
  postEntrypoint?: string;
  preIf?: string;
  postIf?: string;
  args: string[];
  /** Whether `runs.args` was given: without it the step's `with.args` are the container's arguments, as on GitHub. */
  argsGiven: boolean;
}

export interface ActionMetadata {
  file: string;
  dir: string;
  name: string;
  inputs: Record<string, ActionInput>;
  outputs: Record<string, { description?: string; value?: string }>;
  runs: ActionRuns;
}

export class ActionMetadataError extends Error {
  constructor(file: string, line: number | undefined, field: string | undefined, message: string) {
    super(`${file}${line ? `:${line}` : ""}${field ? `: ${field}` : ""}: ${message}`); // the planner's `file:line: field: message`
    this.name = "ActionMetadataError";
  }
}

const NODE_RUNTIMES = ["node12", "node16", "node20", "node24"];

export async function loadActionMetadata(dir: string): Promise<ActionMetadata> {
  for (const name of ["action.yml", "action.yaml"]) {
    const file = path.join(dir, name);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    return parseActionMetadata(text, file, dir);
  }
  throw new Error(`action metadata not found: ${dir} has no action.yml or action.yaml`);
}

export function parseActionMetadata(text: string, file: string, dir: string): ActionMetadata {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new ActionMetadataError(file, e.linePos?.[0]?.line, undefined, `invalid YAML: ${e.message.split("\n")[0]}`);
  }
  const fail = (fieldPath: (string | number)[], message: string): never => {
    throw new ActionMetadataError(file, lineOf(doc, lineCounter, fieldPath), fieldName(fieldPath), message);
  };
  const root: unknown = doc.toJS();
  if (!isObject(root)) return fail([], "must be a mapping with name, inputs, outputs and runs");

  const inputs = userRecord<ActionInput>();
  if (root.inputs !== undefined && root.inputs !== null) {
    if (!isObject(root.inputs)) fail(["inputs"], "must be a mapping");
    for (const [key, raw] of Object.entries(root.inputs as object)) {
      const spec = raw ?? {};
      if (!isObject(spec)) fail(["inputs", key], "must be a mapping");
      const s = spec as Record<string, unknown>;
      inputs[key] = {
        description: typeof s.description === "string" ? s.description : undefined,
        required: s.required === true || s.required === "true",
        default: s.default === undefined || s.default === null ? undefined : scalarString(s.default),
        line: keyLine(doc, lineCounter, ["inputs"], key),
      };
    }
  }

  const outputs: ActionMetadata["outputs"] = userRecord();
  if (root.outputs !== undefined && root.outputs !== null) {
    if (!isObject(root.outputs)) fail(["outputs"], "must be a mapping");
    for (const [key, raw] of Object.entries(root.outputs as object)) {
      const s = isObject(raw) ? raw : {};
      outputs[key] = { description: typeof s.description === "string" ? s.description : undefined, value: s.value === undefined ? undefined : scalarString(s.value) };
    }
  }

  if (!isObject(root.runs)) return fail(["runs"], "is required and must be a mapping");
  const runs = root.runs;
  if (typeof runs.using !== "string") return fail(["runs", "using"], "is required (node20, node24, composite or docker)");
  const using = runs.using.trim().toLowerCase();
  let parsedRuns: ActionRuns;
  if (NODE_RUNTIMES.includes(using)) {
    if (typeof runs.main !== "string" || !runs.main.trim()) return fail(["runs", "main"], `is required for a ${using} action`);
    const opt = (k: string): string | undefined => {
      const v = runs[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== "string" && typeof v !== "boolean") fail(["runs", k], "must be a string");
      return String(v);
    };
    parsedRuns = { using: "node", version: using, main: runs.main, pre: opt("pre"), post: opt("post"), preIf: opt("pre-if"), postIf: opt("post-if") };
  } else if (using === "composite") {
    if (!Array.isArray(runs.steps)) return fail(["runs", "steps"], "is required for a composite action and must be a list");
    const steps = (runs.steps as unknown[]).map((s, i) => checkCompositeStep(s, i, fail));
    const ifLines = steps.map((step, i) => (step.if === undefined ? undefined : lineOf(doc, lineCounter, ["runs", "steps", i, "if"])));
    parsedRuns = { using: "composite", steps, ifLines };
  } else if (using === "docker") {
    parsedRuns = checkDockerRuns(runs, fail);
  } else {
    return fail(["runs", "using"], `unsupported action runtime "${runs.using}" (supported: ${[...NODE_RUNTIMES, "composite", "docker"].join(", ")})`);
  }
  return { file, dir, name: typeof root.name === "string" ? root.name : path.basename(dir), inputs, outputs, runs: parsedRuns };
}

function checkDockerRuns(runs: Record<string, unknown>, fail: (p: (string | number)[], m: string) => never): DockerRuns {
  if (typeof runs.image !== "string" || !runs.image.trim()) return fail(["runs", "image"], "is required for a docker action (docker://image, a Dockerfile in the action, or an image name)");
  // GitHub's action schema gives runs.image no expression context: its runner refuses to load such an action.
  if (runs.image.includes("${{")) return fail(["runs", "image"], "must not hold a ${{ }} expression: GitHub does not evaluate one there and refuses to load the action (name the image or Dockerfile itself)");
  const opt = (k: string): string | undefined => {
    const v = runs[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string" && typeof v !== "boolean") fail(["runs", k], "must be a string");
    return String(v);
  };
  const env = userRecord();
  if (runs.env !== undefined && runs.env !== null) {
    if (!isObject(runs.env)) fail(["runs", "env"], "must be a mapping");
    for (const [key, value] of Object.entries(runs.env as object)) env[key] = value === null || value === undefined ? "" : scalarString(value);
  }
  let args: string[] = [];
  if (runs.args !== undefined && runs.args !== null) {
    if (!Array.isArray(runs.args)) fail(["runs", "args"], "must be a list");
    args = (runs.args as unknown[]).map((a) => (a === null || a === undefined ? "" : scalarString(a)));
  }
  return {
    using: "docker",
    image: runs.image.trim(),
    env,
    entrypoint: opt("entrypoint"),
    preEntrypoint: opt("pre-entrypoint"),
    postEntrypoint: opt("post-entrypoint"),
    preIf: opt("pre-if"),
    postIf: opt("post-if"),
    args,
    argsGiven: runs.args !== undefined && runs.args !== null,
  };
}

function checkCompositeStep(raw: unknown, index: number, fail: (p: (string | number)[], m: string) => never): CompositeStep {
  const at = ["runs", "steps", index];
  if (!isObject(raw)) return fail(at, "must be a mapping");
  const step = raw as Record<string, unknown>;
  const hasRun = typeof step.run === "string";
  const hasUses = typeof step.uses === "string";
  if (hasRun === hasUses) return fail(at, "needs exactly one of run or uses");
  for (const key of ["id", "name", "shell", "working-directory"]) {
    if (step[key] !== undefined && typeof step[key] !== "string") fail([...at, key], "must be a string");
  }
  for (const key of ["with", "env"]) {
    if (step[key] !== undefined && step[key] !== null && !isObject(step[key])) fail([...at, key], "must be a mapping");
  }
  // GitHub's action schema requires it (its runner refuses the action: "Required property is missing: shell").
  if (hasRun && (typeof step.shell !== "string" || step.shell.trim() === "")) {
    fail([...at, "shell"], 'composite run steps must declare a shell, as on GitHub ("Required property is missing: shell"); add e.g. shell: bash');
  }
  // GitHub parses a composite step's condition when it loads the action, so a broken one fails before any step runs.
  if (typeof step.if === "string") {
    const error = conditionSyntaxError(step.if);
    if (error !== undefined) fail([...at, "if"], error);
  }
  return step as CompositeStep;
}

/** `runs.steps[0].if`: the field as GitHub's and orun's other messages write it. */
function fieldName(fieldPath: (string | number)[]): string {
  return fieldPath.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join("");
}

/** The line of `key` itself in the mapping at `parentPath` (its value may start on the next line). */
function keyLine(doc: Document, lineCounter: LineCounter, parentPath: string[], key: string): number | undefined {
  const parent = doc.getIn(parentPath, true);
  const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && String(item.key.value) === key) : undefined;
  const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
  return range ? lineCounter.linePos(range[0]).line : lineOf(doc, lineCounter, [...parentPath, key]);
}

function lineOf(doc: Document, lineCounter: LineCounter, fieldPath: (string | number)[]): number | undefined {
  for (let n = fieldPath.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(fieldPath.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lineCounter.linePos(range[0]).line;
    if (n > 0 && isMap(doc.getIn(fieldPath.slice(0, n - 1), true))) {
      // The key itself may have no node (null value): fall back to its parent.
      continue;
    }
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function scalarString(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
