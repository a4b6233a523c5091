// The execution record (`.orun/`) usually lies inside the workspace that every job container mounts
// read-write at /workspace. Through that mount a step could forge other jobs' state or logs, swap a record
// folder for a link (orun would then create folders and write files wherever it points), or rewrite a stored
// plan. So each container gets the record folder mounted read-only over its place in /workspace, and every
// folder between /workspace and it bound onto itself: a mount point cannot be renamed, removed or replaced
// (EBUSY), so a step can neither move the record away nor put a link of its own on the record's path, while
// everything else in those folders stays writable. Paths are resolved through links on the host first, as
// the engine resolves a mount's source.
import { lstatSync, realpathSync } from "node:fs";
import path from "node:path";
import { CONTAINER_WORKSPACE, containerPath } from "./container.js";

/** The record folder's name in a store root (src/runtime/records/store.ts). */
const RECORD_FOLDER = ".orun";

export interface RecordMount {
  /** Host folder (its real path). */
  hostDir: string;
  /** Where it is mounted in the container. */
  target: string;
  readOnly: boolean;
}

export type RecordMask =
  | {
      /** Pins (read-write, shallowest first), then the read-only record; none when the record is outside the workspace. */
      mounts: RecordMount[];
      /**
       * A link inside the workspace on the record's path (a `.orun` that is a link, a store root reached
       * through one): steps can replace the link itself, which no mount can pin.
       */
      exposedLink?: string;
      error?: undefined;
    }
  | { error: string };

/**
 * The folder to keep from the steps, given the run's scratch folder (inside the execution record): the
 * store's whole `.orun` — other executions' records and stored plans too — else, for a scratch folder
 * outside any `.orun`, the scratch folder itself.
 */
export function recordFolder(scratchDir: string): string {
  const resolved = path.resolve(scratchDir);
  for (let dir = resolved; ; dir = path.dirname(dir)) {
    if (path.basename(dir) === RECORD_FOLDER) return dir;
    if (path.dirname(dir) === dir) return resolved;
  }
}

/**
 * The mounts that keep `recordDir` (which exists) out of the steps' reach through the workspace mount, for a
 * container that mounts `workspaceDir` at `containerWorkspace` (the github-actions runner's container steps
 * mount it at /github/workspace).
 */
export function recordMask(workspaceDir: string, recordDir: string, containerWorkspace: string = CONTAINER_WORKSPACE): RecordMask {
  let realWorkspace: string;
  let realRecord: string;
  try {
    realWorkspace = realpathSync(workspaceDir);
    realRecord = realpathSync(recordDir);
  } catch (err) {
    return { error: `cannot resolve the execution record ${recordDir} or the workspace ${workspaceDir}: ${(err as Error).message}` };
  }
  if (containerPath(realRecord, realWorkspace) !== undefined) {
    return { error: `the workspace ${workspaceDir} is inside the execution record ${recordDir}: steps would write into the record (choose a --workdir outside it)` };
  }
  if (containerPath(realWorkspace, realRecord) === undefined) return { mounts: [] };
  const mounts: RecordMount[] = [];
  const parts = path.relative(realWorkspace, realRecord).split(path.sep);
  for (let depth = 1; depth < parts.length; depth++) {
    const hostDir = path.join(realWorkspace, ...parts.slice(0, depth));
    mounts.push({ hostDir, target: path.posix.join(containerWorkspace, ...parts.slice(0, depth)), readOnly: false });
  }
  mounts.push({ hostDir: realRecord, target: path.posix.join(containerWorkspace, ...parts), readOnly: true });
  return { mounts, exposedLink: linkInWorkspace(realWorkspace, recordDir) };
}

/** The first link on `file`'s path (as written) that lies in the workspace, where a step can replace it. */
function linkInWorkspace(realWorkspace: string, file: string): string | undefined {
  const absolute = path.resolve(file);
  const parts = absolute.split(path.sep).filter(Boolean);
  for (let depth = 1; depth <= parts.length; depth++) {
    const entry = path.join(path.sep, ...parts.slice(0, depth));
    if (lstatSync(entry, { throwIfNoEntry: false })?.isSymbolicLink() !== true) continue;
    let parent: string;
    try {
      parent = realpathSync(path.dirname(entry));
    } catch {
      continue;
    }
    if (containerPath(realWorkspace, parent) !== undefined) return entry;
  }
  return undefined;
}
