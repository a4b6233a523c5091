// What a runner of a remote run tells its user to run next, as one `orun run` command each: the retry of a failed
// job in the run, the re-run of a job another runner abandoned, the rest of the run a --retry reopened, the runner's
// own slice after a Ctrl-C. Each names the plan as the runner's command did (src/runtime/plan-reference.ts), repeats
// its flags and settings, and pins the run ID, so it can be pasted anywhere.
import { canonicalJobId } from "../model/plan.js";
import { shellWord } from "../util/shell-word.js";
import type { RemoteHooksOptions } from "./hooks.js";

type CommandOptions = Pick<RemoteHooksOptions, "runId" | "planRef" | "commandFlags" | "scopeFlags" | "commandEnv" | "job">;

export class RerunAdvice {
  /**
   * The failed job whose retry in this run would let this runner's jobs run, as the backend named it (the job itself
   * when it failed elsewhere, the failed job upstream, the job whose failure stopped the run), or a job blocked here.
   */
  private toRetry?: string;
  /** Jobs this runner's --retry set pending again (the backend's claim.reopened), until this runner claims them. */
  readonly reopenedHere = new Set<string>();
  /** Jobs this runner was canceled in and gave back (giveBack): no failure of theirs to retry. */
  readonly released = new Set<string>();

  /** `planId`: the plan's ID as the run knows it (joining a run may change it), named when the command named none. */
  constructor(
    private readonly options: CommandOptions,
    private readonly planId: () => string,
  ) {}

  /** `jobId` is the failed job to retry, unless the backend named one before (the first named is the one to retry). */
  blame(jobId: string): void {
    this.toRetry ??= jobId;
  }

  /**
   * The command that retries in this run (reopening each if it failed) `jobIds`, the jobs that failed here, one after
   * another (each `orun run` takes one --job), or else the failed job the backend said kept this runner's jobs from
   * running; undefined when there is none.
   */
  retryCommand(jobIds: readonly string[] = []): string | undefined {
    // A job canceled here was given back, not failed: the rejoin line takes it up again.
    const failed = jobIds.filter((job) => !this.released.has(canonicalJobId(job)));
    const jobs = failed.length > 0 ? failed : this.toRetry !== undefined ? [this.toRetry] : [];
    return jobs.length > 0 ? jobs.map((job) => this.rerun(job, true)).join(" && ") : undefined;
  }

  /** The jobs this runner's --retry set pending again and left to run, and the command that runs the rest of the run. */
  stillToRun(): { jobs: string[]; command: string } | undefined {
    if (this.reopenedHere.size === 0) return undefined;
    return { jobs: [...this.reopenedHere].sort(), command: this.command(this.plan(), undefined, false) };
  }

  /** The command that runs `jobId` again in this run (`--retry`: reopens it if it failed), naming the plan as this runner's command did. */
  rerun(jobId: string, retry: boolean): string {
    return this.command(this.plan(), jobId, retry);
  }

  /** The command that runs this runner's slice of the run again (its own command, the run ID pinned): a second Ctrl-C's advice. */
  resumeCommand(): string {
    return this.command(this.plan(), this.options.job, false);
  }

  /** `orun run` of `plan` ("": a fresh plan) in this run, with the runner's flags, for `jobId` (or the runner's slice). */
  command(plan: string, jobId: string | undefined, retry: boolean): string {
    // A run ID from ORUN_EXEC_ID or a CI variable may hold any character: quoted, as the plan and flags are.
    const words = [
      this.options.commandEnv,
      "orun run",
      plan,
      this.options.commandFlags,
      !jobId && this.options.scopeFlags,
      jobId && `--job ${shellWord(jobId)}`,
      `--exec-id ${shellWord(this.options.runId)}`,
      "--remote-state",
      retry && jobId && "--retry",
    ];
    return words.filter(Boolean).join(" ");
  }

  private plan(): string {
    return this.options.planRef ?? this.planId();
  }
}
