// The github-actions runner: runs plan steps the way a GitHub Actions runner
// does (run: scripts with GitHub's shells, use: node, composite and docker actions,
// `${{ }}` expressions, workflow and file commands, action pre hooks at job
// start, post hooks at job end).
// One instance serves one run; each job gets its own state (job-state.ts).
//
// Module map: step-runner.ts (run/uses dispatch, node + composite actions,
// pre and post hooks) · command-run.ts (one process with file + workflow commands) ·
// docker-action.ts (docker container actions, docker:// steps) · expressions.ts + hash-files.ts (`${{ }}`) ·
// workflow-commands.ts + masker.ts (`::cmd::` lines, secret masking) ·
// file-commands.ts (GITHUB_ENV/OUTPUT/PATH/STATE/STEP_SUMMARY) · shell.ts ·
// process.ts · action-ref.ts + action-metadata.ts (use: values, action.yml) · local-action-check.ts (the
// local actions validate/plan read) ·
// action-cache.ts + github-api.ts + tarball.ts (remote actions) ·
// github-context.ts (github context, GITHUB_* variables) · cancel-grace.ts (what
// runs after a cancel, and for how long) · stale-scratch.ts (folders of killed runs) ·
// job-keys.ts (GitHub job keys: defaults.run honoured, container:/services:… refused) · settings.ts (what is
// checked before a run's record is made) ·
// orphans.ts (processes a job left running, killed at its end).
import { readFile } from "node:fs/promises";
import type { JobContext, RunContext, Runner, StepContext, StepResult } from "../runner.js";
import type { RunnerOptions } from "../registry.js";
import { ActionCache, defaultCacheRoot } from "./action-cache.js";
import { conditionChecksStatus, evaluateCondition, interpolate } from "./expressions.js";
import { readRepoInfo, type RepoInfo } from "./github-context.js";
import { ContainerActions } from "./docker-action.js";
import { removeDeadJobFolders } from "./stale-scratch.js";
import { CancelGrace, markSkippedBefore, type LooseStep } from "./cancel-grace.js";
import { createJobState, jobFailed, removeJobTemp, userRecord, type JobState } from "./job-state.js";
import { jobRunDefaults, type RunDefaults } from "./job-keys.js";
import { killOrphans } from "./orphans.js";
import { cancelGraceMs } from "./settings.js";
import { executeStep, expressionScope, resolveStepAction, runPostHooks, runPreHook, timeoutMinutesMs, type Scope, type StepIO, type StepSpec } from "./step-runner.js";
import { JOB_HANDED_ON, isUseStep } from "../runner.js";
import { parseActionRef } from "./action-ref.js";
import { planShortId, type PlanStep } from "../../model/plan.js";
import { orderSteps, stepKeys } from "../../model/steps.js";
import { stepEnv } from "../../runtime/step-env.js";
import { stepDir } from "../../runtime/workdir.js";
import { parseDuration } from "../../runtime/duration.js";
import { timeoutFor } from "../../runtime/job-executor.js";
import { longTimeout } from "../../util/timers.js";
import { KeptLines } from "./kept-lines.js";
import { errorSummary } from "../../runtime/output/failure-text.js";
import { ApiStatusError, ApiUnreachableError } from "./github-api.js";

export { jobSummaryPath } from "./job-state.js";

const MAX_KEPT = 1024 * 1024;
/**
 * Output handed back whole rather than streamed — a job's finish log (its posts' output), a pre's output kept
 * for its step: its first and last this many characters are kept (see kept-lines.ts).
 */
const FINISH_KEPT = 4 * 1024 * 1024;
/** Output is handed to the record and the terminal in pieces of about this size (see runStep). */
const OUTPUT_BATCH = 64 * 1024;
export interface GithubActionsRunnerOptions extends RunnerOptions {
  /** Root of the shared remote-action cache (default $ORUN_ACTIONS_CACHE or ~/.orun/actions). */
  actionsCache?: string;
  /** "copy" forces byte copies of cached actions instead of hard links. */
  actionsLink?: string;
  /** Time always() steps and post hooks still get once the job is cancelled (Go duration, default 60s; env ORUN_GHA_CANCEL_GRACE). */
  postGrace?: string;
}

