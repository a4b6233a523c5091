// intent.yaml → Intent: schema validation, then decoding into the model with
// origins. Cross-field rules that a schema cannot express (reserved ORUN_ env
// keys, references between sections) are checked here too, with locations.

import {
  withOrigin,
  type CompositionSourceSpec,
  type CompositionsConfig,
  type Environment,
  type Group,
  type Intent,
  type PresetRef,
  type PromotionDependency,
  type StringMap,
  type TriggerBinding,
} from "../../model/intent.js";
import { findCycle } from "../../model/dag.js";
import { validateDocument } from "../validate/documents.js";
import { didYouMean } from "../validate/did-you-mean.js";
import { decodeComponentBody } from "./components.js";
import { checkReservedEnv, freeMap, list, obj, optString, parameterDefaults, stringMap, strings, type Obj } from "./decode.js";
import { errorAt, originAt, type PathSegment, type YamlDoc } from "./yaml.js";

export function decodeIntent(yd: YamlDoc): Intent {
  validateDocument(yd, "intent");
  const v = obj(yd.value);
  const meta = obj(v.metadata);
  const metadata: Intent["metadata"] = {};
  for (const k of ["name", "description", "namespace"] as const) if (typeof meta[k] === "string") metadata[k] = meta[k];

  const env = stringMap(yd, ["env"], v.env);
  checkReservedEnv(yd, ["env"], env, "intent root env");

  const intent: Obj = {};
  if (typeof v.apiVersion === "string") intent.apiVersion = v.apiVersion;
  if (typeof v.kind === "string") intent.kind = v.kind;
  intent.metadata = metadata;
  intent.extends = list(v.extends).map((e, i): PresetRef => {
    const o = obj(e);
    return withOrigin({ source: String(o.source), preset: String(o.preset) } as PresetRef, originAt(yd, ["extends", i]));
  });
  intent.env = env;
  intent.discovery = { roots: strings(obj(v.discovery).roots) };
  intent.compositions = compositions(yd, v.compositions);
  intent.automation = { triggerBindings: triggerBindings(yd, obj(v.automation).triggerBindings) };
  intent.groups = mapOf(v.groups, (name, g) => group(yd, name, g));
  intent.environments = mapOf(v.environments, (name, e) => environment(yd, name, e));
  intent.components = list(v.components).map((c, i) =>
    decodeComponentBody(yd, ["components", i], c, { name: String(obj(c).name), source: "inline" }),
  );
  const state = obj(obj(v.execution).state);
  const execution: Intent["execution"] = { state: {} };
  if (state.mode === "local" || state.mode === "remote") execution.state.mode = state.mode;
  if (typeof state.backendUrl === "string") execution.state.backendUrl = state.backendUrl;
  intent.execution = execution;
  const result = withOrigin(intent as unknown as Intent, originAt(yd, []));
  checkReferences(yd, result);
  return result;
}

/** Sorted-key map decoding, so iteration order never depends on YAML key order. */
function mapOf<T>(value: unknown, decode: (name: string, v: unknown) => T): Record<string, T> {
  const out: Record<string, T> = {};
  const o = obj(value);
  for (const name of Object.keys(o).sort()) out[name] = decode(name, o[name]);
  return out;
}

function compositions(yd: YamlDoc, value: unknown): CompositionsConfig {
  const v = obj(value);
  const sources = list(v.sources).map((s, i): CompositionSourceSpec => {
    const o = obj(s);
    const src: Obj = { name: String(o.name), kind: String(o.kind) };
    for (const k of ["path", "ref", "digest", "pullPolicy"] as const) if (typeof o[k] === "string") src[k] = o[k];
    src.metadata = stringMap(yd, ["compositions", "sources", i, "metadata"], o.metadata);
    if (o.verify !== undefined) src.verify = { ...obj(o.verify) };
    return withOrigin(src as unknown as CompositionSourceSpec, originAt(yd, ["compositions", "sources", i]));
  });
  const resolution = obj(v.resolution);
  const bindings: StringMap = {};
  for (const [k, b] of Object.entries(obj(resolution.bindings))) bindings[k] = String(b);
  return withOrigin(
    { sources, resolution: { precedence: strings(resolution.precedence), bindings } } as unknown as CompositionsConfig,
    originAt(yd, ["compositions"]),
  );
}

function triggerBindings(yd: YamlDoc, value: unknown): Record<string, TriggerBinding> {
  return mapOf(value, (name, b) => {
    const o = obj(b);
    const on = obj(o.on);
    const plan = obj(o.plan);
    const binding: Obj = { name };
    if (typeof o.description === "string") binding.description = o.description;
    binding.on = {
      provider: String(on.provider),
      event: String(on.event),
      actions: strings(on.actions),
      branches: strings(on.branches),
      baseBranches: strings(on.baseBranches),
      tags: strings(on.tags),
    };
    const p: Obj = {};
    for (const k of ["scope", "base", "head"] as const) if (typeof plan[k] === "string") p[k] = plan[k];
    binding.plan = p;
    return withOrigin(binding as unknown as TriggerBinding, originAt(yd, ["automation", "triggerBindings", name]));
  });
}

function group(yd: YamlDoc, name: string, value: unknown): Group {
  const o = obj(value);
  const g: Obj = { name };
  const p = optString(o.path);
  if (p !== undefined) g.path = p;
  g.policies = freeMap(o.policies);
  g.parameterDefaults = parameterDefaults(o.parameterDefaults);
  return withOrigin(g as unknown as Group, originAt(yd, ["groups", name]));
}

