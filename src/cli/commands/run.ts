// `orun run`, `orun status`, `orun logs`, `orun gc`: thin adapters from
// command-line flags to the runtime (src/runtime). Remote state plugs in by
// passing `hooks` to executePlan (see RunCommandOptions / runCommand).
import { Command, InvalidArgumentError, Option } from "commander";
import { existsSync } from "node:fs";
import path from "node:path";
import { constants as osConstants } from "node:os";
import { setFlagsFromString } from "node:v8";
import type { CiPlanningFlags } from "../../planner/triggers/planning.js";
import type { ExecutionHooks } from "../../runtime/hooks.js";
import { OrunError, errorMessage, fileSystemReason } from "../../util/errors.js";
import { keepRunningWhenOutputCloses, outputClosed } from "../closed-output.js";
import { collect, collectNames, digitsOnly, nonEmpty, oneJob, oneValue, sameJob, secondJobRefusal } from "../option-values.js";
import { CONFIG_DIR_HELP, INTENT_HELP, RECORDS_INTENT_HELP } from "../flag-help.js";
import { RUNNER_NAMES, suggestRunner } from "../../runners/registry.js";
import { parseDuration } from "../../runtime/duration.js";
import { componentsTaken, scopeJobs, unmatchedFilterWarnings } from "../../runtime/run-scope.js";
import { isRecordFolder, readsLocalRecord, type RecordSourceFlags } from "../record-source.js";
import { warnOnStderr, warningLine } from "../../util/warning.js";
import { printable } from "../../util/printable.js";
import { refuseConflictingFlags, refuseRemoteFlagConflicts } from "./run-flag-conflicts.js";

/** Trigger/change flags (CiPlanningFlags) compile a fresh scoped plan; `all` disables working-directory scoping. */
export interface RunCommandOptions extends CiPlanningFlags {
  all?: boolean;
  plan?: string;
  intent?: string;
  dryRun?: boolean;
  runner?: string;
  gha?: boolean;
  concurrency?: number;
  execId?: string;
  job?: string;
  retry?: boolean;
  component?: string[];
  /** --fail-fast / --no-fail-fast: overrides the plan's execution.failFast. */
  failFast?: boolean;
  env?: string[];
  workdir?: string;
  approve?: boolean;
  verbose?: boolean;
  json?: boolean;
  background?: boolean;
  /** Runner-specific options (e.g. docker `pull`), forwarded untouched. */
  runnerOptions?: Record<string, string | undefined>;
  /** Remote state (src/remote): --remote-state, --backend-url. */
  remoteState?: boolean;
  backendUrl?: string;
  /** `-c/--config-dir`: legacy composition registry for a fresh compile (else ORUN_CONFIG_DIR). */
  configDir?: string;
}

const REMOTE_STATE_HELP = "coordinate through the orun backend (default: ORUN_REMOTE_STATE=true or intent execution.state.mode: remote)";
const READ_REMOTE_HELP = "read the run from the orun backend instead of this machine's records (default: ORUN_REMOTE_STATE=true or intent execution.state.mode: remote)";
const READ_EXEC_ID_HELP = "execution to read (default: ORUN_EXEC_ID, else the latest; prefixes accepted; under remote state, the run ID, unless --local)";
const READ_LOCAL_HELP = "read this machine's execution records (such as a runner's Local record: R.<hex>) even when ORUN_REMOTE_STATE or intent execution.state turns remote state on";
// `logs --job` / `--step` select one job and one step: a second, other value is refused, not one of them dropped.
const LOGS_JOB = oneValue("--job", "logs shows one job's steps, or every job's without --job (run orun logs once per job)", sameJob);
const LOGS_STEP = oneValue("--step", "logs shows one step of each job, or every step without --step (run orun logs once per step)");
const BACKEND_URL_HELP = "backend URL (default: ORUN_BACKEND_URL, else intent execution.state.backendUrl)";

export function registerRunCommands(program: Command): void {
  program
    .command("run")
    .description("Execute a plan (compiled fresh from intent.yaml unless a plan is named); --dry-run previews it")
    .argument("[plan-or-component]", "plan file, stored plan (latest, name, checksum prefix) or component name")
    .option("-p, --plan <ref>", "plan to run (same forms as the argument; default: ORUN_PLAN_ID, else a fresh plan of the intent)", nonEmpty)
    .option("-i, --intent <path>", INTENT_HELP, nonEmpty)
    .option("-c, --config-dir <path>", `${CONFIG_DIR_HELP}, for a fresh compile`, nonEmpty)
    .option("--dry-run", "preview job order, working directories, runner, retries, timeouts and step phases; write nothing")
    .option("--runner <name>", "execution backend: local, docker or github-actions (default: ORUN_RUNNER, else github-actions under GITHUB_ACTIONS=true or for a plan with use: steps, else local)", oneOf(RUNNER_NAMES, suggestRunner))
    .option("--gha", "use the github-actions runner")
    .option("--pull <policy>", "docker runner: pull each job image once per run (always, the default), only when missing, or never (env ORUN_DOCKER_PULL)", oneOf(["always", "missing", "never"]))
    .option("--docker-image <image>", "docker runner: image for jobs whose runsOn is empty or a runner label (env ORUN_DOCKER_IMAGE; default: the label's stand-in, e.g. ubuntu:22.04 for ubuntu-22.04 or no runsOn)", nonEmpty)
    .option("--concurrency <n>", "jobs run at once (1 = strictly sequential); default from the plan", parsePositiveInt)
    .option("--fail-fast", "stop starting jobs after the first failure (overrides the plan's execution.failFast)")
    .option("--no-fail-fast", "after a failure, still run every job that does not depend on it (overrides the plan)")
    .option("--exec-id <id>", "pin or resume an execution (default: ORUN_EXEC_ID, else generated)", nonEmpty)
    .option("--job <id>", "run only this job (component@env.job or component.env.job)", oneJob)
    .addOption(new Option("--job-id <id>", "deprecated alias of --job").hideHelp().argParser(oneJob))
    .option("--retry", "with --job: clear the job's recorded state and run it again")
    .option("--component <name>", "this component's jobs and the jobs they depend on (repeatable, comma lists allowed)", collectNames, [])
    .option("-e, --env <name>", "only jobs of this environment (repeatable, comma lists allowed)", collectNames, [])
    .option("--workdir <dir>", "run every job in this directory instead of its own path", nonEmpty)
    .option("--approve", "allow jobs whose policies require approval")
    .option("-v, --verbose", "stream full step output")
    .option("--json", "print a machine-readable summary instead of the live view")
    .option("--background", "run detached; follow with orun status --watch / orun logs --follow")
    .option("--remote-state", REMOTE_STATE_HELP)
    .option("--backend-url <url>", BACKEND_URL_HELP)
    .option("--all", "run every component, not just the one whose folder you are in (and its dependencies)")
    .option("--changed", "run a fresh plan of the components changed between --base and --head (plus dependencies)")
    .option("--base <ref>", "git ref to compare from (default: main, or detected from CI)")
    .option("--head <ref>", "git ref to compare to (default: the working tree)")
    .option("--files <list>", "changed files instead of git (comma list; repeatable)", collect, [])
    .option("--uncommitted", "changed = staged and unstaged edits of tracked files")
    .option("--untracked", "changed = untracked files")
    .option("--explain", "print why each environment and component is in the plan (stderr)")
    .option("--intent-impact <mode>", "what an intent.yaml change selects: all, watch or none", oneOf(["all", "watch", "none"]), "watch")
    .option("--trigger <name>", "run a fresh plan as the named trigger binding would")
    .option("--from-ci <provider>", "run a fresh plan for a CI event (github)", oneOf(["github"]))
    .option("--event-file <path>", "the CI event payload (default: $GITHUB_EVENT_PATH)")
    .addOption(new Option("--bg", "alias of --background").hideHelp())
    // orun v2.3's workspace staging and component cap: refused with what orun does instead (not "unknown option").
    .addOption(new Option("--isolation [mode]").hideHelp())
    .addOption(new Option("--keep-workspaces").hideHelp())
    .addOption(new Option("--component-concurrency [n]").hideHelp())
    .action(async (ref: string | undefined, opts: RunCommandOptions & V2RunFlags & { jobId?: string; bg?: boolean; pull?: string; dockerImage?: string }) => {
      refuseV2RunFlags(opts);
      // --job and its alias are two options, each checking only its own repeats.
      if (opts.job !== undefined && opts.jobId !== undefined && !sameJob(opts.job, opts.jobId)) throw new OrunError(`--job-id ${opts.jobId}: ${secondJobRefusal(opts.job)}`);
      const runnerOptions = { ...opts.runnerOptions, pull: opts.pull, dockerImage: opts.dockerImage };
      process.exitCode = await runCommand(ref, { ...opts, runnerOptions, job: opts.job ?? opts.jobId, background: opts.background ?? opts.bg });
    });

  program
    .command("status")
    .description("Show an execution's progress from its record, or from the backend under remote state")
    .option("-i, --intent <path>", RECORDS_INTENT_HELP, nonEmpty)
    .option("--exec-id <id>", READ_EXEC_ID_HELP)
    .option("-w, --watch", "refresh until the run finishes, then exit with its outcome (1 if it failed)")
    .addOption(new Option("--interval <duration>", "refresh interval for --watch, from 200ms to 24h (e.g. 500ms, 2s)").argParser(parseInterval).default(1000, "1s"))
    .option("--json", "print {execID, meta, state} as JSON")
    .option("--all", "list every execution")
    .option("--detailed", "also list each job's steps with their status")
    .option("--remote-state", READ_REMOTE_HELP)
    .option("--backend-url <url>", BACKEND_URL_HELP)
    .option("--local", READ_LOCAL_HELP)
    .action(async (opts: { intent?: string; execId?: string; watch?: boolean; interval: number; json?: boolean; all?: boolean; detailed?: boolean; local?: boolean }) => {
      process.exitCode = await statusCommand(opts);
    });

  program
    .command("logs")
    .description("Print step logs from an execution record, or from the backend under remote state")
    .argument("[refs...]", "run/<exec-id> and/or job/<job-id>: the same as --exec-id and --job")
    .option("-i, --intent <path>", RECORDS_INTENT_HELP, nonEmpty)
    .option("--exec-id <id>", READ_EXEC_ID_HELP)
    .option("--job <id>", "only this job (either ID form, or a substring); one the run's plan does not hold is an error", LOGS_JOB)
    .option("--step <key>", "only this step, by its key (its id, else its name, else its use) or a part of one (a whole key selects that step only); a step none of the selected jobs has is an error", LOGS_STEP)
    .option("--failed", "only failed steps")
    .option("--raw", "the recorded output only, as written: no job/step header lines")
    .option("-f, --follow", "keep printing new output until the run finishes, then exit with its outcome (1 if it failed)")
    .option("--remote-state", READ_REMOTE_HELP)
    .option("--backend-url <url>", BACKEND_URL_HELP)
    .option("--local", READ_LOCAL_HELP)
    .action(async (refs: string[], opts: { intent?: string; execId?: string; job?: string; step?: string; failed?: boolean; raw?: boolean; follow?: boolean; local?: boolean }) => {
      process.exitCode = await logsCommand({ ...opts, ...logsRefs(refs, opts) });
    });

  program
    .command("gc")
    .summary("Remove old execution records and unused stored plans")
    .description("Remove old execution records: a record is kept while it is among the newest --keep and younger than --max-age, and the newest success of each component in each environment at each of the --evidence-revisions newest revisions it succeeded at there is kept as promotion-gate evidence unless --drop-evidence (a release can promote a commit staging validated before main moved on); stored plans older than --max-age that no kept record, latest.json or named plan holds go too. With --actions, only the cache of remote actions is pruned")
    .option("-i, --intent <path>", RECORDS_INTENT_HELP, nonEmpty)
    .option("--keep <n>", "newest executions to keep", nonNegativeInt("--keep"), 10)
    .option("--max-age <age>", "remove what is older than this: days (30), or 30d, 2w, 12h (default: 30 days)", parseAgeDays)
    .option("--keep-days <n>", "same as --max-age <n> days", nonNegativeInt("--keep-days"))
    .option("--all", "remove every finished execution (same as --keep 0) but the promotion-gate evidence")
    .option("--evidence-revisions <n>", "revisions of each component × environment whose newest success is kept as promotion-gate evidence (0 keeps none, as --drop-evidence)", nonNegativeInt("--evidence-revisions"), 5)
    .option("--drop-evidence", "also remove the records holding the newest success of a component in an environment, which promotion gates of later runs at that revision need")
    .option("--actions", "prune only the action cache, not execution records: cached remote actions unused for longer than --max-age, their refs, stale partial downloads and locks ($ORUN_ACTIONS_CACHE or ~/.orun/actions)")
    .option("--actions-shared", "with --actions, also prune the shared tool caches under <cache>/shared/")
    .option("--dry-run", "list what would be removed")
    .action(async (opts: GcCommandOptions, command: Command) => {
      process.exitCode = await gcCommand({ ...opts, keepGiven: command.getOptionValueSource("keep") === "cli", evidenceRevisionsGiven: command.getOptionValueSource("evidenceRevisions") === "cli" });
    });
}

