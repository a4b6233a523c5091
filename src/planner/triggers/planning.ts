// CI-driven planning around the compiler. Before compiling: intent presets
// are merged, trigger checks run, the trigger (if any) picks environments and
// scope, and a `changed` scope (from the trigger, `--changed` or a change
// flag) collects the changed files. While compiling, the compiler's
// selectComponents hook turns those files into the component set. After:
// the plan records the trigger and the scope, and the CLI prints the banner
// and the `--explain` text.

import { loadWorkspace } from "../load/index.js";
import { compilePlan, warningsForJobs, type CompileOptions, type CompileResult } from "../compile.js";
import type { InstanceMap } from "../expand.js";
import { mergeParameters } from "../materialize.js";
import type { NormalizedIntent } from "../normalize.js";
import {
  collectChanges,
  explainChanges,
  parseIntentImpact,
  selectChangedComponents,
  filesGiven,
  newBranchBase,
  type ChangeComponent,
  type ChangeOptions,
  type ChangeSelection,
  type ChangeSet,
  type IntentImpact,
} from "../changes/index.js";
import type { PlanTriggerInfo } from "../../model/plan.js";
import { buildTriggerContext, type TriggerFlags } from "./context.js";
import { triggerInfo } from "./info.js";
import { resolveTriggers } from "./resolve.js";
import type { TriggerIntent, TriggerResolution } from "./types.js";
import { prepareCiWorkspace } from "./workspace.js";
import { compositionSourceChangeWarnings } from "../changes/composition-sources.js";
import { plannerWarningLine } from "../../util/warning.js";

export interface CiPlanningFlags extends TriggerFlags, ChangeOptions {
  /** `--changed` */
  changed?: boolean;
  /** `--explain`: print why the plan covers what it covers (stderr). */
  explain?: boolean;
}

/** True when any trigger or change flag was given (so `orun run` must compile a fresh, scoped plan). */
export function ciFlagsGiven(flags: CiPlanningFlags): boolean {
  return Boolean(
    flags.trigger !== undefined ||
      flags.fromCi !== undefined ||
      flags.eventFile !== undefined ||
      flags.changed ||
      flags.base ||
      flags.head ||
      filesGiven(flags.files) ||
      flags.uncommitted ||
      flags.untracked,
  );
}

/** What the trigger and the change flags decided, before compiling. */
export interface CiScope {
  trigger?: TriggerResolution;
  changedMode: boolean;
  /** The changed files (changed mode only). */
  set?: ChangeSet;
  intentImpact: IntentImpact;
}

/** Resolves the trigger and, in changed mode, collects the changed files. */
export async function resolveCiScope(
  intent: TriggerIntent,
  flags: CiPlanningFlags,
  context: { cwd: string; intentFile: string; env?: NodeJS.ProcessEnv; envFilter?: string },
): Promise<CiScope> {
  const env = context.env ?? process.env;
  const intentImpact = parseIntentImpact(flags.intentImpact);
  const triggerContext = await buildTriggerContext(flags, { cwd: context.cwd, env });
  const trigger = resolveTriggers(intent, triggerContext, context.envFilter ? { envFilter: context.envFilter } : {});
  const explicitChange = Boolean(flags.base || flags.head || filesGiven(flags.files) || flags.uncommitted || flags.untracked);
  const changedMode = flags.changed === true || trigger?.scope === "changed" || (trigger === undefined && explicitChange);
  if (!changedMode) return { ...(trigger ? { trigger } : {}), changedMode, intentImpact };
  // Explicit change flags win; otherwise the refs the CI event carried (a named trigger has none).
  // A push that created its branch has no base commit: main (else the default branch) is the base (newBranchBase).
  const newBranch = !trigger?.base && triggerContext.mode === "event-file" && triggerContext.event.event === "push" ? newBranchBase(triggerContext.payload) : undefined;
  const base = trigger?.base ?? newBranch?.base;
  const fromEvent: ChangeOptions = base ? { base, ...(trigger?.head ? { head: trigger.head } : {}), ...(newBranch ? { baseReason: newBranch.baseReason, ...(newBranch.fallbackBase ? { fallbackBase: newBranch.fallbackBase } : {}) } : {}) } : {};
  const set = await collectChanges(explicitChange ? flags : { ...flags, ...fromEvent }, { cwd: context.cwd, intentFile: context.intentFile, env });
  return { ...(trigger ? { trigger } : {}), changedMode, set, intentImpact };
}

export interface CiCompileResult extends CompileResult {
  trigger?: TriggerResolution;
  changes?: { set: ChangeSet; selection: ChangeSelection };
  /** `mode: changed-only` in the summary. */
  changedOnly: boolean;
  /** Lines for stderr: the CI detection banner, and with `--explain` the explanation. */
  report: string;
}

/**
 * Compiles with triggers and change detection applied. Without CI flags this
 * is compilePlan plus presets. `detectedComponent` records a working-directory
 * scope in `metadata.scope`.
 */
