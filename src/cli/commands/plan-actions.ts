// What `orun plan`, `validate`, `get`, `describe` and `compositions` do. The
// commands are registered in ./plan.ts, which imports this module only when
// one of them runs, so the planner, schemas and template engine stay unloaded
// for every other command. The compile stages load inside the actions that
// compile, so `get` and `describe` (which read stored plans) skip them too.
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { compositionFor } from "../../model/composition.js";
import { canonicalJobId, planShortId, type PlanJob } from "../../model/plan.js";
import { arrayOf, encodeGoJson, struct, type Shape } from "../../plan/canonical-json.js";
import { encodePlanJsonBuffer, jobShape } from "../../plan/format.js";
import { listStoredPlans, loadPlanRef, savePlan, writePlanFile, assertPlanName, STORED_PLAN_FIELDS } from "../../plan/store.js";
import {
  colorEnabled,
  renderDescribeJob,
  renderDescribePlan,
  renderJobs,
  renderPlansTable,
  renderPlanSummary,
  styles,
  NO_PLANS,
  type JobsView,
} from "../../plan/summary.js";
import { renderPlanView } from "../../plan/views.js";
import { planFileWord } from "../../plan/plan-file-word.js";
import { printable } from "../../util/printable.js";
import { detectCwdScope, scopeBanner } from "../../planner/scope.js";
import { locateIntent } from "../../planner/load/locate.js";
import type { LoadedWorkspace } from "../../planner/load/index.js";
import { ExecutionStore } from "../../runtime/records/store.js";
import { componentsTaken, scopeJobs } from "../../runtime/run-scope.js";
import { debugTrace, loadWorkspaceTraced, renderJobDump } from "./compile-debug.js";
import { readStateFile } from "../../runtime/records/state.js";
import { fileSystemReason, formatLocation, OrunError } from "../../util/errors.js";
import { plannerWarnOnStderr } from "../../util/warning.js";
import { plural } from "../../util/plural.js";
import { jobNotFound } from "../job-not-found.js";
import { didYouMean, suggestName } from "../../planner/validate/did-you-mean.js";

/** Where people-facing output goes: stdout, or stderr while stdout carries the plan itself (`-o -`). */
let humanOutput: NodeJS.WriteStream = process.stdout;

function out(text: string): void {
  humanOutput.write(text);
}

function warn(message: string): void {
  plannerWarnOnStderr(message);
}

/** The directory holding `.orun/`: the intent's directory, else the working directory. */
async function storeRoot(intentPath: string | undefined): Promise<string> {
  try {
    return path.dirname(await locateIntent({ cwd: process.cwd(), intentPath }));
  } catch (err) {
    if (intentPath) throw err;
    return process.cwd();
  }
}

async function writeLock(workspace: LoadedWorkspace): Promise<string | undefined> {
  try {
    const { writeCompositionLock } = await import("../../planner/load/index.js");
    return await writeCompositionLock(workspace);
  } catch (err) {
    warn(`cannot write the composition lock file ${shown(path.join(workspace.rootDir, ".orun", "compositions.lock.yaml"))}: ${fileSystemReason(err)}`);
    return undefined;
  }
}

/**
 * Runs a write of `what` to `target`, turning a raw file-system error (which
 * names a temp file) into an OrunError naming the target (and the flag that chose it).
 */
async function writing<T>(what: string, target: string, field: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof OrunError) throw err;
    throw new OrunError(`cannot write ${what} ${target}: ${fileSystemReason(err)}`, { ...(field ? { location: { field } } : {}), cause: err });
  }
}

/** `-o FILE` must name a file: a directory is refused before anything is compiled. */
async function assertOutputFile(file: string): Promise<void> {
  const stat = await fs.stat(path.resolve(file)).catch(() => undefined);
  if (stat?.isDirectory()) {
    throw new OrunError(`${file} is a directory; name the plan file, e.g. ${path.join(file, "plan.json")}`, { location: { field: "--output" } });
  }
}

