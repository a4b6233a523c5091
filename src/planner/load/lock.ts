import type { LoadedWorkspace } from "./index.js";

/** Writes `<rootDir>/.orun/compositions.lock.yaml` atomically; returns its path. */
export async function writeCompositionLock(ws: Pick<LoadedWorkspace, "rootDir" | "sources">): Promise<string> {
  throw new Error(`not ready: ${ws.rootDir}`);
}
