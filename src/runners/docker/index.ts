// Entry point the runner registry imports lazily for `--runner docker`.
import type { Runner } from "../runner.js";
import type { RunnerOptions } from "../registry.js";
import { parseDockerConfig } from "./config.js";
import { DockerRunner } from "./docker-runner.js";

export { DockerRunner } from "./docker-runner.js";
export { parseDockerConfig, resolveJobImage, resolveContainerUser } from "./config.js";

/**
 * Options: `pull` (always|missing|never; env ORUN_DOCKER_PULL, default
 * always: the seed's runner "pulls the job image", once per image per run), `dockerImage` (image for jobs without an explicit image; env
 * ORUN_DOCKER_IMAGE), `dockerUser` (auto|image|<uid[:gid]>; env ORUN_DOCKER_USER).
 */
export function createDockerRunner(options: RunnerOptions, hostEnv: NodeJS.ProcessEnv = process.env): Runner {
  return new DockerRunner(parseDockerConfig(options, hostEnv), hostEnv);
}
