// The plan store: `<intent dir>/.orun/plans/` holds `<plan id>.json`,
// `latest.json` and `<name>.json` (spec 12 §5.1). Every write is atomic
// (temp file + rename) so a crash never leaves a half-written plan.
import { promises as fs } from "node:fs";
import path from "node:path";
import { canonicalJobId, PLAN_API_VERSION, PLAN_KIND, planShortId, type Plan, type PlanJob } from "../model/plan.js";
import { findCycle, findUnknownDependency, formatCycle, indexNodes } from "../model/dag.js";
import { OrunError, errorMessage, fileSystemReason, formatLocation, ownershipHint } from "../util/errors.js";
import { MAX_TEXT_FILE_BYTES, jsonErrorWithoutExcerpt, readOwnFile, readOwnFileText, type OwnFileOptions } from "../util/fs-read.js";
import { assertOwnFileWritable, writeOwnFile, writeTargetFile } from "./write-target.js";
import { decodePlan, encodePlanJsonBuffer } from "./format.js";
import { verifyRecordedChecksum } from "./checksum.js";
import { misspeltFieldWarning, misspeltPlanFields } from "./misspelt-fields.js";
import { printable } from "../util/printable.js";
import { invalidPlan, isRecord, validateJob, validatePlanHeader } from "./validate.js";
import { plannerWarnOnStderr } from "../util/warning.js";

export const LATEST_PLAN = "latest";

/**
 * The plans directory. Accepts the intent/store root (`<root>`), its `.orun`
 * directory, or the plans directory itself.
 */
export function plansDir(storeDir: string): string {
  const base = path.basename(path.resolve(storeDir));
  if (base === "plans") return path.resolve(storeDir);
  if (base === ".orun") return path.resolve(storeDir, "plans");
  return path.resolve(storeDir, ".orun", "plans");
}

const PLAN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Plan IDs (and the prefixes `orun run`/`--plan` accept) are lowercase hex. */
const PLAN_ID_LIKE = /^[0-9a-f]+$/i;

/**
 * A `--name` must be a plain file name (no separators, no `..`) that cannot
 * collide with the store's own files: `<name>.json` must never overwrite a
 * plan's `<id>.json` or `latest.json`, and a hex name would shadow ID prefixes.
 * Case-insensitive, for case-insensitive file systems.
 */
export function assertPlanName(name: string): void {
  const field = { location: { field: "--name" } };
  if (!PLAN_NAME.test(name) || name.includes("..")) {
    throw new OrunError(`invalid plan name "${name}": use letters, digits, ".", "_" and "-" (no path separators)`, field);
  }
  const stem = name.replace(/\.json$/i, "");
  if (stem.toLowerCase() === LATEST_PLAN) throw new OrunError(`invalid plan name "${name}": "${LATEST_PLAN}" is reserved for the most recent plan`, field);
  if (PLAN_ID_LIKE.test(stem)) {
    throw new OrunError(`invalid plan name "${name}": a name made only of hex digits looks like a plan ID (it would replace or shadow stored plans); add a letter outside a-f, e.g. "plan-${stem}"`, field);
  }
}

export interface SavedPlan {
  id: string;
  files: string[];
}

/** Stores the plan as `<id>.json`, `latest.json` and (with a name) `<name>.json`; creates `.orun/executions/`. */
export async function savePlan(storeDir: string, plan: Plan, options: { name?: string } = {}): Promise<SavedPlan> {
  const id = planShortId(plan);
  if (!id) throw new OrunError("cannot store a plan without a checksum");
  if (options.name !== undefined) assertPlanName(options.name);
  const dir = plansDir(storeDir);
  await fs.mkdir(dir, { recursive: true });
  await fs.mkdir(path.join(path.dirname(dir), "executions"), { recursive: true });
  const text = encodePlanJsonBuffer(plan);
  const names = [id, LATEST_PLAN, ...(options.name ? [options.name] : [])];
  const files = names.map((n) => path.join(dir, `${n}.json`));
  // All or nothing: a target that is a folder (or a socket…) is refused before any file is written. A symlink is
  // replaced, never written through: it was planted (a repository committing `.orun/`), not made by orun.
  for (const file of files) await assertOwnFileWritable(file, "cannot store the plan");
  for (const file of files) await writeOwnFile(file, text, "cannot store the plan");
  return { id, files };
}

