// Maps a runner name to its implementation. Implementations are imported
// lazily so a local run never loads the docker or github-actions code.
import type { Runner, RunnerName } from "./runner.js";
import { OrunError } from "../util/errors.js";
import { editDistance } from "../util/edit-distance.js";

export const RUNNER_NAMES: readonly RunnerName[] = ["local", "docker", "github-actions"];

export interface RunnerOptions {
  /** Options from the CLI, e.g. { pull: "missing" } for docker. */
  [key: string]: string | undefined;
}

/** Names people type for a runner that is called otherwise. */
const RUNNER_ALIASES: Record<string, RunnerName> = { gha: "github-actions", github: "github-actions", actions: "github-actions", podman: "docker" };

/**
 * The runner a mistyped or familiar name most likely means (`dokcer` → docker, `gha` → github-actions), if any:
 * a name within two typos.
 */
export function suggestRunner(name: string): RunnerName | undefined {
  const typed = name.trim().toLowerCase();
  if (RUNNER_ALIASES[typed]) return RUNNER_ALIASES[typed];
  const ranked = RUNNER_NAMES.map((runner) => ({ runner, distance: editDistance(typed, runner) })).sort((a, b) => a.distance - b.distance);
  return ranked[0]!.distance <= 2 ? ranked[0]!.runner : undefined;
}

/** `; did you mean X?` for an unknown runner name, or "". */
export function runnerHint(name: string): string {
  const suggestion = suggestRunner(name);
  return suggestion ? `; did you mean ${suggestion}?` : "";
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
      throw new OrunError(`unsupported runner "${name}" (supported: ${[...RUNNER_NAMES].sort().join(", ")}${runnerHint(name)})`);
  }
}