/**
 * The plan to run: trigger/change flags compile a fresh scoped plan (src/planner/triggers), else resolveRunPlan. A plan
 * compiled with those flags is stored by its ID (`storedAs`), which the commands a remote runner prints name: the same
 * flags select another plan once the tree or its refs move (a fix committed, another file changed).
 */
async function resolvePlanForRun(
  cwd: string,
  planRef: string | undefined,
  opts: RunCommandOptions,
  envFilter: string[],
  execId: string | undefined,
): Promise<import("../../runtime/plan-source.js").ResolvedPlan & { storedAs?: string }> {
  const components = splitList(opts.component);
  // The planner's warnings about job steps: only those of the jobs this run runs (--job, --component, or the
  // component folder it runs in, as runScope scopes it below; that costs a second load only inside one).
  const jobsInScope = async (plan: import("../../model/plan.js").Plan): Promise<ReadonlySet<string> | undefined> => {
    const { canonicalJobId } = await import("../../model/plan.js");
    if (opts.job) return new Set(plan.jobs.filter((job) => canonicalJobId(job.id) === canonicalJobId(opts.job!.trim())).map((job) => job.id));
    // `orun run <component>` compiles that component's plan: its folder scope does not apply (runScope, below).
    if (!components.length && planRef) return undefined;
    const scope = components.length ? components : (await (await import("../../planner/scope.js")).detectCwdScope({ cwd, intentPath: opts.intent, configDir: opts.configDir, all: opts.all }))?.components;
    return scope ? new Set(scopeJobs(plan.jobs, { components: scope, environments: envFilter }).jobs.map((job) => job.id)) : undefined;
  };
  if (!(anyCiFlag(opts) && (await import("../../planner/triggers/index.js")).ciFlagsGiven(opts))) {
    const { resolveRunPlan } = await import("../../runtime/plan-source.js");
    return resolveRunPlan({ cwd, ref: planRef, intentPath: opts.intent, configDir: opts.configDir, envs: envFilter.length ? envFilter : undefined, dryRun: opts.dryRun, execId, jobsInScope });
  }
  const { compileRunPlan } = await import("../../planner/triggers/index.js");
  if (planRef) throw new OrunError(`trigger and change flags compile a fresh plan: they cannot be combined with the plan "${planRef}"`);
  const fresh = await compileRunPlan({ cwd, intentPath: opts.intent, configDir: opts.configDir, envs: envFilter, flags: opts, dryRun: opts.dryRun, jobsInScope });
  process.stderr.write(fresh.report);
  const { planShortId } = await import("../../model/plan.js");
  return opts.dryRun ? fresh : { ...fresh, storedAs: planShortId(fresh.plan) };
}

/** `run --json` of a plan without jobs: the summary's plan fields and counts (schemas/output/run.schema.json), nothing run. */
async function emptyPlanJson(plan: import("../../model/plan.js").Plan, dryRun: boolean): Promise<string> {
  const { planShortId } = await import("../../model/plan.js");
  const { planChecksum } = await import("../../runtime/graph.js");
  const counts = { total: 0, succeeded: 0, failed: 0, skipped: 0, blocked: 0, cached: 0, waiting: 0, released: 0 };
  // The ID every run records (the canonical checksum's prefix), also for a hand-written plan without metadata.checksum.
  const summary = { planId: planShortId({ metadata: { ...plan.metadata, checksum: planChecksum(plan) } }), planName: plan.metadata?.name ?? "", status: "completed", dryRun, counts, jobs: [], links: [] };
  return `${JSON.stringify(summary, null, 2)}\n`;
}

/**
 * Cheap pre-check before loading the trigger planner: false when no trigger or
 * change flag was given at all (ciFlagsGiven decides what a given flag means).
 */
function anyCiFlag(opts: RunCommandOptions): boolean {
  const values = [opts.trigger, opts.fromCi, opts.eventFile, opts.changed, opts.base, opts.head, opts.uncommitted, opts.untracked];
  return values.some((value) => value !== undefined && value !== false) || (opts.files?.length ?? 0) > 0;
}

/**
 * Whether remote state may be on, checked before loading src/remote/cli.js
 * (HTTP client, OIDC/JWT code): it needs --remote-state, ORUN_REMOTE_STATE, or
 * an `execution.state` setting in the plan or intent. True when unsure; the
 * remote module then decides.
 */
interface V2RunFlags {
  isolation?: string | boolean;
  keepWorkspaces?: boolean;
  componentConcurrency?: string | boolean;
}

/**
 * orun v2.3 staged a copy of the workspace per job (`--isolation`, `--keep-workspaces`) and capped how many
 * components ran at once (`--component-concurrency`). This orun runs each job in place, in its resolved job
 * path (the seed: "By default, each job runs in its own resolved job path"), and bounds the DAG scheduler with
 * --concurrency alone: say so, rather than a bare "unknown option". `--isolation none` and
 * `--component-concurrency 0` (or below) ask for exactly that, so v2.3 scripts passing them keep working.
 */
function refuseV2RunFlags(opts: V2RunFlags): void {
  const docs = "see docs/running.md, Scheduling";
  const inPlace = "orun runs each job in place, in its resolved job path, with no staged copy of the workspace";
  if (opts.isolation !== undefined && opts.isolation !== "none") {
    throw new OrunError(`--isolation is not supported: ${inPlace}, so there is no workspace isolation to choose`, {
      hint: `drop the flag; --concurrency <n> bounds how many jobs run at once; ${docs}`,
    });
  }
  if (opts.keepWorkspaces) {
    throw new OrunError(`--keep-workspaces is not supported: ${inPlace}, so there is no staged workspace to keep`, {
      hint: `drop the flag: what a job writes stays in its job path; ${docs}`,
    });
  }
  if (opts.componentConcurrency !== undefined && !(typeof opts.componentConcurrency === "string" && /^\s*(0|-\d+)\s*$/.test(opts.componentConcurrency))) {
    throw new OrunError("--component-concurrency is not supported: jobs of any components run as soon as their dependencies succeed and a slot is free", {
      hint: `--concurrency <n> bounds how many jobs run at once, --component narrows the run; ${docs}`,
    });
  }
}

