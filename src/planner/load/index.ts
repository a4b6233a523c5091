// Stage 1 of the planner: find intent.yaml, read it, discover component
// manifests and resolve composition packages into one LoadedWorkspace.
// Everything is validated against the shipped JSON Schemas on the way in;
// every error names file, line and field.

import type { Component, Intent } from "../../model/intent.js";
import type { CompositionRegistry } from "../../model/composition.js";
import type { CompositionSourceRecord } from "../../model/plan.js";

export interface LoadWorkspaceOptions {
  /** Where the search for intent.yaml starts (walks up to the git root). */
  cwd: string;
  /** `-i/--intent`: explicit intent file (relative to cwd). */
  intentPath?: string;
  /**
   * `-c/--config-dir`: legacy composition registry (a dir or `*` glob, relative to cwd);
   * when undefined, a non-empty ORUN_CONFIG_DIR is used; an empty string means none.
   */
  configDir?: string;
}

export interface LoadedWorkspace {
  /** Absolute path of the intent file. */
  intentFile: string;
  /** Absolute directory of the intent file: relative paths and `.orun/` live here. */
  rootDir: string;
  intent: Intent;
  /** Inline and discovered components, sorted by name; each says where it came from (`source`, `sourcePath`, `origin`). */
  components: Component[];
  compositions: CompositionRegistry;
  /** The lock-file records of every resolved source, declaration order (the legacy --config-dir source last). */
  sources: CompositionSourceRecord[];
}

export { loadWorkspace } from "./workspace.js";
export { writeCompositionLock, compositionLockText } from "./lock.js";
export { locateIntent } from "./locate.js";
export { hashDirectory } from "./compositions/digest.js";
export { configDirFrom, resolveLegacyRegistry, LEGACY_SOURCE_NAME } from "./compositions/legacy.js";
export { legacyOnlyRegistry } from "./compositions/registry.js";