/** A path for messages: relative to the working directory when inside it. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

function outputFormat(format: string | undefined): "json" | "yaml" | undefined {
  if (format === undefined) return undefined;
  const f = format.toLowerCase();
  if (f === "json") return "json";
  if (f === "yaml" || f === "yml") return "yaml";
  throw new OrunError(`unsupported plan format "${format}" (use json or yaml)`, { location: { field: "--format" } });
}

export interface PlanFlags {
  intent?: string;
  /** `-c/--config-dir`: legacy composition registry (default: ORUN_CONFIG_DIR). */
  configDir?: string;
  output?: string;
  format?: string;
  name?: string;
  env?: string[];
  component?: string[];
  view?: string;
  long?: boolean;
  all?: boolean;
  /** Triggers and change detection (src/planner/triggers/planning.ts). */
  changed?: boolean;
  base?: string;
  head?: string;
  files?: string[];
  uncommitted?: boolean;
  untracked?: boolean;
  explain?: boolean;
  intentImpact?: string;
  trigger?: string;
  fromCi?: string;
  eventFile?: string;
  /** Stage lines and a job dump on stdout (./compile-debug.ts). */
  debug?: boolean;
}

export async function planAction(component: string | undefined, flags: PlanFlags): Promise<void> {
  const format = outputFormat(flags.format);
  // The store always keeps JSON: -f yaml without -o would be silently ignored (-f json is what it does anyway, as in v2.3).
  if (format === "yaml" && !flags.output) throw new OrunError(`applies to -o/--output FILE only (stored plans are JSON); add -o plan.${format}`, { location: { field: "--format" } });
  // Only the dag view lists step commands: --long anywhere else would be silently ignored.
  if (flags.long && flags.view !== "dag" && flags.view !== "dag:long") {
    throw new OrunError(`applies to --view dag only (it adds each step's run: command to the dag view); add --view dag`, { location: { field: "--long" } });
  }
  if (flags.name !== undefined) assertPlanName(flags.name);
  // `-o -`: the plan on stdout (for a pipe), the summary on stderr.
  const toStdout = flags.output === "-";
  if (toStdout) humanOutput = process.stderr;
  else if (flags.output) await assertOutputFile(flags.output);
  const components = [...(flags.component ?? []), ...(component ? [component] : [])];
  const { compileForCi } = await import("../../planner/triggers/index.js");
  const loadOptions = { cwd: process.cwd(), intentPath: flags.intent, configDir: flags.configDir };
  const preloaded = flags.debug ? { workspace: await loadWorkspaceTraced(out, loadOptions), trace: debugTrace(out) } : {};
  // Named as typed: `orun plan wbe` has no --component to blame.
  const componentsFrom = component && !flags.component?.length ? "component argument" : "--component";
  const result = await compileForCi({ ...loadOptions, envs: flags.env, components, componentsFrom, name: flags.name, ...preloaded }, flags);
  process.stderr.write(result.report);
  for (const warning of result.warnings) warn(warning);
  await warnMissingLocalActions(result);
  // --changed selecting nothing is its report's to explain, not a mistake in the intent.
  if (!result.changedOnly) warnEmptyPlan(result);
  let file: string | undefined;
  if (toStdout) {
    const text = format === "yaml" ? (await import("../../plan/format-yaml.js")).encodePlanYaml(result.plan) : encodePlanJsonBuffer(result.plan);
    // A plan file's bytes end at its closing brace (spec §4.4); on stdout the last line ends like any other.
    const bytes = typeof text === "string" ? Buffer.from(text) : text;
    const ended = bytes.at(-1) === 0x0a ? bytes : Buffer.concat([bytes, Buffer.from("\n")]);
    await new Promise<void>((resolve, reject) => process.stdout.write(ended, (err) => (err ? reject(err) : resolve())));
    file = "-";
    if (flags.name !== undefined) warn(`--name ${flags.name} is not stored with -o - (the plan went to stdout only)`);
  } else if (flags.output) {
    // -o writes only that file: the store and the lock file are left alone.
    await writing("the plan to", flags.output, "--output", () => writePlanFile(path.resolve(flags.output!), result.plan, format));
    file = flags.output;
    if (flags.name !== undefined) warn(`--name ${flags.name} is not stored with -o (only ${flags.output} is written); run it with: orun run ${planFileWord(flags.output) ?? printable(flags.output)}`);
  } else {
    await writeLock(result.workspace);
    const plans = path.join(result.workspace.rootDir, ".orun", "plans");
    await writing("the plan to", shown(plans), undefined, () => savePlan(result.workspace.rootDir, result.plan, { name: flags.name }));
  }
  const s = styles(colorEnabled());
  out(
    renderPlanSummary(
      {
        components: result.stats.components,
        environments: result.stats.environments.length,
        jobs: result.stats.jobs,
        planId: planShortId(result.plan),
        changedOnly: result.changedOnly,
        // Only a stored plan has a name (with -o the warning above says so; `orun run <name>` would find nothing).
        ...(file === undefined ? { name: flags.name } : {}),
        file,
      },
      s,
    ),
  );
  if (flags.view !== undefined) out(`\n${renderPlanView(result.plan, flags.view, { long: flags.long })}\n`);
  if (flags.view?.startsWith("component=")) warnViewComponentNearMiss(result.plan.jobs, flags.view.slice("component=".length));
  if (flags.debug) out(renderJobDump(result.plan));
}

