// Intent presets (`extends:`): a composition source's Stack publishes
// IntentPreset files (`spec.intentPresets[{name, path}]`) with environments,
// groups, trigger bindings and root env a platform team wants every repo to
// share. They are merged into the intent before normalize, in declaration
// order, the repository's own values winning ("add if absent"; an earlier
// preset wins over a later one) — except policies, where the preset's value
// wins on a conflicting key so a platform guardrail can't be dropped by a repo.

import path from "node:path";
import { isMap, type Document, type Node } from "yaml";
import type { ResolvedCompositionSource } from "../model/composition.js";
import { withOrigin, type Environment, type FreeMap, type Group, type Intent, type PresetRef } from "../model/intent.js";
import { OrunError } from "../util/errors.js";
import { isInside } from "../util/paths.js";
import { decodeIntent } from "./load/intent.js";
import { errorAt, errorAtOrigin, lineAt, readSingleDocument, type YamlDoc } from "./load/yaml.js";
import { didYouMean } from "./validate/did-you-mean.js";
import { triggerRefProblems } from "./triggers/validate.js";

export const PRESET_KIND = "IntentPreset";
const TOP_LEVEL_KEYS = ["apiVersion", "kind", "metadata", "spec"];
/** What a preset may carry (compositions and components stay in the repo). */
export const PRESET_SPEC_KEYS = ["env", "discovery", "automation", "environments", "groups"] as const;

/** A decoded preset: the subset of an intent it contributes. */
export interface IntentPreset {
  source: string;
  name: string;
  file: string;
  spec: Pick<Intent, "env" | "discovery" | "automation" | "environments" | "groups">;
}

/** Loads every preset the intent extends and merges them in; returns the intent unchanged when it extends nothing. */
export async function applyIntentPresets(intent: Intent, sources: readonly ResolvedCompositionSource[], rootDir: string): Promise<Intent> {
  if (intent.extends.length === 0) return intent;
  const presets: IntentPreset[] = [];
  for (const ref of intent.extends) presets.push(await loadIntentPreset(ref, sources, rootDir));
  const merged = mergeIntentPresets(intent, presets);
  const problems = triggerRefProblems(merged);
  if (problems.length > 0) throw new OrunError(`failed to merge intent presets:\n  ${problems.join("\n  ")}`);
  return merged;
}

export async function loadIntentPreset(ref: PresetRef, sources: readonly ResolvedCompositionSource[], rootDir: string): Promise<IntentPreset> {
  const source = sources.find((s) => s.record.name === ref.source);
  if (!source) {
    const declared = sources.map((s) => s.record.name).sort();
    throw errorAtOrigin(ref.origin, "source", `extends references unknown composition source "${ref.source}"; declared sources: [${declared.join(" ")}]`);
  }
  const published = source.intentPresets.find((p) => p.name === ref.preset);
  if (!published) {
    const available = source.intentPresets.map((p) => p.name).sort();
    throw errorAtOrigin(ref.origin, "preset", `source "${ref.source}" does not publish preset "${ref.preset}"; available: [${available.join(" ")}]${didYouMean(ref.preset, available)}`);
  }
  const absolute = path.resolve(source.rootDir, published.path);
  const inside = path.relative(source.rootDir, absolute);
  if (inside === "" || !isInside(source.rootDir, absolute)) {
    throw errorAtOrigin(ref.origin, "preset", `preset "${ref.preset}" of source "${ref.source}" has path "${published.path}" outside the source`);
  }
  const shown = isInside(rootDir, absolute) ? toSlash(path.relative(rootDir, absolute)) : `${ref.source}:${toSlash(inside)}`;
  const yd = await readSingleDocument(absolute, shown);
  return { source: ref.source, name: ref.preset, file: shown, spec: decodePreset(yd) };
}

/** Checks the envelope and decodes `spec` with the intent decoder (so origins and schema rules are the intent's). */
export function decodePreset(yd: YamlDoc): IntentPreset["spec"] {
  const root = yd.value;
  if (typeof root !== "object" || root === null || Array.isArray(root)) throw new OrunError("expected a YAML mapping", { location: { file: yd.file, line: 1 } });
  const doc = root as Record<string, unknown>;
  if (doc.kind !== PRESET_KIND) {
    throw errorAt(yd, ["kind"], `preset file ${yd.file} has kind "${String(doc.kind ?? "")}", expected ${PRESET_KIND}`);
  }
  checkKeys(yd, [], doc, TOP_LEVEL_KEYS);
  const spec = doc.spec ?? {};
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw errorAt(yd, ["spec"], "must be a mapping");
  checkKeys(yd, ["spec"], spec as Record<string, unknown>, PRESET_SPEC_KEYS, "presets carry only env, discovery, automation, environments and groups");

  // Decode `spec` as if it were an intent: same schema, same origins (lines point into the preset file).
  const specNode = yd.doc.get("spec", true) as Node | undefined;
  const subDoc = Object.assign(Object.create(Object.getPrototypeOf(yd.doc) as object) as Document.Parsed, yd.doc, { contents: isMap(specNode) ? specNode : null });
  // activation.triggerRefs may name bindings of the repo or another preset: checked after the merge instead.
  const withoutRefs = structuredClone(spec) as Record<string, unknown>;
  const envs = (withoutRefs.environments ?? {}) as Record<string, { activation?: unknown }>;
  const refs = new Map<string, string[]>();
  for (const [name, env] of Object.entries(envs)) {
    const activation = env?.activation as { triggerRefs?: unknown } | undefined;
    if (activation && Array.isArray(activation.triggerRefs)) {
      refs.set(name, activation.triggerRefs.map(String));
      activation.triggerRefs = [];
    }
  }
  const decoded = decodeIntent({ ...yd, doc: subDoc, value: withoutRefs });
  for (const [name, list] of refs) decoded.environments[name]!.activation.triggerRefs = list;
  return { env: decoded.env, discovery: decoded.discovery, automation: decoded.automation, environments: decoded.environments, groups: decoded.groups };
}

