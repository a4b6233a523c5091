import type { LoadedWorkspace, LoadWorkspaceOptions } from "./index.js";
import { OrunError } from "../../util/errors.js";

export async function loadWorkspace(options: LoadWorkspaceOptions): Promise<LoadedWorkspace> {
  throw new OrunError(`loader not ready yet (cwd ${options.cwd})`);
}