/** `-v component=wbe` keeps spec 12's "no jobs found" panel; the near miss is told beside it, on stderr. */
function warnViewComponentNearMiss(jobs: readonly PlanJob[], component: string): void {
  const components = [...new Set(jobs.map((job) => job.component))];
  if (components.includes(component)) return;
  const match = suggestName(component, components);
  if (match !== undefined) warn(`-v component=${printable(component)}: the plan has no component ${printable(component)} (did you mean \`${match}\`?)`);
}

export async function validateAction(flags: { intent?: string; configDir?: string; debug?: boolean }): Promise<void> {
  out("□ Validating intent...\n");
  const { loadWorkspace } = await import("../../planner/load/index.js");
  const { compilePlan } = await import("../../planner/compile.js");
  const options = { cwd: process.cwd(), intentPath: flags.intent, configDir: flags.configDir };
  const workspace = flags.debug ? await loadWorkspaceTraced(out, options) : await loadWorkspace(options);
  out("✓ Intent is valid\n");
  out("□ Compiling plan...\n");
  const result = await compilePlan({ cwd: process.cwd(), workspace, revision: null, ...(flags.debug ? { trace: debugTrace(out) } : {}) });
  for (const warning of result.warnings) warn(warning);
  await warnMissingLocalActions(result);
  warnMissingJobPaths(result);
  warnEmptyPlan(result);
  out(`✓ All validation passed (${plural(result.stats.components.length, "component")}, ${plural(result.stats.jobs, "job")})\n`);
}

/**
 * A job path (a component's `spec.path`, a `path` parameter) that is no folder of the repository: the run fails
 * those jobs at their first step, as `run --dry-run` notes. A warning, as a missing local action is: the folder
 * may be made before the run (a build step of an earlier job). Told once per component and path, where written.
 */
function warnMissingJobPaths(result: { plan: { jobs: PlanJob[] }; workspace: LoadedWorkspace }): void {
  const { rootDir, components } = result.workspace;
  const missing = new Map<string, PlanJob[]>();
  for (const job of result.plan.jobs) {
    const jobPath = (job.path ?? "").trim();
    if (jobPath === "" || jobPath === "." || jobPath === "./" || existsSync(path.resolve(rootDir, jobPath))) continue;
    const key = `${job.component}\0${jobPath}`;
    missing.set(key, [...(missing.get(key) ?? []), job]);
  }
  for (const jobs of missing.values()) {
    const { component: name, path: jobPath } = jobs[0]!;
    const component = components.find((c) => c.name === name);
    const at = component?.path === jobPath ? component?.origin?.at("path") : undefined;
    const where = at ? `${formatLocation(at)}: ` : "";
    const which = jobs.length === 1 ? `job ${jobs[0]!.id}` : `${jobs.length} jobs: ${jobs.map((job) => job.id).join(", ")}`;
    warn(`${where}component ${name}: working directory ${printable(jobPath!)} is missing from ${shown(rootDir)}: the run will fail its jobs at their first step (${which})`);
  }
}

