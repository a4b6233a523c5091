import type { Runner } from "../runner.js";
import type { RunnerOptions } from "../registry.js";
import { OrunError } from "../../util/errors.js";

// Placeholder until the docker runner lands; selecting it fails clearly.
export function createDockerRunner(_options: RunnerOptions): Runner {
  throw new OrunError("the docker runner is not available in this build");
}
