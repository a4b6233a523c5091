// Stage 3: expand. Decides which components apply to which environments
// (environment × component) and produces one instance per pair.
//
// A component with subscriptions applies where a subscription name matches
// the environment (`*`, `prefix*` or exact); otherwise where the environment's
// `selectors.components` matches its name. A non-empty `selectors.domains`
// additionally requires the component's domain to match.
import type { Component, Group, Subscription } from "../model/intent.js";
import type { NormalizedEnvironment, NormalizedIntent } from "./normalize.js";

export interface Instance {
  component: Component;
  environment: NormalizedEnvironment;
  /** The subscription whose settings apply here (see subscriptionFor). */
  subscription?: Subscription;
  /** `groups[component.domain]`, when the domain names a group. */
  group?: Group;
}

/** environment name → its instances, sorted by component name. Every environment has an entry (maybe empty). */
export type InstanceMap = Map<string, Instance[]>;

/** `*` matches everything, `prefix*` a prefix, anything else itself. */
export function matchesPattern(pattern: string, value: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

function matchesAny(patterns: readonly string[], value: string): boolean {
  return patterns.some((p) => matchesPattern(p, value));
}

export function appliesTo(component: Component, environment: NormalizedEnvironment): boolean {
  const subscriptions = component.subscribe?.environments ?? [];
  const selected =
    subscriptions.length > 0
      ? subscriptions.some((s) => matchesPattern(s.name, environment.name))
      : matchesAny(environment.selectors.components, component.name);
  if (!selected) return false;
  const domains = environment.selectors.domains;
  return domains.length === 0 || matchesAny(domains, component.domain ?? "");
}

/**
 * The subscription whose profile, profileRules, parameters and env apply to an
 * environment: the entry named exactly like it, else the most specific pattern
 * matching it (the longest `prefix*`, `*` last; the first declared on a tie).
 * v2.3 only looked at exact names and silently dropped a pattern's settings.
 */
export function subscriptionFor(component: Component, environment: string): Subscription | undefined {
  let best: Subscription | undefined;
  for (const sub of component.subscribe?.environments ?? []) {
    if (sub.name === environment) return sub;
    if (sub.name.endsWith("*") && matchesPattern(sub.name, environment) && (!best || sub.name.length > best.name.length)) best = sub;
  }
  return best;
}

export function expandInstances(normalized: NormalizedIntent): InstanceMap {
  const map: InstanceMap = new Map();
  for (const environment of normalized.environments) {
    const instances: Instance[] = [];
    for (const component of normalized.components) {
      if (!appliesTo(component, environment)) continue;
      instances.push({
        component,
        environment,
        subscription: subscriptionFor(component, environment.name),
        group: component.domain ? normalized.groups[component.domain] : undefined,
      });
    }
    map.set(environment.name, instances);
  }
  return map;
}
