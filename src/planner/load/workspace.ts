// loadWorkspace: locate → read intent → discover components → resolve
// composition packages → bind components to compositions.

import path from "node:path";
import type { LoadedWorkspace, LoadWorkspaceOptions } from "./index.js";
import { discoverManifests, loadManifest, mergeComponents } from "./components.js";
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

  const manifests = await discoverManifests(rootDir, intent.discovery.roots, intent.origin.at("discovery.roots"));
  const discovered = await mapLimit(manifests, 32, (rel) => loadManifest(rootDir, rel));
  const components = mergeComponents(intent.components, discovered);

  const sources = await resolveSources(intent.compositions.sources, { rootDir }, shownIntent);
  const compositions = buildRegistry(intent.compositions, sources, components);
  return {
    intentFile,
    rootDir,
    intent,
    components,
    compositions,
    sources: sources.map((s) => s.record),
  };
}
