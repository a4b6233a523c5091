// The plan compiler: load → normalize → (validate parameters) → expand →
// filter → bind → resolve → materialize → checksum. `compileWorkspace` is the
// pure part (no I/O: same workspace and options, same plan); `compilePlan`
// adds the edges: loading files and reading the git revision.
import path, { posix } from "node:path";
import { compositionFor, jobBindings as registryJobBindings, type CompositionRegistry } from "../model/composition.js";
import type { Origin, StringMap } from "../model/intent.js";
import { PLAN_API_VERSION, PLAN_KIND, type Plan, type PlanTriggerInfo } from "../model/plan.js";
import { compareUtf8 } from "../plan/canonical-json.js";
import { stampPlan } from "../plan/checksum.js";
import { OrunError, formatLocation } from "../util/errors.js";
import { headCommit } from "../util/git.js";
import { bindJobs } from "./bind.js";
import { discoveryRootOf } from "./discovery-root.js";
import { expandInstances, matchesPattern, type InstanceMap } from "./expand.js";
import { filterComponents, filterEnvironments, keepComponents, splitList } from "./filter.js";
import { loadWorkspace, type LoadedWorkspace } from "./load/index.js";
import { droppedExpressions, materializeJob, mergeParameters, nestedTemplateStrings, parameterSource, pathSource, unsafeJobPath, type MergedParameters } from "./materialize.js";
import { normalizeIntent, type NormalizedIntent } from "./normalize.js";
import { resolveGraph } from "./resolve.js";
import { checkRuleProfiles } from "./rule-profiles.js";
import { sourceRevision } from "./revision.js";
import { unmatchableBindingWarnings } from "./triggers/binding-checks.js";
import { prepareCiWorkspace } from "./triggers/workspace.js";
import { closestMatch, didYouMean } from "./validate/did-you-mean.js";
import { checkRunsOnTemplates, checkStepTemplates, runsOnExpressionWarnings, validateComponentParameters } from "./validate/index.js";
import { expressionSyntaxError, JOB_ENV_EXPRESSION_CONSEQUENCE } from "./validate/expressions.js";
import { checkPolicies, domainWarning } from "./validate/policies.js";

export const DEFAULT_CONCURRENCY = 4;

export interface CompileOptions {
  cwd: string;
  intentPath?: string;
  /** `-c/--config-dir`: legacy composition registry (default: ORUN_CONFIG_DIR); see LoadWorkspaceOptions. */
  configDir?: string;
  /** `-e/--env`: names or `prefix*`, comma lists allowed. */
  envs?: readonly string[];
  /** `--component` / positional: names or `prefix*`; their transitive dependencies come along. */
  components?: readonly string[];
  /** Where `components` came from, as errors name it: `--component` (the default) or `orun plan`'s `[component]` argument. */
  componentsFrom?: string;
  /** Storage name (`--name`); not part of the plan's content. */
  name?: string;
  /** Clock for metadata.generatedAt. */
  now?: Date;
  /**
   * What a trigger decided, as recorded in `metadata.trigger`: its active
   * environments replace the --env filter, its matched bindings drive profileRules.
   */
  trigger?: PlanTriggerInfo;
  /**
   * Extra scoping after the env/component filters (e.g. changed files): returns the
   * component names to keep, or undefined to keep everything. Environments left
   * empty stay in the plan (they still count as active for promotion).
   */
  selectComponents?: (instances: InstanceMap, normalized: NormalizedIntent) => ReadonlySet<string> | undefined;
  /** An already loaded workspace (skips loading). */
  workspace?: LoadedWorkspace;
  /** Git revision to record; by default read from the intent repository (null: none). */
  revision?: string | null;
  /** Observer of the compile stages (`--debug`); compiling is the same with or without it. */
  trace?: CompileTrace;
}

/** The stages of compileWorkspace, in order. */
export type CompileStage = "normalize" | "validate" | "expand" | "filter" | "bind" | "resolve" | "materialize" | "checksum";

/** Told when each stage starts and when it is done, with a one-line summary of its result. */
export interface CompileTrace {
  start(stage: CompileStage): void;
  done(stage: CompileStage, summary: string): void;
}

const plural = (n: number, word: string, words = `${word}s`): string => `${n} ${n === 1 ? word : words}`;