/** Pure merge of presets (declaration order) into the intent; `extends` is cleared on the result. */
export function mergeIntentPresets(intent: Intent, presets: readonly IntentPreset[]): Intent {
  const env = { ...intent.env };
  const roots = [...intent.discovery.roots];
  const bindings = { ...intent.automation.triggerBindings };
  const groups = { ...intent.groups };
  const environments = { ...intent.environments };
  for (const preset of presets) {
    const spec = preset.spec;
    addMissing(env, spec.env);
    for (const root of spec.discovery.roots) if (!roots.includes(root)) roots.push(root);
    for (const name of Object.keys(spec.automation.triggerBindings).sort()) bindings[name] ??= spec.automation.triggerBindings[name]!;
    for (const name of Object.keys(spec.groups).sort()) {
      const theirs = spec.groups[name]!;
      const ours = groups[name];
      groups[name] = ours ? mergeGroup(ours, theirs) : theirs;
    }
    for (const name of Object.keys(spec.environments).sort()) {
      const theirs = spec.environments[name]!;
      const ours = environments[name];
      environments[name] = ours ? mergeEnvironment(ours, theirs) : theirs;
    }
  }
  const merged: Intent = {
    ...intent,
    extends: [],
    env,
    discovery: { roots },
    automation: { triggerBindings: sorted(bindings) },
    groups: sorted(groups),
    environments: sorted(environments),
  };
  return withOrigin(merged, intent.origin);
}

function mergeGroup(ours: Group, theirs: Group): Group {
  const merged: Group = {
    ...ours,
    policies: { ...ours.policies, ...theirs.policies },
    parameterDefaults: mergeDefaults(ours.parameterDefaults, theirs.parameterDefaults),
  };
  if (!ours.path && theirs.path) merged.path = theirs.path;
  return withOrigin(merged, ours.origin);
}

function mergeEnvironment(ours: Environment, theirs: Environment): Environment {
  const merged: Environment = {
    ...ours,
    selectors: {
      components: ours.selectors.components.length > 0 ? ours.selectors.components : [...theirs.selectors.components],
      domains: ours.selectors.domains.length > 0 ? ours.selectors.domains : [...theirs.selectors.domains],
    },
    parameterDefaults: mergeDefaults(ours.parameterDefaults, theirs.parameterDefaults),
    policies: { ...ours.policies, ...theirs.policies },
    env: addMissing({ ...ours.env }, theirs.env),
    activation: { triggerRefs: [...ours.activation.triggerRefs, ...theirs.activation.triggerRefs.filter((r) => !ours.activation.triggerRefs.includes(r))] },
    // Promotion stays the repository's: merging edges could create cycles it never declared.
    promotion: ours.promotion,
  };
  if (!ours.path && theirs.path) merged.path = theirs.path;
  return withOrigin(merged, ours.origin);
}

function mergeDefaults(ours: Record<string, FreeMap>, theirs: Record<string, FreeMap>): Record<string, FreeMap> {
  const out: Record<string, FreeMap> = {};
  for (const type of [...new Set([...Object.keys(ours), ...Object.keys(theirs)])].sort()) {
    out[type] = addMissing({ ...(ours[type] ?? {}) }, theirs[type] ?? {});
  }
  return out;
}

function addMissing<T extends Record<string, unknown>>(target: T, source: T): T {
  for (const key of Object.keys(source).sort()) if (!(key in target)) (target as Record<string, unknown>)[key] = source[key];
  return target;
}

function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(record).sort().map((key) => [key, record[key]!]));
}

function checkKeys(yd: YamlDoc, base: string[], value: Record<string, unknown>, allowed: readonly string[], why?: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new OrunError(`${[...base, key].join(".")}: unknown key "${key}"${didYouMean(key, allowed)}${why ? ` (${why})` : ""}`, {
        location: { file: yd.file, line: lineAt(yd, [...base, key]) },
      });
    }
  }
}

function toSlash(p: string): string {
  return p.split(path.sep).join("/");
}
