// Stage 4: bind. Chooses each instance's execution profile (a profileRule
// matched by the active trigger, else the subscription's profile, else the
// composition's defaultProfile), then the jobs and steps that profile selects
// (includeCapabilities / stepsEnabled, stepOverrides), then the component's
// own `overrides.steps`. Also merges the job's policies.
import type { Composition, ExecutionProfile, JobTemplate, StepOverride } from "../model/composition.js";
import { compositionFor, type CompositionRegistry } from "../model/composition.js";
import { withOrigin, type FieldPath, type FreeMap, type Origin, type StepSpec } from "../model/intent.js";
import { formatJobId, requiresApproval } from "../model/plan.js";
import { OrunError, type SourceLocation } from "../util/errors.js";
import { splitField } from "./load/yaml.js";
import type { Instance, InstanceMap } from "./expand.js";

export type ProfileSource = "legacy-none" | "subscription" | "composition-default" | "subscription-rule";

export interface BoundProfile {
  /** `<type>.<name>`; undefined for profile-less compositions. */
  ref?: string;
  /** Bare name (`.orun.profile.name`), "" when none. */
  name: string;
  source: ProfileSource;
  ruleTriggerRef?: string;
  profile?: ExecutionProfile;
}

export interface BoundJob {
  /** Canonical `component@environment.job`. */
  id: string;
  name: string;
  instance: Instance;
  composition: Composition;
  template: JobTemplate;
  /** Selected steps (profile filter, stepOverrides, component overrides), declaration order. */
  steps: StepSpec[];
  profile: BoundProfile;
  /** group → environment → profile, later wins (a profile cannot drop requireApproval); values as strings. */
  policies: Record<string, string>;
}

export interface BindOptions {
  /** Trigger bindings that matched (drive subscription profileRules). */
  matchedTriggers?: readonly string[];
}

function expandError(instance: Instance, message: string, location: SourceLocation | undefined = instance.subscription?.origin?.at("profile") ?? instance.component.origin?.at()): OrunError {
  return new OrunError(`failed to expand intent: component ${instance.component.name} environment ${instance.environment.name}: ${message}`, { location });
}

export function resolveProfile(instance: Instance, composition: Composition, matchedTriggers: readonly string[]): BoundProfile {
  const profiles = composition.profiles ?? {};
  if (Object.keys(profiles).length === 0) return { name: "", source: "legacy-none" };
  const sub = instance.subscription;
  // Every rule's profile must exist whether or not its trigger fired: a typo would otherwise pass plan and
  // validate and fail only in CI, when the release trigger matches.
  for (const other of sub?.profileRules ?? []) {
    if (other.profile) profileNamed(instance, composition, other.profile, other.origin.at("profile"));
  }
  const rule = matchedTriggers.length > 0 ? sub?.profileRules?.find((r) => r.when?.triggerRef && matchedTriggers.includes(r.when.triggerRef)) : undefined;
  if (rule?.profile) {
    const { name, profile } = profileNamed(instance, composition, rule.profile, rule.origin.at("profile"));
    return { ref: `${instance.component.type}.${name}`, name, source: "subscription-rule", ruleTriggerRef: rule.when.triggerRef, profile };
  }
  const source: ProfileSource = sub?.profile ? "subscription" : "composition-default";
  const raw = sub?.profile || composition.defaultProfile;
  if (!raw) throw expandError(instance, `composition ${composition.name} has executionProfiles but no defaultProfile or subscription profile`);
  const { name, profile } = profileNamed(instance, composition, raw);
  return { ref: `${instance.component.type}.${name}`, name, source, profile };
}

/** A profile reference (`name` or `<type>.name`) resolved in the composition; `location` is where it is written. */
function profileNamed(instance: Instance, composition: Composition, raw: string, location?: SourceLocation): { name: string; profile: ExecutionProfile } {
  let name = raw;
  const dot = raw.indexOf(".");
  if (dot >= 0) {
    const prefix = raw.slice(0, dot);
    if (prefix !== instance.component.type) {
      throw expandError(instance, `component has type ${instance.component.type} but references profile "${raw}" (type prefix mismatch)`, location);
    }
    name = raw.slice(dot + 1);
  }
  const profile = (composition.profiles ?? {})[name];
  if (!profile) {
    const available = Object.keys(composition.profiles ?? {}).sort().join(", ");
    throw expandError(instance, `profile "${name}" does not exist in composition ${composition.name} executionProfiles (available: ${available})`, location);
  }
  return { name, profile };
}

const stepKey = (step: StepSpec): string => step.id || step.name || "";

/**
 * The origin of a step a profile's stepOverrides patched: the fields the patch replaced are where the patch
 * writes them (`jobs.<job>.stepOverrides.<step>.run` of the profile), the others where the step does.
 */
