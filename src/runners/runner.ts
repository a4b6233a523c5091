// The one interface every execution backend implements. The scheduler
// (src/runtime) owns ordering, retries, timeouts, state and logs; a runner only
// knows how to execute one step of one job in its environment.
import type { Plan, PlanJob, PlanStep } from "../model/plan.js";
import type { RuntimeIds } from "../runtime/step-env.js";

export type RunnerName = "local" | "docker" | "github-actions";
/** Value of ORUN_CONTEXT for each runner. */
export const RUNNER_CONTEXT: Record<RunnerName, string> = {
  local: "local",
  docker: "container",
  "github-actions": "ci",
};

export interface RunContext {
  plan: Plan;
  execId: string;
  /** Absolute workspace root (intent dir, or --workdir). */
  workspaceDir: string;
  /** Root for runner-owned scratch space (job temp dirs), inside the execution record. */
  scratchDir: string;
  /** Runner options from the CLI (e.g. docker --pull). */
  options: Record<string, string | undefined>;
  /** Jobs this run will execute (a subset of plan.jobs with --job, filters or resume), when known. */
  jobs?: readonly PlanJob[];
  /** Jobs run at once, when known. */
  concurrency?: number;
  /** The IDs steps see (step-env.ts), once the run knows the plan it runs: under remote state, the run's. */
  ids?: RuntimeIds;
  /** Told each value the runner masks, as it learns it: the GitHub Actions view hands it to GitHub (`::add-mask::`). */
  onMask?: (value: string) => void;
}

export interface JobContext {
  run: RunContext;
  job: PlanJob;
  /** Absolute job directory (job.path resolved against the workspace). */
  jobDir: string;
  /** Raised when the run is cancelled (Ctrl-C, failFast cancel). */
  signal: AbortSignal;
}

export interface StepContext {
  job: JobContext;
  step: PlanStep;
  /** State key of the step (id || name || use). */
  stepKey: string;
  /** Absolute working directory for this step. */
  cwd: string;
  /**
   * The environment orun declares for the step: plan job env, ORUN_* runtime
   * variables, then step env (later wins). Runners decide whether the host
   * environment goes underneath (local does; docker never does).
   */
  env: Record<string, string>;
  /** Milliseconds before the step must be killed; undefined = no limit. */
  timeoutMs?: number;
  /**
   * Aborted when the run is cancelled (Ctrl-C, SIGTERM); runners must kill what they started. It is the
   * run's signal, shared by every step (remove listeners when the step ends); timeouts are `timeoutMs`.
   */
  signal: AbortSignal;
  /** Live output, already combined stdout+stderr, for --verbose and `orun logs --follow`. */
  onOutput: (chunk: string) => void;
  /**
   * Optional: the output's bytes exactly as the step wrote them, for runners that have them (local). A runner
   * that calls it passes its output here instead of to onOutput: orun keeps the bytes in the step log as they
   * are (invalid UTF-8 and binary included) and decodes them for the console.
   */
  onOutputBytes?: (chunk: Buffer) => void;
  /** Hand-off (see Runner.handOff): a latch to open when the step's process exits 0. */
  opensLatch?: number;
  /**
   * Hand-off: start the step only when this latch opens, calling onStart when its process starts; a latch
   * closed first gives `notStarted`.
   */
  waitsFor?: { latch: number; onStart(): void };
}

export interface StepResult {
  /** Process exit code; null when killed by a signal. */
  exitCode: number | null;
  /** Combined output as it should be logged (masked for github-actions). */
  output: string;
  /** Set when the step failed: `exit status 3`, `command timed out after 2s`, a runner error... */
  error?: string;
  /**
   * github-actions: `error` is a local action's (`use: ./path`) whose folder is missing; the repository root such
   * paths are relative to, which the run's hint names (not the step's working directory, where users look).
   */
  localActionRoot?: string;
  timedOut?: boolean;
  /** Named outputs the step produced (github-actions `steps.<id>.outputs`). */
  outputs?: Record<string, string>;
  /** The step did not run (its github-actions `if:` was false): recorded and shown as skipped, not completed. */
  skipped?: boolean;
  /** A `waitsFor` step that did not start: its latch closed, or the runner could not hold it (run it again without). */
  notStarted?: boolean;
}