export function createGithubActionsRunner(options: GithubActionsRunnerOptions = {}, hostEnv: NodeJS.ProcessEnv = process.env): GithubActionsRunner {
  return new GithubActionsRunner(options, hostEnv);
}

export class GithubActionsRunner implements Runner {
  readonly name = "github-actions" as const;
  readonly cache: ActionCache;
  private readonly containers: ContainerActions;
  private readonly jobs = new Map<string, Promise<JobState>>();
  private repo?: Promise<RepoInfo>;
  private readonly grace: CancelGrace;
  /** RUNNER_TRACKING_IDs of the jobs under way: what their steps left running is killed if orun exits first. */
  private readonly liveJobs = new Set<string>();
  private readonly killLiveOrphans = (): void => {
    for (const id of this.liveJobs) killOrphans(id);
  };

  constructor(
    options: GithubActionsRunnerOptions,
    private readonly hostEnv: NodeJS.ProcessEnv,
  ) {
    this.cache = new ActionCache({
      root: options.actionsCache ?? defaultCacheRoot(hostEnv),
      forceCopy: (options.actionsLink ?? hostEnv.ORUN_ACTIONS_LINK) === "copy",
    });
    this.containers = new ContainerActions(hostEnv);
    this.grace = new CancelGrace(cancelGraceMs(options, hostEnv));
  }

  async prepare(run: RunContext): Promise<void> {
    // GitHub job keys orun cannot honour (container:, services:…) stop the run before any job starts (the CLI
    // checks them before the record is made too: checkGithubActionsSettings).
    for (const job of run.jobs ?? run.plan.jobs) jobRunDefaults(job, `plan ${JSON.stringify(run.plan.metadata?.name ?? "")}`);
    this.repo = readRepoInfo(run.workspaceDir, this.hostEnv);
    // Job folders (HOME, file commands, scripts) of runs killed before their clean-up.
    await Promise.all([this.repo, removeDeadJobFolders(run.scratchDir)]);
  }

  async startJob(job: JobContext): Promise<void> {
    const state = await this.jobState(job);
    await this.resolveActions(job, state);
    await this.runPreHooks(job, state);
  }

  /**
   * As GitHub's "Set up job": every job-level remote action is resolved and downloaded, and every `use:` value
   * parsed, before any step or pre runs, so a misspelt ref fails the job before a deploy step has run. Every
   * failure is named (step and action); the job's steps are then not run (runStep skips them). Local actions
   * (`./path`) are left to their step, as GitHub loads them: an earlier step may create the folder (a checkout of
   * another repository into a path is the common case). validate and the dry-run warn about one that is missing.
   */
  private async resolveActions(job: JobContext, state: JobState): Promise<void> {
    const steps = orderSteps(job.job.steps);
    const keys = stepKeys(steps);
    const ids = job.run.ids ?? { runner: this.name, planId: planShortId(job.run.plan), execId: job.run.execId };
    const failures = await Promise.all(
      steps.map(async (step, i): Promise<{ error: string; reason: string } | undefined> => {
        if (!isUseStep(step) || (step.run ?? "").trim() !== "") return undefined;
        const key = step.id || keys[i]!;
        if (isLocalAction(step.use!)) return undefined;
        let scope: Scope;
        try {
          scope = jobScope(state, job, step, stepEnv(ids, job.job, step), stepDir(job.jobDir, step));
        } catch {
          return undefined; // a broken job env: the step itself fails naming it ("job env: …")
        }
        const { io, dispose } = this.stepIO(job, [job.signal], undefined, state, () => undefined);
        try {
          await resolveStepAction(preSpec(step, key), scope, io);
          return undefined;
        } catch (err) {
          return { error: `step ${key} (use: ${step.use!.trim()}): ${err instanceof Error ? err.message : String(err)}`, reason: setupFailureReason(err) };
        } finally {
          dispose();
        }
      }),
    );
    const failed = failures.filter((f) => f !== undefined);
    if (!failed.length) return;
    if (job.signal.aborted) throw new Error("canceled");
    state.setupError = state.masker.mask(`set up job: ${failed.map((f) => f.error).join("; ")}`);
    state.setupReason = state.masker.mask([...new Set(failed.map((f) => f.reason))].join("; "));
    throw new Error(state.setupError);
  }

