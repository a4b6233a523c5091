// The decoded intent: intent.yaml plus the component manifests it discovers.
// These are the loader's output types (src/planner/load). Collections are
// always present (empty when absent in YAML); optional scalars are undefined
// when not written, so the normalize stage decides every default. Every
// structural object carries a non-enumerable `origin` naming its file and line
// (not copied by spread, never serialised into a plan).

import type { SourceLocation } from "../util/errors.js";

/** Path of a field below an object: `"promotion.dependsOn.0.satisfy"` or `["promotion", "dependsOn", 0, "satisfy"]`. */
export type FieldPath = string | readonly (string | number)[];

/** Where a loaded object came from. */
export interface Origin {
  /** File as shown to users: relative to the intent directory (forward slashes) when inside it, else absolute. */
  readonly file: string;
  /** 1-based line of the object (its first key, or the scalar). */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** Field path of the object inside its file, e.g. `["environments", "prod"]`. */
  readonly path: readonly (string | number)[];
  /** 1-based line of a field below this object; the closest existing ancestor's line when the field is absent. */
  lineOf(field?: FieldPath): number;
  /** A SourceLocation for OrunError naming file, line and the full field path. */
  at(field?: FieldPath): SourceLocation;
}

/** Free-form map keeping native YAML types (parameters, policies, step `with`). */
export type FreeMap = Record<string, unknown>;
/** `map[string]string` fields (env, labels); YAML scalars are stringified from their source text. */
export type StringMap = Record<string, string>;

export interface IntentMetadata {
  name?: string;
  description?: string;
  namespace?: string;
}

/** `extends[]`: an intent preset published by a composition source (applied by a later issue). */
export interface PresetRef {
  source: string;
  preset: string;
  readonly origin: Origin;
}

export type CompositionSourceKind = "dir" | "archive" | "oci";

/** One entry of `compositions.sources`, as written. */
export interface CompositionSourceSpec {
  name: string;
  kind: CompositionSourceKind;
  /** dir/archive: relative to the intent directory, or absolute. */
  path?: string;
  /** oci only. */
  ref?: string;
  /** Optional pin `sha256:<hex>`; a mismatch is an error. */
  digest?: string;
  pullPolicy?: string;
  metadata: StringMap;
  verify?: { provider?: string; keyRef?: string; required?: boolean };
  readonly origin: Origin;
}

export interface CompositionsConfig {
  sources: CompositionSourceSpec[];
  resolution: {
    /** Source names, highest priority first. */
    precedence: string[];
    /** composition type → source name. */
    bindings: StringMap;
  };
  readonly origin: Origin;
}

export interface TriggerBinding {
  name: string;
  description?: string;
  on: {
    provider: string;
    event: string;
    actions: string[];
    branches: string[];
    baseBranches: string[];
    tags: string[];
  };
  plan: {
    scope?: "full" | "changed";
    base?: string;
    head?: string;
  };
  readonly origin: Origin;
}

/** `groups.<name>`: a component joins a group through `domain: <name>`. */
export interface Group {
  name: string;
  path?: string;
  policies: FreeMap;
  /** composition type or `"*"` → parameter defaults (a `path` key there is a path default). */
  parameterDefaults: Record<string, FreeMap>;
  readonly origin: Origin;
}

export type PromotionStrategy = "same-component" | "environment-barrier";
export type PromotionSatisfy = "same-plan" | "previous-success" | "same-plan-or-previous-success";

export interface PromotionDependency {
  environment: string;
  /** default `same-component` (applied by normalize) */
  strategy?: PromotionStrategy;
  /** default `success` */
  condition?: "success";
  /** default `same-plan-or-previous-success` */
  satisfy?: PromotionSatisfy;
  /** default `{ revision: "source" }` */
  match?: { revision?: "source" };
  readonly origin: Origin;
}

