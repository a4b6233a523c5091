// `orun plan`, `orun validate`, `orun get plans|jobs`, `orun describe plan|job`
// and `orun compositions`: the compile side of the CLI.
import path from "node:path";
import type { Command } from "commander";
import { compositionFor } from "../../model/composition.js";
import { canonicalJobId, planShortId, type PlanJob } from "../../model/plan.js";
import { arrayOf, encodeGoJson } from "../../plan/canonical-json.js";
import { jobShape } from "../../plan/format.js";
import { listStoredPlans, loadPlanRef, savePlan, writePlanFile, assertPlanName } from "../../plan/store.js";
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
import { compilePlan } from "../../planner/compile.js";
import { detectCwdScope, jobsInScope, scopeBanner } from "../../planner/scope.js";
import { compileForCi } from "../../planner/triggers/index.js";
import { loadWorkspace, locateIntent, writeCompositionLock, type LoadedWorkspace } from "../../planner/load/index.js";
import { ExecutionStore } from "../../runtime/records/store.js";
import { readStateFile } from "../../runtime/records/state.js";
import { errorMessage, OrunError } from "../../util/errors.js";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function out(text: string): void {
  process.stdout.write(text);
}

function warn(message: string): void {
  process.stderr.write(`⚠ warning: ${message}\n`);
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
    return await writeCompositionLock(workspace);
  } catch (err) {
    warn(`failed to write composition lock file: ${errorMessage(err)}`);
    return undefined;
  }
}

function outputFormat(format: string | undefined): "json" | "yaml" | undefined {
  if (format === undefined) return undefined;
  const f = format.toLowerCase();
  if (f === "json") return "json";
  if (f === "yaml" || f === "yml") return "yaml";
  throw new OrunError(`unsupported plan format "${format}" (use json or yaml)`, { location: { field: "--format" } });
}

interface PlanFlags {
  intent?: string;
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
}

function registerPlan(program: Command): void {
  program
    .command("plan")
    .description("Compile intent.yaml into a checksummed plan (.orun/plans/<id>.json)")
    .argument("[component]", "plan only this component (and its dependencies)")
    .option("-i, --intent <file>", "intent file (default: intent.yaml found walking up from the working directory)")
    .option("-o, --output <file>", "write the plan to this file instead of the store (.yaml/.yml → YAML)")
    .option("-f, --format <format>", "format for --output: json or yaml (default: by extension)")
    .option("--name <name>", "also store the plan as .orun/plans/<name>.json")
    .option("-e, --env <list>", "environments to plan (comma list; prefix* matches)", collect)
    .option("--component <name>", "component to plan, with its dependencies (repeatable; prefix* matches)", collect)
    .option("-v, --view <view>", "print a view: dag, dag:long, dependencies, component=NAME")
    .option("--long", "with --view dag: show each step's run command")
    .option("--all", "accepted for compatibility (plan never scopes to the working directory)")
    .option("--changed", "plan only components changed between --base and --head (plus their dependencies)")
    .option("--base <ref>", "git ref to compare from (default: main, or detected from CI)")
    .option("--head <ref>", "git ref to compare to (default: the working tree)")
    .option("--files <list>", "changed files instead of git (comma list; repeatable)", collect)
    .option("--uncommitted", "changed = staged and unstaged edits of tracked files")
    .option("--untracked", "changed = untracked files")
    .option("--explain", "print why each environment and component is in the plan (stderr)")
    .option("--intent-impact <mode>", "what an intent.yaml change selects: all, watch (components' change.watches) or none", "watch")
    .option("--trigger <name>", "plan as the named automation.triggerBindings entry would (simulate CI locally)")
    .option("--from-ci <provider>", "plan for a CI event (github)")
    .option("--event-file <path>", "the CI event payload (default: $GITHUB_EVENT_PATH)")
    .action(async (component: string | undefined, flags: PlanFlags) => {
      const format = outputFormat(flags.format);
      if (flags.name !== undefined) assertPlanName(flags.name);
      const components = [...(flags.component ?? []), ...(component ? [component] : [])];
      const result = await compileForCi({ cwd: process.cwd(), intentPath: flags.intent, envs: flags.env, components, name: flags.name }, flags);
      process.stderr.write(result.report);
      for (const warning of result.warnings) warn(warning);
      let file: string | undefined;
      if (flags.output) {
        // -o writes only that file: the store and the lock file are left alone.
        await writePlanFile(path.resolve(flags.output), result.plan, format);
        file = flags.output;
      } else {
        await writeLock(result.workspace);
        await savePlan(result.workspace.rootDir, result.plan, { name: flags.name });
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
            name: flags.name,
            file,
          },
          s,
        ),
      );
      if (flags.view !== undefined) out(`\n${renderPlanView(result.plan, flags.view, { long: flags.long })}\n`);
    });
}

