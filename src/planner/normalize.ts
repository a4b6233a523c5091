// Stage 2: normalize. Applies the defaults every later stage relies on and
// rejects what cannot be planned: duplicate or nameless components and bad
// promotion dependencies. (Reserved ORUN_ env keys, change.watches values and
// promotion cycles were refused by the loader, with the line; merging presets
// cannot create a cycle, see checkPromotionCycles in load/intent.ts.)
// `enabled: false` removes a component here (decision 5; v2.3 ignored it).
import type {
  Component,
  Environment,
  Group,
  Intent,
  Origin,
  PromotionDependency,
  PromotionSatisfy,
  PromotionStrategy,
  StringMap,
} from "../model/intent.js";
import { OrunError, type SourceLocation } from "../util/errors.js";

export interface NormalizedPromotion {
  environment: string;
  strategy: PromotionStrategy;
  condition: string;
  satisfy: PromotionSatisfy;
  revision: string;
  origin?: Origin;
}

export interface NormalizedEnvironment {
  name: string;
  selectors: { components: string[]; domains: string[] };
  parameterDefaults: Environment["parameterDefaults"];
  policies: Environment["policies"];
  env: StringMap;
  promotion: NormalizedPromotion[];
  origin?: Origin;
}

export interface NormalizedIntent {
  intent: Intent;
  /** Intent root env. */
  env: StringMap;
  /** Sorted by name. */
  environments: NormalizedEnvironment[];
  environmentsByName: Map<string, NormalizedEnvironment>;
  groups: Record<string, Group>;
  /** Enabled components, sorted by name. */
  components: Component[];
  componentsByName: Map<string, Component>;
  /** Names of components removed by `enabled: false` (for clearer dependency errors). */
  disabled: Set<string>;
}

function fail(message: string, location?: SourceLocation): OrunError {
  return new OrunError(`failed to normalize intent: ${message}`, { location });
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function normalizeComponents(components: Component[]): { enabled: Component[]; disabled: Set<string> } {
  const seen = new Map<string, Component>();
  const disabled = new Set<string>();
  for (const component of components) {
    if (!component.name) throw fail("component must have a name", component.origin?.at("name"));
    const previous = seen.get(component.name);
    if (previous) {
      const first = previous.origin ? ` (first defined at ${previous.origin.file}:${previous.origin.line})` : "";
      throw fail(`duplicate component name: ${component.name}${first}`, component.origin?.at("name"));
    }
    seen.set(component.name, component);
    if (!component.type) throw fail(`component ${component.name} must have a type`, component.origin?.at("type"));
    if (component.enabled === false) disabled.add(component.name);
  }
  const enabled = [...seen.values()].filter((c) => !disabled.has(c.name)).sort((a, b) => compareNames(a.name, b.name));
  return { enabled, disabled };
}

function normalizePromotion(envName: string, dep: PromotionDependency, known: Set<string>): NormalizedPromotion {
  const where = dep.origin?.at("environment");
  if (!dep.environment) throw fail(`environment ${envName}: promotion dependency requires environment field`, where);
  if (dep.environment === envName) throw fail(`environment ${envName}: promotion dependency cannot reference itself`, where);
  if (!known.has(dep.environment)) throw fail(`environment ${envName}: promotion dependency references non-existent environment "${dep.environment}"`, where);
  return {
    environment: dep.environment,
    strategy: dep.strategy ?? "same-component",
    condition: dep.condition ?? "success",
    satisfy: dep.satisfy ?? "same-plan-or-previous-success",
    revision: dep.match?.revision ?? "source",
    origin: dep.origin,
  };
}

export function normalizeIntent(intent: Intent, components: Component[]): NormalizedIntent {
  const rootEnv = intent.env ?? {};
  const { enabled, disabled } = normalizeComponents(components);

  const names = Object.keys(intent.environments ?? {}).sort(compareNames);
  const known = new Set(names);
  const environments = names.map((name): NormalizedEnvironment => {
    const env = intent.environments[name]!;
    return {
      name,
      selectors: { components: env.selectors?.components ?? [], domains: env.selectors?.domains ?? [] },
      parameterDefaults: env.parameterDefaults ?? {},
      policies: env.policies ?? {},
      env: env.env ?? {},
      promotion: (env.promotion?.dependsOn ?? []).map((dep) => normalizePromotion(name, dep, known)),
      origin: env.origin,
    };
  });
  const environmentsByName = new Map(environments.map((e) => [e.name, e]));

  return {
    intent,
    env: rootEnv,
    environments,
    environmentsByName,
    groups: intent.groups ?? {},
    components: enabled,
    componentsByName: new Map(enabled.map((c) => [c.name, c])),
    disabled,
  };
}