async function remoteMayBeOn(flags: { remoteState?: boolean; backendUrl?: string }, env: NodeJS.ProcessEnv, intentRoot: string | undefined, planState?: unknown): Promise<boolean> {
  // --backend-url alone does not turn remote state on, but the remote code says it is ignored (not run locally in silence).
  if (flags.remoteState || flags.backendUrl?.trim() || env.ORUN_REMOTE_STATE !== undefined || planState !== undefined) return true;
  if (!intentRoot) return false;
  const { readIntentStateConfig, remoteEnabled } = await import("../../remote/settings.js");
  return remoteEnabled(flags, env, await readIntentStateConfig(intentRoot));
}

/** Whether `orun status` / `orun logs` go to the remote reader: remote state may be on, and not --local. */
async function readsBackend(opts: RecordSourceFlags, intentRoot: string | undefined): Promise<boolean> {
  return !readsLocalRecord(opts) && (await remoteMayBeOn(opts, process.env, intentRoot));
}

/** `orun run`: resolve plan, runner, workdir and exec ID, then execute (or preview, or detach). */
export async function runCommand(ref: string | undefined, opts: RunCommandOptions, extra: { hooks?: ExecutionHooks } = {}): Promise<number> {
  const { BACKGROUND_CHILD_ENV, BACKGROUND_GENERATED_ID_ENV, BACKGROUND_STARTUP_FD_ENV, publishSummary, recordBackgroundFailure } = await import("../../runtime/background.js");
  // Set by a --background parent (to the record's folder) for this process only: the steps must not inherit
  // it, or an `orun run --background` inside a step would take itself for the detached child and stay in the foreground.
  const backgroundRecord = process.env[BACKGROUND_CHILD_ENV];
  delete process.env[BACKGROUND_CHILD_ENV];
  const generatedId = backgroundRecord !== undefined && process.env[BACKGROUND_GENERATED_ID_ENV] === "1";
  delete process.env[BACKGROUND_GENERATED_ID_ENV];
  const startup = process.env[BACKGROUND_STARTUP_FD_ENV] === undefined ? undefined : (await import("../background-startup.js")).startupPipe(process.env, BACKGROUND_STARTUP_FD_ENV);
  (await import("../../runtime/step-env.js")).dropInheritedRunIds(process.env);
  if (backgroundRecord === undefined) return runPlan(ref, opts, extra, false);
  try {
    const code = await runPlan(ref, opts, { ...extra, startup, generatedId }, true);
    startup?.started();
    return code;
  } catch (err) {
    // Told to the parent (--json), the refusal is printed there, which takes back what its start wrote: nothing is
    // left to delete. Else the record is the one place it shows.
    const told = startup?.refused(err) === true;
    const execId = opts.execId ?? process.env.ORUN_EXEC_ID;
    if (execId && !told) await recordBackgroundFailure(backgroundRecord, execId, errorMessage(err));
    throw err;
  } finally {
    if (opts.json) await publishSummary(backgroundRecord);
  }
}