function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("Check intent, components, compositions and templates without writing a plan")
    .option("-i, --intent <file>", "intent file")
    .action(async (flags: { intent?: string }) => {
      out("□ Validating intent...\n");
      const workspace = await loadWorkspace({ cwd: process.cwd(), intentPath: flags.intent });
      out("✓ Intent is valid\n");
      out("□ Compiling plan...\n");
      const result = await compilePlan({ cwd: process.cwd(), workspace, revision: null });
      for (const warning of result.warnings) warn(warning);
      out(`✓ All validation passed (${result.stats.components.length} components, ${result.stats.jobs} jobs)\n`);
    });
}

function registerGet(program: Command): void {
  const get = program.command("get").description("List stored plans or the jobs of a plan");
  get
    .command("plans")
    .alias("plan")
    .description("List stored plans")
    .option("-i, --intent <file>", "intent file")
    .option("-o, --output <format>", "json")
    .action(async (flags: { intent?: string; output?: string }) => {
      const entries = await listStoredPlans(await storeRoot(flags.intent));
      if (entries.length === 0) {
        out(NO_PLANS);
        return;
      }
      if (flags.output === "json") {
        out(`${JSON.stringify(entries.map(({ mtime: _m, ...e }) => e), null, 2)}\n`);
        return;
      }
      out(renderPlansTable(entries, new Date(), styles(colorEnabled())));
    });
  get
    .command("jobs")
    .alias("job")
    .description("List the jobs of a plan (default: latest)")
    .option("-i, --intent <file>", "intent file")
    .option("--plan <ref>", "plan ID, name, file or ID prefix (default: latest)")
    .option("-o, --output <format>", "json or wide")
    .option("--view <view>", "tree, compact or table")
    .option("--all", "do not scope to the component in the working directory")
    .action(async (flags: { intent?: string; plan?: string; output?: string; view?: string; all?: boolean }) => {
      let loaded;
      try {
        loaded = await loadPlanRef(await storeRoot(flags.intent), flags.plan);
      } catch (err) {
        if (err instanceof OrunError && /^(no plan found|plan not found)/.test(err.message)) {
          out("No jobs found.\n\n  Generate a plan first:  orun plan\n");
          return;
        }
        throw err;
      }
      const { plan } = loaded;
      // Inside a component folder: that component and its dependencies (--all: everything).
      const scope = await detectCwdScope({ cwd: process.cwd(), intentPath: flags.intent, all: flags.all });
      const jobs = jobsInScope(plan.jobs, scope);
      if (flags.output === "json") {
        out(`${encodeGoJson(jobs, arrayOf(jobShape), "  ")}\n`);
        return;
      }
      if (scope) process.stderr.write(scopeBanner(scope));
      const view: JobsView = flags.output === "wide" || flags.view === "table" ? "table" : flags.view === "compact" ? "compact" : "tree";
      const statuses = await latestStatuses(await storeRoot(flags.intent), plan.metadata.checksum);
      out(renderJobs(plan, jobs, view, (job) => statuses.get(job.id) ?? "pending"));
    });
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

function findJob(jobs: PlanJob[], ref: string): PlanJob | undefined {
  const wanted = canonicalJobId(ref);
  return jobs.find((j) => j.id === wanted) ?? jobs.find((j) => j.id.startsWith(ref) || j.id.startsWith(wanted));
}

function registerDescribe(program: Command): void {
  program
    .command("describe")
    .description("Describe a plan (`describe plan [ref]`) or a job of the latest plan (`describe job <id>`)")
    .argument("<kind>", "plan, plan/<ref>, job or job/<id>")
    .argument("[ref]", "plan reference or job ID")
    .option("-i, --intent <file>", "intent file")
    .action(async (kindArg: string, refArg: string | undefined, flags: { intent?: string }) => {
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
        if (!job) throw new OrunError(`job not found: ${ref}`);
        out(renderDescribeJob(job));
        return;
      }
      throw new OrunError(`unknown resource type "${kind}" (use plan or job)`);
    });
}

