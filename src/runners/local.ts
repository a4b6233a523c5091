import type { Runner } from "./runner.js";
import type { RunnerOptions } from "./registry.js";
import { OrunError } from "../util/errors.js";

// Placeholder until the local runner lands.
export function createLocalRunner(_options: RunnerOptions): Runner {
  throw new OrunError("the local runner is not available in this build");
}