async function runPlan(
  ref: string | undefined,
  opts: RunCommandOptions,
  extra: { hooks?: ExecutionHooks; startup?: import("../background-startup.js").StartupPipe; generatedId?: boolean },
  backgroundChild: boolean,
): Promise<number> {
  // Load the run path's modules together, not one await at a time (each lazy import is a round trip
  // through the module loader); the executor's are fetched meanwhile and awaited when needed.
  const executorModules = Promise.all([import("../../runtime/execute.js"), import("../../runtime/output/index.js")]);
  executorModules.catch(() => undefined); // awaited below; a failure surfaces there
  const [{ resolveRunner }, { validateExecId, generateExecId }, { startBackground }, { ExecutionStore }] = await Promise.all([
    import("../../runtime/runner-resolution.js"),
    import("../../runtime/ids.js"),
    import("../../runtime/background.js"),
    import("../../runtime/records/store.js"),
    import("../../runtime/plan-source.js"),
  ]);

  const env = process.env;
  // Flag conflicts first: they need no plan.
  refuseConflictingFlags(opts);
  const execId = opts.execId ? validateExecId(opts.execId, "--exec-id") : env.ORUN_EXEC_ID ? validateExecId(env.ORUN_EXEC_ID, "ORUN_EXEC_ID") : undefined;
  // ORUN_RUNNER is read only without --gha/--runner: a bad name in it is refused now, before a plan is compiled.
  resolveRunner({ gha: opts.gha, runner: opts.runner }, env, undefined);

  const cwd = process.cwd();
  const envFilter = splitList(opts.env);
  const componentFilter = splitList(opts.component);
  // An empty argument (an unset CI variable: `orun run "$PLAN_ID"`) must not mean "a fresh plan of everything".
  if (ref !== undefined && !ref.trim()) throw new OrunError("the plan or component argument is empty; leave it out to run a fresh plan of the intent");
  // Likewise ORUN_PLAN_ID set to nothing (`ORUN_PLAN_ID: ${{ needs.plan.outputs.id }}` when the plan job did not set it).
  if (ref === undefined && opts.plan === undefined && env.ORUN_PLAN_ID !== undefined && !env.ORUN_PLAN_ID.trim()) {
    throw new OrunError("ORUN_PLAN_ID is set but empty; unset it to run a fresh plan of the intent, or set it to the plan to run");
  }
  const planRef = ref ?? opts.plan ?? env.ORUN_PLAN_ID;
  const fromEnv = ref === undefined && opts.plan === undefined && env.ORUN_PLAN_ID !== undefined;
  const resolved = await resolvePlanForRun(cwd, planRef, opts, envFilter, execId).catch((err: unknown) => {
    // A plan named by the environment, not on the command line: say where "nope" came from.
    if (!fromEnv || !(err instanceof OrunError)) throw err;
    // err.message already carries its own hint.
    throw new OrunError(`ORUN_PLAN_ID=${planRef}: ${err.message}`, { hint: err.hint ? undefined : "unset ORUN_PLAN_ID to run a fresh plan of the intent", exitCode: err.exitCode, cause: err });
  });
  // ORUN_PLAN_ID is read as the argument is (spec 20 §4), so a component name plans that component: said, since
  // in CI the variable is meant to carry a plan's ID and a component there is more likely a slip than a choice.
  if (fromEnv && resolved.source.startsWith("fresh plan for component ")) {
    process.stderr.write(`notice: ORUN_PLAN_ID=${printable(planRef!)} names no stored plan or plan file, but a component: running a fresh plan of component ${printable(planRef!)}\n`);
  }
  // A dry-run previews the resume of a local execution only: under remote state --exec-id names the backend's run.
  const localResume = !opts.dryRun || (!extra.hooks && !(await remoteMayBeOn(opts, env, resolved.intentRoot, resolved.plan.execution?.state)));
  if (execId && localResume) {
    // Resuming after a commit (its preview too): the tree's plan differs from the execution's only in its revision (src/runtime/resume-plan.ts).
    const { recordedPlanToResume } = await import("../../runtime/resume-plan.js");
    const recorded = await recordedPlanToResume(new ExecutionStore(resolved.storeDir), execId, resolved.plan, (message) => process.stderr.write(`notice: ${message}\n`));
    if (recorded) resolved.plan = recorded;
  }
  // Checked by a --background parent too: left to its child, a typo started "successfully" (exit 0) and left a
  // failed record that became latest.
  if (opts.job) await checkJobInPlan(resolved.plan, opts.job);
  // So is a --component/-e naming nothing the intent has (a typo): it recorded an empty run that became latest.
  if (componentFilter.length || envFilter.length) {
    const { refuseUnknownFilterNames } = await import("../../runtime/unknown-filter-names.js");
    await refuseUnknownFilterNames(resolved.plan, { components: componentFilter, environments: envFilter }, { cwd, intentRoot: resolved.intentRoot, intentPath: opts.intent, configDir: opts.configDir });
  }
  // Before a --background child is started (refused there, it left a failed record) and for a dry-run too.
  if (!extra.hooks) await refuseRemoteFlagConflicts(opts, env, { planState: resolved.plan.execution?.state, intentRoot: resolved.intentRoot, execId });
  // The preview warns as the run does of a --backend-url that remote state being off ignores (the run's remote set-up says it).
  if (opts.dryRun && !extra.hooks && opts.backendUrl?.trim()) {
    const { IGNORED_BACKEND_URL, readIntentStateConfig, remoteEnabled } = await import("../../remote/settings.js");
    if (!remoteEnabled(opts, env, resolved.plan.execution?.state ?? (await readIntentStateConfig(resolved.intentRoot)))) warnOnStderr(IGNORED_BACKEND_URL);
  }
  const store = new ExecutionStore(resolved.storeDir);

  if (!opts.dryRun) {
    const migrated = await store.migrateLegacy();
    if (migrated && !opts.json) process.stdout.write(`✓ Migrated legacy .orun-state.json to .orun/executions/${migrated}\n`);
  }

  const runner = resolveRunner({ gha: opts.gha, runner: opts.runner }, env, resolved.plan);
  // The docker runner's settings (--pull, --docker-image, ORUN_DOCKER_*) are checked before a record is made:
  // found when the runner starts, a bad one failed a run that then became `latest` for status and logs.
  const dockerConfig = runner.name === "docker" ? (await import("../../runners/docker/config.js")).parseDockerConfig(opts.runnerOptions ?? {}, env) : undefined;
  // Its dry-run shows each job's image, and notes a job the run would fail for want of one (the runtime knows no images).
  const withJobImages = dockerConfig && opts.dryRun ? (await import("../../runners/docker/preview.js")).withJobImages : undefined;
  // So are the github-actions runner's (its cancel grace, the GitHub job keys of the jobs it would run).
  if (runner.name === "github-actions") {
    const { canonicalJobId } = await import("../../model/plan.js");
    const jobs = opts.job ? resolved.plan.jobs.filter((job) => canonicalJobId(job.id) === canonicalJobId(opts.job!.trim())) : resolved.plan.jobs;
    (await import("../../runners/github-actions/settings.js")).checkGithubActionsSettings(jobs, opts.runnerOptions ?? {}, env, resolved.source);
  }
  const workdirOverride = opts.workdir ? await existingDirectory(path.resolve(cwd, opts.workdir), "--workdir") : undefined;

  // Workspace: intent root, else the plan's recorded workDir, else cwd. Under
  // github-actions with no --workdir and no intent root, GITHUB_WORKSPACE.
  let workspaceDir = resolved.intentRoot ?? (resolved.plan.metadata?.workDir ? path.resolve(cwd, resolved.plan.metadata.workDir) : cwd);
  if (!resolved.intentRoot && runner.name === "github-actions" && !opts.workdir && env.GITHUB_WORKSPACE) workspaceDir = env.GITHUB_WORKSPACE;

  // Inside a component folder: that component and its dependencies, unless --all/--component (src/planner/scope.ts).
  // `orun run <component>` names its scope explicitly, like --component.
  const namedComponent = planRef && resolved.source.startsWith("fresh plan for component") ? [planRef] : [];
  const explicitComponents = [...componentFilter, ...namedComponent];
  // Without an intent (a plan file run elsewhere) or with an explicit scope there is nothing to detect;
  // --job names its job explicitly, wherever it lives.
  const scoped =
    resolved.intentRoot === undefined || opts.all || explicitComponents.length > 0 || opts.job
      ? { components: undefined, messages: "" }
      : await (await import("../../planner/scope.js")).runScope({
          cwd,
          intentPath: opts.intent,
          configDir: opts.configDir,
          all: opts.all,
          explicitComponents,
          plan: resolved.plan,
          quiet: opts.json,
          componentsTaken: (filter) => componentsTaken(resolved.plan.jobs, { components: filter, environments: envFilter }),
        });
  process.stderr.write(scoped.messages);
  // The working folder's scope, as --component flags the printed resume and rejoin commands repeat: pasted from
  // another folder of the intent (status reads the record from any), a bare command ran every component. Only
  // components with jobs in the plan: the same jobs, without a resume warning that a dependency matches none.
  const withJobs = scoped.components?.filter((name) => resolved.plan.jobs.some((job) => job.component === name));
  const autoScope = withJobs?.length ? withJobs : scoped.components;
  // --component X brings along the jobs X's jobs depend on (decision 5; src/runtime/run-scope.ts): say which.
  const addedComponents = componentFilter.length > 0 ? scopeJobs(resolved.plan.jobs, { components: componentFilter, environments: envFilter }).addedComponents : [];
  if (addedComponents.length > 0 && !opts.json) {
    const count = addedComponents.length;
    process.stderr.write(`context: --component ${componentFilter.join(", ")} (+ ${count} ${count === 1 ? "dependency" : "dependencies"}: ${addedComponents.join(", ")})\n`);
  }

  // Only what the user typed: a working-folder scope may name a dependency without jobs in this plan.
  if (resolved.plan.jobs.length > 0) {
    for (const warning of unmatchedFilterWarnings(resolved.plan, { components: componentFilter, environments: envFilter })) {
      warnOnStderr(warning);
    }
  }

  if (resolved.plan.jobs.length === 0) {
    process.stdout.write(opts.json ? await emptyPlanJson(resolved.plan, opts.dryRun === true) : "✓ no jobs to run\n");
    return 0;
  }

  if (opts.background && !backgroundChild) {
    const bg = await startBackground(store, execId, () => generateExecId(resolved.plan.metadata?.name), process.argv.slice(2), cwd, { json: opts.json });
    const id = bg.execId;
    if (opts.json) {
      // Said once the child's run has started: refused before (its checks that need the record), its error is this one's.
      const startup = bg.startup ? await bg.startup : undefined;
      const { printRefusal, explainedRefusal } = await import("../background-startup.js");
      // A refusal the child explained is printed here: what the start wrote goes (run.log is then no help).
      if (startup !== undefined && explainedRefusal(startup) !== undefined) await bg.discardRefused?.().catch(() => false);
      const refused = startup !== undefined ? printRefusal(startup, id, bg.logFile) : undefined;
      if (refused !== undefined) return refused;
      // The run's own --json summary goes to summary.json when it ends (its messages to run.log); this says where.
      const started = { execId: id, status: "started", background: true, pid: bg.pid, log: bg.logFile, summary: bg.summaryFile, recordDir: store.execDir(id) };
      process.stdout.write(`${JSON.stringify(started, null, 2)}\n`);
      return 0;
    }
    process.stdout.write(
      [
        "✓ background run started",
        `  exec-id: ${id}`,
        `  pid:     ${bg.pid}`,
        `  log:     ${bg.logFile}`,
        "",
        `  track:  orun status --exec-id ${id} --watch`,
        `  logs:   orun logs   --exec-id ${id} --follow`,
        "",
      ].join("\n"),
    );
    return 0;
  }

  const remoteWanted = !extra.hooks && !opts.dryRun && (await remoteMayBeOn(opts, env, resolved.intentRoot, resolved.plan.execution?.state));
  const remote = remoteWanted ? await (await import("../../remote/cli.js")).remoteRunSetup({ ...opts, execId, planRef: resolved.storedAs ?? planRef ?? "", autoScope }, resolved, env) : undefined;

  const [{ executePlan }, { createRenderer }] = await executorModules;
  // V8 optimizes a function once it has run a budget of bytecode. At the default budget the runtime's
  // once-per-job code gets optimized on background threads that compete with the steps for CPU on small
  // (2-core CI) machines; eight times the budget leaves it to the baseline tiers while genuinely hot loops
  // still optimize. 1,000-job fan-out at concurrency 8: 0.79 → 0.71 s; a step printing a million lines
  // with --verbose: unchanged (0.79 s; turning the optimizer off instead made that 2.0 s).
  setFlagsFromString("--interrupt-budget=540672");
  const rendered = await createRenderer({ json: opts.json, verbose: opts.verbose, logFile: backgroundChild });
  // The execution's ID, once the run has opened its record (a new one's is made there), for a second signal's advice.
  let runExecId = execId;
  const renderer: typeof rendered = {
    handle: (event) => {
      if (event.type === "run-start") {
        runExecId = event.execId;
        extra.startup?.started();
      }
      if (event.type === "dry-run" && withJobImages && dockerConfig) event = { ...event, jobs: withJobImages(event.jobs, dockerConfig) };
      rendered.handle(event);
    },
    close: () => rendered.close(),
  };
  const abort = new AbortController();
  let interrupts = 0;
  // A run stopped by a signal exits 128 + its number, as shells report it (Ctrl-C 130, SIGTERM 143, SIGHUP 129).
  let stoppedBy = 130;
  const resumeCommand = remote ? undefined : resumeCommandOf(planRef, resolved, opts, { envFilter, componentFilter, runner, autoScope }, cwd, env);
  // The resume command a second signal names, made at the first (its module loads while the steps stop): the one the
  // run recorded at its start once it has (what status gives; --approve only when this run was given it).
  let resumeHint: Promise<string | undefined> | undefined;
  let recordedCommand: string | undefined;
  const commandOf = async (words: import("../../runtime/resume-words.js").CommandWord[]): Promise<string> => (await import("../../runtime/resume-words.js")).commandOf(words);
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts === 1) {
      stoppedBy = 128 + (osConstants.signals[signal] ?? 2);
      resumeHint =
        recordedCommand !== undefined ? Promise.resolve(recordedCommand) : runExecId === undefined ? undefined : resumeCommand?.(runExecId, false).then(commandOf).catch(() => undefined);
    }
    if (interrupts > 1) {
      // Impatient: no more waiting for steps to stop. Their process groups are killed all the same (the spawn
      // helper, or the direct spawns' guard, sees orun go); the record stays as it was, which status shows
      // interrupted and a resume runs again: with the summary's resume command, waited for at most a second
      // (a third signal does not wait).
      const stop = (command: string | undefined): never => {
        // Stopped while the record was still being made: there is nothing to resume (status would not find it).
        if (!remote && recordedCommand === undefined && !recordExists(store, runExecId)) {
          store.discardAssembling();
          process.stderr.write(`\n✕ ${signal} again: stopped at once, before the run's record was made: nothing to resume; run it again\n`);
          return process.exit(stoppedBy);
        }
        // Under remote state the record's ID is this runner's, not the run's: the advice is the runner's own command
        // under the run's ID.
        const resume = `${command ?? remote?.hooks.resumeCommand() ?? `orun run --exec-id ${runExecId ?? "<id>"}`} resumes it`;
        process.stderr.write(`\n✕ ${signal} again: stopped at once; running steps are killed and the run is left interrupted (see orun status; ${resume})\n`);
        return process.exit(stoppedBy);
      };
      if (interrupts > 2 || !resumeHint) stop(undefined);
      void Promise.race([resumeHint, new Promise<undefined>((resolve) => setTimeout(resolve, 1000))]).then(stop);
      return;
    }
    abort.abort();
  };
  // A closed terminal (SIGHUP) cancels like Ctrl-C: steps are killed and the record says canceled.
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const signal of signals) process.on(signal, onSignal);
  keepRunningWhenOutputCloses();
  try {
    const result = await executePlan({
      plan: resolved.plan,
      storeDir: resolved.storeDir,
      workspaceDir,
      workdirOverride,
      runner,
      runnerOptions: opts.runnerOptions,
      concurrency: opts.concurrency,
      failFast: opts.failFast,
      execId: remote?.execId ?? (localResume ? execId : undefined),
      ...(extra.generatedId ? { execIdGenerated: true } : {}),
      remoteRunId: remote?.runId,
      remoteBackendUrl: remote?.backendUrl,
      ...(remote ? { retryCommand: (failedHere: readonly string[]) => remote.hooks.retryCommand(failedHere) } : {}),
      ...(resumeCommand ? { resumeCommand, onResumeCommand: (command: string) => (recordedCommand = command) } : {}),
      ...(remote ? { rejoinCommand: () => remote.hooks.resumeCommand() } : {}),
      job: opts.job,
      retry: opts.retry,
      components: scoped.components ?? componentFilter,
      environments: envFilter,
      approve: opts.approve,
      dryRun: opts.dryRun,
      previewsRemoteState: opts.dryRun && !localResume,
      trigger: backgroundChild ? "background" : "cli",
      hooks: extra.hooks ?? remote?.hooks,
      renderer,
      signal: abort.signal,
    });
    if (result.exitCode === 130 && abort.signal.aborted) return stoppedBy;
    // A job that ran here and was taken over by another runner meanwhile: its verdict here counted for nothing (the
    // summary counts it failed, with that reason), said last.
    const notRecorded = remote?.hooks.resultsNotRecorded() ?? [];
    if (notRecorded.length === 0) return result.exitCode;
    process.stderr.write(`✕ not recorded in remote run ${printable(remote!.runId)}: the result of ${notRecorded.join(", ")} here (taken over by another runner, whose result counts)\n`);
    return result.exitCode === 0 ? 1 : result.exitCode;
  } catch (err) {
    // Stopped before the run began (a remote runner canceled while registering): it said so and kept no record;
    // the exit is the signal's, as a canceled run's is, not a failure's.
    if (abort.signal.aborted && err instanceof Error && err.name === "AbortError") return stoppedBy;
    throw err;
  } finally {
    renderer.close();
    for (const signal of signals) process.off(signal, onSignal);
  }
}