function describeComposition(workspace: LoadedWorkspace, type: string): string {
  const composition = workspace.compositions.byType[type];
  if (!composition) throw new OrunError(`composition not found: ${type}`);
  let text = `\nComposition: ${composition.type}\n${"─".repeat(60)}\n`;
  text += `Source:         ${composition.sourceName} (${composition.sourceKind})\n`;
  text += `Registry:       ${composition.jobRegistryName}\n`;
  if (composition.description) text += `Description:    ${composition.description}\n`;
  text += `Default job:    ${composition.defaultJob}\n`;
  if (composition.defaultProfile) text += `Default profile: ${composition.defaultProfile}\n`;
  text += "\nJobs\n";
  for (const job of composition.jobs) {
    text += `  ├─ ${job.name} (${job.steps.length} steps)${job.runsOn ? ` · ${job.runsOn}` : ""}\n`;
    for (const step of job.steps) text += `  │    - ${step.name || step.id || "(unnamed)"}${step.capability ? ` [${step.capability}]` : ""}${step.phase && step.phase !== "main" ? ` (${step.phase})` : ""}\n`;
  }
  const profiles = Object.keys(composition.profiles).sort();
  if (profiles.length > 0) {
    text += "\nProfiles\n";
    for (const name of profiles) text += `  ├─ ${name}: ${Object.keys(composition.profiles[name]!.jobs).sort().join(", ")}\n`;
  }
  const users = workspace.components.filter((c) => compositionFor(workspace.compositions, c)?.key === composition.key).map((c) => c.name);
  if (users.length > 0) text += `\nComponents (${users.length}): ${users.join(", ")}\n`;
  return text;
}

function registerCompositions(program: Command): void {
  program
    .command("compositions")
    .description("List composition types (`compositions [type]`), or write the lock file (`compositions lock`)")
    .argument("[action]", "a composition type to describe, `list [type]`, or `lock`")
    .argument("[type]", "composition type (with list)")
    .option("-i, --intent <file>", "intent file")
    .action(async (action: string | undefined, type: string | undefined, flags: { intent?: string }) => {
      const workspace = await loadWorkspace({ cwd: process.cwd(), intentPath: flags.intent });
      if (action === "lock" || action === "pull") {
        const file = await writeCompositionLock(workspace);
        out(`✓ Wrote composition lock: ${path.relative(process.cwd(), file) || file}\n\nResolved sources:\n`);
        for (const source of workspace.sources) {
          out(`  ├─ ${source.name} (${source.kind}) ${source.resolvedDigest}${source.exports?.length ? ` · ${source.exports.join(", ")}` : ""}\n`);
        }
        return;
      }
      const wanted = action === "list" ? type : action;
      if (wanted) {
        out(describeComposition(workspace, wanted));
        return;
      }
      const types = Object.keys(workspace.compositions.byType).sort();
      out(`${"TYPE".padEnd(32)} ${"SOURCE".padEnd(24)} ${"JOBS".padEnd(5)} PROFILES\n`);
      for (const t of types) {
        const c = workspace.compositions.byType[t]!;
        out(`${t.padEnd(32)} ${c.sourceName.padEnd(24)} ${String(c.jobs.length).padEnd(5)} ${Object.keys(c.profiles).sort().join(", ")}\n`);
      }
      out(`\n${types.length} composition type(s)\n`);
    });
}

export function registerPlanCommands(program: Command): void {
  registerPlan(program);
  registerValidate(program);
  registerGet(program);
  registerDescribe(program);
  registerCompositions(program);
}