function environment(yd: YamlDoc, name: string, value: unknown): Environment {
  const o = obj(value);
  const base: PathSegment[] = ["environments", name];
  const e: Obj = { name };
  const p = optString(o.path);
  if (p !== undefined) e.path = p;
  const selectors = obj(o.selectors);
  e.selectors = { components: strings(selectors.components), domains: strings(selectors.domains) };
  e.parameterDefaults = parameterDefaults(o.parameterDefaults);
  e.policies = freeMap(o.policies);
  e.env = stringMap(yd, [...base, "env"], o.env);
  checkReservedEnv(yd, [...base, "env"], e.env as StringMap, `environment ${name} env`);
  e.activation = { triggerRefs: strings(obj(o.activation).triggerRefs) };
  const deps = list(obj(o.promotion).dependsOn).map((d, i): PromotionDependency => {
    const od = obj(d);
    const dep: Obj = { environment: String(od.environment) };
    for (const k of ["strategy", "condition", "satisfy"] as const) if (typeof od[k] === "string") dep[k] = od[k];
    if (od.match !== undefined) {
      const m = obj(od.match);
      dep.match = typeof m.revision === "string" ? { revision: m.revision } : {};
    }
    return withOrigin(dep as unknown as PromotionDependency, originAt(yd, [...base, "promotion", "dependsOn", i]));
  });
  e.promotion = { dependsOn: deps };
  return withOrigin(e as unknown as Environment, originAt(yd, base));
}

/**
 * References between intent sections, checked where the intent names them:
 * promotion targets, trigger refs and composition source settings.
 */
function checkReferences(yd: YamlDoc, intent: Intent): void {
  const envNames = Object.keys(intent.environments);
  for (const env of Object.values(intent.environments)) {
    const base: PathSegment[] = ["environments", env.name];
    const seenRefs = new Set<string>();
    env.activation.triggerRefs.forEach((ref, i) => {
      const p = [...base, "activation", "triggerRefs", i];
      // Presets (`extends`) may provide bindings; those refs are re-checked after the merge (src/planner/presets.ts).
      if (intent.extends.length === 0 && !(ref in intent.automation.triggerBindings)) {
        throw errorAt(yd, p, `unknown trigger binding "${ref}"${didYouMean(ref, Object.keys(intent.automation.triggerBindings))}`);
      }
      if (seenRefs.has(ref)) throw errorAt(yd, p, `duplicate triggerRef "${ref}"`);
      seenRefs.add(ref);
    });
    env.promotion.dependsOn.forEach((dep, i) => {
      const p = [...base, "promotion", "dependsOn", i, "environment"];
      if (dep.environment === env.name) throw errorAt(yd, p, `environment ${env.name}: promotion dependency cannot reference itself`);
      if (!envNames.includes(dep.environment)) {
        throw errorAt(
          yd,
          p,
          `environment ${env.name}: promotion dependency references non-existent environment "${dep.environment}"${didYouMean(dep.environment, envNames)}`,
        );
      }
    });
  }
  checkPromotionCycles(yd, intent);

  const sources = intent.compositions.sources;
  const names = new Set<string>();
  sources.forEach((s, i) => {
    const p: PathSegment[] = ["compositions", "sources", i];
    if (names.has(s.name)) throw errorAt(yd, [...p, "name"], `duplicate composition source name: ${s.name}`);
    names.add(s.name);
    if ((s.kind === "dir" || s.kind === "archive") && !s.path?.trim()) {
      throw errorAt(yd, p, `composition source ${s.name} kind=${s.kind} requires path`);
    }
    if (s.kind === "oci" && !s.ref?.trim()) throw errorAt(yd, p, `composition source ${s.name} kind=oci requires ref`);
  });
  intent.compositions.resolution.precedence.forEach((name, i) => {
    if (!names.has(name)) {
      throw errorAt(
        yd,
        ["compositions", "resolution", "precedence", i],
        `composition resolution precedence references unknown source ${name}${didYouMean(name, names)}`,
      );
    }
  });
  for (const [type, name] of Object.entries(intent.compositions.resolution.bindings)) {
    if (!names.has(name)) {
      throw errorAt(
        yd,
        ["compositions", "resolution", "bindings", type],
        `composition binding ${type} references unknown source ${name}${didYouMean(name, names)}`,
      );
    }
  }
  intent.extends.forEach((e, i) => {
    if (!names.has(e.source)) {
      throw errorAt(
        yd,
        ["extends", i, "source"],
        `extends references unknown composition source "${e.source}"; declared sources: [${[...names].sort().join(" ")}]`,
      );
    }
  });
}

/**
 * Promotion edges must form a DAG: `promotion dependency cycle detected: a → b → a`,
 * located at the `promotion.dependsOn` of the environment whose dependency closes
 * the loop. Roots are the sorted names, dependencies followed as declared (spec 11
 * §1.9). Every dependency names another environment of this document (checked
 * above), so the search sees the whole graph.
 *
 * This is the only promotion cycle check: every intent and every preset passes
 * through here, and merging presets (src/planner/presets.ts) cannot close a
 * cycle. Repository environments keep their own edges, which name only
 * repository environments, so a cycle through one lies in the repository. An
 * environment only presets provide takes the first such preset's edges, which
 * name environments of that preset, each provided by the repository, that
 * preset or an earlier one. Around a cycle of preset-provided environments the
 * provider can thus only stay or move earlier, so it stays: the cycle lies in
 * one preset, which was refused here.
 */
function checkPromotionCycles(yd: YamlDoc, intent: Intent): void {
  const cycle = findCycle(Object.keys(intent.environments).sort(), (name) =>
    intent.environments[name]?.promotion.dependsOn.map((dep) => dep.environment),
  );
  if (cycle) {
    const closing = cycle[cycle.length - 2]!;
    throw errorAt(yd, ["environments", closing, "promotion", "dependsOn"], `promotion dependency cycle detected: ${cycle.join(" → ")}`);
  }
}