/** Runs one stage, telling the trace (if any); summaries are only computed when traced. */
function runStage<T>(trace: CompileTrace | undefined, stage: CompileStage, run: () => T, summary: (result: T) => string): T {
  if (!trace) return run();
  trace.start(stage);
  const result = run();
  trace.done(stage, summary(result));
  return result;
}

function countInstances(instances: InstanceMap): number {
  let n = 0;
  for (const list of instances.values()) n += list.length;
  return n;
}

export interface CompileStats {
  /** Distinct components in the plan scope, sorted. */
  components: string[];
  /** Environments in the plan scope (including ones with no jobs). */
  environments: string[];
  jobs: number;
}

export interface CompileResult {
  plan: Plan;
  workspace: LoadedWorkspace;
  /** Every warning as printed; a job warning's text names its jobs (jobWarningText). */
  warnings: string[];
  /** The warnings found in jobs' steps, with those jobs: `orun run --component` tells only those of the jobs it runs. */
  jobWarnings: JobWarning[];
  stats: CompileStats;
}

/** A warning about one place in a composition or the intent, found in the steps of these jobs. */
export interface JobWarning {
  message: string;
  jobs: string[];
}

/** How many jobs of the list a job warning names before `and N more`. */
const JOBS_NAMED = 3;

/** `<message> (3 jobs: a@dev.deploy, b@dev.deploy, c@dev.deploy)`: one place told once, with the jobs that share it. */
export function jobWarningText(warning: JobWarning, jobs: readonly string[] = warning.jobs): string {
  if (jobs.length === 1) return `${warning.message} (job ${jobs[0]})`;
  const named = jobs.slice(0, JOBS_NAMED).join(", ");
  const more = jobs.length > JOBS_NAMED ? `, and ${jobs.length - JOBS_NAMED} more` : "";
  return `${warning.message} (${jobs.length} jobs: ${named}${more})`;
}

/**
 * The warnings to print for a run of the `inScope` jobs only (every warning when undefined): a job warning names only
 * those of its jobs, and is left out when none of its jobs is run.
 */
export function warningsForJobs(result: Pick<CompileResult, "warnings" | "jobWarnings">, inScope: ReadonlySet<string> | undefined): string[] {
  if (!inScope) return result.warnings;
  const jobWarnings = new Map(result.jobWarnings.map((warning) => [jobWarningText(warning), warning]));
  return result.warnings.flatMap((text) => {
    const jobWarning = jobWarnings.get(text);
    if (!jobWarning) return [text];
    const jobs = jobWarning.jobs.filter((id) => inScope.has(id));
    return jobs.length ? [jobWarningText(jobWarning, jobs)] : [];
  });
}

