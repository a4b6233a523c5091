// Composition packages, resolved: per component type, the jobs, execution
// profiles and parameter schema a component of that type compiles into.
// Built by src/planner/load/compositions.ts from `compositions.sources`.
// Like the intent model, every document object carries a non-enumerable
// `origin` (file + line + lineOf(field)).

import type { CompositionSourceRecord } from "./plan.js";
import type { SourceLocation } from "../util/errors.js";
import type { Component, FreeMap, Origin, StepSpec, StringMap } from "./intent.js";

export type { StepSpec } from "./intent.js";

/** A job of a composition: inline JobSpec fields, or a JobTemplate document resolved through `templateRef`. */
export interface JobTemplate {
  /** The job name as listed in the composition (not the template's metadata.name). */
  name: string;
  description?: string;
  runsOn?: string;
  /** Where runsOn was written: the job entry or its JobTemplate document (non-enumerable, like origin). */
  readonly runsOnAt?: SourceLocation;
  timeout?: string;
  retries?: number;
  labels: StringMap;
  capabilities: string[];
  inputs: FreeMap;
  steps: StepSpec[];
  /** Name of the JobTemplate document when split-kind. */
  templateRef?: string;
  readonly origin: Origin;
}

export interface StepOverride {
  run?: string;
  with?: FreeMap;
  env?: StringMap;
}

/** What a profile does to one job of the composition. */
export interface ProfileJobSettings {
  /** Legacy: step ids/names kept. */
  stepsEnabled: string[];
  /** Preferred: capabilities kept (steps without a capability always stay). */
  includeCapabilities: string[];
  /** step id/name → replacement fields. */
  stepOverrides: Record<string, StepOverride>;
}

export interface ExecutionProfile {
  /** Registered name (the composition's profiles[].name or executionProfiles key). */
  name: string;
  description?: string;
  policies: FreeMap;
  /** job name → settings; jobs absent here are not planned under this profile. */
  jobs: Record<string, ProfileJobSettings>;
  /** Name of the ExecutionProfile document when split-kind. */
  profileRef?: string;
  readonly origin: Origin;
}

/** The parameter schema of a component type (inline parameterSchema or a ComponentSchema document). */
export interface ComponentSchema {
  /** metadata.name of the ComponentSchema document; undefined for an inline parameterSchema. */
  name?: string;
  type?: string;
  /**
   * JSON Schema validating `{ name, type, parameters, inputs, domain, labels }`; its `default`s fill
   * in through validateComponentParameters (src/planner/validate).
   */
  schema: FreeMap;
  readonly origin: Origin;
}

export interface Composition {
  /** `<sourceName>:<exportName>` */
  key: string;
  /** Export name = metadata.name = spec.type. */
  name: string;
  type: string;
  description?: string;
  defaultJob: string;
  defaultProfile?: string;
  schema: ComponentSchema;
  /** Declaration order. */
  jobs: JobTemplate[];
  /** Profile name → profile. Empty when the composition has no profiles. */
  profiles: Record<string, ExecutionProfile>;
  /** Source the composition comes from. */
  sourceName: string;
  sourceKind: CompositionSourceRecord["kind"];
  /** Package metadata.name (Stack or CompositionPackage; a legacy JobRegistry's own metadata.name): the plan's `jobRegistry` / jobBindings value. */
  jobRegistryName: string;
  /** Absolute directory of the composition document (its split-kind references resolve from here). */
  dir: string;
  /** Where a `spec.profiles` list that inline `executionProfiles` override is written (v2.3 ignores it silently). */
  ignoredProfilesAt?: SourceLocation;
  readonly origin: Origin;
}

/** A resolved composition source: where its content is and what it exports. */
export interface ResolvedCompositionSource {
  record: CompositionSourceRecord;
  /** Absolute package root the documents were read from. */
  rootDir: string;
  /** Package metadata.name. */
  packageName: string;
  packageVersion?: string;
  /** Intent presets published by a Stack (`spec.intentPresets`), for `extends` (later issue). */
  intentPresets: { name: string; path: string }[];
  /** export name → composition. */
  exports: Record<string, Composition>;
}

export interface CompositionRegistry {
  /** Resolved sources in declaration order; the legacy --config-dir source (`legacy-config-dir`), if any, last. */
  sources: ResolvedCompositionSource[];
  /** Composition key → composition, for every export of every source. */
  byKey: Record<string, Composition>;
  /** Composition type → the globally selected composition (bindings, single exporter, precedence; else the legacy registry's). */
  byType: Record<string, Composition>;
  /** Component name → key of the composition it compiles with (compositionRef, else its type). */
  componentBindings: Record<string, string>;
}

/** The composition a component is bound to; undefined when the loader did not bind it. */
export function compositionFor(registry: CompositionRegistry, component: Pick<Component, "name" | "type">): Composition | undefined {
  const key = registry.componentBindings[component.name];
  return key !== undefined ? registry.byKey[key] : registry.byType[component.type];
}

/** type → job registry name, as the plan's `spec.jobBindings` records (sorted by type). */
export function jobBindings(registry: CompositionRegistry): Record<string, string> {
  const out: Record<string, string> = {};
  for (const type of Object.keys(registry.byType).sort()) out[type] = registry.byType[type]!.jobRegistryName;
  return out;
}