/** A plan of no jobs passes, but is almost always a mistake (a discovery root with no component.yaml under it). */
function warnEmptyPlan(result: { plan: { jobs: PlanJob[] }; workspace: LoadedWorkspace }): void {
  if (result.plan.jobs.length > 0) return;
  const { workspace } = result;
  if (workspace.components.length === 0) {
    const roots = workspace.intent.discovery.roots;
    const where = roots.length ? `discovery.roots (${roots.map((root) => printable(root)).join(", ")}) hold no component.yaml` : "no discovery.roots are set";
    warn(`the plan has no jobs: ${shown(workspace.intentFile)} declares no components and ${where}`);
    return;
  }
  warn(`the plan has no jobs: none of the ${plural(workspace.components.length, "component")} subscribes to an environment in scope`);
}

/**
 * A `use: ./path` step whose folder is missing from the repository (local actions are relative to its root), or
 * whose action.yml would not load: a warning, not an error — the plan may run elsewhere (or with another
 * runner), and the run checks again when the step comes.
 */
async function warnMissingLocalActions(result: { plan: { jobs: PlanJob[] }; workspace: { rootDir: string } }): Promise<void> {
  const { missingLocalActions } = await import("../../plan/local-actions.js");
  for (const missing of missingLocalActions(result.plan.jobs, result.workspace.rootDir)) warn(`job ${missing.job} step ${missing.step}: ${missing.message}`);
  // One that exists is read as the github-actions runner reads it (a warning for the same reasons).
  const { brokenLocalActions } = await import("../../runners/github-actions/local-action-check.js");
  for (const broken of await brokenLocalActions(result.plan.jobs, result.workspace.rootDir)) {
    const more = broken.others ? ` (and ${plural(broken.others, "other step")})` : "";
    warn(`job ${broken.job} step ${broken.step}${more}: ${broken.message}`);
  }
}

export async function getPlansAction(flags: { intent?: string; output?: string }): Promise<void> {
  const entries = await listStoredPlans(await storeRoot(flags.intent));
  if (entries.length === 0) {
    out(NO_PLANS);
    return;
  }
  for (const e of entries) if (e.unreadable !== undefined) warn(`unreadable plan file ${e.Path}: ${e.unreadable}`);
  if (flags.output === "json" || flags.output === "yaml") {
    // v2.3's shape: Go field names; an unreadable file keeps Checksum "" and Jobs 0 (and the warning above).
    const rows = entries.map((e) => Object.fromEntries(STORED_PLAN_FIELDS.map((k) => [k, e[k]])));
    out(flags.output === "json" ? `${JSON.stringify(rows, null, 2)}\n` : await encodeYaml(rows, arrayOf(struct(...STORED_PLAN_FIELDS))));
    return;
  }
  out(renderPlansTable(entries, new Date(), styles(colorEnabled())));
}

async function encodeYaml(value: unknown, shape: Shape): Promise<string> {
  return (await import("../../plan/format-yaml.js")).encodeShapedYaml(value, shape);
}

