// Which components a set of changed files selects, and why. Pure: the files
// and the intent diff were gathered by files.ts. A component is selected when
//   - a changed file lies under one of its paths, or is its component.yaml;
//   - intent.yaml changed in a section the component watches (`change.watches`),
//     or every component with `--intent-impact all`;
//   - it is an inline component added or modified in intent.yaml;
//   - a selected component depends on it (transitively, by component name):
//     a changed component is planned together with what it needs.

import path from "node:path";
import type { IntentDiff } from "./intent-diff.js";

export type IntentImpact = "all" | "watch" | "none";
export const INTENT_IMPACTS: readonly IntentImpact[] = ["all", "watch", "none"];

/** A component as change detection sees it. */
export interface ChangeComponent {
  name: string;
  /** Working directories of its instances relative to the intent dir; `""`/`./` (the root) never match a file. */
  paths: string[];
  /** component.yaml relative to the intent dir (discovered components). */
  sourcePath?: string;
  /** Names of the components it depends on (any environment). */
  dependsOn: string[];
  watches: string[];
}

export type ChangeReason =
  | { kind: "files"; files: string[] }
  | { kind: "manifest"; file: string }
  | { kind: "watches"; sections: string[] }
  | { kind: "intent-impact-all" }
  | { kind: "intent-component"; change: "added" | "modified" }
  | { kind: "dependency"; of: string[] };

export interface ChangeSelectionInput {
  components: readonly ChangeComponent[];
  /** Changed files relative to the intent dir, forward slashes. */
  changedFiles: readonly string[];
  /** The intent file relative to the intent dir (`intent.yaml`). */
  intentFile: string;
  /** Semantic diff of the intent file; undefined when it did not change or could not be compared. */
  intentDiff?: IntentDiff;
  intentImpact?: IntentImpact;
}

export interface ChangeSelection {
  /** Selected component names, sorted. */
  components: string[];
  /** Why each selected component is in (several reasons may apply). */
  reasons: Record<string, ChangeReason[]>;
  changedFiles: string[];
  /** Changed files no component owns (intent.yaml excluded). */
  unownedFiles: string[];
  intentChanged: boolean;
  intentDiff?: IntentDiff;
  intentImpact: IntentImpact;
}

export function selectChangedComponents(input: ChangeSelectionInput): ChangeSelection {
  const impact = input.intentImpact ?? "watch";
  const files = [...new Set(input.changedFiles.map(normalizePath))].filter((f) => f !== "").sort();
  const intentFile = normalizePath(input.intentFile);
  const intentChanged = files.includes(intentFile);
  const reasons = new Map<string, ChangeReason[]>();
  const add = (name: string, reason: ChangeReason): void => {
    reasons.set(name, [...(reasons.get(name) ?? []), reason]);
  };
  const owned = new Set<string>();
  const fileSet = new Set(files);

  for (const component of input.components) {
    const roots = [...new Set(component.paths.map(normalizePath))].filter((p) => p !== "" && p !== "." && !p.startsWith("../"));
    const manifest = component.sourcePath ? normalizePath(component.sourcePath) : undefined;
    const hits = filesUnder(files, fileSet, roots);
    hits.forEach((file) => owned.add(file));
    if (manifest && fileSet.has(manifest)) {
      owned.add(manifest);
      add(component.name, { kind: "manifest", file: manifest });
    }
    const others = hits.filter((file) => file !== manifest);
    if (others.length > 0) add(component.name, { kind: "files", files: others });
  }

  if (intentChanged && impact !== "none") {
    const diff = input.intentDiff;
    const sections = diff?.changedSections ?? [];
    for (const component of input.components) {
      if (impact === "all" && (sections.length > 0 || !diff || diff.unreadable)) add(component.name, { kind: "intent-impact-all" });
      else if (impact === "watch") {
        const watched = component.watches.filter((w) => sections.includes(w)).sort();
        if (watched.length > 0) add(component.name, { kind: "watches", sections: watched });
      }
    }
    const known = new Set(input.components.map((c) => c.name));
    for (const name of diff?.components.added ?? []) if (known.has(name)) add(name, { kind: "intent-component", change: "added" });
    for (const name of diff?.components.modified ?? []) if (known.has(name)) add(name, { kind: "intent-component", change: "modified" });
  }

  closeOverDependencies(input.components, reasons);
  const sortedReasons: Record<string, ChangeReason[]> = {};
  for (const name of [...reasons.keys()].sort()) sortedReasons[name] = reasons.get(name)!;
  return {
    components: Object.keys(sortedReasons),
    reasons: sortedReasons,
    changedFiles: files,
    unownedFiles: files.filter((file) => !owned.has(file) && file !== intentFile),
    intentChanged,
    ...(intentChanged && input.intentDiff ? { intentDiff: input.intentDiff } : {}),
    intentImpact: impact,
  };
}

/** Adds the transitive dependencies of every selected component, recording which selected components need each. */
function closeOverDependencies(components: readonly ChangeComponent[], reasons: Map<string, ChangeReason[]>): void {
  const byName = new Map(components.map((c) => [c.name, c]));
  const dependents = new Map<string, Set<string>>();
  const queue = [...reasons.keys()].sort();
  const seen = new Set(queue);
  while (queue.length > 0) {
    const name = queue.shift()!;
    for (const dep of [...(byName.get(name)?.dependsOn ?? [])].sort()) {
      if (!byName.has(dep) || dep === name) continue;
      if (!dependents.has(dep)) dependents.set(dep, new Set());
      dependents.get(dep)!.add(name);
      if (!seen.has(dep)) {
        seen.add(dep);
        queue.push(dep);
      }
    }
  }
  for (const [dep, of] of dependents) {
    reasons.set(dep, [...(reasons.get(dep) ?? []), { kind: "dependency", of: [...of].sort() }]);
  }
}

/**
 * The files (sorted, as `.sort()` orders them) equal to a root or under it.
 * Files under `root/` are one contiguous run of the sorted list, found by
 * binary search: a selection costs components × log(files), not
 * components × files (thousands of components and changed files in a big PR).
 */
function filesUnder(sorted: readonly string[], all: ReadonlySet<string>, roots: readonly string[]): string[] {
  const hits = new Set<string>();
  for (const root of roots) {
    if (all.has(root)) hits.add(root);
    const prefix = `${root}/`;
    for (let i = lowerBound(sorted, prefix); i < sorted.length && sorted[i]!.startsWith(prefix); i++) hits.add(sorted[i]!);
  }
  return [...hits].sort();
}

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `./apps/api/` → `apps/api`; forward slashes. */
export function normalizePath(p: string): string {
  const slashed = p.trim().replace(/\\/g, "/");
  if (slashed === "" || slashed === "./" || slashed === ".") return "";
  const normal = path.posix.normalize(slashed).replace(/\/+$/, "");
  return normal === "." ? "" : normal.replace(/^\.\//, "");
}