export interface Environment {
  name: string;
  path?: string;
  selectors: {
    /** Patterns: exact, `prefix*` or `*`. */
    components: string[];
    domains: string[];
  };
  parameterDefaults: Record<string, FreeMap>;
  policies: FreeMap;
  env: StringMap;
  activation: { triggerRefs: string[] };
  promotion: { dependsOn: PromotionDependency[] };
  readonly origin: Origin;
}

export interface ProfileRule {
  profile?: string;
  when: { triggerRef?: string };
  readonly origin: Origin;
}

/** `subscribe.environments[]`; the string form becomes `{ name }`. */
export interface Subscription {
  /** Environment name or pattern (`*`, `prefix*`). */
  name: string;
  profile?: string;
  profileRules: ProfileRule[];
  env: StringMap;
  parameters: FreeMap;
  readonly origin: Origin;
}

export interface ComponentDependency {
  component: string;
  /** undefined = the dependent's own environment */
  environment?: string;
  /** default `same-environment` */
  scope?: "same-environment" | "cross-environment";
  /** default `success` */
  condition?: "success" | "always" | "failure";
  readonly origin: Origin;
}

export type StepPhaseName = "pre" | "main" | "post";

/** A step as authored (composition job, JobTemplate or component override). Fields hold raw template text. */
export interface StepSpec {
  id?: string;
  name?: string;
  capability?: string;
  phase?: StepPhaseName;
  order?: number;
  run?: string;
  use?: string;
  with?: FreeMap;
  env?: StringMap;
  shell?: string;
  "working-directory"?: string;
  timeout?: string;
  retry?: number;
  onFailure?: "stop" | "continue";
  readonly origin: Origin;
}

/** Intent sections a component may watch (`change.watches`). */
export const CHANGE_WATCHES = ["automation", "compositions", "discovery", "env", "environments", "execution", "groups"] as const;
export type ChangeWatch = (typeof CHANGE_WATCHES)[number];

/** A component: an inline `components[]` entry or the `spec` of a component.yaml (named by metadata.name). */
export interface Component {
  name: string;
  type: string;
  domain?: string;
  /** `false` removes the component (decision 5; applied by normalize). */
  enabled?: boolean;
  /** Working directory; discovered components default to their manifest's directory (`./` at the intent root). */
  path?: string;
  subscribe: { environments: Subscription[] };
  /** Pins the composition source (kept for discovered components too: v2.3 dropped it, a bug). */
  compositionRef?: { source: string; name?: string };
  parameters: FreeMap;
  overrides: { steps: StepSpec[] };
  labels: StringMap;
  dependsOn: ComponentDependency[];
  /** Component root env (kept for discovered components too: v2.3 dropped it, a bug). */
  env: StringMap;
  change: { watches: ChangeWatch[] };
  /** `inline` (intent.yaml components[]) or `discovered` (a component.yaml). */
  source: "inline" | "discovered";
  /** Manifest path relative to the intent directory, forward slashes (discovered only). */
  sourcePath?: string;
  readonly origin: Origin;
}

export interface ExecutionSettings {
  state: {
    mode?: "local" | "remote";
    backendUrl?: string;
  };
}

/** intent.yaml as written (presets not yet applied, components[] = inline ones only). */
export interface Intent {
  apiVersion?: string;
  kind?: string;
  metadata: IntentMetadata;
  extends: PresetRef[];
  env: StringMap;
  discovery: { roots: string[] };
  compositions: CompositionsConfig;
  automation: { triggerBindings: Record<string, TriggerBinding> };
  groups: Record<string, Group>;
  environments: Record<string, Environment>;
  /** Inline components in declaration order. */
  components: Component[];
  execution: ExecutionSettings;
  readonly origin: Origin;
}

/** Attach a non-enumerable `origin` to a freshly built object (kept out of spreads and JSON). */
export function withOrigin<T extends object>(value: T, origin: Origin): T & { readonly origin: Origin } {
  Object.defineProperty(value, "origin", { value: origin, enumerable: false, writable: false, configurable: true });
  return value as T & { readonly origin: Origin };
}
