// One typed event stream describes a run; the terminal views, the live TTY
// region and the --json summary are all renderers of it.
import type { Plan, PlanJob, PlanStep } from "../model/plan.js";
import type { RunnerChoice } from "./runner-resolution.js";
import type { RunLink } from "./links.js";

export interface StepPreview {
  key: string;
  phase: "pre" | "main" | "post";
  order?: number;
  kind: "run" | "use";
  command: string;
  cwd: string;
  shell?: string;
  retries: number;
  timeout?: string;
  onFailure?: string;
  /** Resuming an execution: the step completed in an earlier run, and the run skips it (resumed-steps.ts). */
  cached?: true;
}

export interface JobPreview {
  job: PlanJob;
  dir: string;
  retries: number;
  timeout?: string;
  steps: StepPreview[];
  /** Why this job would not run (approval, gate), if known up front. */
  note?: string;
  /** The docker runner's: the image the job would run in (null: none, see the note) and where it came from. */
  image?: { ref: string | null; from?: string };
}

export interface RunCounts {
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
  blocked: number;
  cached: number;
  /** Not run: a dependency is outside this run (component/environment scope) and has not completed. */
  waiting: number;
  /** Under remote state: stopped here without a verdict and left to the run's runners (its lease lapsed, or it was taken over). */
  released: number;
}

export interface JobSummary {
  id: string;
  component: string;
  environment: string;
  name: string;
  /** `planned` only in dry-run summaries. */
  status: "completed" | "failed" | "released" | "skipped" | "blocked" | "waiting" | "cached" | "planned";
  durationMs?: number;
  error?: string;
  failedStep?: string;
  reason?: string;
  /** Under remote state: run here, but another runner took it over, whose result counts (failed here, not retried here). */
  notRecorded?: true;
}

export interface RunSummary {
  execId: string;
  planId: string;
  planName: string;
  runner: string;
  status: "completed" | "failed" | "canceled";
  dryRun: boolean;
  startedAt: string;
  durationMs: number;
  concurrency: number;
  counts: RunCounts;
  jobs: JobSummary[];
  /** Under remote state: the backend's run ID (see run-start). */
  remoteRunId?: string;
  /** Under remote state: the backend's URL the printed commands repeat (see run-start). */
  remoteBackendUrl?: string;
  /**
   * Under remote state: the command that retries, in the run, the job that failed here, else the failed job that kept
   * this runner's jobs from running (as the runner names its plan and flags).
   */
  retryCommand?: string;
  /**
   * Under remote state, when this runner's --retry set jobs pending again that it did not run (`unfinished` lists them):
   * the command that runs the rest of the run.
   */
  remainingCommand?: string;
  /**
   * Under remote state, when this runner released a job or was canceled: its own command in the run, which takes its
   * jobs up again (a released one once its lease has lapsed).
   */
  rejoinCommand?: string;
  /** Off remote state, when the execution is left to resume: the command that resumes it (`orun run [plan] --exec-id <id> [flags]`). */
  resumeCommand?: string;
  /**
   * Said under the resume command when it reaches jobs requiring approval (not blocked by this run): it never approves
   * them itself (`app@prod.deploy requires approval: add --approve to approve it`).
   */
  resumeNote?: string;
  /**
   * Off remote state, when this run blocked jobs for want of --approve (policy requireApproval): the resume command with
   * --approve, offered on its own labelled line (`alsoApproves`: other jobs requiring approval it reaches).
   */
  approval?: { blocked: string[]; command: string; alsoApproves?: string[] };
  /** URLs the steps printed, labelled (links.ts). */
  links?: RunLink[];
  recordDir?: string;
  /**
   * The execution's status as its record holds it (metadata.json): failed while any of its jobs is, even if this run
   * completed; incomplete when none is but jobs are still to run (a scoped run, a retry that reopened a job).
   */
  executionStatus?: "completed" | "failed" | "incomplete";
  /**
   * The jobs the record holds failed, blocked or skipped, or has still to run, whatever this run's own status (a failed
   * or canceled run's too); absent when there are none.
   */
  unfinished?: UnfinishedJob[];
}

/**
 * A job that keeps an execution from having completed: failed, blocked or skipped (an earlier run's: `--job X
 * --retry`), pending in the record (reopened, interrupted), or `not run`: a plan job a scoped run left out.
 */
export interface UnfinishedJob {
  id: string;
  status: "failed" | "blocked" | "skipped" | "pending" | "not run";
}

export type RunEvent =
  | {
      type: "run-start";
      plan: Plan;
      planId: string;
      execId: string;
      runner: RunnerChoice;
      concurrency: number;
      failFast: boolean;
      jobs: readonly PlanJob[];
      resumed: number;
      target?: string;
      /** Under remote state: the backend's run ID, which `orun status`/`logs` take (execId is the local record's). */
      remoteRunId?: string;
      /** Under remote state: the backend's URL (printedBackendUrl), which those commands repeat. */
      remoteBackendUrl?: string;
    }
  | { type: "dry-run"; plan: Plan; runner: RunnerChoice; concurrency: number; failFast: boolean; workspaceDir: string; jobs: JobPreview[] }
  | { type: "notice"; message: string }
  /** A value the runner masks in what it emits (github-actions: ORUN_SECRET_*, a step's `::add-mask::`), once each. */
  | { type: "mask"; value: string }
  | {
      type: "job-start";
      job: PlanJob;
      /** Why it starts now, when that is not plain (a handed-over job that ran on after fail-fast tripped). */
      note?: string;
    }
  | { type: "job-cached"; job: PlanJob }
  | { type: "step-start"; job: PlanJob; step: PlanStep; stepKey: string; index: number; total: number; cwd: string; attempt: number; attempts: number }
  /** A step a resume does not run again: it completed in an earlier run of the execution (resumed-steps.ts). */
  | { type: "step-cached"; job: PlanJob; stepKey: string; index: number; total: number }
  | { type: "step-output"; job: PlanJob; stepKey: string; chunk: string }
  | { type: "step-retry"; job: PlanJob; stepKey: string; attempt: number; attempts: number; error: string }
  | {
      type: "step-end";
      job: PlanJob;
      stepKey: string;
      status: "completed" | "failed" | "skipped";
      durationMs: number;
      error?: string;
      output: string;
      continuing?: boolean;
      /** With `skipped`: why the step did not run when that is not the runner's condition (a failure before it). */
      reason?: string;
    }
  | {
      type: "job-end";
      job: PlanJob;
      status: "completed" | "failed";
      /** With `failed`: why the job was handed back (JobRunResult.released), not failed by its work. */
      released?: string;
      durationMs: number;
      error?: string;
      failedStep?: string;
      /** The failure reported is a missing local action's: the root its path is relative to (StepResult.localActionRoot). */
      localActionRoot?: string;
      output: string;
    }
  | { type: "job-not-run"; job: PlanJob; status: "skipped" | "blocked" | "waiting"; reason: string }
  | { type: "run-end"; summary: RunSummary };

export interface Renderer {
  handle(event: RunEvent): void;
  /** Stop timers, restore the terminal. */
  close(): void;
}