function patchedOrigin(step: Origin, patch: Origin, replaced: ReadonlySet<string>): Origin {
  const patched = (field?: FieldPath): boolean => {
    const root = typeof field === "string" ? field.split(/[.[]/)[0] : field?.[0];
    return typeof root === "string" && replaced.has(root);
  };
  return {
    file: step.file,
    line: step.line,
    column: step.column,
    path: step.path,
    lineOf: (field) => (patched(field) ? patch.lineOf(field) : step.lineOf(field)),
    at: (field) => (patched(field) ? patch.at(field) : step.at(field)),
  };
}

/**
 * A profile's stepOverrides entry: non-empty run/with/env replace the step's (maps wholesale). `patchAt` is where the
 * entry is written (the profile's `jobs.<job>.stepOverrides.<step>`), for errors in the fields it replaces.
 */
function applyStepOverride(step: StepSpec, patch: StepOverride | undefined, patchAt?: Origin): StepSpec {
  if (!patch) return step;
  const fields: Omit<StepSpec, "origin"> = { ...step };
  const replaced = new Set<string>();
  if (patch.run) {
    fields.run = patch.run;
    replaced.add("run");
  }
  if (patch.with && Object.keys(patch.with).length > 0) {
    fields.with = patch.with;
    replaced.add("with");
  }
  if (patch.env && Object.keys(patch.env).length > 0) {
    fields.env = patch.env;
    replaced.add("env");
  }
  if (!step.origin) return fields as StepSpec;
  return withOrigin(fields, patchAt && replaced.size > 0 ? patchedOrigin(step.origin, patchAt, replaced) : step.origin);
}

/** Component `overrides.steps`: same name replaces the step in place, a new name is appended. */
export function applyComponentOverrides(steps: StepSpec[], overrides: readonly StepSpec[]): StepSpec[] {
  const result = [...steps];
  for (const override of overrides) {
    const index = override.name ? result.findIndex((s) => s.name === override.name) : -1;
    if (index >= 0) result[index] = override;
    else result.push(override);
  }
  return result;
}

/** The origin of a field of `origin`'s object, as an object of its own (undefined without an origin). */
function subOrigin(origin: Origin | undefined, base: readonly (string | number)[]): Origin | undefined {
  if (!origin) return undefined;
  const full = (field?: FieldPath): (string | number)[] => [...base, ...splitField(field)];
  return {
    file: origin.file,
    line: origin.lineOf(base),
    column: origin.column,
    path: [...origin.path, ...base],
    lineOf: (field) => origin.lineOf(full(field)),
    at: (field) => origin.at(full(field)),
  };
}

function selectJobs(instance: Instance, composition: Composition, profile: BoundProfile): { template: JobTemplate; steps: StepSpec[] }[] {
  if (!profile.profile) {
    const template = composition.jobs.find((j) => j.name === composition.defaultJob) ?? composition.jobs[0];
    if (!template) throw new OrunError(`failed to plan jobs: no default job defined for composition: ${composition.type}`, { location: composition.origin?.at("spec.defaultJob") });
    return [{ template, steps: [...template.steps] }];
  }
  const settings = profile.profile.jobs ?? {};
  for (const jobName of Object.keys(settings).sort()) {
    if (!composition.jobs.some((j) => j.name === jobName)) {
      throw new OrunError(`failed to plan jobs: profile ${profile.ref} references unknown job "${jobName}" in composition ${composition.type}`, {
        location: profile.profile.origin?.at(["jobs", jobName]),
      });
    }
  }
  return composition.jobs
    .filter((template) => settings[template.name] !== undefined)
    .map((template) => {
      const job = settings[template.name]!;
      const capabilities = job.includeCapabilities ?? [];
      const enabled = job.stepsEnabled ?? [];
      const kept =
        capabilities.length > 0
          ? template.steps.filter((s) => !s.capability || capabilities.includes(s.capability))
          : template.steps.filter((s) => enabled.includes(stepKey(s)));
      const patchAt = (key: string): Origin | undefined => subOrigin(profile.profile?.origin, ["jobs", template.name, "stepOverrides", key]);
      return { template, steps: kept.map((s) => applyStepOverride(s, job.stepOverrides?.[stepKey(s)], patchAt(stepKey(s)))) };
    });
}

function policyString(value: unknown): string {
  return typeof value === "string" ? value : typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

function mergePolicies(...layers: (FreeMap | undefined)[]): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const layer of layers) for (const [k, v] of Object.entries(layer ?? {})) if (v !== undefined && v !== null) merged[k] = policyString(v);
  return merged;
}

/**
 * group → environment → profile, later wins, except that a profile may only add
 * or tighten `requireApproval`: an environment (or group) that demands approval
 * keeps demanding it whatever the composition's profile says (spec 11 §1.5:
 * policies cannot be overridden from below the environment).
 */
export function jobPolicies(group: FreeMap | undefined, environment: FreeMap | undefined, profile: FreeMap | undefined): Record<string, string> {
  const platform = mergePolicies(group, environment);
  const merged = mergePolicies(platform, profile);
  if (requiresApproval({ policies: platform }) && !requiresApproval({ policies: merged })) merged.requireApproval = platform.requireApproval!;
  return merged;
}

export function bindInstance(instance: Instance, registry: CompositionRegistry, options: BindOptions = {}): BoundJob[] {
  const composition = compositionFor(registry, instance.component);
  if (!composition) {
    throw new OrunError(`failed to resolve compositions: component type not found: ${instance.component.type}`, { location: instance.component.origin?.at("type") });
  }
  const profile = resolveProfile(instance, composition, options.matchedTriggers ?? []);
  const policies = jobPolicies(instance.group?.policies, instance.environment.policies, profile.profile?.policies);
  return selectJobs(instance, composition, profile).map(({ template, steps }) => ({
    id: formatJobId({ component: instance.component.name, environment: instance.environment.name, job: template.name }),
    name: template.name,
    instance,
    composition,
    template,
    steps: applyComponentOverrides(steps, instance.component.overrides?.steps ?? []),
    profile,
    policies,
  }));
}

/** Every job of every instance, in environment then component order. */
export function bindJobs(instances: InstanceMap, registry: CompositionRegistry, options: BindOptions = {}): BoundJob[] {
  const jobs: BoundJob[] = [];
  for (const list of instances.values()) for (const instance of list) jobs.push(...bindInstance(instance, registry, options));
  return jobs;
}