export async function getJobsAction(flags: { intent?: string; plan?: string; output?: string; view?: string; all?: boolean }): Promise<void> {
  let loaded;
  try {
    loaded = await loadPlanRef(await storeRoot(flags.intent), flags.plan);
  } catch (err) {
    // No plan yet (and none asked for): say how to make one. A plan asked for by --plan that does not exist is an error.
    const defaultPlan = flags.plan === undefined || flags.plan.trim() === "" || flags.plan.trim() === "latest";
    if (defaultPlan && err instanceof OrunError && /^no plan found/.test(err.message)) {
      out("No jobs found.\n\n  Generate a plan first:  orun plan\n");
      return;
    }
    throw err;
  }
  const { plan } = loaded;
  // Inside a component folder: the jobs `orun run` there takes — that component's, its dependencies', and every job
  // they wait for (an environment barrier's other components) — (--all: everything).
  const scope = await detectCwdScope({ cwd: process.cwd(), intentPath: flags.intent, all: flags.all });
  const jobs = scope ? scopeJobs(plan.jobs, { components: scope.components }).jobs : plan.jobs;
  if (flags.output === "json") {
    out(`${encodeGoJson(jobs, arrayOf(jobShape), "  ")}\n`);
    return;
  }
  if (flags.output === "yaml") {
    out(await encodeYaml(jobs, arrayOf(jobShape)));
    return;
  }
  if (scope) process.stderr.write(scopeBanner({ ...scope, components: componentsTaken(plan.jobs, { components: scope.components }) }));
  const view: JobsView = flags.output === "wide" || flags.view === "table" ? "table" : flags.view === "compact" ? "compact" : "tree";
  const statuses = await latestStatuses(await storeRoot(flags.intent), plan.metadata.checksum);
  out(renderJobs(plan, jobs, view, (job) => statuses.get(job.id) ?? "pending"));
}

/** Job statuses from the latest execution of this plan (empty when it never ran or the record is unreadable). */
async function latestStatuses(root: string, checksum: string | undefined): Promise<Map<string, string>> {
  try {
    const store = new ExecutionStore(root);
    const execId = await store.latestId();
    const state = execId ? await readStateFile(store.stateFile(execId)) : undefined;
    if (!state || state.planChecksum !== checksum) return new Map();
    return new Map(Object.entries(state.jobs).map(([id, job]) => [id, job.status]));
  } catch {
    return new Map();
  }
}

/**
 * The job whose ID equals `ref`, else the one job whose ID starts with it — preferring a prefix that ends at
 * a part boundary, so `api` finds `api@dev.build` and not `api-gw@dev.build`. A prefix several jobs share is
 * refused, listing them, as a plan-ID prefix two plans share is: the first of them was picked silently. Either
 * form is accepted (decision 1): a dotted ref or prefix (`api.dev`, `api.dev.dep`) reads as `api@dev`, `api@dev.dep`.
 */
export function findJob(jobs: PlanJob[], ref: string): PlanJob | undefined {
  const trimmed = ref.trim();
  const wanted = canonicalJobId(trimmed);
  const prefix = trimmed.includes("@") ? trimmed : trimmed.replace(".", "@");
  const exact = jobs.find((j) => j.id === wanted);
  if (exact) return exact;
  const whole = (id: string, p: string): boolean => id.startsWith(p) && (id.length === p.length || id[p.length] === "@" || id[p.length] === ".");
  for (const matches of [jobs.filter((j) => whole(j.id, trimmed) || whole(j.id, prefix)), jobs.filter((j) => j.id.startsWith(trimmed) || j.id.startsWith(prefix))]) {
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) {
      const shown = matches.slice(0, AMBIGUOUS_SHOWN).map((j) => j.id);
      const more = matches.length > AMBIGUOUS_SHOWN ? `, and ${matches.length - AMBIGUOUS_SHOWN} more` : "";
      throw new OrunError(`job ID prefix ${trimmed} is ambiguous: it matches ${matches.length} jobs: ${shown.join(", ")}${more}`, {
        hint: "give the whole job ID (component@environment.job)",
      });
    }
  }
  return undefined;
}

/** How many jobs an ambiguous prefix's error lists. */
const AMBIGUOUS_SHOWN = 10;

export async function describeAction(kindArg: string, refArg: string | undefined, flags: { intent?: string }): Promise<void> {
  const [kind, inlineRef] = kindArg.includes("/") ? [kindArg.slice(0, kindArg.indexOf("/")), kindArg.slice(kindArg.indexOf("/") + 1)] : [kindArg, undefined];
  const ref = inlineRef ?? refArg;
  const root = await storeRoot(flags.intent);
  if (kind === "plan" || kind === "plans") {
    out(renderDescribePlan((await loadPlanRef(root, ref)).plan));
    return;
  }
  if (kind === "job" || kind === "jobs") {
    if (!ref) throw new OrunError("describe job needs a job ID (component@environment.job)");
    const { plan } = await loadPlanRef(root, undefined);
    const job = findJob(plan.jobs, ref);
    if (!job) throw jobNotFound(plan.jobs.map((j) => j.id), ref);
    out(renderDescribeJob(job));
    return;
  }
  throw new OrunError(`unknown resource type "${kind}" (use plan or job)`);
}

