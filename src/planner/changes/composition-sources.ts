// Change detection selects components by their own files and the intent (spec 12 §6.2); the composition packages
// they compile with are not followed. A change to a local package (a `dir` source, a legacy --config-dir) inside
// the intent's folder then plans nothing, silently: a warning names the files, so a PR that rewrites every
// service's steps is not mistaken for one that changes nothing.
import path from "node:path";
import type { ResolvedCompositionSource } from "../../model/composition.js";

/** One warning per local composition source with changed files under it (files relative to the intent dir). */
export function compositionSourceChangeWarnings(changedFiles: readonly string[], sources: readonly ResolvedCompositionSource[], intentDir: string): string[] {
  const warnings: string[] = [];
  for (const source of sources) {
    const root = path.relative(intentDir, source.rootDir).split(path.sep).join("/");
    // A fetched package (git, oci) lives in a cache, not in the repository's changes.
    if (root === "" || root === ".." || root.startsWith("../") || path.isAbsolute(root)) continue;
    const files = changedFiles.filter((file) => file.startsWith(`${root}/`));
    if (files.length === 0) continue;
    const count = files.length === 1 ? "1 changed file is" : `${files.length} changed files are`;
    warnings.push(
      `${count} in composition source ${source.record.name} (${root}), which --changed does not follow (it selects components by their own files), though the jobs of the components using it may change; see --explain, or plan without --changed`,
    );
  }
  return warnings;
}
