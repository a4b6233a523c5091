// Where a step runs inside its container. The workspace is mounted at
// /workspace, so a host directory has a place there only when it really is
// inside the workspace. Symbolic links are resolved on the host first: inside
// the container an absolute link points into the image's file system, and a
// link out of the workspace points at nothing that is mounted.
import { realpathSync, statSync } from "node:fs";
import { containerPath } from "./container.js";

export type StepWorkdir = { workdir: string; error?: undefined } | { error: string };

export function stepWorkdir(workspaceDir: string, cwd: string): StepWorkdir {
  const outside = (shown: string): StepWorkdir => ({ error: `working directory ${shown} is outside the mounted workspace ${workspaceDir}` });
  if (containerPath(workspaceDir, cwd) === undefined) return outside(cwd);
  let realCwd: string;
  let realWorkspace: string;
  try {
    realCwd = realpathSync(cwd);
    realWorkspace = realpathSync(workspaceDir);
  } catch {
    return { error: `working directory ${cwd} does not exist` };
  }
  const workdir = containerPath(realWorkspace, realCwd);
  if (workdir === undefined) return outside(`${cwd} (a link to ${realCwd})`);
  if (!statSync(realCwd).isDirectory()) return { error: `working directory ${cwd} is not a directory` };
  return { workdir };
}
