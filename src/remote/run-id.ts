// Run and runner identities (40-remote-state.md §4.2, §4.3).
import { randomBytes } from "node:crypto";
import os from "node:os";

/**
 * The shared run ID: `--exec-id`, else ORUN_EXEC_ID, verbatim; else in GitHub
 * Actions `gha_<run>_<attempt>` (every runner of one workflow attempt agrees);
 * else `local_<ms hex>_<6 hex>`.
 */
export function deriveRunId(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const pinned = explicit?.trim() || env.ORUN_EXEC_ID?.trim();
  if (pinned) return pinned;
  if (env.GITHUB_ACTIONS === "true" && env.GITHUB_RUN_ID) return `gha_${env.GITHUB_RUN_ID}_${env.GITHUB_RUN_ATTEMPT || "1"}`;
  return `local_${Date.now().toString(16)}_${randomBytes(3).toString("hex")}`;
}

/**
 * Who holds a claim. v2 used `gha-<run>-<attempt>-<GITHUB_JOB>`, identical for
 * every leg of a matrix; a random suffix keeps legs (and processes) apart.
 */
export function deriveRunnerId(env: NodeJS.ProcessEnv = process.env): string {
  const suffix = randomBytes(4).toString("hex");
  if (env.GITHUB_ACTIONS === "true" && env.GITHUB_RUN_ID) {
    return `gha-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT || "1"}-${env.GITHUB_JOB ?? "job"}-${suffix}`;
  }
  return `${os.hostname()}-${process.pid}-${suffix}`;
}