  /**
   * GitHub runs every action's pre at job start, in step order, before any
   * main. Each pre's output is kept for its step (runStep shows it first).
   * Actions nested in composites are not hoisted (GitHub does not either).
   */
  private async runPreHooks(job: JobContext, state: JobState): Promise<void> {
    const steps = orderSteps(job.job.steps);
    const keys = stepKeys(steps);
    const ids = job.run.ids ?? { runner: this.name, planId: planShortId(job.run.plan), execId: job.run.execId };
    for (const [i, step] of steps.entries()) {
      if (!isUseStep(step) || (step.run ?? "").trim() !== "") continue;
      const key = step.id || keys[i]!;
      let scope: Scope;
      try {
        scope = jobScope(state, job, step, stepEnv(ids, job.job, step), stepDir(job.jobDir, step));
      } catch {
        continue; // a broken job env: the step itself fails naming it ("job env: …"), not a pre it may not have
      }
      // Kept until the step runs (bounded: a pre may print without limit).
      const output = new KeptLines(FINISH_KEPT);
      // The step's time limits hold for its pre too (a hung pre must not hold the job for ever), asked for
      // only once the action shows a pre.
      const { io, dispose } = this.stepIO(job, [job.signal], undefined, state, (line) => output.push(line));
      try {
        await runPreHook(preSpec(step, key), scope, io, () => preTimeoutMs(job, step, scope, state));
      } catch (err) {
        // A pre stopped by the cancel is no failure (failure() stays false), as on GitHub.
        if (!state.cancelled || job.signal.reason === JOB_HANDED_ON) state.failedSteps.add(`pre ${key}`);
        throw new Error(state.masker.mask(`pre of step ${key} (${step.use}): ${err instanceof Error ? err.message : String(err)}`));
      } finally {
        dispose();
        if (output.length) state.preOutput.set(key, [`▸ Pre ${step.name || key}`, ...output.lines()]);
      }
    }
  }

  private jobState(job: JobContext): Promise<JobState> {
    let state = this.jobs.get(job.job.id);
    if (!state) {
      this.repo ??= readRepoInfo(job.run.workspaceDir, this.hostEnv);
      state = this.repo.then(async (repo) => {
        const created = await createJobState(job, repo, this.hostEnv);
        this.trackJob(created, true);
        return created;
      });
      this.jobs.set(job.job.id, state);
    }
    return state;
  }

  /**
   * A job's processes die with orun: a second Ctrl-C or any other exit while jobs are under way (process.exit
   * runs 'exit' listeners) kills what their steps left running, as their end would have. A SIGKILLed orun runs
   * nothing: those processes stay.
   */
  private trackJob(state: JobState, live: boolean): void {
    const id = state.baseEnv.RUNNER_TRACKING_ID ?? "";
    if (!id) return;
    const before = this.liveJobs.size;
    if (live) this.liveJobs.add(id);
    else this.liveJobs.delete(id);
    if (before === 0 && this.liveJobs.size > 0) process.on("exit", this.killLiveOrphans);
    else if (before > 0 && this.liveJobs.size === 0) process.off("exit", this.killLiveOrphans);
  }