/** RFC 3339 UTC with second precision, as v2.3 writes it. */
export function formatGeneratedAt(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Validates the merged parameters of every component instance (schema defaults →
 * environment and group parameterDefaults → component → subscription) against the
 * composition's schema (decision 3), before any filter, so `orun validate` checks
 * every environment; also parses every step template and refuses a {{ }} in any runsOn, selected or not. Returns
 * the parameters per `component@environment` with schema defaults filled in.
 * Errors name where the offending value was written.
 */
function validateParameters(normalized: NormalizedIntent, workspace: LoadedWorkspace): Map<string, MergedParameters> {
  for (const component of normalized.components) {
    if (!compositionFor(workspace.compositions, component)) {
      throw new OrunError(`failed to resolve compositions: component type not found: ${component.type}`, { location: component.origin?.at("type") });
    }
  }
  checkStepTemplates(workspace.compositions);
  checkRunsOnTemplates(workspace.compositions);
  const merged = new Map<string, MergedParameters>();
  const instanced = new Set<string>();
  for (const [envName, list] of expandInstances(normalized)) {
    for (const instance of list) {
      const { component } = instance;
      instanced.add(component.name);
      const composition = compositionFor(workspace.compositions, component)!;
      const { parameters, path: layeredPath } = mergeParameters(instance);
      const filled = validateComponentParameters(parameters, composition.schema, {
        component: component.name,
        type: component.type,
        domain: component.domain,
        labels: component.labels,
        environment: envName,
        origin: component.origin,
        locateParameter: (key) => parameterSource(instance, key)?.at,
        // `"*"` defaults go to every type: a type whose schema does not know the key ignores it.
        toleratesUnknown: (key) => parameterSource(instance, key)?.wildcard === true,
      });
      // `path` is the job's working path, not a parameter: a schema default for it applies only when no layer
      // set one (as the layers override schema defaults), and it never stays among the parameters.
      const schemaPath = filled.path;
      delete filled.path;
      const path = pathSource(instance) === undefined && typeof schemaPath === "string" ? schemaPath : layeredPath;
      const unsafe = unsafeJobPath(path);
      const root = unsafe && path === component.path ? discoveryRootOf(normalized.intent, component) : undefined;
      if (unsafe && root) {
        throw new OrunError(
          `${root.at?.field ?? "discovery.roots"}: "${root.root}" lies outside the intent root (the folder of ${posix.basename(root.at?.file ?? "intent.yaml")}): component ${component.name}, found there, gets its folder "${path}" as job path, which ${unsafe}; a job's path must stay inside the intent root (keep intent.yaml in a folder that holds its components)`,
          { location: root.at ? { file: root.at.file, line: root.at.line } : undefined },
        );
      }
      if (unsafe) {
        throw new OrunError(`component ${component.name} (environment ${envName}): job path "${path}" ${unsafe}; a job's path must stay inside the intent root`, {
          location: pathSource(instance) ?? component.origin?.at("path"),
        });
      }
      merged.set(`${component.name}@${envName}`, { parameters: filled, path });
    }
  }
  // A component in no environment (warned about) still has its own parameters checked.
  for (const component of normalized.components) {
    if (instanced.has(component.name)) continue;
    const { path: _path, ...own } = (component.parameters ?? {}) as Record<string, unknown>;
    validateComponentParameters(own, compositionFor(workspace.compositions, component)!.schema, {
      component: component.name,
      type: component.type,
      domain: component.domain,
      labels: component.labels,
      origin: component.origin,
      locateParameter: (key) => component.origin?.at(["parameters", key]),
    });
  }
  return merged;
}

function subscriptionWarnings(normalized: NormalizedIntent): string[] {
  const envNames = normalized.environments.map((e) => e.name);
  const warnings: string[] = [];
  for (const component of normalized.components) {
    for (const sub of component.subscribe?.environments ?? []) {
      if (!envNames.some((e) => matchesPattern(sub.name, e))) {
        const where = sub.origin ? `${sub.origin.file}:${sub.origin.line}: ` : "";
        const hint = sub.name.includes("*") ? "" : didYouMean(sub.name, envNames);
        warnings.push(`${where}component ${component.name} subscribes to "${sub.name}", which matches no environment${hint}`);
      }
    }
  }
  return warnings;
}

/**
 * A subscription's `profile` (or profileRules profile) on a composition with no executionProfiles: accepted and
 * ignored, as v2.3 did (spec 10 case 27, profileSource legacy-none), but a typo or a profile meant for another
 * type would otherwise pass unnoticed.
 */
function ignoredProfileWarnings(normalized: NormalizedIntent, registry: CompositionRegistry): string[] {
  const warnings: string[] = [];
  for (const component of normalized.components) {
    const composition = compositionFor(registry, component);
    if (!composition || Object.keys(composition.profiles ?? {}).length > 0) continue;
    for (const sub of component.subscribe?.environments ?? []) {
      const named = [
        ...(sub.profile ? [{ profile: sub.profile, at: sub.origin?.at("profile") }] : []),
        ...(sub.profileRules ?? []).filter((rule) => rule.profile).map((rule) => ({ profile: rule.profile!, at: rule.origin?.at("profile") })),
      ];
      for (const { profile, at } of named) {
        const where = at?.file ? `${at.file}:${at.line}: ${at.field ? `${at.field}: ` : ""}` : "";
        warnings.push(`${where}component ${component.name} (environment ${sub.name}) names profile "${profile}", but composition ${component.type} declares no executionProfiles, so the profile is ignored`);
      }
    }
  }
  return warnings;
}

/**
 * A trigger binding that activates an environment without the environment it
 * requires same-plan promotion from: planning for that trigger (in CI) always
 * fails, while a plan or validate without a trigger (every environment) passes.
 */
function triggerPromotionWarnings(normalized: NormalizedIntent): string[] {
  const activatedBy = environmentsByTrigger(normalized);
  const warnings: string[] = [];
  for (const binding of [...activatedBy.keys()].sort(compareUtf8)) {
    const active = activatedBy.get(binding)!;
    for (const env of normalized.environments) {
      if (!active.has(env.name)) continue;
      for (const promotion of env.promotion) {
        if (promotion.satisfy !== "same-plan" || active.has(promotion.environment)) continue;
        const at = promotion.origin?.at();
        const where = at?.file ? `${at.file}:${at.line}: ` : "";
        warnings.push(
          `${where}environment ${env.name} requires same-plan promotion from ${promotion.environment}, but trigger binding ${binding} activates ${env.name} without ${promotion.environment}: planning for ${binding} will fail (use satisfy: same-plan-or-previous-success, or activate ${promotion.environment} too)`,
        );
      }
    }
  }
  return warnings;
}

/** Trigger binding → the environments whose activation.triggerRefs name it. */
function environmentsByTrigger(normalized: NormalizedIntent): Map<string, Set<string>> {
  const activatedBy = new Map<string, Set<string>>();
  for (const [name, env] of Object.entries(normalized.intent.environments ?? {})) {
    for (const ref of env.activation?.triggerRefs ?? []) (activatedBy.get(ref) ?? activatedBy.set(ref, new Set()).get(ref)!).add(name);
  }
  return activatedBy;
}

/**
 * The same for a component's cross-environment dependency: a trigger that
 * activates the component's environment but not its dependency's makes every
 * plan for that trigger fail (dependency not found).
 */
function triggerDependencyWarnings(normalized: NormalizedIntent, expanded: InstanceMap): string[] {
  const activatedBy = environmentsByTrigger(normalized);
  const warnings: string[] = [];
  for (const binding of [...activatedBy.keys()].sort(compareUtf8)) {
    const active = activatedBy.get(binding)!;
    const seen = new Set<string>();
    for (const [env, instances] of [...expanded].sort(([a], [b]) => compareUtf8(a, b))) {
      if (!active.has(env)) continue;
      for (const { component } of instances) {
        component.dependsOn.forEach((dep, i) => {
          const target = dep.environment;
          if (!target || active.has(target) || seen.has(`${component.name}:${i}`)) return;
          seen.add(`${component.name}:${i}`);
          const at = component.origin?.at(["dependsOn", i]);
          const where = at?.file ? `${at.file}:${at.line}: ` : "";
          warnings.push(
            `${where}component ${component.name} depends on ${dep.component} in environment ${target}, but trigger binding ${binding} activates ${env} without ${target}: planning for ${binding} will fail (activate ${target} for ${binding} too)`,
          );
        });
      }
    }
  }
  return warnings;
}

/** An environment selecting a component by a name no component has (a typo) selects nothing, silently. */
function selectorWarnings(normalized: NormalizedIntent): string[] {
  const names = new Set(normalized.components.map((c) => c.name));
  const warnings: string[] = [];
  for (const env of normalized.environments) {
    env.selectors.components.forEach((selector, i) => {
      if (selector.includes("*") || names.has(selector)) return;
      const at = env.origin?.at(["selectors", "components", i]);
      const where = at?.file ? `${at.file}:${at.line}: ` : "";
      warnings.push(`${where}environment ${env.name} selects component "${selector}", but no component has that name${didYouMean(selector, names)}`);
    });
  }
  return warnings;
}

/**
 * A component parameter its composition's schema does not declare but is one
 * typo away from a declared one (`replicaz` for `replicas`): a schema that
 * allows extra keys accepts it, and the parameter meant is left unset, silently.
 */
function undeclaredParameterWarnings(normalized: NormalizedIntent, registry: CompositionRegistry): string[] {
  const warnings: string[] = [];
  for (const component of normalized.components) {
    const declared = declaredParameters(compositionFor(registry, component)?.schema.schema);
    if (declared.size === 0) continue;
    const check = (values: Record<string, unknown> | undefined, origin: Origin | undefined): void => {
      for (const key of Object.keys(values ?? {}).sort(compareUtf8)) {
        if (key === "path" || declared.has(key)) continue;
        const meant = closestMatch(key, declared);
        if (meant === undefined || Object.hasOwn(values!, meant)) continue;
        const at = origin?.at(["parameters", key]);
        const where = at?.file ? `${at.file}:${at.line}: ` : "";
        warnings.push(`${where}${at?.field ?? `parameters.${key}`}: composition ${component.type} declares no parameter ${key} (did you mean \`${meant}\`?); ${meant} is not set here`);
      }
    };
    check(component.parameters, component.origin);
    for (const sub of component.subscribe.environments) check(sub.parameters, sub.origin);
  }
  return warnings;
}

/** The parameter names a composition schema declares (`properties.parameters` or `properties.inputs`). */
function declaredParameters(schema: Record<string, unknown> | undefined): Set<string> {
  const properties = (schema?.properties ?? {}) as Record<string, { properties?: Record<string, unknown> } | undefined>;
  return new Set(["parameters", "inputs"].flatMap((key) => Object.keys(properties[key]?.properties ?? {})));
}

/**
 * parameterDefaults keys are composition types (or `*`): a key no source
 * exports — most often a misspelt type — would apply to nothing, silently.
 */
function parameterDefaultsWarnings(normalized: NormalizedIntent, registry: CompositionRegistry): string[] {
  const types = new Set([...Object.keys(registry.byType), ...Object.values(registry.byKey).map((c) => c.type)]);
  const compositions = [...Object.values(registry.byType), ...Object.values(registry.byKey)];
  const parameters = new Set(compositions.flatMap((c) => [...declaredParameters(c.schema.schema)]));
  const warnings: string[] = [];
  const check = (owner: { parameterDefaults?: Record<string, unknown>; origin?: Origin }, what: string): void => {
    for (const key of Object.keys(owner.parameterDefaults ?? {}).sort()) {
      if (key === "*") warnings.push(...starNearMisses(owner, what, parameters));
      if (key === "*" || types.has(key)) continue;
      const at = owner.origin?.at(["parameterDefaults", key]);
      const where = at?.file ? `${at.file}:${at.line}: ` : "";
      warnings.push(`${where}${what} parameterDefaults.${key}: no composition type ${key}${didYouMean(key, types)}, so these defaults apply to nothing`);
    }
  };
  for (const env of normalized.environments) check(env, `environment ${env.name}`);
  for (const [name, group] of Object.entries(normalized.groups).sort(([a], [b]) => compareUtf8(a, b))) check(group, `group ${name}`);
  return warnings;
}

/**
 * A `"*"` default no type declares is ignored (documented), which also hides a typo: one a
 * letter or two from a parameter some type declares (`prot` for `port`) is warned about.
 */
function starNearMisses(owner: { parameterDefaults?: Record<string, unknown>; origin?: Origin }, what: string, parameters: ReadonlySet<string>): string[] {
  const star = owner.parameterDefaults?.["*"];
  if (!star || typeof star !== "object") return [];
  const warnings: string[] = [];
  for (const key of Object.keys(star).sort()) {
    if (key === "path" || parameters.has(key)) continue;
    const match = closestMatch(key, parameters);
    if (match === undefined) continue;
    const at = owner.origin?.at(["parameterDefaults", "*", key]);
    const where = at?.file ? `${at.file}:${at.line}: ` : "";
    warnings.push(`${where}${what} parameterDefaults."*".${key}: no composition type declares parameter ${key}, so it is ignored (did you mean \`${match}\`?)`);
  }
  return warnings;
}

/**
 * Parameter and env values are not templates (v2.3, spec 12 §1.3): besides
 * `{{.environment}}`, `{{.component}}` and `{{.group}}`, every `{{…}}` is
 * removed from them. Someone writing `{{ .orun.component.name }}-assets` there
 * expects it rendered, so say that it was removed, and where.
 */
function droppedExpressionWarnings(normalized: NormalizedIntent): string[] {
  const warnings: string[] = [];
  const check = (values: Record<string, unknown> | undefined, origin: Origin | undefined, base: (string | number)[]): void => {
    for (const key of Object.keys(values ?? {}).sort()) {
      const value = values![key];
      if (value !== null && typeof value === "object") {
        warnings.push(...nestedExpressionWarnings(value, origin, [...base, key]));
        continue;
      }
      const dropped = typeof value === "string" ? droppedExpressions(value) : [];
      if (dropped.length === 0) continue;
      const at = origin?.at([...base, key]);
      const where = at?.file ? `${at.file}:${at.line}: ` : "";
      warnings.push(
        `${where}${at?.field ?? [...base, key].join(".")}: ${dropped.join(", ")} ${dropped.length > 1 ? "are" : "is"} removed from this value: parameter, env and path values only substitute {{.environment}}, {{.component}} and {{.group}} (step fields are templates)`,
      );
    }
  };
  check(normalized.intent.env, normalized.intent.origin, ["env"]);
  for (const env of normalized.environments) {
    check(env.env, env.origin, ["env"]);
    for (const type of Object.keys(env.parameterDefaults ?? {}).sort()) check(env.parameterDefaults[type], env.origin, ["parameterDefaults", type]);
  }
  for (const [, group] of Object.entries(normalized.groups).sort(([a], [b]) => compareUtf8(a, b))) {
    for (const type of Object.keys(group.parameterDefaults ?? {}).sort()) check(group.parameterDefaults[type], group.origin, ["parameterDefaults", type]);
  }
  for (const component of normalized.components) {
    // The working path is interpolated as parameters are (deploy/{{ .orun.environment.name }} became deploy/).
    check({ path: component.path }, component.origin, []);
    check(component.parameters, component.origin, ["parameters"]);
    check(component.env, component.origin, ["env"]);
    for (const sub of component.subscribe.environments) {
      check(sub.parameters, sub.origin, ["parameters"]);
      check(sub.env, sub.origin, ["env"]);
    }
  }
  return warnings;
}

/**
 * Strings inside a list or map parameter that hold `{{…}}`: only top-level string values are interpolated (as in
 * v2.3), so these reach the plan as written, `{{.component}}` included; a warning says so where they are written.
 */
function nestedExpressionWarnings(value: object, origin: Origin | undefined, path: (string | number)[]): string[] {
  return nestedTemplateStrings(value, path).map(({ path: at, expressions: kept }) => {
    const loc = origin?.at(at);
    const where = loc?.file ? `${loc.file}:${loc.line}: ` : "";
    return `${where}${loc?.field ?? at.join(".")}: ${kept.join(", ")} ${kept.length > 1 ? "are" : "is"} kept as written: only top-level parameter values substitute {{.environment}}, {{.component}} and {{.group}}; values inside lists and maps are copied unchanged`;
  });
}

/**
 * Env values whose `${{ }}` does not parse, warned about where they are declared: they become job env, which
 * the github-actions runner evaluates before every step (./validate/expressions.ts says why not an error).
 */
function jobEnvExpressionWarnings(normalized: NormalizedIntent): string[] {
  const warnings: string[] = [];
  const check = (values: StringMap | undefined, origin: Origin | undefined): void => {
    for (const key of Object.keys(values ?? {}).sort()) {
      const value: unknown = values![key];
      const invalid = typeof value === "string" ? expressionSyntaxError(value) : undefined;
      if (!invalid) continue;
      const at = origin?.at(["env", key]);
      const where = at?.file ? `${at.file}:${at.line}: ` : "";
      warnings.push(`${where}${at?.field ?? `env.${key}`}: ${invalid}: ${JOB_ENV_EXPRESSION_CONSEQUENCE}`);
    }
  };
  check(normalized.intent.env, normalized.intent.origin);
  for (const env of normalized.environments) check(env.env, env.origin);
  for (const component of normalized.components) {
    check(component.env, component.origin);
    for (const sub of component.subscribe.environments) check(sub.env, sub.origin);
  }
  return warnings;
}

/** Policies of every environment, group and execution profile (./validate/policies.ts), profiles lists that executionProfiles override, and misspelt domains. */
function policyWarnings(normalized: NormalizedIntent, registry: CompositionRegistry): string[] {
  const warnings: string[] = [];
  for (const env of normalized.environments) warnings.push(...checkPolicies({ what: `environment ${env.name}`, policies: env.policies, origin: env.origin }));
  const groups = Object.keys(normalized.groups).sort(compareUtf8);
  for (const name of groups) {
    const group = normalized.groups[name]!;
    warnings.push(...checkPolicies({ what: `group ${name}`, policies: group.policies, origin: group.origin }));
  }
  const seen = new Set<unknown>();
  for (const composition of [registry.byKey, registry.byType].flatMap((m) => Object.keys(m).sort(compareUtf8).map((k) => m[k]!))) {
    if (seen.has(composition)) continue;
    seen.add(composition);
    for (const name of Object.keys(composition.profiles).sort(compareUtf8)) {
      const profile = composition.profiles[name]!;
      warnings.push(...checkPolicies({ what: `composition ${composition.type} profile "${name}"`, policies: profile.policies, origin: profile.origin }));
    }
    if (composition.ignoredProfilesAt) {
      warnings.push(
        `${formatLocation(composition.ignoredProfilesAt)}: composition ${composition.type} defines spec.executionProfiles, so this profiles list is ignored (inline executionProfiles win); move its profiles into executionProfiles or remove one of the two`,
      );
    }
  }
  const selected = normalized.environments.flatMap((e) => e.selectors.domains);
  for (const component of normalized.components) {
    const warning = domainWarning(component, groups, selected);
    if (warning) warnings.push(warning);
  }
  return warnings;
}

/** The pure compiler: a loaded workspace in, a stamped plan out. */
export function compileWorkspace(workspace: LoadedWorkspace, options: Omit<CompileOptions, "workspace"> & { revision?: string | null }): CompileResult {
  const trace = options.trace;
  const normalized = runStage(trace, "normalize", () => normalizeIntent(workspace.intent, workspace.components), (n) =>
    `${plural(n.environments.length, "environment")}, ${plural(n.components.length, "component")}${n.disabled.size ? ` (${n.disabled.size} disabled)` : ""}`,
  );
  const parameters = runStage(trace, "validate", () => validateParameters(normalized, workspace), () => `parameters of ${plural(normalized.components.length, "component")} match their composition schemas`);
  const warnings = [
    ...subscriptionWarnings(normalized),
    ...ignoredProfileWarnings(normalized, workspace.compositions),
    ...selectorWarnings(normalized),
    ...parameterDefaultsWarnings(normalized, workspace.compositions),
    ...undeclaredParameterWarnings(normalized, workspace.compositions),
    ...triggerPromotionWarnings(normalized),
    ...droppedExpressionWarnings(normalized),
    ...jobEnvExpressionWarnings(normalized),
    ...runsOnExpressionWarnings(workspace.compositions),
    ...policyWarnings(normalized, workspace.compositions),
    ...unmatchableBindingWarnings(normalized.intent.automation?.triggerBindings ?? {}),
  ];

  const expanded = runStage(trace, "expand", () => expandInstances(normalized), (m) => `${plural(countInstances(m), "component instance")} across ${plural(m.size, "environment")}`);
  const applies = new Set<string>();
  const planned = new Set<string>();
  for (const [env, list] of expanded) {
    for (const i of list) {
      applies.add(`${i.component.name}@${env}`);
      planned.add(i.component.name);
    }
  }
  warnings.push(...triggerDependencyWarnings(normalized, expanded));
  for (const component of normalized.components) {
    if (!planned.has(component.name) && normalized.environments.length > 0) {
      const where = component.origin ? `${component.origin.file}:${component.origin.line}: ` : "";
      warnings.push(`${where}component ${component.name} applies to no environment (no matching subscription or environment selector)`);
    }
  }
  const instances = runStage(
    trace,
    "filter",
    () => {
      let kept = filterEnvironments(expanded, splitList(options.envs), options.trigger?.activeEnvironments);
      kept = filterComponents(kept, splitList(options.components), normalized, options.componentsFrom);
      const selected = options.selectComponents?.(kept, normalized);
      return selected ? keepComponents(kept, selected, false) : kept;
    },
    (m) => `${plural(countInstances(m), "instance")} in scope (${[...m.keys()].join(", ") || "no environments"})`,
  );

  const jobs = runStage(trace, "bind", () => bindJobs(instances, workspace.compositions, { matchedTriggers: options.trigger?.matchedBindings }), (j) => plural(j.length, "job"));
  const graph = runStage(
    trace,
    "resolve",
    () =>
      resolveGraph(jobs, {
        normalized,
        activeEnvironments: [...instances.keys()],
        appliesIn: (component, environment) => applies.has(`${component}@${environment}`),
      }),
    (g) => `${plural([...g.dependsOn.values()].reduce((n, deps) => n + deps.length, 0), "dependency edge")}, ${plural([...g.gates.values()].reduce((n, gates) => n + gates.length, 0), "promotion gate")}`,
  );
  const jobBindings: Record<string, string> = {};
  for (const [type, registry] of Object.entries(registryJobBindings(workspace.compositions))) if (registry) jobBindings[type] = registry;
  const byId = new Map(jobs.map((j) => [j.id, j]));
  // One warning per place, naming the jobs it was found in: a step of a composition used by N components in
  // E environments is told once, not N×E times.
  const stepWarnings = new Map<string, string[]>();
  const warnJob = (message: string, jobId: string): void => {
    const jobs = stepWarnings.get(message) ?? [];
    if (!jobs.includes(jobId)) jobs.push(jobId);
    stepWarnings.set(message, jobs);
  };
  const materializeCtx = { rootEnv: normalized.env, parameters, warn: warnJob };
  const planJobs = runStage(
    trace,
    "materialize",
    () => graph.order.map((id) => materializeJob(byId.get(id)!, { dependsOn: graph.dependsOn.get(id)!, gates: graph.gates.get(id)! }, materializeCtx)),
    (list) => `${plural(list.length, "job")}, ${plural(list.reduce((n, j) => n + j.steps.length, 0), "step")}`,
  );

  checkRuleProfiles(instances, {
    registry: workspace.compositions,
    rootEnv: normalized.env,
    parameters,
    matchedTriggers: options.trigger?.matchedBindings ?? [],
  });

  const jobWarnings = [...stepWarnings].map(([message, jobIds]) => ({ message, jobs: jobIds }));
  warnings.push(...jobWarnings.map((warning) => jobWarningText(warning)));

  const meta = workspace.intent.metadata ?? {};
  const state = workspace.intent.execution?.state;
  const unstamped: Plan = {
    apiVersion: PLAN_API_VERSION,
    kind: PLAN_KIND,
    metadata: {
      name: meta.name ?? "",
      ...(meta.description ? { description: meta.description } : {}),
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
      generatedAt: formatGeneratedAt(options.now ?? new Date()),
      // Hashed: promotion gates match on it (src/plan/format.ts, hashedPlanShape).
      ...(options.revision ? { revision: options.revision } : {}),
    },
    execution: {
      concurrency: DEFAULT_CONCURRENCY,
      failFast: true,
      ...(state && (state.mode || state.backendUrl) ? { state: { ...state } } : {}),
    },
    spec: Object.keys(jobBindings).length ? { jobBindings } : {},
    jobs: planJobs,
  };
  const plan = runStage(trace, "checksum", () => stampPlan(unstamped), (p) => p.metadata.checksum ?? "");
  if (workspace.sources.length) plan.spec.compositionSources = workspace.sources;
  if (options.trigger) plan.metadata.trigger = options.trigger;
  const workDir = path.relative(options.cwd, workspace.rootDir).split(path.sep).join("/") || ".";
  if (!workDir.startsWith("..") && !path.isAbsolute(workDir)) plan.metadata.workDir = workDir;

  const components = new Set<string>();
  for (const list of instances.values()) for (const i of list) components.add(i.component.name);
  return {
    plan,
    workspace,
    warnings,
    jobWarnings,
    stats: { components: [...components].sort(), environments: [...instances.keys()], jobs: planJobs.length },
  };
}

/** The intent and component manifests inside the intent directory, relative to it (forward slashes). */
function planSourceFiles(workspace: LoadedWorkspace): string[] {
  const files = new Set<string>();
  const intent = path.relative(workspace.rootDir, workspace.intentFile).split(path.sep).join("/");
  if (intent && !intent.startsWith("../") && !path.isAbsolute(intent)) files.add(intent);
  for (const component of workspace.components) if (component.sourcePath && !component.sourcePath.startsWith("../")) files.add(component.sourcePath);
  return [...files];
}

/** Loads the intent (unless given) and compiles it. `orun plan`, `orun validate` and `orun run` use this. */
export async function compilePlan(options: CompileOptions): Promise<CompileResult> {
  const loaded = options.workspace ?? (await loadWorkspace({ cwd: options.cwd, intentPath: options.intentPath, configDir: options.configDir }));
  // Intent presets merged and trigger references checked before normalize (src/planner/triggers/workspace.ts).
  const workspace = await prepareCiWorkspace(loaded);
  // HEAD only when the working tree holds it unchanged (./revision.ts); an explicit revision (tests, validate: null) as given.
  const source = options.revision === undefined ? await sourceRevision(workspace.rootDir, await headCommit(workspace.rootDir), planSourceFiles(workspace)) : { revision: options.revision ?? undefined };
  const result = compileWorkspace(workspace, { ...options, revision: source.revision });
  const gated = result.plan.jobs.some((job) => (job.gates?.length ?? 0) > 0);
  if (source.warning && (gated || !("onlyWithGates" in source && source.onlyWithGates))) result.warnings.unshift(source.warning);
  return result;
}
