// Which composition each type and each component compiles with: a type's
// composition comes from a resolution binding, its only exporter, or the
// precedence order, else the legacy --config-dir registry; a component may
// pin a declared source with `compositionRef`.

import type { Composition, CompositionRegistry, ResolvedCompositionSource } from "../../../model/composition.js";
import type { Component, CompositionsConfig } from "../../../model/intent.js";
import { didYouMean } from "../../validate/did-you-mean.js";
import { errorAtOrigin } from "../yaml.js";

function selectTypes(config: CompositionsConfig, sources: readonly ResolvedCompositionSource[]): Record<string, Composition> {
  const bySource = new Map(sources.map((s) => [s.record.name, s]));
  const candidates = new Map<string, ResolvedCompositionSource[]>();
  for (const s of sources) {
    for (const name of Object.keys(s.exports)) {
      const list = candidates.get(name) ?? [];
      list.push(s);
      candidates.set(name, list);
    }
  }
  // Precedence list first (deduplicated), then the remaining sources in declaration order.
  const order = [...new Set([...config.resolution.precedence, ...sources.map((s) => s.record.name)])];
  const out: Record<string, Composition> = {};
  for (const type of [...candidates.keys()].sort()) {
    const list = candidates.get(type)!;
    const bound = config.resolution.bindings[type];
    if (bound !== undefined) {
      const comp = bySource.get(bound)?.exports[type];
      if (!comp) {
        throw errorAtOrigin(config.origin, ["resolution", "bindings", type], `composition binding ${type}=${bound} does not match an exported composition`);
      }
      out[type] = comp;
    } else if (list.length === 1) {
      out[type] = list[0]!.exports[type]!;
    } else if (config.resolution.precedence.length === 0) {
      const names = list.map((s) => s.record.name).sort();
      throw errorAtOrigin(
        config.origin,
        "sources",
        `composition type ${type} is exported by multiple sources (${names.join(", ")}); declare resolution.precedence or a binding`,
      );
    } else {
      const winner = order.find((n) => list.some((s) => s.record.name === n))!;
      out[type] = bySource.get(winner)!.exports[type]!;
    }
  }
  // A binding for a type no source exports is a mistake too.
  for (const [type, source] of Object.entries(config.resolution.bindings)) {
    if (!(type in out)) throw errorAtOrigin(config.origin, ["resolution", "bindings", type], `composition binding ${type}=${source} does not match an exported composition`);
  }
  return out;
}

/** Declared selections first; the legacy --config-dir registry only fills in types no declared source exports. */
function withLegacyFallback(selected: Record<string, Composition>, legacy: ResolvedCompositionSource | undefined): Record<string, Composition> {
  if (!legacy) return selected;
  const merged: Record<string, Composition> = { ...legacy.exports, ...selected };
  const out: Record<string, Composition> = {};
  for (const type of Object.keys(merged).sort()) out[type] = merged[type]!;
  return out;
}

/**
 * Builds the registry and binds every enabled component to its composition.
 * `legacy` is the --config-dir registry: a fallback, outside precedence and bindings.
 */
export function buildRegistry(
  config: CompositionsConfig,
  sources: readonly ResolvedCompositionSource[],
  components: readonly Component[],
  legacy?: ResolvedCompositionSource,
): CompositionRegistry {
  const all = legacy ? [...sources, legacy] : [...sources];
  const byKey: Record<string, Composition> = {};
  for (const s of all) for (const comp of Object.values(s.exports)) byKey[comp.key] = comp;
  const byType = withLegacyFallback(selectTypes(config, sources), legacy);
  const declared = new Map(sources.map((s) => [s.record.name, s]));
  const componentBindings: Record<string, string> = {};
  for (const c of components) {
    // Disabled components are dropped by normalize; they need no composition.
    if (c.enabled === false) continue;
    if (c.compositionRef) {
      const src = declared.get(c.compositionRef.source);
      if (!src) {
        throw errorAtOrigin(
          c.origin,
          "compositionRef.source",
          `component ${c.name} compositionRef.source ${c.compositionRef.source} is not declared${didYouMean(c.compositionRef.source, declared.keys())}`,
        );
      }
      const exportName = c.compositionRef.name ?? c.type;
      const comp = src.exports[exportName];
      if (!comp) {
        throw errorAtOrigin(
          c.origin,
          c.compositionRef.name ? "compositionRef.name" : "type",
          `component ${c.name} requested composition ${exportName} from source ${src.record.name}, but that export was not found${didYouMean(exportName, Object.keys(src.exports))}`,
        );
      }
      componentBindings[c.name] = comp.key;
      continue;
    }
    const comp = byType[c.type];
    if (!comp) {
      const known = Object.keys(byType);
      throw errorAtOrigin(c.origin, "type", `component type not found: ${c.type}${didYouMean(c.type, known)}; available types: ${known.join(", ")}`);
    }
    componentBindings[c.name] = comp.key;
  }
  return { sources: all, byKey, byType, componentBindings };
}

/** The registry of a legacy --config-dir alone (`orun compositions` without an intent). */
export function legacyOnlyRegistry(legacy: ResolvedCompositionSource): CompositionRegistry {
  const byKey: Record<string, Composition> = {};
  for (const comp of Object.values(legacy.exports)) byKey[comp.key] = comp;
  return { sources: [legacy], byKey, byType: withLegacyFallback({}, legacy), componentBindings: {} };
}