  async runStep(ctx: StepContext): Promise<StepResult> {
    // The full stream goes to onOutput (and the step log); the result keeps the last MAX_KEPT characters.
    let lines: string[] = [];
    let first = 0;
    let kept = 0;
    const emit = (line: string): void => {
      lines.push(line);
      kept += line.length + 1;
      while (kept > MAX_KEPT && lines.length - first > 1) {
        kept -= lines[first]!.length + 1;
        // Emptied, not just skipped: a slot still holding its line (up to a MiB) would keep it alive until compaction.
        lines[first++] = "";
      }
      if (first > 4096) {
        lines = lines.slice(first);
        first = 0;
      }
      // Handed on in batches: a step printing millions of short lines must not cost a log write per line.
      pending += `${line}\n`;
      if (pending.length >= OUTPUT_BATCH) flushOutput();
      else if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushOutput);
      }
    };
    let pending = "";
    let flushScheduled = false;
    const flushOutput = (): void => {
      flushScheduled = false;
      if (!pending) return;
      const chunk = pending;
      pending = "";
      ctx.onOutput(chunk);
    };
    try {
      return await this.runStepWith(ctx, emit, () => lines.slice(first).join("\n"));
    } finally {
      flushOutput();
    }
  }

  private async runStepWith(ctx: StepContext, emit: (line: string) => void, keptOutput: () => string): Promise<StepResult> {
    let state: JobState;
    try {
      state = await this.jobState(ctx.job);
    } catch (err) {
      return { exitCode: null, output: "", error: `github-actions runner: cannot set up job ${ctx.job.job.id}: ${err instanceof Error ? err.message : String(err)}` };
    }
    const step = ctx.step;
    const key = step.id || ctx.stepKey;
    if (state.setupError !== undefined) {
      // As on GitHub, a job whose set-up failed runs none of its steps, clean-up (always()) ones included.
      state.steps[key] = { outputs: {}, outcome: "skipped", conclusion: "skipped" };
      emit(`not run: the job could not be set up (${state.setupReason ?? "an action could not be set up"}; see the job's error)`);
      return { exitCode: 0, output: keptOutput(), outputs: {}, skipped: true };
    }
    // A pre that ran at job start is shown first, as GitHub shows "Pre <step>" before the mains.
    const pre = state.preOutput.get(key);
    state.preOutput.delete(key);
    for (const line of pre ?? []) emit(state.masker.mask(line));
    // A retry replaces the step's earlier attempt: only its final result counts for job.status and failure().
    state.failedSteps.delete(key);
    markSkippedBefore(ctx.job, state, key);
    state.ran.add(key);
    if (this.grace.over(state)) {
      // Handed over after a cancel (runsAfterCancel), but what runs after a cancel has had its time.
      state.steps[key] = { outputs: {}, outcome: "skipped", conclusion: "skipped" };
      emit(`not run after the cancel: the grace period (${this.grace.describe()}) is over`);
      return { exitCode: 0, output: keptOutput(), outputs: {}, skipped: true };
    }
    let scope: Scope;
    try {
      scope = jobScope(state, ctx.job, step, ctx.env, ctx.cwd);
    } catch (err) {
      state.failedSteps.add(key);
      return { exitCode: null, output: keptOutput(), error: state.masker.mask(`job env: ${err instanceof Error ? err.message : String(err)}`) };
    }
    const loose = step as LooseStep;
    // GitHub's step `timeout-minutes` (a plan written for this runner may carry it), within orun's own step timeout.
    let timeoutMs = ctx.timeoutMs;
    try {
      const own = timeoutMinutesMs(loose["timeout-minutes"], expressionScope(scope, { ...scope.env, ...state.exportedEnv }));
      if (own !== undefined) timeoutMs = timeoutMs !== undefined && timeoutMs > 0 ? Math.min(timeoutMs, own) : own;
    } catch (err) {
      state.failedSteps.add(key);
      return { exitCode: null, output: keptOutput(), error: state.masker.mask(`step ${key}: ${err instanceof Error ? err.message : String(err)}`) };
    }
    // A running step whose if: still holds once the job is cancelled (always()) runs on, within the grace.
    const survives = conditionChecksStatus(loose.if)
      ? this.grace.survivor(ctx, state, () => evaluateCondition(loose.if, expressionScope(scope, { ...scope.env, ...state.exportedEnv })))
      : undefined;
    const { io, dispose } = this.stepIO(ctx.job, survives ? survives.signals : [ctx.signal, ctx.job.signal], timeoutMs, state, emit);
    const outcome = await executeStep(stepSpec(step, key, state.runDefaults), scope, io);
    dispose();
    survives?.dispose();
    if (outcome.error !== undefined && !outcome.cancelled) state.failedSteps.add(key);
    const output = keptOutput().replace(/\n+$/, "");
    if (outcome.skipped) return { exitCode: 0, output, outputs: {}, skipped: true };
    return { exitCode: outcome.error ? outcome.exitCode ?? null : 0, output, error: outcome.error, localActionRoot: outcome.localActionRoot, timedOut: outcome.timedOut, outputs: outcome.outputs };
  }

  /** A step whose `if:` calls a status function decides for itself after a failure (`if: failure()` clean-up). */
  runsAfterFailure(step: PlanStep): boolean {
    return conditionChecksStatus((step as PlanStep & { if?: string | boolean }).if);
  }

  /**
   * On GitHub a cancel skips the job's remaining steps except those whose `if:` still holds (`always()`,
   * `cancelled()`): such steps are handed to runStep, which runs them within the cancel's grace (or says why
   * not), so the record has their result and logs like any step's. Not for a job handed to another runner.
   */
  runsAfterCancel(job: JobContext, step: PlanStep): boolean {
    return job.signal.reason !== JOB_HANDED_ON && conditionChecksStatus((step as LooseStep).if);
  }

  /** What a step (or a pre or post hook) runs with: stopped by any of `signals`, or by its timeout. */
  private stepIO(job: JobContext, signals: AbortSignal[], timeoutMs: number | undefined, state: JobState, emit: (line: string) => void): { io: StepIO; dispose: () => void } {
    const timeout = new AbortController();
    const stopTimer = timeoutMs !== undefined && timeoutMs > 0 ? longTimeout(() => timeout.abort(), timeoutMs) : undefined;
    const signal = AbortSignal.any([...signals, timeout.signal]);
    const io: StepIO = {
      workspaceDir: job.run.workspaceDir,
      signal,
      timedOut: () => timeout.signal.aborted,
      timeoutMs,
      emit,
      cache: this.cache,
      containers: this.containers,
      debug: state.runner.debug === "1",
    };
    return { io, dispose: () => stopTimer?.() };
  }

  /**
   * Runs post hooks (reverse order) and hands back the job's step summary
   * (GITHUB_STEP_SUMMARY) as `outputs.summary`, since the run's scratch
   * space does not outlive the run.
   */
  async finishJob(job: JobContext, outcome: { failed: boolean }): Promise<StepResult | void> {
    const pending = this.jobs.get(job.job.id);
    if (!pending) return;
    this.jobs.delete(job.job.id);
    const state = await pending.catch(() => undefined);
    if (!state) return;
    try {
      // Pres of steps that never ran (the job failed first) still show their output.
      const lines = new KeptLines(FINISH_KEPT);
      for (const line of [...state.preOutput.values()].flat()) lines.push(state.masker.mask(line));
      state.preOutput.clear();
      const errors: string[] = [];
      // After a cancel the posts run too, as on GitHub (after the always()/cancelled() steps, see runsAfterCancel).
      if (state.posts.length) {
        const posts = this.grace.signal(job, state);
        try {
          const { io, dispose } = this.stepIO(job, [posts.signal], undefined, state, (line) => lines.push(line));
          try {
            // After a cancel job.status is cancelled: post-if: failure() is false, as on GitHub.
            const failed = !job.signal.aborted && (jobFailed(state) || outcome.failed);
            errors.push(...(await runPostHooks(state, io, { failed, cancelled: job.signal.aborted })));
          } finally {
            dispose();
          }
        } finally {
          posts.dispose();
        }
      }
      // As GitHub's runner ends a job: what its steps left running (`server &`) goes, after the posts.
      const orphans = killOrphans(state.baseEnv.RUNNER_TRACKING_ID ?? "");
      this.trackJob(state, false);
      if (orphans.length) lines.push("Cleaning up orphan processes");
      for (const o of orphans) lines.push(state.masker.mask(`Terminate orphan process: pid (${o.pid}) (${o.name})`));
      // Said in the finish log too: after a cancel the job's error is the cancel, so these would go unseen.
      // In the words every line a person reads uses (`post np: command exited with code 4`; the error keeps the runner's).
      for (const error of errors) lines.push(`✗ ${state.masker.mask(errorSummary(error).summary)}`);
      // The summary goes back as data, not in the finish log: the record keeps it once, as `job summary`.
      const summary = await readFile(state.summaryFile, "utf8").catch(() => "");
      if (!lines.length && !errors.length && !summary.trim()) return;
      return {
        exitCode: errors.length ? 1 : 0,
        output: lines.lines().join("\n"),
        error: errors.length ? errors.join("; ") : undefined,
        outputs: summary.trim() ? { summary } : {},
      };
    } finally {
      await removeJobTemp(state);
    }
  }

  async cleanup(_run: RunContext): Promise<void> {
    await this.containers.cleanup();
    const left = [...this.jobs.values()];
    this.jobs.clear();
    for (const pending of left) {
      const state = await pending.catch(() => undefined);
      if (!state) continue;
      // A job never finished (the run stopped first): what its steps left running goes with it.
      killOrphans(state.baseEnv.RUNNER_TRACKING_ID ?? "");
      this.trackJob(state, false);
      await removeJobTemp(state);
    }
  }
}

