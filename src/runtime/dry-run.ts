// `orun run --dry-run`: the run's preview, reading and writing nothing of the record. Each job with its steps and
// notes on what the run would do differently from a plain start (a resume's skipped jobs and steps, gates, missing
// folders, use: steps, broken local actions), then the refusals the run makes up front, made here too (exit 1).
import { existsSync } from "node:fs";
import path from "node:path";
import { requiresApproval, type Plan, type PlanJob } from "../model/plan.js";
import { orderSteps, phaseOf, stepKeys } from "../model/steps.js";
import { missingLocalActions } from "../plan/local-actions.js";
import { isUseStep } from "../runners/runner.js";
import { isInside } from "../util/paths.js";
import { warnOnStderr } from "../util/warning.js";
import { parseDuration } from "./duration.js";
import type { JobPreview, RunEvent, RunSummary } from "./events.js";
import type { ExecuteOptions, ExecuteResult } from "./execute.js";
import { GateEvaluator, isJobOf } from "./gates.js";
import { planChecksum } from "./graph.js";
import { generateExecId } from "./ids.js";
import { attemptsFor, nowStamp, timeoutFor } from "./job-executor.js";
import type { Selection } from "./job-selection.js";
import { previewedLockRefusal } from "./records/lock.js";
import { readResumedMetadata, recordedMetadata, refuseResumingRunnerRecord } from "./records/resume-guards.js";
import { loadState } from "./records/resume-state.js";
import { stampEarlierResults } from "./records/result-revision.js";
import { emptyState, type ExecState } from "./records/state.js";
import { ExecutionStore, type RunMetadata } from "./records/store.js";
import { resumeOf, whyNoStepSkipped, type JobResume } from "./resumed-steps.js";
import { commandOf } from "./resume-words.js";
import { dependencyStatus, refuseMissingDependencies } from "./run-dependencies.js";
import { revisionToRecord } from "./run-revision.js";
import { refuseUseSteps, runsUseSteps } from "./runner-resolution.js";
import { summarize } from "./run-summary.js";
import { jobDir, stepDir, type WorkdirOptions } from "./workdir.js";

/** What the run works out before it would start, which its preview shows too. */
export interface DryRunContext {
  concurrency: number;
  failFast: boolean;
  workdir: WorkdirOptions;
  planId: string;
  emit(event: RunEvent): void;
}