/**
 * The `resume` hint of a local run: `orun run [plan] --exec-id <id> [flags]`. The bare `orun run --exec-id <id>`
 * compiles a fresh plan of the intent, which the execution refuses when its plan came from elsewhere: a stored plan
 * or plan file run inside a repository, a component's plan, a trigger or change flag's plan (stored by its ID), or a
 * fresh plan that `-e` narrowed. So the hint names the plan as the run was given it and repeats the flags that shape
 * the plan (-i, -c), its scope (-e, --component, --job, --all: a resume of a failed run runs what it left, not jobs
 * it never had in scope; a working folder's scope as --component) and how it runs (--gha/--runner, or ORUN_RUNNER's runner as --runner, since a resume in
 * another shell would take the default; the docker settings, --workdir, --concurrency, --fail-fast / --no-fail-fast, --approve: given, or asked for by the summary's
 * labelled line offering approval for jobs the run blocked for want of it), and before it the ORUN_*
 * settings that change what it does (carriedEnv: ORUN_CONFIG_DIR, ORUN_DOCKER_*). When the run's own scope
 * completed and the execution still has jobs to run, those lie outside it: the hint leaves out the job filters
 * (--component, --job, the -e of a given plan) and widens a working folder's scope with --all. Without an intent
 * the bare command resumes the plan the execution recorded.
 */
function resumeCommandOf(
  planRef: string | undefined,
  resolved: import("../../runtime/plan-source.js").ResolvedPlan & { storedAs?: string },
  opts: RunCommandOptions,
  scope: { envFilter: string[]; componentFilter: string[]; runner: import("../../runtime/runner-resolution.js").RunnerChoice; autoScope: string[] | undefined },
  cwd: string,
  env: NodeJS.ProcessEnv,
): (execId: string, scopeDone: boolean, instead?: { planFile?: string; job?: string; approve?: boolean }) => Promise<import("../../runtime/resume-words.js").CommandWord[]> {
  const compiledHere = resolved.storedAs === undefined && (resolved.source === "fresh plan" || resolved.source.startsWith("fresh plan for component"));
  // Loaded when the run starts (it records the command for a run killed outright), never by --help or the commands
  // that run nothing (test/cli/startup.test.ts). Measured: ~3 ms cold per run, of which building is ~0.1 ms.
  return async (execId, scopeDone, instead = {}) => {
    const { absoluteDir, carriedEnvWords, carriedFlagWords, planFileOf, planReference, shellWord } = await import("../../runtime/plan-reference.js");
    // Paths as absolute ones: the command is printed to be pasted anywhere; its record names those inside the
    // repository relative to it, and status prints them where the repository is then (resume-words.ts).
    const dir = (value: string | undefined): string | undefined => (value?.trim() ? absoluteDir(cwd, value) : value);
    // Another --job (a missing dependency) names the plan even without an intent: a new record that refused it is gone.
    const names = planRef?.trim() && (resolved.intentRoot !== undefined || instead.job);
    const planFile = instead.planFile ? path.resolve(cwd, instead.planFile) : names ? planFileOf(planRef, cwd, resolved.file) : undefined;
    const named = names ? planReference(planRef, resolved.plan, cwd, resolved.file, { absolute: true }) : "";
    const plan = instead.planFile || !resolved.storedAs ? (planFile ? { path: planFile, plan: true as const } : named) : resolved.storedAs;
    const compiles = compiledHere && !instead.planFile;
    const carried = {
      intent: opts.intent?.trim() ? path.resolve(cwd, opts.intent) : opts.intent,
      configDir: dir(opts.configDir),
      env: compiles || !scopeDone ? scope.envFilter : undefined,
      component: scopeDone || instead.job ? undefined : scope.autoScope ?? scope.componentFilter,
      gha: opts.gha,
      runner: opts.runner ?? (scope.runner.source === "ORUN_RUNNER" ? scope.runner.name : undefined),
      dockerImage: opts.runnerOptions?.dockerImage,
      pull: opts.runnerOptions?.pull,
      approve: opts.approve || instead.approve,
      workdir: dir(opts.workdir),
      concurrency: opts.concurrency,
      failFast: opts.failFast,
    };
    const flags = carriedFlagWords(carried, true);
    const prefix = carriedEnvWords(carried, { ...env, ORUN_CONFIG_DIR: dir(env.ORUN_CONFIG_DIR) }, { compiles, docker: scope.runner.name === "docker" });
    const jobId = instead.job ?? (scopeDone ? undefined : opts.job?.trim());
    const job = jobId ? ["--job", shellWord(jobId)] : [];
    const all = opts.all || (scopeDone && scope.autoScope !== undefined) ? ["--all"] : [];
    return [...prefix, "orun run", plan, "--exec-id", execId, ...flags, ...job, ...all];
  };
}

/** Whether execution `execId`'s record is in place (a second Ctrl-C while it was being made leaves none). */
function recordExists(store: import("../../runtime/records/store.js").ExecutionStore, execId: string | undefined): boolean {
  return execId !== undefined && existsSync(store.execDir(execId));
}

/** --job naming no job of the plan: refused with the IDs closest to it (a typo: `api@dev.biuld`) or containing it. */
async function checkJobInPlan(plan: import("../../model/plan.js").Plan, job: string): Promise<void> {
  const { canonicalJobId } = await import("../../model/plan.js");
  const ids = plan.jobs.map((planJob) => planJob.id);
  if (ids.includes(canonicalJobId(job.trim()))) return;
  const { jobNotFound } = await import("../job-not-found.js");
  throw jobNotFound(ids, job);
}

/** A flag naming a directory every job runs in: refused up front (before a record is made) unless it is one. */
async function existingDirectory(dir: string, flag: string): Promise<string> {
  const { stat } = await import("node:fs/promises");
  const info = await stat(dir).catch((err: NodeJS.ErrnoException) => err);
  // A link loop or a folder orun may not enter is no missing folder: said as it is.
  if (info instanceof Error) {
    throw new OrunError(`${flag} ${dir}: ${info.code === "ENOENT" ? "no such directory" : info.code === "ELOOP" ? "a symbolic link loop" : fileSystemReason(info)}`);
  }
  if (!info.isDirectory()) throw new OrunError(`${flag} ${dir}: not a directory`);
  return dir;
}

async function intentRootOf(intent: string | undefined): Promise<string | undefined> {
  const { locateIntentRoot } = await import("../../runtime/plan-source.js");
  return locateIntentRoot(process.cwd(), intent);
}

/** The execution records of the intent at `intentRoot`, else of the working directory. */
async function storeAt(intentRoot: string | undefined): Promise<import("../../runtime/records/store.js").ExecutionStore> {
  const { ExecutionStore } = await import("../../runtime/records/store.js");
  return new ExecutionStore(intentRoot ?? process.cwd());
}

/**
 * Inside a step, ORUN_EXEC_ID names the run the step is part of (ORUN_JOB_RUN_ID says so): that run is the one to
 * read when it is this store's, or the backend's under remote state (there the ID is the run ID its runners share).
 * Only an ID naming no record here — a step of a run in another repository — is dropped, leaving the latest.
 * Called once remote state is ruled out.
 */
async function dropForeignStepRunId(store: import("../../runtime/records/store.js").ExecutionStore): Promise<void> {
  const inherited = { ...process.env };
  (await import("../../runtime/step-env.js")).dropInheritedRunIds(inherited);
  const execId = process.env.ORUN_EXEC_ID;
  if (inherited.ORUN_EXEC_ID !== undefined || execId === undefined) return;
  const { lstat } = await import("node:fs/promises");
  const here = path.basename(execId) === execId && (await lstat(store.execDir(execId)).catch(() => undefined))?.isDirectory();
  if (!here) delete process.env.ORUN_EXEC_ID;
}

