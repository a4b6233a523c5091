// Plan scoping between expand and bind: the environment filter (`--env`, or
// the environments a trigger activated), then the component filter
// (`--component` / `orun plan <component>`, which pulls in the components'
// transitive dependencies: decision 5). Further filters (changed-files
// detection) slot in after these through CompileOptions.selectComponents.
import { OrunError } from "../util/errors.js";
import { matchesPattern, type InstanceMap } from "./expand.js";
import type { NormalizedIntent } from "./normalize.js";
import { suggestName } from "./validate/did-you-mean.js";

/** `no component matched "x"`, with v2.3's did-you-mean and the available names (also used by `orun get components NAME`). */
export function noMatch(kind: "environment" | "component", input: string, available: readonly string[], field: string): OrunError {
  const suggestion = suggestName(input, available) ?? onlyExtension(input, available);
  let message = `no ${kind} matched "${input}"`;
  if (suggestion) message += `\n\ndid you mean:\n  ${suggestion}`;
  message += `\n\navailable ${kind}s:\n${[...available].sort().map((a) => `  ${a}\n`).join("")}`;
  return new OrunError(message, { location: { field } });
}

/**
 * The one name that starts with `input` (case-insensitive, 2+ characters): `stag` for `staging` is a name cut
 * short, too many edits away for v2.3's rule (spec 10 §2.6), which still decides whenever it finds one.
 */
function onlyExtension(input: string, available: readonly string[]): string | undefined {
  const wanted = input.toLowerCase();
  if (wanted.length < 2 || wanted.includes("*")) return undefined;
  const longer = available.filter((name) => name.toLowerCase().startsWith(wanted));
  return longer.length === 1 ? longer[0] : undefined;
}

/** Splits `-e dev,prod` style lists (trimmed, empties dropped). */
export function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
}

/**
 * Keeps the environments named by `patterns` (exact or `prefix*`), or exactly the
 * trigger-activated ones when `activeEnvironments` is given. Each pattern must match.
 */
export function filterEnvironments(instances: InstanceMap, patterns: readonly string[], activeEnvironments?: readonly string[]): InstanceMap {
  if (activeEnvironments) {
    const active = new Set(activeEnvironments);
    const kept: InstanceMap = new Map([...instances].filter(([env]) => active.has(env)));
    if ([...kept.values()].every((list) => list.length === 0)) {
      throw new OrunError(`trigger-activated environments [${[...active].sort().join(" ")}] produced no component instances`);
    }
    return kept;
  }
  if (patterns.length === 0) return instances;
  const names = [...instances.keys()];
  const keep = new Set<string>();
  for (const pattern of patterns) {
    const matched = names.filter((n) => matchesPattern(pattern, n));
    if (matched.length === 0) throw noMatch("environment", pattern, names, "--env");
    matched.forEach((m) => keep.add(m));
  }
  const kept: InstanceMap = new Map([...instances].filter(([env]) => keep.has(env)));
  if ([...kept.values()].every((list) => list.length === 0) && [...instances.values()].some((list) => list.length > 0)) {
    // An empty plan would replace the latest one and run nothing: say why instead.
    const withComponents = names.filter((n) => instances.get(n)!.length > 0);
    throw new OrunError(
      `no component matched in environment${keep.size === 1 ? "" : "s"} ${[...keep].sort().join(", ")} (--env "${patterns.join(",")}")\n\nenvironments with components:\n${withComponents.map((n) => `  ${n}\n`).join("")}`,
      { location: { field: "--env" } },
    );
  }
  return kept;
}

/** Component names plus everything they depend on, transitively (by name, across environments). */
export function withDependencies(names: Iterable<string>, normalized: NormalizedIntent): Set<string> {
  const result = new Set<string>();
  const queue = [...names];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (result.has(name)) continue;
    result.add(name);
    for (const dep of normalized.componentsByName.get(name)?.dependsOn ?? []) queue.push(dep.component);
  }
  return result;
}

/** Keeps instances of the components `keep` names; environments left empty are dropped. */
export function keepComponents(instances: InstanceMap, keep: ReadonlySet<string>, dropEmpty: boolean): InstanceMap {
  const result: InstanceMap = new Map();
  for (const [env, list] of instances) {
    const kept = list.filter((i) => keep.has(i.component.name));
    if (kept.length > 0 || !dropEmpty) result.set(env, kept);
  }
  return result;
}

/** `--component` patterns (exact or `prefix*`), each of which must match a component, plus their dependencies. */
export function filterComponents(instances: InstanceMap, patterns: readonly string[], normalized: NormalizedIntent, field = "--component"): InstanceMap {
  if (patterns.length === 0) return instances;
  const names = normalized.components.map((c) => c.name);
  const selected = new Set<string>();
  for (const pattern of patterns) {
    const matched = names.filter((n) => matchesPattern(pattern, n));
    if (matched.length === 0) throw noMatch("component", pattern, names, field);
    matched.forEach((m) => selected.add(m));
  }
  const kept = keepComponents(instances, withDependencies(selected, normalized), true);
  const applying = new Set([...instances.values()].flatMap((list) => list.map((i) => i.component.name)));
  if (kept.size === 0) {
    // The components exist but apply to none of the selected environments (spec 12 §0 step 11).
    throw noMatch("component", patterns.join(", "), applying.size > 0 ? [...applying] : names, field);
  }
  // A component asked for by name that is in none of the planned environments would leave a plan of its
  // dependencies alone (`orun plan -e dev web`, web only in prod: a plan of web's database in dev).
  for (const pattern of patterns) {
    const matched = names.filter((n) => matchesPattern(pattern, n));
    if (!matched.some((n) => applying.has(n))) {
      const environments = [...instances.keys()].sort().join(", ");
      throw new OrunError(`component${matched.length === 1 ? "" : "s"} ${matched.join(", ")} (${field} "${pattern}") ${matched.length === 1 ? "applies" : "apply"} to none of the planned environments (${environments})`, {
        location: { field },
        hint: "drop -e/--env, or name an environment the component is planned in (orun get components lists them)",
      });
    }
  }
  return kept;
}
