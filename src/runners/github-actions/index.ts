import type { Runner } from "../runner.js";
import type { RunnerOptions } from "../registry.js";
import { OrunError } from "../../util/errors.js";

// Placeholder until the github-actions runner lands; selecting it fails clearly.
export function createGithubActionsRunner(_options: RunnerOptions): Runner {
  throw new OrunError("the github-actions runner is not available in this build");
}