/**
 * The execution status and logs read: --exec-id, else ORUN_EXEC_ID (as `orun run` pins it: a CI job that sets
 * it reads back its own run), else the latest. A prefix is enough; one that matches none names where it came from.
 */
async function resolveExecution(store: import("../../runtime/records/store.js").ExecutionStore, flag: string | undefined): Promise<string | undefined> {
  const fromEnv = flag === undefined ? process.env.ORUN_EXEC_ID?.trim() || undefined : undefined;
  try {
    return await store.resolve(flag ?? fromEnv);
  } catch (err) {
    if (fromEnv === undefined || !(err instanceof OrunError)) throw err;
    throw new OrunError(err.message, { location: { field: "ORUN_EXEC_ID" }, hint: "unset it to read the latest run, or pass --exec-id", cause: err });
  }
}

/** The ID `status --watch` waits for: a valid exec ID that matched no record (`err` says not found), else undefined. */
async function notYetRecorded(store: import("../../runtime/records/store.js").ExecutionStore, given: string | undefined, err: unknown): Promise<string | undefined> {
  const wanted = given?.trim();
  const { ExecutionNotFound } = await import("../../runtime/records/store.js");
  // resolveExecution wraps the not-found of an ORUN_EXEC_ID to say where the ID came from; the message cuts a long ID.
  const notFound = err instanceof ExecutionNotFound ? err : err instanceof OrunError && err.cause instanceof ExecutionNotFound ? err.cause : undefined;
  if (!wanted || notFound?.ref !== wanted) return undefined;
  const { validateExecId } = await import("../../runtime/ids.js");
  try {
    validateExecId(wanted, "--exec-id");
  } catch {
    return undefined;
  }
  return (await isRecordFolder(store, wanted)) ? undefined : wanted;
}

/**
 * "No runs yet" with advice that works where it is printed: `orun run` needs an intent.yaml in the folder or one
 * above, and outside one (in /tmp) the bare command failed with "no intent.yaml found".
 */
function noRunsYet(intentRoot: string | undefined): string {
  if (intentRoot !== undefined) return "No runs yet.\n\n  Start one with: orun run\n";
  return "No runs yet.\n\n  No intent.yaml in this folder or any folder above: start one in a project's folder (one holding intent.yaml,\n  or below it) with: orun run — or here, from a plan file, with: orun run <plan.json>\n";
}

type StatusOptions = { intent?: string; execId?: string; watch?: boolean; interval: number; json?: boolean; all?: boolean; detailed?: boolean; remoteState?: boolean; backendUrl?: string; local?: boolean };

export async function statusCommand(opts: StatusOptions): Promise<number> {
  // Inside GitHub Actions an error (a record damaged while watched) hides the values the record's steps masked, as the status does.
  return maskingErrors((known) => showStatus(opts, known));
}

