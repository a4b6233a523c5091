// loadWorkspace: locate → read intent → discover components → resolve
// composition packages (and the legacy --config-dir registry) → discover under the roots intent presets add → bind
// components to compositions.

import path from "node:path";
import type { LoadedWorkspace, LoadWorkspaceOptions } from "./index.js";
import type { ResolvedCompositionSource } from "../../model/composition.js";
import type { Intent } from "../../model/intent.js";
import { compareUtf8 } from "../../plan/canonical-json.js";
import { loadIntentPreset } from "../presets.js";
import { discoverManifests, loadManifest, mergeComponents, normalizeRoots } from "./components.js";
import { configDirFrom, resolveLegacyRegistry } from "./compositions/legacy.js";
import { buildRegistry } from "./compositions/registry.js";
import { displayPath, resolveSources } from "./compositions/sources.js";
import { decodeIntent } from "./intent.js";
import { locateIntent } from "./locate.js";
import { readSingleDocument } from "./yaml.js";

/**
 * Maps with at most `limit` calls in flight; results keep the input order, and the
 * error of the earliest failing input wins, so output never depends on timing.
 */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  const errors: unknown[] = new Array<unknown>(items.length);
  let failed = false;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (err) {
        errors[i] = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) {
    // Inputs before the first failure may not have run yet: finish them so the earliest error is reported.
    for (let i = 0; i < items.length; i++) {
      if (errors[i] !== undefined) throw errors[i];
      if (results[i] === undefined) results[i] = await fn(items[i]!);
    }
  }
  return results;
}

export async function loadWorkspace(options: LoadWorkspaceOptions): Promise<LoadedWorkspace> {
  const intentFile = await locateIntent(options);
  const rootDir = path.dirname(intentFile);
  const shownIntent = displayPath(rootDir, intentFile);
  const intent = decodeIntent(await readSingleDocument(intentFile, shownIntent));

  // A root that fails is named by its own entry (`discovery.roots[1]`), found again through the normalisation.
  const rootEntry = (root: string): number => intent.discovery.roots.findIndex((raw) => raw.trim() !== "" && normalizeRoots([raw])[0] === root);
  const manifests = await discoverManifests(rootDir, intent.discovery.roots, intent.origin.at("discovery.roots"), (root) => {
    const index = rootEntry(root);
    return index < 0 ? undefined : intent.origin.at(["discovery", "roots", index]);
  });
  const discovered = await mapLimit(manifests, 32, (rel) => loadManifest(rootDir, rel));
  let components = mergeComponents(intent.components, discovered);

  const configDir = configDirFrom(options.configDir);
  const legacy = configDir ? await resolveLegacyRegistry(configDir, { cwd: options.cwd, display: (abs) => displayPath(rootDir, abs) }) : undefined;
  const sources = await resolveSources(intent.compositions.sources, { rootDir }, shownIntent, legacy !== undefined);
  const known = new Set(manifests);
  const extra = (await presetManifests(rootDir, intent, sources)).filter((rel) => !known.has(rel));
  if (extra.length > 0) {
    const more = await mapLimit(extra, 32, (rel) => loadManifest(rootDir, rel));
    // Path order over every root, as if the preset roots had been written in intent.yaml.
    const all = [...discovered, ...more].sort((a, b) => compareUtf8(a.sourcePath ?? "", b.sourcePath ?? ""));
    components = mergeComponents(intent.components, all);
  }
  const compositions = buildRegistry(intent.compositions, sources, components, legacy);
  return {
    intentFile,
    rootDir,
    intent,
    components,
    compositions,
    sources: compositions.sources.map((s) => s.record),
  };
}

/**
 * Manifests under the discovery roots that intent presets (`extends`) add. v2.3
 * merged presets only after discovery, so their roots found nothing; here they
 * are searched like the intent's own (same walk, same errors, located at the
 * preset's `spec.discovery.roots`). The presets themselves are merged into the
 * intent later (src/planner/triggers/workspace.ts), as before.
 */
async function presetManifests(rootDir: string, intent: Intent, sources: readonly ResolvedCompositionSource[]): Promise<string[]> {
  const searched = new Set(normalizeRoots(intent.discovery.roots));
  const found: string[] = [];
  for (const ref of intent.extends) {
    const preset = await loadIntentPreset(ref, sources, rootDir);
    const declared = preset.spec.discovery.roots.filter((root) => root.trim() !== "");
    // normalizeRoots turns "none" into ["."]: a preset without roots adds none.
    const fresh = declared.length === 0 ? [] : normalizeRoots(declared).filter((root) => !searched.has(root));
    if (fresh.length === 0) continue;
    for (const root of fresh) searched.add(root);
    found.push(...(await discoverManifests(rootDir, fresh, { file: preset.file, field: "spec.discovery.roots" })));
  }
  return [...new Set(found)];
}
