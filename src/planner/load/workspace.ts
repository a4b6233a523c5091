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

export async function loadWorkspace(options: LoadWorkspaceOptions): Promise<LoadedWorkspace> {
  const intentFile = await locateIntent(options);
  const rootDir = path.dirname(intentFile);
  const shownIntent = displayPath(rootDir, intentFile);
  const intent = decodeIntent(await readSingleDocument(intentFile, shownIntent));

  const manifests = await discoverManifests(rootDir, intent.discovery.roots, shownIntent);
  const discovered = [];
  for (const rel of manifests) discovered.push(await loadManifest(rootDir, rel));
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