/** `name (type) = default` for each field of the type's `parameters` schema, required ones marked. */
function parameterFields(schema: Record<string, unknown>): string[] {
  const asRecord = (v: unknown): Record<string, unknown> => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const parameters = asRecord(asRecord(schema.properties).parameters);
  const required = new Set(Array.isArray(parameters.required) ? parameters.required.map(String) : []);
  return Object.entries(asRecord(parameters.properties)).map(([name, raw]) => {
    const field = asRecord(raw);
    const type = Array.isArray(field.type) ? field.type.join("|") : typeof field.type === "string" ? field.type : "any";
    const def = field.default !== undefined ? ` = ${JSON.stringify(field.default)}` : "";
    const description = typeof field.description === "string" ? ` — ${field.description}` : "";
    return `${name} (${type}${required.has(name) ? ", required" : ""})${def}${description}`;
  });
}

/** A tree row's branch: `└─ ` closes the list at its last row, `├─ ` before. */
function branch(index: number, count: number): string {
  return index === count - 1 ? "└─ " : "├─ ";
}

/**
 * One composition type in full (`compositions <type>`, each type of `list -l`).
 * `expandJobs` (-e) adds each job's settings and each step's command.
 */
function describeComposition(workspace: CompositionsView, type: string, expandJobs = false): string {
  const composition = workspace.compositions.byType[type];
  if (!composition) {
    const types = Object.keys(workspace.compositions.byType).sort();
    throw new OrunError(`composition not found: ${type}${didYouMean(type, types)}`, { hint: types.length ? `composition types: ${types.join(", ")}` : "no composition source exports a type" });
  }
  let text = `\nComposition: ${composition.type}\n${"─".repeat(60)}\n`;
  text += `Source:         ${composition.sourceName} (${composition.sourceKind})\n`;
  text += `Registry:       ${composition.jobRegistryName}\n`;
  if (composition.description) text += `Description:    ${composition.description}\n`;
  text += `Default job:    ${composition.defaultJob}\n`;
  if (composition.defaultProfile) text += `Default profile: ${composition.defaultProfile}\n`;
  const fields = parameterFields(composition.schema.schema);
  if (fields.length > 0) text += `\nParameters\n${fields.map((f, i) => `  ${branch(i, fields.length)}${f}\n`).join("")}`;
  text += "\nJobs\n";
  for (const [i, job] of composition.jobs.entries()) {
    text += `  ${branch(i, composition.jobs.length)}${job.name} (${job.steps.length} steps)${job.runsOn ? ` · ${job.runsOn}` : ""}\n`;
    // The lines under a job continue its branch; under the last job there is no branch left to continue.
    const under = i === composition.jobs.length - 1 ? "   " : "│  ";
    if (expandJobs) {
      if (job.description) text += `  ${under}  description: ${job.description}\n`;
      if (job.timeout) text += `  ${under}  timeout: ${job.timeout}\n`;
      if (job.retries) text += `  ${under}  retries: ${job.retries}\n`;
    }
    for (const step of job.steps) {
      text += `  ${under}  - ${step.name || step.id || "(unnamed)"}${step.capability ? ` [${step.capability}]` : ""}${step.phase && step.phase !== "main" ? ` (${step.phase})` : ""}\n`;
      if (!expandJobs) continue;
      if (step.run) for (const line of step.run.trimEnd().split("\n")) text += `  ${under}      run: ${line}\n`;
      if (step.use) text += `  ${under}      use: ${step.use}\n`;
      for (const [key, value] of Object.entries(step.with ?? {})) text += `  ${under}      with.${key}: ${typeof value === "string" ? value : JSON.stringify(value)}\n`;
      if (step.timeout) text += `  ${under}      timeout: ${step.timeout}\n`;
      if (step.retry) text += `  ${under}      retry: ${step.retry}\n`;
    }
  }
  const profiles = Object.keys(composition.profiles).sort();
  if (profiles.length > 0) {
    text += "\nProfiles\n";
    for (const [i, name] of profiles.entries()) text += `  ${branch(i, profiles.length)}${name}: ${Object.keys(composition.profiles[name]!.jobs).sort().join(", ")}\n`;
  }
  const users = workspace.components.filter((c) => compositionFor(workspace.compositions, c)?.key === composition.key).map((c) => c.name);
  if (users.length > 0) text += `\nComponents (${users.length}): ${users.join(", ")}\n`;
  return text;
}

