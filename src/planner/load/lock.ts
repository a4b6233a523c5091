// `.orun/compositions.lock.yaml`: a record of which composition package
// content (digest) a plan was compiled from. Written atomically; never read
// back for resolution.

import { promises as fs } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { writeOwnFile } from "../../plan/write-target.js";
import type { LoadedWorkspace } from "./index.js";

export const LOCK_API_VERSION = "sourceplane.io/v1alpha1";

export function compositionLockText(ws: Pick<LoadedWorkspace, "sources">): string {
  const sources = ws.sources.map((s) => {
    const entry: Record<string, unknown> = { name: s.name, kind: s.kind };
    if (s.ref) entry.ref = s.ref;
    if (s.path) entry.path = s.path;
    entry.resolvedDigest = s.resolvedDigest;
    if (s.exports && s.exports.length > 0) entry.exports = [...s.exports].sort();
    return entry;
  });
  return stringify({ apiVersion: LOCK_API_VERSION, kind: "CompositionLock", sources }, { indent: 4, lineWidth: 0 });
}

/** Writes `<rootDir>/.orun/compositions.lock.yaml` atomically (temp file + rename; a symlink there is replaced, not written through); returns its path. */
export async function writeCompositionLock(ws: Pick<LoadedWorkspace, "rootDir" | "sources">): Promise<string> {
  const dir = path.join(ws.rootDir, ".orun");
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, "compositions.lock.yaml");
  await writeOwnFile(file, compositionLockText(ws), "cannot write the composition lock");
  return file;
}