/**
 * The scope of a job-level step: the env orun declares for it, minus the
 * step's own `env:` (which the step evaluates itself), with expressions
 * evaluated against the job env. Throws for a bad job-env expression.
 */
function jobScope(state: JobState, job: JobContext, step: PlanStep, declared: Record<string, string>, cwd: string): Scope {
  const stepEnvKeys = new Set(Object.keys(step.env ?? {}));
  const jobEnv = userRecord();
  for (const [key, value] of Object.entries(declared)) if (!stepEnvKeys.has(key)) jobEnv[key] = value;
  for (const key of stepEnvKeys) if (job.job.env?.[key] !== undefined) jobEnv[key] = String(job.job.env[key]);
  // A job env key the declared env lost (`__proto__` assigned to a plain object sets no key): from the job itself.
  for (const [key, value] of Object.entries(job.job.env ?? {})) {
    if (!Object.hasOwn(declared, key) && !stepEnvKeys.has(key) && value !== undefined) jobEnv[key] = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value ?? "");
  }
  const scope: Scope = { state, steps: state.steps, inputs: {}, env: userRecord(), failed: jobFailed(state), depth: 0, baseDir: job.jobDir, cwd, owner: "" };
  // Job-level values may use expressions too (with the job env itself as `env`).
  const exprScope = expressionScope(scope, jobEnv);
  for (const [key, value] of Object.entries(jobEnv)) {
    try {
      scope.env[key] = interpolate(value, exprScope);
    } catch (err) {
      throw new Error(`${key}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return scope;
}

/**
 * The time a job-level step's pre may take: the step's orun timeout (its own, else the job's) and its
 * timeout-minutes. A limit that cannot be read yet (an expression over a later step's output) or is invalid
 * does not hold for the pre: the step reports it itself when it runs.
 */
function preTimeoutMs(job: JobContext, step: PlanStep, scope: Scope, state: JobState): number | undefined {
  const limits = [
    () => {
      const own = timeoutFor(job.job, step);
      return own === undefined ? undefined : parseDuration(own);
    },
    () => timeoutMinutesMs((step as LooseStep)["timeout-minutes"], expressionScope(scope, { ...scope.env, ...state.exportedEnv })),
  ].map((limit) => {
    try {
      return limit();
    } catch {
      return undefined;
    }
  });
  const set = limits.filter((ms): ms is number => ms !== undefined && ms > 0);
  return set.length ? Math.min(...set) : undefined;
}

/** A job-level step as the step runner takes it; a `run:` step without shell or working-directory gets the job's `defaults.run`. */
function stepSpec(step: PlanStep, key: string, defaults: RunDefaults): StepSpec {
  const loose = step as LooseStep;
  const runs = (step.run ?? "").trim() !== "";
  return {
    key,
    name: step.name,
    run: step.run,
    uses: step.use,
    with: step.with,
    env: step.env,
    shell: step.shell || (runs ? defaults.shell : undefined),
    workingDirectory: step["working-directory"] || (runs ? defaults.workingDirectory : undefined),
    if: loose.if,
    continueOnError: loose["continue-on-error"],
    gitHubUses: (step as PlanStep & { uses?: unknown }).uses,
  };
}

function preSpec(step: PlanStep, key: string): StepSpec {
  return { key, name: step.name, uses: step.use, with: step.with, env: step.env, workingDirectory: step["working-directory"] };
}

/** A `use:` naming a local action (`./path`); an unparsable value is not one (set-up reports it). */
function isLocalAction(uses: string): boolean {
  try {
    return parseActionRef(uses).kind === "local";
  } catch {
    return false;
  }
}

/**
 * Why a remote action could not be set up, in a few words for the steps it kept from running: "not found" only for
 * the API's 404, otherwise what failed (the DNS lookup of a host and its error code, a status, …).
 */
function setupFailureReason(err: unknown): string {
  if (err instanceof ApiUnreachableError) return err.reason;
  if (err instanceof ApiStatusError) return err.status === 404 ? "an action was not found" : `the GitHub API answered ${err.status}`;
  return "an action could not be set up";
}