/**
 * savePlan for the commands that compile a plan on their way (`orun run`): a file-system error names the store
 * as `orun plan` does, not a temp file (a `.orun/` left by `sudo orun run` failed later runs with a bare
 * "EACCES: permission denied, open '…/plans/<id>.json.<pid>.<hex>.tmp'").
 */
export async function storeCompiledPlan(storeDir: string, plan: Plan): Promise<SavedPlan> {
  try {
    return await savePlan(storeDir, plan);
  } catch (err) {
    if (err instanceof OrunError) throw err;
    throw new OrunError(`cannot write the plan to ${plansDir(storeDir)}: ${fileSystemReason(err)}`, {
      ...ownershipHint(err),
      cause: err,
    });
  }
}

/** `-o FILE`: YAML for `.yaml`/`.yml`, JSON otherwise (or as `format` says). */
export async function writePlanFile(file: string, plan: Plan, format?: "json" | "yaml"): Promise<void> {
  const asYaml = format ? format === "yaml" : /\.ya?ml$/i.test(file);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeTargetFile(file, asYaml ? (await import("./format-yaml.js")).encodePlanYaml(plan) : encodePlanJsonBuffer(plan));
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

/** A stored plan's own file stem: the first 12 hex digits of its checksum. */
const STORED_ID = /^[0-9a-f]{12}$/;
/**
 * What may abbreviate a plan ID: 4 or more lowercase hex digits, or a whole
 * checksum (`sha256-<hex>`, or its hex). Shorter prefixes, and prefixes of
 * names, are not references: `orun run api` (component api) must not run a
 * stored plan named `api-nightly`, nor `orun run db` a plan whose ID starts "db".
 */
const ID_PREFIX = /^(?:sha256-)?([0-9a-f]{4,64})$/;

/**
 * What a reference of 1 to 3 hex digits that names nothing was likely meant as: a plan ID too short to be one
 * (ID_PREFIX). Said where "plan not found" (or "neither a stored plan nor a component") would leave it a riddle —
 * as a condition: a word such as `bad` or `add` may be a mistyped component or plan name.
 */
export function shortPlanIdNote(ref: string): string | undefined {
  const hex = /^(?:sha256-)?([0-9a-f]{1,3})$/.exec(ref.trim())?.[1];
  return hex === undefined ? undefined : `if ${hex} is meant as a plan ID, a prefix needs at least 4 hex digits (it has ${hex.length}): orun get plans lists the stored plans' IDs`;
}

/**
 * Finds a plan file: "" or `latest` → latest.json; an existing file named as a
 * path (`./p`, `out/p.json`) or with a plan extension (`p.json`, `p.yaml`);
 * `<ref>.json` in the store (a name or a 12-hex ID); the one stored plan whose
 * ID starts with `ref` (4+ hex digits, or the full checksum: a prefix several
 * stored plans share is refused); else a bare-named file here that reads like a plan.
 */
export async function resolvePlanRef(storeDir: string, ref: string | undefined): Promise<string> {
  const dir = plansDir(storeDir);
  const wanted = (ref ?? "").trim();
  if (wanted === "" || wanted === LATEST_PLAN) {
    const latest = path.join(dir, `${LATEST_PLAN}.json`);
    if (await isFile(latest)) return latest;
    await refuseNonFile(latest);
    throw new OrunError("no plan found; run 'orun plan' first");
  }
  const asFile = path.resolve(wanted);
  const pathLike = /[/\\]/.test(wanted) || wanted.startsWith(".");
  if (pathLike || PLAN_FILE.test(wanted)) {
    const info = await fs.stat(asFile).catch(() => undefined);
    if (info?.isFile()) return asFile;
    // A file reference to a folder, FIFO or device: said so (it was "neither a stored plan nor a component").
    if (info) throw new OrunError(`plan file ${wanted} is ${info.isDirectory() ? "a directory" : "not a regular file"}`, { location: { file: asFile } });
  }
  // Below here the ref names a file inside the store: refuse anything path-like.
  if (pathLike) throw new OrunError(`plan not found: ${wanted}`);
  const named = path.join(dir, `${wanted}.json`);
  if (await isFile(named)) return named;
  await refuseNonFile(named);
  const hex = ID_PREFIX.exec(wanted)?.[1];
  if (hex === undefined) return bareFile(asFile, wanted);
  const prefix = hex.slice(0, 12);
  let entries: string[] = [];
  try {
    entries = (await fs.readdir(dir)).sort();
  } catch {
    entries = [];
  }
  const ids = entries.map((entry) => entry.replace(/\.json$/, "")).filter((stem) => STORED_ID.test(stem) && stem.startsWith(prefix));
  if (ids.length === 1 && hex.length > 12 && !(await checksumStartsWith(path.join(dir, `${ids[0]}.json`), `sha256-${hex}`))) {
    throw new OrunError(`plan not found: ${wanted}`);
  }
  if (ids.length === 1) {
    const file = path.join(dir, `${ids[0]}.json`);
    await refuseNonFile(file);
    return file;
  }
  if (ids.length > 1) {
    throw new OrunError(`plan ID prefix ${wanted} is ambiguous: it matches ${ids.join(", ")}`, { hint: "give more digits of the plan ID" });
  }
  return bareFile(asFile, wanted);
}

const PLAN_FILE = /\.(json|ya?ml)$/i;

/**
 * A stored plan's place holding a folder, FIFO or device (or a link to nothing): named as such. It was "no plan found;
 * run 'orun plan' first", or `<ref> is neither a stored plan nor a component`, or Node's EISDIR, with the plan's
 * file right there in the listing.
 */
async function refuseNonFile(file: string): Promise<void> {
  const info = await fs.lstat(file).catch(() => undefined);
  if (!info) return;
  const target = info.isSymbolicLink() ? await fs.stat(file).catch(() => undefined) : info;
  if (target?.isFile()) return;
  const what = !target ? "a symbolic link to nothing" : target.isDirectory() ? "a directory" : "not a regular file (a FIFO, socket or device)";
  throw new OrunError(`cannot read the stored plan: it is ${what}; move it away and run orun plan again`, { location: { file } });
}

/**
 * A bare word that names no stored plan may still be a plan file in the working
 * directory (`orun run myplan`), but only when it reads like one: `orun run api`
 * next to an `api` binary or script (built in the repository root) means
 * component api, not "failed to parse plan" over the binary's bytes.
 */
async function bareFile(file: string, wanted: string): Promise<string> {
  if ((await isFile(file)) && (await looksLikePlan(file))) return file;
  throw new OrunError(`plan not found: ${wanted}`, { hint: shortPlanIdNote(wanted) });
}

async function looksLikePlan(file: string): Promise<boolean> {
  let head: string;
  try {
    const handle = await fs.open(file, "r");
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
      head = buffer.subarray(0, bytesRead).toString("utf8");
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
  return head.trimStart().replace(/^\uFEFF/, "").startsWith("{") || /^kind:\s*["']?Plan["']?\s*$/m.test(head);
}

/**
 * How a stored plan is read when listing or matching references: a user's own link among them is followed, but a
 * FIFO is never waited on (opened non-blocking, refused) and nothing beyond the bound is read.
 */
const STORED_PLAN_READ: OwnFileOptions = { maxBytes: MAX_TEXT_FILE_BYTES, followLinks: true };

/** Whether a stored plan's recorded checksum continues the way a longer-than-ID reference says. */
async function checksumStartsWith(file: string, prefix: string): Promise<boolean> {
  try {
    const checksum = (JSON.parse((await readOwnFileText(file, STORED_PLAN_READ)) ?? "") as { metadata?: { checksum?: unknown } }).metadata?.checksum;
    return typeof checksum === "string" && checksum.startsWith(prefix);
  } catch {
    return false;
  }
}

/** One job, type-checked (validate.ts), with its ID and dependencies canonicalised. */
function parseJob(raw: unknown, file: string, where: string): PlanJob {
  validateJob(raw, file, where);
  const job = { ...raw, id: canonicalJobId(raw.id as string) } as unknown as PlanJob;
  if (job.dependsOn) job.dependsOn = job.dependsOn.map(canonicalJobId);
  return job;
}

/**
 * Checks the structure and the type of every field a runner relies on
 * (validate.ts) and canonicalises job IDs (v2 dotted IDs are accepted).
 */
export function parsePlan(value: unknown, file: string): Plan {
  if (!isRecord(value)) throw invalidPlan(file, "", "expected a JSON/YAML object");
  if (value.apiVersion !== PLAN_API_VERSION) throw invalidPlan(file, "apiVersion", `expected "${PLAN_API_VERSION}", got ${JSON.stringify(value.apiVersion)}`);
  if (value.kind !== PLAN_KIND) throw invalidPlan(file, "kind", `expected "${PLAN_KIND}", got ${JSON.stringify(value.kind)}`);
  if (!isRecord(value.metadata)) throw invalidPlan(file, "metadata", "must be an object");
  if (!Array.isArray(value.jobs)) throw invalidPlan(file, "jobs", "must be an array");
  validatePlanHeader(value, file);
  // Each job is checked and canonicalised as it is indexed, so the first problem in file order is the one reported.
  const jobs: PlanJob[] = [];
  const indexed = indexNodes(value.jobs, (raw, i) => {
    const job = parseJob(raw, file, `jobs[${i}]`);
    jobs.push(job);
    return job.id;
  });
  if ("duplicate" in indexed) {
    const { id, index } = indexed.duplicate;
    throw invalidPlan(file, `jobs[${index}].id`, `duplicate job ID ${id}`);
  }
  const unknown = findUnknownDependency(jobs, (job) => job.dependsOn ?? [], indexed.byId);
  if (unknown) throw invalidPlan(file, `jobs[${unknown.index}].dependsOn`, `unknown job ${unknown.dependency}`);
  // Over the canonicalised jobs: the raw ones' dotted dependsOn (db.dev.deploy) named no job, so a cycle among them went unseen here.
  const parsed = new Map(jobs.map((job) => [job.id, job]));
  const cycle = findCycle(parsed.keys(), (id) => (parsed.has(id) ? (parsed.get(id)!.dependsOn ?? []) : undefined));
  // Each job depending on the next, as compile errors say it.
  if (cycle) throw invalidPlan(file, "jobs", `cycle detected in plan jobs: ${formatCycle(cycle)}`);
  const execution = isRecord(value.execution) ? value.execution : { concurrency: 4, failFast: true };
  const spec = isRecord(value.spec) ? value.spec : {};
  return { ...(value as unknown as Plan), execution: execution as unknown as Plan["execution"], spec, jobs };
}

export interface LoadPlanOptions {
  /**
   * For running: a plan that carries metadata.checksum must match its content
   * (decision 7, seed: immutable checksummed plans); see verifyRecordedChecksum.
   */
  verifyChecksum?: boolean;
  /** Where verification's warnings go (an older plan's revision ignored); stderr by default. */
  warn?: (message: string) => void;
}

/** Reads a plan file (JSON, or YAML by extension / as a fallback). */
export async function loadPlanFile(file: string, options: LoadPlanOptions = {}): Promise<Plan> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    throw new OrunError(`failed to read plan: ${errorMessage(err)}`, { location: { file } });
  }
  try {
    return await readPlanText(text, file, options);
  } catch (err) {
    throw withStoredPlanAdvice(err, file);
  }
}

async function readPlanText(text: string, file: string, options: LoadPlanOptions): Promise<Plan> {
  let decoded: unknown;
  try {
    decoded = await decodePlan(text, file);
  } catch (err) {
    // JSON.parse says "at position N": name the line and column instead, as every other error does.
    const message = errorMessage(err);
    const position = /at position (\d+)/.exec(message);
    if (position) {
      const before = text.slice(0, Number(position[1]));
      const line = before.split("\n").length;
      const column = before.length - before.lastIndexOf("\n");
      throw new OrunError(`failed to parse plan: ${message.replace(/ at position \d+.*$/s, "")}`, { location: { file, line, column } });
    }
    // The parser's own excerpt of the file is left out: a binary or hostile file would reach the terminal.
    const yaml = /^(.*?) at line (\d+), column (\d+)/.exec(message);
    if (yaml) throw new OrunError(`failed to parse plan: ${printable(yaml[1]!)}`, { location: { file, line: Number(yaml[2]), column: Number(yaml[3]) } });
    throw new OrunError(`failed to parse plan: ${printable(message.split("\n")[0]!)}`, { location: { file } });
  }
  assertNestingDepth(decoded, file);
  const plan = parsePlan(decoded, file);
  for (const misspelt of misspeltPlanFields(decoded)) (options.warn ?? plannerWarnOnStderr)(misspeltFieldWarning(file, misspelt));
  // The file's own job IDs are hashed (a v2.3 plan's are dotted), not the canonicalised ones.
  // It shares metadata with `plan`: a revision the checksum does not cover is removed from both.
  if (options.verifyChecksum) verifyRecordedChecksum(decoded as Plan, file, options.warn ?? plannerWarnOnStderr);
  return plan;
}

/**
 * A plan in the store (latest.json, `<name>.json`, `<id>.json`) that does not read as one was written by `orun plan`
 * and damaged since (a full disk, an edit): its error says which command writes it anew, unless it says so already.
 */
function withStoredPlanAdvice(err: unknown, file: string): unknown {
  const command = storedPlanCommand(file);
  if (command === undefined || !(err instanceof OrunError) || err.hint !== undefined || err.message.includes("orun plan")) return err;
  const where = err.location ? `${formatLocation(err.location)}: ` : "";
  const message = err.message.startsWith(where) ? err.message.slice(where.length) : err.message;
  return new OrunError(message, { location: err.location, exitCode: err.exitCode, hint: `orun writes this file: run ${command} again to write it anew` });
}

/** The command that writes `file` when it is one of the plan store's files, else undefined. */
function storedPlanCommand(file: string): string | undefined {
  const dir = path.dirname(file);
  if (path.basename(dir) !== "plans" || path.basename(path.dirname(dir)) !== ".orun") return undefined;
  const stem = path.basename(file, ".json");
  return stem === LATEST_PLAN || STORED_ID.test(stem) ? "orun plan" : `orun plan --name ${stem}`;
}

/** Deepest nesting a plan file may hold: about what the YAML parser takes in intent.yaml and component.yaml. */
const MAX_PLAN_DEPTH = 1000;

/**
 * Refuses a plan whose values nest deeper than MAX_PLAN_DEPTH, naming the field it is in: checking the checksum
 * (canonical JSON) recursed into them and failed with "Maximum call stack size exceeded", naming no file.
 * Walked with a stack of its own, so any depth is measured.
 */
function assertNestingDepth(decoded: unknown, file: string): void {
  if (!isRecord(decoded)) return;
  for (const [key, top] of Object.entries(decoded)) {
    const entries: [unknown, string][] = Array.isArray(top) && key === "jobs" ? top.map((job, i) => [job, `jobs[${i}]`]) : [[top, key]];
    for (const [root, field] of entries) {
      // Objects only, each with its depth in a parallel stack: a 1,000-job plan's strings are never pushed.
      const pending: object[] = [];
      const depths: number[] = [];
      const visit = (value: unknown, depth: number): void => {
        if (value === null || typeof value !== "object") return;
        if (depth > MAX_PLAN_DEPTH) throw invalidPlan(file, field, `values nested more than ${MAX_PLAN_DEPTH} levels deep`);
        pending.push(value);
        depths.push(depth);
      };
      visit(root, 1);
      while (pending.length > 0) {
        const value = pending.pop()!;
        const depth = depths.pop()!;
        for (const child of Object.values(value)) visit(child, depth + 1);
      }
    }
  }
}

/** resolvePlanRef + loadPlanFile. */
export async function loadPlanRef(storeDir: string, ref: string | undefined): Promise<{ file: string; plan: Plan }> {
  const file = await resolvePlanRef(storeDir, ref);
  return { file, plan: await loadPlanFile(file) };
}

export interface StoredPlanEntry {
  Name: string;
  Path: string;
  Checksum: string;
  Jobs: number;
  CreatedAt: string;
  mtime: Date;
  /** Why the file is not a readable plan (it is listed as unreadable, never as a ready 0-job plan). */
  unreadable?: string;
}

/** The `get plans` fields as v2.3 prints them (`-o json|yaml`): Go field names, in struct order. */
export const STORED_PLAN_FIELDS = ["Name", "Path", "Checksum", "Jobs", "CreatedAt"] as const;

/**
 * A file time as v2.3's `get plans -o json` prints it (Go time.RFC3339Nano): local
 * time, nanoseconds without trailing zeros, `Z` or a numeric offset
 * (`2026-01-01T10:00:00.123456789+01:00`).
 */
export function goTimeRfc3339Nano(ns: bigint): string {
  const seconds = ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n);
  const nanos = ns - seconds * 1_000_000_000n;
  const date = new Date(Number(seconds) * 1000);
  const offset = -date.getTimezoneOffset();
  const two = (n: number): string => String(n).padStart(2, "0");
  const fraction = nanos ? `.${String(nanos).padStart(9, "0").replace(/0+$/, "")}` : "";
  const zone = offset === 0 ? "Z" : `${offset < 0 ? "-" : "+"}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
  return `${String(date.getFullYear()).padStart(4, "0")}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}${fraction}${zone}`;
}

/**
 * A stored plan's short ID and job count, or why it is no readable plan (undefined: it is gone). The same checks
 * `orun run` makes, so a listed "ready" plan is one that can run; the parser's excerpt of a file that is no JSON is
 * left out (it may be a link to someone else's file).
 */
async function storedPlanSummary(file: string): Promise<{ checksum: string; jobs: number; unreadable?: string } | undefined> {
  const read = await readOwnFile(file, STORED_PLAN_READ);
  if (read.kind === "missing") return undefined;
  if (read.kind === "refused") return { checksum: "", jobs: 0, unreadable: `it is ${read.reason}` };
  let decoded: unknown;
  try {
    decoded = JSON.parse(read.text);
  } catch (err) {
    return { checksum: "", jobs: 0, unreadable: `invalid JSON: ${jsonErrorWithoutExcerpt(err)}` };
  }
  try {
    const plan = parsePlan(decoded, file);
    return { checksum: planShortId(plan), jobs: plan.jobs.length };
  } catch (err) {
    return { checksum: "", jobs: 0, unreadable: errorMessage(err) };
  }
}

/** Every `*.json` in the plans directory, by file name (v2.3 `get plans` fields). */
export async function listStoredPlans(storeDir: string, displayRoot?: string): Promise<StoredPlanEntry[]> {
  const dir = plansDir(storeDir);
  let entries: string[];
  try {
    entries = (await fs.readdir(dir)).filter((e) => e.endsWith(".json")).sort();
  } catch {
    return [];
  }
  const result: StoredPlanEntry[] = [];
  for (const entry of entries) {
    const file = path.join(dir, entry);
    let stat;
    try {
      stat = await fs.stat(file, { bigint: true });
    } catch {
      continue;
    }
    if (!stat.isFile()) continue;
    const summary = await storedPlanSummary(file);
    if (!summary) continue;
    const { checksum, jobs, unreadable } = summary;
    result.push({
      Name: entry.slice(0, -".json".length),
      Path: displayRoot ? path.relative(displayRoot, file) || file : file,
      Checksum: checksum,
      Jobs: jobs,
      CreatedAt: goTimeRfc3339Nano(stat.mtimeNs),
      mtime: stat.mtime,
      ...(unreadable !== undefined ? { unreadable } : {}),
    });
  }
  return result;
}