export async function dryRun(plan: Plan, selection: Selection, options: ExecuteOptions, ctx: DryRunContext): Promise<ExecuteResult> {
  const selectedIds = new Set(selection.selected.map((job) => job.id));
  // Where the run looks for local actions (RunContext.workspaceDir).
  const workspaceDir = ctx.workdir.override ? path.resolve(ctx.workdir.override) : ctx.workdir.workspaceDir;
  const resumed = await previewedResume(plan, options);
  const gateNotes = await previewGates(plan, selection, options, ctx.workdir, resumed);
  const actionNotes = runsUseSteps(options.runner.name) ? await brokenActionNotes(selection.selected, workspaceDir) : new Map<string, string[]>();
  // --job X whose dependencies have not completed: refused as the run refuses it (remote state waits for them instead).
  if (selection.target && !options.hooks?.managesDependencies && !options.previewsRemoteState) {
    const execId = resumed?.execId ?? options.execId ?? generateExecId(plan.metadata?.name);
    const state = resumed?.state ?? emptyState(execId, planChecksum(plan));
    const { satisfied } = dependencyStatus(state, selection, options, execId);
    const commandFor = async (job: string): Promise<string | undefined> => options.resumeCommand?.(execId, false, { job }).then(commandOf);
    await refuseMissingDependencies(state, selection, options, satisfied, commandFor, execId, true);
  }
  const jobs: JobPreview[] = selection.selected.map((job) => {
    const dir = jobDir(job, ctx.workdir);
    const ordered = orderSteps(job.steps);
    const keys = stepKeys(ordered);
    const notes: string[] = [];
    // A resume skips what the execution completed (--job X --retry runs X again), jobs and steps.
    const retried = options.retry && selection.target?.id === job.id;
    const recorded = resumed && !retried ? resumed.state.jobs[job.id] : undefined;
    if (recorded?.status === "completed") notes.push(`already completed in execution ${resumed!.execId}: the run skips it`);
    const resume = recorded && recorded.status !== "completed" ? resumeOf(job, recorded) : undefined;
    const noSkipping = resumed ? whyNoStepSkipped(options.runner.name, recorded?.runner, options.previewsRemoteState === true) : undefined;
    const skipsSteps = noSkipping === undefined;
    if (resume && resume.skipped.size + resume.setUpAgain.length > 0) notes.push(resumedStepsNote(resume, noSkipping, resumed!.execId));
    const outside = (job.dependsOn ?? []).filter((dep) => !selectedIds.has(dep));
    // Without --job: with it, the run refuses unless they completed (refused above), or waits under remote state.
    if (outside.length && !selection.target) notes.push(`waits unless ${outside.join(", ")} completed earlier in the execution (not part of this run)`);
    else if (outside.length && options.previewsRemoteState) notes.push(`waits for ${outside.join(", ")} to complete in the run (remote state)`);
    if (requiresApproval(job) && !options.approve) notes.push("blocked without --approve (policy requireApproval)");
    // The run fails the job at its first step (every runner starts its steps there).
    if (!existsSync(dir)) notes.push(`working directory ${dir} is missing: the run will fail`);
    // Spec 20 §3.6 honours a job path or working-directory anywhere (absolute, `..`): what the run does, named here
    // as the run's step headers name it, since a hand-written plan can move steps out of the workspace unseen.
    if (!ctx.workdir.override && !isInside(workspaceDir, dir)) notes.push(`job path "${job.path}" runs outside the workspace, in ${dir}`);
    notes.push(...(gateNotes.get(job.id) ?? []));
    if (!runsUseSteps(options.runner.name) && ordered.some(isUseStep)) notes.push(`has use: steps — the ${options.runner.name} runner will refuse them; rerun with --gha or --runner github-actions`);
    // The run fails such a job before its first step (the runner resolves every action at job start).
    if (runsUseSteps(options.runner.name)) for (const missing of missingLocalActions([job], workspaceDir)) notes.push(`step ${missing.step}: ${missing.message}`);
    notes.push(...(actionNotes.get(job.id) ?? []));
    const steps = ordered.map((step, i) => {
      const timeout = timeoutFor(job, step);
      if (timeout !== undefined) {
        try {
          parseDuration(timeout);
        } catch {
          // The run fails the step on it (spec 20 §3.5): said here with the field it comes from.
          const field = (step.timeout ?? "").trim() ? "its timeout" : "the job's timeout";
          notes.push(`step ${keys[i]}: invalid timeout "${timeout}" (${field}): the run will fail the step`);
        }
      }
      const cwd = stepDir(dir, step);
      if (isInside(workspaceDir, dir) && !isInside(workspaceDir, cwd)) notes.push(`step ${keys[i]}: working-directory "${step["working-directory"]}" runs outside the workspace, in ${cwd}`);
      return {
        key: keys[i]!,
        phase: phaseOf(step),
        order: step.order,
        kind: isUseStep(step) ? ("use" as const) : ("run" as const),
        command: isUseStep(step) ? step.use!.trim() : (step.run ?? ""),
        cwd,
        shell: step.shell,
        retries: attemptsFor(job, step) - 1,
        timeout,
        onFailure: step.onFailure,
        ...(skipsSteps && resume?.skipped.has(keys[i]!) ? { cached: true as const } : {}),
      };
    });
    return { job, dir, retries: Math.max(0, Number(job.retries ?? 0)), timeout: job.timeout, steps, note: notes.join("; ") || undefined };
  });
  ctx.emit({ type: "dry-run", plan, runner: options.runner, concurrency: ctx.concurrency, failFast: ctx.failFast, workspaceDir: ctx.workdir.override ?? ctx.workdir.workspaceDir, jobs });
  // The preview, notes included, is shown; then what the run refuses up front is refused here too (exit 1), never
  // passed with a note. No run-end: under --json the error is then the one document on stdout.
  refuseUseSteps(options.runner.name, selection.selected, true);
  // A live run holding the execution's lock: the run refuses to start beside it, and so does its preview.
  if (resumed) {
    const held = await previewedLockRefusal(new ExecutionStore(options.storeDir).lockFile(resumed.execId), resumed.execId);
    if (held) throw held;
  }
  const summary: RunSummary = {
    execId: "",
    planId: ctx.planId,
    planName: plan.metadata?.name ?? "",
    runner: options.runner.name,
    status: "completed",
    dryRun: true,
    startedAt: nowStamp(),
    durationMs: 0,
    concurrency: ctx.concurrency,
    counts: { total: jobs.length, succeeded: 0, failed: 0, skipped: 0, blocked: 0, cached: 0, waiting: 0, released: 0 },
    jobs: jobs.map((preview) => summarize(preview.job, "planned")),
  };
  ctx.emit({ type: "run-end", summary });
  return { summary, exitCode: 0 };
}

/**
 * The dry-run's note on a resumed job some of whose steps completed earlier: where the run picks it up, or why it
 * runs them all again (`noSkipping`, resumed-steps.ts).
 */
