// Maps a runner name to its implementation. Implementations are imported
// lazily so a local run never loads the docker or github-actions code.
import type { Runner, RunnerName } from "./runner.js";
import { OrunError } from "../util/errors.js";

export const RUNNER_NAMES: readonly RunnerName[] = ["local", "docker", "github-actions"];

export interface RunnerOptions {
  /** Options from the CLI, e.g. { pull: "missing" } for docker. */
  [key: string]: string | undefined;
}

export async function createRunner(name: string, options: RunnerOptions = {}): Promise<Runner> {
  switch (name) {
    case "local":
      return (await import("./local.js")).createLocalRunner(options);
    case "docker":
      return (await import("./docker/index.js")).createDockerRunner(options);
    case "github-actions":
      return (await import("./github-actions/index.js")).createGithubActionsRunner(options);
    default:
      throw new OrunError(`unsupported runner "${name}" (supported: ${[...RUNNER_NAMES].sort().join(", ")})`);
  }
}