/** Latches for the hand-off (Runner.handOff), numbered by the runner. */
export interface HandOff {
  newLatch(): number;
  /** Closes a latch that has not opened: steps waiting on it end `notStarted`. */
  closeLatch(latch: number): void;
  /**
   * When `latch` opens (at once if it has), `line` is appended to `file` before any step waiting on it starts:
   * the execution journal records the job that ended before the one it let start (records/journal.ts).
   */
  journalOnOpen?(latch: number, file: string, line: string): void;
}

export interface Runner {
  readonly name: RunnerName;
  /** Once per run before any job (not in dry-run). Throw an OrunError for unusable set-ups. */
  prepare?(run: RunContext): Promise<void>;
  /** Before a job's first step (e.g. create the job container). */
  startJob?(job: JobContext): Promise<void>;
  /**
   * True when a job's steps can run only in what startJob sets up (the docker runner's job container): after
   * startJob failed, no step of the job is handed to runStep, post-phase ones included; each is recorded
   * skipped (it never ran) and the start failure stays the job's error. Optional; absent means post-phase steps
   * (and those runsAfterFailure answers true for) still run after a failed start, as after a failed step.
   */
  readonly stepsNeedJobStart?: boolean;
  runStep(step: StepContext): Promise<StepResult>;
  /**
   * A step's working directory as the runner runs it, for the run's output (`-v`'s `cwd …`): the docker runner's
   * is its place under /workspace in the container. Optional; absent means the host folder, as for the local runner.
   */
  shownWorkdir?(job: JobContext, cwd: string): string;
  /**
   * Whether a step is still handed to runStep after an earlier step failed the
   * job (otherwise only post-phase steps are). github-actions answers true for
   * an `if:` that calls a status function (`always()`, `failure()`,
   * `!cancelled()`…): runStep then evaluates it and runs or skips the step,
   * as GitHub does. Optional; absent means false.
   */
  runsAfterFailure?(step: PlanStep): boolean;
  /**
   * Whether a step is still handed to runStep after the run was cancelled (Ctrl-C, SIGTERM, fail-fast cancel),
   * instead of being recorded `skipped`. github-actions answers true for an `if:` that calls a status function
   * (`always()`, `cancelled()`), as GitHub runs those after a cancel: runStep then evaluates it and runs
   * (within its grace) or skips the step, and the record says what happened. Optional; absent means false.
   * The job still ends failed: it was cancelled.
   */
  runsAfterCancel?(job: JobContext, step: PlanStep): boolean;
  /**
   * Present while the runner can hand a job over: start its first step the moment the step its dependency
   * ends with exits 0 (StepContext.opensLatch / waitsFor), without a round trip through the scheduler. This
   * is what keeps a chain of short jobs as fast as `make`. The local runner has it while its spawn helper runs.
   */
  readonly handOff?: HandOff;
  /** After the job's last step, even after failure (post hooks, container removal). */
  finishJob?(job: JobContext, outcome: { failed: boolean }): Promise<StepResult | void>;
  /** Once per run at the end, also after Ctrl-C. */
  cleanup?(run: RunContext): Promise<void>;
}

/**
 * The abort reason of a job's signal when remote state handed the job to another runner (this runner's
 * lease was lost): runners stop everything for it, post hooks included, since the job runs elsewhere now.
 */
export const JOB_HANDED_ON = "job handed to another runner";

/**
 * The abort reason of a job's signal when its remote run is gone from the backend (deleted): nobody runs the job
 * and nothing can record its result, so runners stop it as for a cancel; the job fails rather than being released.
 */
export const JOB_RUN_GONE = "the job's remote run is gone from the backend";

export function isUseStep(step: PlanStep): boolean {
  return typeof step.use === "string" && step.use.trim() !== "";
}

export function planHasUseStep(plan: Plan): boolean {
  return plan.jobs.some((job) => job.steps.some(isUseStep));
}
