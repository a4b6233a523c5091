// Where jobs and steps run. Without --workdir each job runs in its resolved
// job path under the workspace; --workdir overrides that for every job.
// A step's `working-directory` is joined once onto the job directory.
import path from "node:path";
import type { PlanJob, PlanStep } from "../model/plan.js";

export interface WorkdirOptions {
  /** Workspace root: intent dir, plan workDir, or the current directory. */
  workspaceDir: string;
  /** Set when --workdir (or GITHUB_WORKSPACE under github-actions) overrides every job's directory. */
  override?: string;
}

export function jobDir(job: PlanJob, options: WorkdirOptions): string {
  if (options.override) return path.resolve(options.override);
  const jobPath = (job.path ?? "").trim();
  if (jobPath === "" || jobPath === "." || jobPath === "./") return options.workspaceDir;
  return path.resolve(options.workspaceDir, jobPath);
}

export function stepDir(jobDirectory: string, step: PlanStep): string {
  const sub = (step["working-directory"] ?? "").trim();
  return sub === "" ? jobDirectory : path.resolve(jobDirectory, sub);
}