function resumedStepsNote(resume: JobResume, noSkipping: string | undefined, execId: string): string {
  const done = [...resume.setUpAgain, ...resume.skipped]; // in step order: pre-phase ones come first
  const them = done.length > 1 ? "them" : "it";
  if (noSkipping !== undefined) return `runs all its steps again, though execution ${execId} completed ${done.join(", ")}: ${noSkipping}`;
  const skipped = [...resume.skipped];
  if (resume.from === undefined) return `every step completed in execution ${execId}: the run skips ${them} and records the job completed`;
  const setUp = resume.setUpAgain.length ? `; its pre-phase ${resume.setUpAgain.join(", ")} run${resume.setUpAgain.length > 1 ? "" : "s"} again (the clean-up after the failure may have undone ${resume.setUpAgain.length > 1 ? "their" : "its"} set-up)` : "";
  return `resumes at step ${resume.from}: ${skipped.length ? `${skipped.join(", ")} completed in execution ${execId}, the run skips ${skipped.length > 1 ? "them" : "it"}` : "nothing before it is skipped"}${setUp}`;
}

/**
 * The dry run's notes, by job, on the local actions its steps would not load (and those a composite calls), as
 * `validate` reports them: the runner fails the job at its start on each.
 */
async function brokenActionNotes(jobs: PlanJob[], workspaceDir: string): Promise<Map<string, string[]>> {
  const { brokenLocalActions } = await import("../runners/github-actions/local-action-check.js");
  const notes = new Map<string, string[]>();
  // Job by job: each job calling a broken action gets its note (one walk of all would name the first caller only).
  for (const job of jobs) notes.set(job.id, (await brokenLocalActions([job], workspaceDir)).map((broken) => `step ${broken.step}: ${broken.message}`));
  return notes;
}

/**
 * A dry-run of an existing execution (--exec-id / ORUN_EXEC_ID): its state, read and nothing written, refused as the
 * run refuses it (another plan's execution, results without a state.json), so a preview never passes what the run
 * refuses nor shows as to run what the resume skips.
 */
async function previewedResume(plan: Plan, options: ExecuteOptions): Promise<PreviewedResume | undefined> {
  const execId = options.execId;
  if (!execId) return undefined;
  const store = new ExecutionStore(options.storeDir);
  if (!existsSync(store.execDir(execId))) return undefined;
  const withPlan = (planFile: string): Promise<string | undefined> | undefined => options.resumeCommand?.(execId, false, { planFile }).then(commandOf).catch(() => undefined);
  // The run's refusals of the record, in its order: a remote runner's own record, then its state, then metadata of the wrong shape.
  const metadata = await readResumedMetadata(store, execId);
  if (!options.remoteRunId) refuseResumingRunnerRecord(store, execId, metadata);
  const state = await loadState(store, execId, planChecksum(plan), plan, metadata, withPlan);
  return { execId, state, meta: recordedMetadata(metadata).meta };
}

/** The execution a dry-run previews the resume of: its state and metadata, each read once. */
interface PreviewedResume {
  execId: string;
  state: ExecState;
  meta?: RunMetadata;
}

/**
 * Each gated job's gates judged as the run would judge them off remote state (the dry-run never uses it): by this
 * machine's records at the revision the run would vouch for, read and nothing written. Gate evidence the run's own
 * jobs would produce (the gate's component in its environment, run in this run) is named as such.
 */
async function previewGates(plan: Plan, selection: Selection, options: ExecuteOptions, workdir: WorkdirOptions, resumed: PreviewedResume | undefined): Promise<Map<string, string[]>> {
  const notes = new Map<string, string[]>();
  const gated = selection.selected.filter((job) => (job.gates ?? []).length > 0);
  if (gated.length === 0) return notes;
  const folders = { workspaceDir: workdir.workspaceDir, jobDirs: selection.selected.map((job) => jobDir(job, workdir)) };
  const revision = await revisionToRecord(plan.metadata?.revision, folders, options.warn ?? warnOnStderr);
  const store = new ExecutionStore(options.storeDir);
  // A resumed execution's own results count, as in the run.
  const current = resumed?.state;
  // Its results an older orun recorded are judged by the revision it recorded then, as the run will judge them.
  if (current) stampEarlierResults(current, resumed?.meta?.revision);
  const gates = new GateEvaluator(revision, store, options.execId ?? "", current ?? emptyState(options.execId ?? "", ""), undefined, plan);
  for (const job of gated) {
    const out: string[] = [];
    for (const gate of job.gates!) {
      const { satisfiedBy, blocked } = await gates.checkLocalGate(gate);
      if (satisfiedBy !== undefined) {
        out.push(`gate ${gate.component} in ${gate.environment}: satisfied by ${satisfiedBy}`);
        continue;
      }
      // Jobs this run will run: a resumed record's completed ones are skipped, so they cannot lift the block.
      const ownJobs = selection.selected.filter((other) => isJobOf(other.id, gate) && current?.jobs[other.id]?.status !== "completed");
      const unless = revision && ownJobs.length ? ` — unless this run's ${ownJobs.map((other) => other.id).join(", ")} complete${ownJobs.length === 1 ? "s" : ""} first` : "";
      out.push(`would block: ${blocked}${unless}`);
    }
    notes.set(job.id, out);
  }
  return notes;
}