async function showStatus(opts: StatusOptions, known: KnownMasks): Promise<number> {
  const { readSnapshot, renderStatus, snapshotJson, isFinished, outcomeExitCode, renderExecutionList, executionListJson } = await import("../../runtime/status.js");
  const { detectTerminal, palette } = await import("../../runtime/output/terminal.js");
  // --all is a one-off listing of every execution: what only applies to one execution would be ignored in silence.
  const oneExecution = [opts.execId !== undefined && "--exec-id", opts.watch && "--watch", opts.detailed && "--detailed"].filter(Boolean);
  if (opts.all && oneExecution.length) throw new OrunError(`--all lists every execution once, so ${oneExecution.join(" and ")} would be ignored: give only one`);
  const intentRoot = await intentRootOf(opts.intent);
  const store = await storeAt(intentRoot);
  // As v2: under 200 ms (0, a negative duration) is a second.
  const intervalMs = opts.interval;
  if (await readsBackend(opts, intentRoot)) {
    const remote = await (await import("../../remote/cli.js")).remoteStatus({ ...opts, intervalMs });
    if (remote !== undefined) return remote;
  }
  await dropForeignStepRunId(store);
  const caps = detectTerminal(process.stdout);
  const colors = palette(caps.color);
  if (opts.all) {
    // Inside GitHub Actions each record's JSON (its jobs' errors) is masked with what its steps masked, no `##[` in it;
    // the table (IDs, plan names, counts) is no workflow command.
    const gha = process.env.GITHUB_ACTIONS === "true" ? await import("../../runtime/output/gha-logs.js") : undefined;
    const recordMasks = gha && opts.json ? async (id: string) => {
      const masker = await new gha.RecordMaskReader().read(await (await import("../../runtime/logs.js")).listLogs(store, id).catch(() => []));
      return (text: string) => masker.mask(text);
    } : undefined;
    const listed = opts.json ? await executionListJson(store, recordMasks) : await renderExecutionList(store, colors);
    process.stdout.write(!opts.json && intentRoot === undefined && (await store.list()).length === 0 ? noRunsYet(intentRoot) : !gha ? listed : opts.json ? (await import("../../util/inert-command.js")).inertJsonText(listed) : gha.inertCommandText(listed));
    return 0;
  }
  // --watch on an exact ID that has no record yet (a CI watcher started just before its run) waits for that record.
  let awaited: string | undefined;
  const resolveId = async (): Promise<string | undefined> => {
    if (awaited !== undefined) return (await isRecordFolder(store, awaited)) ? awaited : undefined;
    try {
      return await resolveExecution(store, opts.execId);
    } catch (err) {
      awaited = opts.watch ? await notYetRecorded(store, opts.execId ?? process.env.ORUN_EXEC_ID, err) : undefined;
      if (awaited === undefined) throw err;
      return undefined;
    }
  };
  let execId = await resolveId();
  if (!execId && !opts.watch) {
    process.stdout.write(opts.json ? "null\n" : noRunsYet(intentRoot));
    return 0;
  }
  let waitSaid = false;
  let stepOrder: import("../../runtime/logs.js").StepOrder | undefined;
  // A log gets a frame when the run changed, not every poll: its duration (and a running job's) moves each second.
  const { watchFrames } = await import("../../runtime/output/watch-frames.js");
  const frames = watchFrames(caps.live, (text) => void process.stdout.write(text));
  // Inside GitHub Actions the record's text (a job's error, a link's label, an ID) is printed as `orun logs` prints its
  // own lines there: masked with the values all the record's steps masked, no line a workflow command (--json: no
  // `##[` in a string). The masks are read after the record at each poll, so those of a step that masked a value
  // before its job recorded an error that shows it are known when the error is printed.
  const gha = process.env.GITHUB_ACTIONS === "true" ? await import("../../runtime/output/gha-logs.js") : undefined;
  const masks = gha && new gha.RecordMaskReader();
  for (;;) {
    execId ??= await resolveId();
    if (execId) {
      const snapshot = await readSnapshot(store, execId);
      // Steps in the order they run, as orun logs shows them (read until found: a record keeps the plan it runs).
      if (opts.detailed) stepOrder ??= await (await import("../../runtime/logs.js")).readStepOrder(store, execId);
      const masker = masks && (known.masker = await masks.read(await (await import("../../runtime/logs.js")).listLogs(store, execId).catch(() => [])));
      const shaped = (text: string): string => (!gha || !masker ? text : opts.json ? gha.githubJsonText(masker, text) : gha.githubNoteText(masker, text));
      const render = (now: number): string => shaped(opts.json ? snapshotJson(snapshot) : renderStatus(snapshot, colors, now, { detailed: opts.detailed, stepOrder }));
      const text = render(Date.now());
      if (!opts.watch) {
        process.stdout.write(text);
        return 0;
      }
      // Rendered at no time, a running run and its running jobs show no duration: what is left changes with the run.
      frames.show(text, opts.json ? text : render(NaN));
      if (isFinished(snapshot)) return outcomeExitCode(snapshot);
    } else if (!waitSaid) {
      // Not into a --json stream: what reads it expects JSON documents only.
      (opts.json ? process.stderr : process.stdout).write(awaited !== undefined ? `Waiting for run ${awaited}...\n` : "Waiting for a run...\n");
      waitSaid = true;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * `orun logs run/<exec-id> job/<job-id>` (spec 20 §7.2): the positional forms of --exec-id and --job. Each may be
 * given once; with its flag too, both must agree.
 */
function logsRefs(refs: string[], opts: { execId?: string; job?: string }): { execId?: string; job?: string } {
  const out = { execId: opts.execId, job: opts.job };
  const given = { execId: false, job: false };
  for (const ref of refs) {
    const match = /^(run|job)\/(.*)$/s.exec(ref);
    if (!match || !match[2]!.trim()) throw new OrunError(`unexpected argument "${ref}": expected run/<exec-id> or job/<job-id>`);
    const key = match[1] === "run" ? "execId" : "job";
    const flag = key === "execId" ? "--exec-id" : "--job";
    const value = match[2]!.trim();
    if (given[key]) throw new OrunError(`${match[1]}/<…> was given twice ("${ref}")`);
    if (out[key] !== undefined && out[key] !== value) throw new OrunError(`"${ref}" and ${flag} ${out[key]} name different ${key === "execId" ? "executions" : "jobs"}: give one`);
    given[key] = true;
    out[key] = value;
  }
  return out;
}

type LogsOptions = { intent?: string; execId?: string; job?: string; step?: string; failed?: boolean; raw?: boolean; follow?: boolean; remoteState?: boolean; backendUrl?: string; local?: boolean };
/** The masks `orun status` / `orun logs` read from the record once they have (inside GitHub Actions). */
type KnownMasks = { masker?: import("../../runners/github-actions/masker.js").Masker };

/** Runs `show`, and masks the error it ends with by what it had read of the record's masks by then. */
async function maskingErrors(show: (known: KnownMasks) => Promise<number>): Promise<number> {
  const known: KnownMasks = {};
  try {
    return await show(known);
  } catch (err) {
    throw known.masker ? (await import("../../runtime/output/gha-logs.js")).maskedError(err, known.masker) : err;
  }
}

export async function logsCommand(opts: LogsOptions): Promise<number> {
  // Inside GitHub Actions an error (a mistyped --job) hides the values the record's steps masked, as the lines do.
  return maskingErrors((known) => showLogs(opts, known));
}

async function showLogs(opts: LogsOptions, known: KnownMasks): Promise<number> {
  const intentRoot = await intentRootOf(opts.intent);
  const store = await storeAt(intentRoot);
  if (await readsBackend(opts, intentRoot)) {
    const remote = await (await import("../../remote/cli.js")).remoteLogs(opts);
    if (remote !== undefined) return remote;
  }
  const { listLogs, printLogs, followLogs } = await import("../../runtime/logs.js");
  const { readSnapshot, isFinished, outcomeExitCode, carryOn, runIsOver } = await import("../../runtime/status.js");
  await dropForeignStepRunId(store);
  const execId = await resolveExecution(store, opts.execId);
  if (!execId) {
    process.stdout.write("No runs yet.\n");
    return 0;
  }
  // Inside GitHub Actions the record's clear text is printed masked, with the runner's commands stopped (gha-logs.ts):
  // the masks of all the record's steps hide values in the output and in orun's own notes (a corrupt state.json is
  // refused below, as without GitHub Actions).
  const gha = await import("../../runtime/output/gha-logs.js");
  const byJob = gha.insideGithubActions() ? await gha.recordedJobMasks(await listLogs(store, execId).catch(() => [])) : undefined;
  const masks = byJob && gha.masksOf(byJob);
  known.masker = masks?.masker;
  // orun's own lines (notes, warnings; on stdout, those printed in place of logs): masked, never a workflow command.
  const say = (text: string, stream: NodeJS.WriteStream = process.stderr): void => void stream.write(masks ? gha.githubNoteText(masks.masker, text) : text);
  // The step logs do not depend on metadata.json: one that cannot be read (or of the wrong shape) is said, not refused.
  // Logs name no jobs missing from the plan (status does): their snapshots need not read the plan.
  const anyMetadata = { metadataOfAnyShape: true, planJobs: false };
  const { unreadable } = await store.readMetadataLeniently(execId, { anyDamage: true });
  if (unreadable) say(warningLine(`the record's metadata.json cannot be read (${unreadable}): its logs are shown without it; fix or delete the file`));
  const filter = { job: opts.job, step: opts.step, failed: opts.failed };
  const { checkLogFilter, noLogsMatchText, noStepRanText, nothingFailedText } = await import("../../runtime/logs-scope.js");
  // A job or step the record does not hold (a typo) is an error, before anything is printed or followed.
  const scope = opts.job || opts.step ? await checkLogFilter(store, execId, filter) : undefined;
  // To a pipe, wait while it is full: queued in memory, a 200 MB log held 446 MB (see output/pipe-writer.ts).
  const { pipeWriter } = await import("../../runtime/output/pipe-writer.js");
  const plainWrite = pipeWriter(1, outputClosed) ?? ((chunk: string | Buffer): void => void process.stdout.write(chunk));
  // The runner is handed the masks of the jobs shown (all, when following).
  const githubLog = (jobIds: ReadonlySet<string> | undefined, learn: boolean) =>
    byJob && masks && gha.githubLogWriter({ masker: masks.masker, values: gha.masksOf(byJob, jobIds).values }, (chunk) => plainWrite(chunk), { learn });
  const followed = opts.follow ? githubLog(undefined, true) : undefined;
  const write = followed?.write ?? plainWrite;
  // What is not a log (a job's error in place of the log it never wrote) goes to stderr under --raw.
  const note = (text: string): void => say(text);
  const saidInPlace = (text: string): void => say(text, opts.raw ? process.stderr : process.stdout);
  const filtered = Boolean(opts.job || opts.step || opts.failed);
  // A run that failed before any job ran (a --background child refused at start) has only its own error to show;
  // not into --raw output: what reads it expects the logs' bytes only.
  const noLogsBecause = (runError: string): void =>
    saidInPlace(`No logs for this run: it failed before any job ran.\n  Error: ${runError}\n`);
  // A run killed outright (SIGKILL, a crash) before any step printed: "yet" would promise logs that never come.
  const noLogsInterrupted = (meta: import("../../runtime/records/store.js").RunMetadata | undefined): void => {
    const { rejoins, command, unknownScope } = carryOn(execId, meta, meta ? undefined : store.metadataFile(execId), store.rootDir);
    const how = `${rejoins ? `rejoin remote run ${rejoins}` : "resume it"} with ${command}${unknownScope ? `; ${unknownScope}` : ""}`;
    saidInPlace(`No logs for this run: it was interrupted before any step printed output (${how}).\n`);
  };
  // A finished run whose steps printed nothing: "yet" would promise logs that never come. One whose jobs never
  // started (blocked by a gate or a policy, the rest skipped) says so, naming them and why.
  const noLogsPrinted = (snapshot: import("../../runtime/status.js").ExecutionSnapshot): void =>
    saidInPlace(
      noStepRanText(snapshot.state, execId) ??
        `No logs for this run: it ${snapshot.meta?.status === "incomplete" ? "ended with jobs still to run" : (snapshot.meta?.status ?? "finished")} and no step printed any output.\n`,
    );
  if (opts.follow) {
    let printed = false;
    const seen = <T extends string | Buffer>(out: (chunk: T) => void) => (chunk: T): void => {
      printed = true;
      out(chunk);
    };
    // A run still starting has not recorded its plan, so a --job or --step it holds nothing of is refused once it
    // has (followed unchecked, a typo waited for the whole run in silence and exited with its outcome).
    let unchecked = Boolean(opts.job || opts.step) && scope === undefined && !isFinished(await readSnapshot(store, execId, anyMetadata));
    if (unchecked) {
      const given = [opts.job !== undefined && `--job ${opts.job}`, opts.step !== undefined && `--step ${opts.step}`].filter(Boolean).join(" and ");
      say(`Run ${execId} has not recorded its plan yet: ${printable(given)} is checked once it has.\n`);
    }
    const isDone = async (): Promise<boolean> => {
      const done = isFinished(await readSnapshot(store, execId, anyMetadata));
      // Throws, naming what the run does hold, when the filter selects none of it.
      if (unchecked) unchecked = (await checkLogFilter(store, execId, filter)) === undefined;
      return done;
    };
    await followLogs(store, execId, filter, seen(write), isDone, { raw: opts.raw, note: seen(note) });
    followed?.end();
    const finished = await readSnapshot(store, execId, anyMetadata);
    if (!printed && !filtered) {
      const runError = runLevelError(finished);
      if (runError) noLogsBecause(runError);
      else if (finished.interrupted) noLogsInterrupted(finished.meta);
      else noLogsPrinted(finished);
    }
    // As status --watch and the remote follow: the run's outcome (a script waiting on it can tell).
    return outcomeExitCode(finished);
  }
  // As orun status says it: a step a dead (or finished) run left `running` is shown interrupted. A record whose
  // state.json is corrupt is refused as status refuses it (its steps' outcomes are not known).
  const current = await readSnapshot(store, execId, anyMetadata);
  const entries = await listLogs(store, execId, filter, { runOver: runIsOver(current) });
  if (entries.length === 0) {
    const snapshot = filtered ? undefined : current;
    const runError = snapshot && runLevelError(snapshot);
    if (runError) noLogsBecause(runError);
    else if (snapshot?.interrupted) noLogsInterrupted(snapshot.meta);
    else if (snapshot && isFinished(snapshot)) noLogsPrinted(snapshot);
    // `--failed` of a run none of whose jobs started: what blocked them, not "No logs match."
    else if (opts.failed && !opts.job && !opts.step && isFinished(current) && noStepRanText(current.state, execId)) noLogsPrinted(current);
    else saidInPlace((opts.failed && !opts.job && nothingFailedText(current.state, execId)) || (filtered ? noLogsMatchText(scope, filter) : "No logs for this run yet.\n"));
    return 0;
  }
  const shown = githubLog(new Set(entries.map((entry) => entry.jobId)), false);
  await printLogs(entries, shown?.write ?? write, { raw: opts.raw, note });
  shown?.end();
  return 0;
}

/** The error a run recorded for itself (not a job's), made printable on one line: a failed start's or the latest background child's. */
function runLevelError(snapshot: import("../../runtime/status.js").ExecutionSnapshot): string | undefined {
  const error = snapshot.backgroundError?.error ?? (snapshot.meta?.status === "failed" ? snapshot.meta.error : undefined);
  return error === undefined ? undefined : printable(error);
}

export interface GcCommandOptions {
  intent?: string;
  keep: number;
  /** Days (fractions allowed); see parseAgeDays. */
  maxAge?: number;
  keepDays?: number;
  all?: boolean;
  dryRun?: boolean;
  actions?: boolean;
  actionsShared?: boolean;
  /** Also remove the records holding the newest promotion-gate evidence. */
  dropEvidence?: boolean;
  /** Revisions of each component × environment whose newest success gc keeps. */
  evidenceRevisions?: number;
  /** --keep was typed (not its default). */
  keepGiven?: boolean;
  /** --evidence-revisions was typed (not its default). */
  evidenceRevisionsGiven?: boolean;
}

export async function gcCommand(opts: GcCommandOptions): Promise<number> {
  if (opts.all && opts.keepGiven) throw new OrunError(`--all removes every finished execution but the promotion-gate evidence (--keep 0), so --keep ${opts.keep} would be ignored: give only one`);
  if (opts.maxAge !== undefined && opts.keepDays !== undefined && opts.maxAge !== opts.keepDays) {
    throw new OrunError("--max-age and --keep-days both set the age limit: give only one");
  }
  if (opts.actionsShared && !opts.actions) throw new OrunError("--actions-shared needs --actions");
  const evidenceFlag = opts.evidenceRevisionsGiven ? `--evidence-revisions ${opts.evidenceRevisions}` : undefined;
  if (evidenceFlag && opts.dropEvidence && opts.evidenceRevisions !== 0) {
    throw new OrunError(`--drop-evidence keeps no promotion-gate evidence, so ${evidenceFlag} would be ignored: give only one`);
  }
  if (opts.actions) {
    // `gc --actions --max-age 7d` removed run records older than 7 days too (and the gate evidence among them).
    const recordFlag = opts.all ? "--all" : opts.keepGiven ? `--keep ${opts.keep}` : opts.dropEvidence ? "--drop-evidence" : evidenceFlag;
    if (recordFlag) throw new OrunError(`--actions prunes only the action cache, and ${recordFlag} is about execution records: run orun gc ${recordFlag} on its own for them`);
    // The cache is not the intent's, but a wrong -i is still reported as every command reports it, not ignored.
    if (opts.intent !== undefined) await intentRootOf(opts.intent);
  }
  const maxAgeDays = opts.maxAge ?? opts.keepDays ?? 30;
  return opts.actions ? gcActions(opts, maxAgeDays) : gcRecords(opts, maxAgeDays);
}

/** `orun gc` without --actions: execution records and stored plans. */
async function gcRecords(opts: GcCommandOptions, maxAgeDays: number): Promise<number> {
  const verb = opts.dryRun ? "Would remove" : "Removed";
  const [{ collectGarbage }, { keptForUserLines, keptForUserRefusal }] = await Promise.all([import("../../runtime/gc.js"), import("../../runtime/gc-kept-for-user.js")]);
  const store = await storeAt(await intentRootOf(opts.intent));
  const result = await collectGarbage(store, { keep: opts.all ? 0 : opts.keep, maxAgeDays, dryRun: opts.dryRun ?? false, dropEvidence: opts.dropEvidence ?? false, evidenceRevisions: opts.evidenceRevisions });
  // "Removed 3 executions", "Removed 2 plans", "Removed 3 executions (1 holding promotion-gate evidence) and 2 plans".
  const dropped = result.droppedEvidence.size ? ` (${result.droppedEvidence.size} holding promotion-gate evidence)` : "";
  const executions = result.removed.length ? plural(result.removed.length, "execution") + dropped : "";
  const recordsSummary = [executions, result.plans.length ? plural(result.plans.length, "stored plan") : ""].filter(Boolean).join(" and ");
  for (const id of result.removed) {
    const evidence = result.droppedEvidence.get(id);
    // Component and environment names read from a record, which may come from anywhere: shown escaped.
    process.stdout.write(`  ${verb} ${id}${evidence === undefined ? "" : ` (promotion-gate evidence: ${printable(evidence)})`}\n`);
  }
  for (const id of result.plans) process.stdout.write(`  ${verb} plan ${id}\n`);
  for (const [id, evidence] of result.keptEvidence) process.stdout.write(`  kept ${id} (promotion-gate evidence: ${printable(evidence)})\n`);
  if (recordsSummary || result.keptEvidence.size) process.stdout.write("\n");
  if (recordsSummary) process.stdout.write(`${verb} ${recordsSummary}\n`);
  if (result.keptEvidence.size) {
    const kept = opts.dryRun ? "Would keep" : "Kept";
    const them = result.keptEvidence.size === 1 ? "it" : "them";
    process.stdout.write(`${kept} ${plural(result.keptEvidence.size, "execution")} as promotion-gate evidence (--drop-evidence removes ${them} too)\n`);
  }
  // Records kept for the user to settle (their lock unreadable, or stuck in a takeover): not "nothing to clean up".
  if (!recordsSummary && !result.keptEvidence.size && !result.keptForUser.size) process.stdout.write("Nothing to clean up.\n");
  for (const id of result.keptRunning) process.stdout.write(`  kept ${id} (${result.keptForeign?.get(id) ?? "still running"})\n`);
  for (const line of keptForUserLines(result.keptForUser)) process.stdout.write(`${line}\n`);
  if (result.plansHeldFor) process.stdout.write(`  kept stored plans: run ${result.plansHeldFor} is starting (run orun gc again once it has)\n`);
  const refusal = keptForUserRefusal(result.keptForUser, opts.dryRun);
  if (refusal) throw refusal;
  return 0;
}

/** `orun gc --actions`: the remote-action cache only, never execution records. */
async function gcActions(opts: GcCommandOptions, maxAgeDays: number): Promise<number> {
  const verb = opts.dryRun ? "Would remove" : "Removed";
  const { pruneActionCache, formatBytes } = await import("../../runners/github-actions/action-cache-gc.js");
  const { defaultCacheRoot } = await import("../../runners/github-actions/action-cache.js");
  const root = defaultCacheRoot();
  const pruned = await pruneActionCache({ root, maxAgeMs: maxAgeDays * 86_400_000, dryRun: opts.dryRun ?? false, includeShared: opts.actionsShared ?? false });
  for (const entry of pruned.removed) {
    const what = entry.kind === "version" ? `action ${entry.detail}` : entry.kind === "ref" ? `ref ${entry.path}${entry.detail ? ` (→ ${entry.detail.slice(0, 12)})` : ""}` : `${CACHE_KIND_LABEL[entry.kind]} ${entry.path}`;
    process.stdout.write(`  ${verb} ${what} (${formatBytes(entry.bytes)})\n`);
  }
  for (const kept of pruned.kept) process.stdout.write(`  kept ${kept.path} (${kept.reason})\n`);
  const failed = pruned.kept.some((kept) => kept.reason.startsWith("not removed")) ? 1 : 0;
  if (pruned.removed.length === 0) {
    process.stdout.write(`Nothing to clean up (action cache ${root}).\n`);
    return failed;
  }
  const entries = plural(pruned.removed.length, "action cache entry").replace(/entrys$/, "entries");
  process.stdout.write(`\n${verb} ${entries} from ${root}, ${opts.dryRun ? "would free" : "freed"} ${formatBytes(pruned.bytesFreed)}\n`);
  return failed;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

const CACHE_KIND_LABEL = { version: "action", ref: "ref", temp: "stale partial download", lock: "stale lock", marker: "orphan marker", shared: "shared tool cache" } as const;

/** `--max-age`: a number of days, or a number with a unit (`30d`, `2w`, `12h`, `90m`); returns days. */
function parseAgeDays(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(m|h|d|w)?$/.exec(value.trim());
  if (!match) throw new OrunError(`invalid --max-age "${value}": expected days (30) or a number with a unit m, h, d or w (30d, 12h)`);
  const minutes = { m: 1, h: 60, d: 1440, w: 10_080 }[(match[2] ?? "d") as "m" | "h" | "d" | "w"];
  return (Number(match[1]) * minutes) / 1440;
}

function splitList(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(",")).map((value) => value.trim()).filter(Boolean);
}

function parsePositiveInt(value: string): number {
  const n = digitsOnly(value.trim());
  if (n === undefined || n < 1) throw new OrunError(`invalid --concurrency "${value}": expected a whole number ≥ 1`);
  return n;
}

/**
 * A value from a fixed set (trimmed, any case, as the runtime reads it), refused while the flags are parsed:
 * a bad value found later, by the runner, failed a run whose record then became `latest`.
 */
function oneOf(choices: readonly string[], suggest?: (value: string) => string | undefined): (value: string) => string {
  return (value) => {
    const wanted = nonEmpty(value).trim().toLowerCase();
    if (choices.includes(wanted)) return wanted;
    const suggestion = suggest?.(wanted);
    throw new InvalidArgumentError(`expected ${choices.length > 1 ? `one of ${choices.join(", ")}` : choices[0]}${suggestion ? ` (did you mean ${suggestion}?)` : ""}.`);
  };
}

/** The longest `status --interval`: past 2^31-1 ms Node fires a timer at once, so --watch spun redrawing. */
const MAX_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** The shortest: faster redraws (and polls of a remote backend) spin for nothing; 1..199ms silently meant 1s. */
const MIN_INTERVAL_MS = 200;

/** `status --interval`: a duration with its unit, in milliseconds, from 200ms to a day. */
function parseInterval(value: string): number {
  let ms: number;
  try {
    ms = parseDuration(nonEmpty(value));
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    throw new InvalidArgumentError("expected a duration with its unit (ms, s, m or h), such as 500ms, 2s or 1m.");
  }
  if (ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) throw new InvalidArgumentError(`expected a duration from 200ms to 24h, such as 500ms, 2s or 1m.`);
  return ms;
}

/** A whole number ≥ 0 for `flag`, named in the error. */
function nonNegativeInt(flag: string): (value: string) => number {
  return (value) => {
    // `--keep "$UNSET"` must not mean "keep nothing".
    const n = digitsOnly(value.trim());
    if (n === undefined) throw new OrunError(`invalid number "${value}" for ${flag}: expected a whole number ≥ 0`);
    return n;
  };
}