export async function compileForCi(
  options: CompileOptions & { detectedComponent?: string },
  flags: CiPlanningFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CiCompileResult> {
  const loaded = options.workspace ?? (await loadWorkspace({ cwd: options.cwd, intentPath: options.intentPath, configDir: options.configDir }));
  const workspace = await prepareCiWorkspace(loaded);
  const envFilter = (options.envs ?? []).join(",");
  const { trigger, changedMode, set, intentImpact } = await resolveCiScope(workspace.intent, flags, { cwd: options.cwd, intentFile: workspace.intentFile, env, envFilter });
  let selection: ChangeSelection | undefined;
  const selectComponents = set
    ? (instances: InstanceMap, normalized: NormalizedIntent): ReadonlySet<string> => {
        selection = selectChanged(set, instances, normalized, intentImpact);
        return new Set(selection.components);
      }
    : undefined;

  const result = await compilePlan({
    ...options,
    workspace,
    // With a trigger, --env narrowed the activated environments already.
    envs: trigger ? undefined : options.envs,
    ...(trigger ? { trigger: triggerInfoFor(trigger, set) } : {}),
    ...(selectComponents ? { selectComponents } : {}),
  });

  const scoped = (options.components?.length ?? 0) > 0 || changedMode || options.detectedComponent !== undefined;
  if (scoped) {
    result.plan.metadata.scope = {
      ...(options.detectedComponent ? { detectedComponent: options.detectedComponent } : {}),
      components: result.stats.components,
    };
  }

  if (selection) result.warnings.push(...compositionSourceChangeWarnings(selection.changedFiles, result.workspace.compositions.sources, result.workspace.rootDir));
  let report = set ? set.notes.map((n) => `${n}\n`).join("") : "";
  if (flags.explain) {
    if (trigger) report += explainTrigger(trigger);
    if (set && selection) report += explainChanges(set, selection, result.workspace.components.length);
    if (!trigger && !set) report += "scope: full plan (no trigger, no change detection)\n";
  }
  return {
    ...result,
    ...(trigger ? { trigger } : {}),
    ...(set && selection ? { changes: { set, selection } } : {}),
    changedOnly: changedMode,
    report,
  };
}

/** The trigger record, with the refs the change set was actually computed from. */
export function triggerInfoFor(trigger: TriggerResolution, set: ChangeSet | undefined): PlanTriggerInfo {
  const source = set?.source;
  return triggerInfo(trigger, source?.kind === "refs" ? { base: source.base, head: source.head } : {});
}

/** The components a change set selects among the expanded instances (changed ones plus their dependencies). */
export function selectChanged(set: ChangeSet, instances: InstanceMap, normalized: NormalizedIntent, intentImpact: IntentImpact): ChangeSelection {
  const { changedFiles, intentFile, intentDiff } = set;
  return selectChangedComponents({ components: changeComponents(instances, normalized), changedFiles, intentFile, intentDiff, intentImpact });
}

/** Change detection's view of the components: per-instance working paths, manifests, dependencies, watches. */
export function changeComponents(instances: InstanceMap, normalized: NormalizedIntent): ChangeComponent[] {
  const paths = new Map<string, Set<string>>();
  for (const list of instances.values()) {
    for (const instance of list) {
      const name = instance.component.name;
      if (!paths.has(name)) paths.set(name, new Set());
      paths.get(name)!.add(mergeParameters(instance).path);
    }
  }
  return normalized.components.map((component) => ({
    name: component.name,
    paths: [...(paths.get(component.name) ?? (component.path ? [component.path] : []))],
    ...(component.sourcePath ? { sourcePath: component.sourcePath } : {}),
    dependsOn: (component.dependsOn ?? []).map((d) => d.component),
    watches: component.change?.watches ?? [],
  }));
}

export function explainTrigger(trigger: TriggerResolution): string {
  const what = trigger.mode === "named-trigger" ? `named trigger ${trigger.matchedBindings[0]}` : `${trigger.provider} event ${trigger.event}${trigger.action ? ` (${trigger.action})` : ""}`;
  const lines = [`trigger: ${what}; matched ${trigger.matchedBindings.join(", ")}; scope ${trigger.scope || "full (the binding declares none)"}`];
  lines.push("environments:");
  for (const env of trigger.activeEnvironments) lines.push(`  ${env}  activated by ${trigger.activatedBy[env]!.join(", ")}`);
  return `${lines.join("\n")}\n`;
}

/**
 * `orun run` with trigger or change flags: compile a fresh, scoped plan, store
 * it (`.orun/plans/`, latest; not for --dry-run) like `orun plan` would, and hand it to the runtime.
 */
export async function compileRunPlan(options: {
  cwd: string;
  intentPath?: string;
  configDir?: string;
  envs?: readonly string[];
  components?: readonly string[];
  flags: CiPlanningFlags;
  env?: NodeJS.ProcessEnv;
  /** `--dry-run` writes nothing: the plan is not stored. */
  dryRun?: boolean;
  /** The jobs the run will run (its --job, --component or working folder's scope): job warnings name only those. */
  jobsInScope?: (plan: CiCompileResult["plan"]) => Promise<ReadonlySet<string> | undefined>;
}): Promise<{ plan: CiCompileResult["plan"]; storeDir: string; intentRoot: string; source: string; report: string }> {
  const { storeCompiledPlan } = await import("../../plan/store.js");
  const result = await compileForCi({ cwd: options.cwd, intentPath: options.intentPath, configDir: options.configDir, envs: options.envs, components: options.components }, options.flags, options.env);
  for (const warning of warningsForJobs(result, await options.jobsInScope?.(result.plan))) result.report += plannerWarningLine(warning);
  if (!options.dryRun) await storeCompiledPlan(result.workspace.rootDir, result.plan);
  const what = result.trigger ? `trigger ${result.trigger.matchedBindings.join(", ")}` : "changed components";
  return { plan: result.plan, storeDir: result.workspace.rootDir, intentRoot: result.workspace.rootDir, source: `fresh plan (${what})`, report: result.report };
}