/** What `orun compositions` lists from: a loaded workspace, or the legacy --config-dir registry alone. */
type CompositionsView = Pick<LoadedWorkspace, "compositions" | "components">;

/**
 * The workspace; when no intent can be found but a --config-dir (or ORUN_CONFIG_DIR)
 * is given, its legacy registry alone (v2.3 listed --config-dir types when the intent failed to load).
 */
async function compositionsView(flags: { intent?: string; configDir?: string }): Promise<CompositionsView> {
  const load = await import("../../planner/load/index.js");
  const cwd = process.cwd();
  const configDir = load.configDirFrom(flags.configDir);
  if (configDir) {
    try {
      await locateIntent({ cwd, intentPath: flags.intent });
    } catch {
      const legacy = await load.resolveLegacyRegistry(configDir, { cwd, display: (abs) => path.relative(cwd, abs) || "." });
      return { compositions: load.legacyOnlyRegistry(legacy), components: [] };
    }
  }
  return load.loadWorkspace({ cwd, intentPath: flags.intent, configDir: flags.configDir });
}

export interface CompositionsFlags {
  intent?: string;
  configDir?: string;
  /** `-l`: every type in full instead of the table. */
  long?: boolean;
  /** `-e`: with each job's settings and step commands (implies -l when listing). */
  expandJobs?: boolean;
}

export async function compositionsAction(action: string | undefined, type: string | undefined, flags: CompositionsFlags): Promise<void> {
  if (action === "lock" || action === "pull") {
    // The lock file lives next to the intent: no fallback here.
    const { loadWorkspace, writeCompositionLock } = await import("../../planner/load/index.js");
    const workspace = await loadWorkspace({ cwd: process.cwd(), intentPath: flags.intent, configDir: flags.configDir });
    const file = await writing("the composition lock file to", shown(path.join(workspace.rootDir, ".orun", "compositions.lock.yaml")), undefined, () =>
      writeCompositionLock(workspace),
    );
    out(`✓ Wrote composition lock: ${path.relative(process.cwd(), file) || file}\n\nResolved sources:\n`);
    for (const [i, source] of workspace.sources.entries()) {
      out(`  ${branch(i, workspace.sources.length)}${source.name} (${source.kind}) ${source.resolvedDigest}${source.exports?.length ? ` · ${source.exports.join(", ")}` : ""}\n`);
    }
    return;
  }
  const workspace = await compositionsView(flags);
  const wanted = action === "list" ? type : action;
  const expand = Boolean(flags.expandJobs);
  if (wanted) {
    out(describeComposition(workspace, wanted, expand));
    return;
  }
  const types = Object.keys(workspace.compositions.byType).sort();
  if (flags.long || expand) {
    for (const t of types) out(describeComposition(workspace, t, expand));
    out(`\n${types.length} composition type(s)\n`);
    return;
  }
  out(`${"TYPE".padEnd(32)} ${"SOURCE".padEnd(24)} ${"JOBS".padEnd(5)} PROFILES\n`);
  for (const t of types) {
    const c = workspace.compositions.byType[t]!;
    out(`${t.padEnd(32)} ${c.sourceName.padEnd(24)} ${String(c.jobs.length).padEnd(5)} ${Object.keys(c.profiles).sort().join(", ")}\n`);
  }
  out(`\n${types.length} composition type(s)\n`);
}
