// The CLI's remote mode, kept out of the command modules: `orun run`,
// `status` and `logs` call these when remote state is on (flags, env, or
// intent `execution.state`), otherwise they return undefined.
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import type { Plan } from "../model/plan.js";
import type { ChangeOptions } from "../planner/changes/files.js";
import { canonicalJobId } from "../model/plan.js";
import { OrunError } from "../util/errors.js";
import { formatDuration } from "../runtime/duration.js";
import { runnerRecordId } from "../runtime/ids.js";
import { printable } from "../util/printable.js";
import { watchFrames } from "../runtime/output/watch-frames.js";
import { BackendClient, RUN_GONE_CAUSE, isRunNotFound } from "./client.js";
import { RemoteHooks } from "./hooks.js";
import { plansDir } from "../plan/store.js";
import { carriedEnv, carriedFlags, planReference, printedBackendUrl, shellWord, type CarriedOptions } from "../runtime/plan-reference.js";
import { resolveRunner } from "../runtime/runner-resolution.js";
import { resolveTokenSource } from "./oidc-token.js";
import { deriveRunId, deriveRunnerId } from "./run-id.js";
import { IGNORED_BACKEND_URL, envMilliseconds, readIntentStateConfig, remoteEnabled, resolveBackendUrl, type RemoteFlags, type StateConfig } from "./settings.js";
import { isRunFinished, logsText, rawLogsText, statusJson, statusText } from "./status-view.js";
import type { JobView, RunView } from "./protocol.js";
import type { LogScope } from "../runtime/logs-scope.js";
import { hostSecretValues } from "../runtime/host-secrets.js";
import { warnOnStderr } from "../util/warning.js";
import { quotingLineText } from "../util/inert-command.js";

export interface RemoteRunSetup {
  hooks: RemoteHooks;
  /** The local execution record's ID: unique per process, so runners sharing a directory don't contend for its lock. */
  execId: string;
  runId: string;
  /** The backend's URL as printed commands repeat it (printedBackendUrl), when it has one. */
  backendUrl?: string;
}

export async function remoteRunSetup(
  /** `planRef`: the plan argument as given (positional, --plan or ORUN_PLAN_ID; "" for none), for the commands the runner prints. */
  flags: RemoteFlags & CarriedOptions & PlanningFlags & { execId?: string; job?: string; retry?: boolean; planRef?: string; autoScope?: string[]; all?: boolean },
  resolved: { plan: Plan; intentRoot?: string; storeDir?: string; source?: string; storedAs?: string; file?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<RemoteRunSetup | undefined> {
  const config: StateConfig | undefined = resolved.plan.execution?.state ?? (await readIntentStateConfig(resolved.intentRoot));
  if (!remoteEnabled(flags, env, config)) return warnIgnoredUrl(flags);
  const baseUrl = resolveBackendUrl(flags, env, config);
  const runId = deriveRunId(flags.execId, env);
  // The runner's lines quote the backend (a job's reason, an error's body): escaped, another backend's text too, and
  // inert inside GitHub Actions (a reason holding `\n::error::…`). The runner around orun masks what this run's steps
  // masked; another runner's masks are not known here.
  const say = (line: string): void => void process.stderr.write(`${quotingLineText(line, env)}\n`);
  const runnerId = deriveRunnerId(env);
  // An outage notice names when the jobs running here stop (their lease), not only how long requests retry.
  const client = new BackendClient({ baseUrl, auth: resolveTokenSource(env), onRetrying: (message, kind) => say(`${message}${hooks.leaseNote(kind)}`) });
  // A plan compiled in this run (no plan argument, a component named as it, trigger and change flags) read
  // ORUN_CONFIG_DIR: the commands that compile it again repeat it. A stored plan's ID names it without compiling.
  const compiled = resolved.source?.startsWith("fresh plan") === true;
  const runner = resolveRunner(flags, env, resolved.plan);
  const carried: CarriedOptions = {
    ...flags,
    backendUrl: printedBackendUrl(flags.backendUrl?.trim() || env.ORUN_BACKEND_URL),
    ...(runner.source === "ORUN_RUNNER" ? { runner: runner.name } : {}),
  };
  const rebuild = rebuildCommand(flags, resolved.source, resolved.storedAs, carriedEnv(flags, env, { compiles: true, docker: false }));
  const shapesPlan = compiled && !resolved.storedAs;
  // --all too: pasted in a component folder (where it started, say) the rejoin would else claim that component's jobs alone.
  const filters = carriedFlags({ env: shapesPlan ? undefined : flags.env, component: flags.autoScope?.length ? flags.autoScope : shapesPlan ? undefined : flags.component }, true);
  const scope = [filters, flags.all ? "--all" : ""].filter(Boolean).join(" ");
  const hooks: RemoteHooks = new RemoteHooks({
    client,
    say,
    plan: resolved.plan,
    runId,
    runnerId,
    mode: flags.job ? "job" : "plan",
    triggerType: env.GITHUB_ACTIONS === "true" ? "ci" : "local",
    actor: env.GITHUB_ACTOR || undefined,
    waitTimeoutMs: envMilliseconds(env, "ORUN_REMOTE_WAIT_TIMEOUT_MS"),
    // The backend reopens the job if it failed, with the jobs skipped because of it (coordinator claimJob).
    ...(flags.retry && flags.job ? { retryJob: canonicalJobId(flags.job.trim()) } : {}),
    ...(flags.planRef !== undefined ? { planRef: planReference(flags.planRef, resolved.plan, process.cwd(), resolved.file, { absolute: true }) } : {}),
    // -e/--component shape a plan compiled here (a component named as the plan too), so its commands repeat them.
    commandFlags: carriedFlags(carried, shapesPlan),
    // The runner's slice, for commands without --job (its rejoin): the folder's component, -e/--component that
    // filtered a stored plan (left out above) and --all — without them a pasted rejoin claimed other jobs than its own.
    ...(scope ? { scopeFlags: scope } : {}),
    commandEnv: carriedEnv(carried, env, { compiles: compiled && !resolved.storedAs, docker: runner.name === "docker" }),
    ...(flags.job ? { job: canonicalJobId(flags.job.trim()) } : {}),
    // The local runner's steps inherit these with the host's environment: one that prints them must not hand them to
    // every reader of the run's logs (GitHub masks every secret in a log too).
    logSecrets: [env.ORUN_TOKEN, ...hostSecretValues(env)],
    ...(resolved.storeDir ? { storeDir: resolved.storeDir } : {}),
    ...(rebuild ? { rebuildPlan: rebuild } : {}),
  });
  say(`remote state: run ${runId} on ${baseUrl} (runner ${runnerId})`);
  // The commands it prints name the plan it stored (trigger and change flags): an ID that this machine alone has.
  const revision = resolved.plan.metadata.revision;
  if (resolved.storedAs && resolved.storeDir) {
    const elsewhere = rebuild && revision ? `; elsewhere, \`${rebuild}\` at commit ${revision} with the same refs stores it again` : "";
    say(`notice: the retry commands this runner prints name plan ${resolved.storedAs}, stored in ${plansDir(resolved.storeDir)} on this machine${elsewhere}`);
  }
  return { hooks, runId, execId: runnerRecordId(runId), ...(carried.backendUrl ? { backendUrl: carried.backendUrl } : {}) };
}

/** Trigger and change flags as `orun run` parses them (src/planner/triggers). */
interface PlanningFlags extends ChangeOptions {
  changed?: boolean;
  trigger?: string;
  fromCi?: string;
  eventFile?: string;
}

/**
 * `orun plan …` that compiles the runner's plan again at its commit, from where it ran: for a plan `orun run`
 * compiled afresh from the intent (all of it, or a component named as its plan argument) or with trigger and change
 * flags that name refs and files (the same refs select the same plan). None for a given plan (its flags are unknown
 * here) nor for flags that read the working tree's edits or a CI event (--uncommitted, --untracked, --from-ci,
 * --event-file), which another checkout does not have.
 */
function rebuildCommand(flags: CarriedOptions & PlanningFlags, source: string | undefined, storedAs: string | undefined, prefix: string): string | undefined {
  const component = /^fresh plan for component (.+)$/.exec(source ?? "")?.[1];
  if (!storedAs && source !== "fresh plan" && !component) return undefined;
  if (storedAs && (flags.uncommitted || flags.untracked || flags.fromCi !== undefined || flags.eventFile !== undefined)) return undefined;
  const words = [...(prefix ? [prefix] : []), "orun", "plan", ...(component ? [shellWord(component)] : [])];
  const value = (flag: string, v: string | undefined): void => void (v?.trim() && words.push(flag, shellWord(v)));
  value("-i", flags.intent);
  value("--config-dir", flags.configDir);
  for (const env of flags.env ?? []) value("-e", env);
  for (const name of flags.component ?? []) value("--component", name);
  if (storedAs) {
    if (flags.changed) words.push("--changed");
    value("--base", flags.base);
    value("--head", flags.head);
    for (const file of flags.files ?? []) value("--files", file);
    if (flags.intentImpact !== "watch") value("--intent-impact", flags.intentImpact); // "watch": the default
    value("--trigger", flags.trigger);
  }
  return words.join(" ");
}

/** `--backend-url` alone does not turn remote state on (v2's rule): say so rather than run locally in silence. */
function warnIgnoredUrl(flags: RemoteFlags): undefined {
  if (flags.backendUrl?.trim()) {
    warnOnStderr(IGNORED_BACKEND_URL);
  }
  return undefined;
}

interface ReadOptions extends RemoteFlags {
  intent?: string;
  execId?: string;
}

interface RemoteReader {
  client: BackendClient;
  runId: string;
  baseUrl: string;
  intentRoot?: string;
  /** What sent the command to the backend, for the hints that say how to read a local record instead. */
  why: RemoteStateSource;
  /** Where the run ID came from (undefined: the run this machine last took part in, named on stderr). */
  idFrom?: "--exec-id" | "ORUN_EXEC_ID";
  command: "status" | "logs";
  /** Which run is read when none was named, for the command to say on stderr (logs masks it there first). */
  note?: string;
}

/**
 * How long a one-off look (status, logs without --follow) retries a backend that is not answering, unless
 * ORUN_BACKEND_RETRY_MS says: someone waiting at a prompt gets the error in seconds, not after a runner's 2 minutes
 * (--watch and --follow keep waiting; runners keep the long budget, which rides out a backend restart).
 */
export const LOOK_RETRY_MS = 5_000;

/** `notify`: how the client's outage notices are said (the command's own lines: masked inside GitHub Actions). */
async function remoteReader(opts: ReadOptions, env: NodeJS.ProcessEnv, command: "status" | "logs", look: boolean, notify: (line: string) => void): Promise<RemoteReader | undefined> {
  const { locateIntentRoot } = await import("../runtime/plan-source.js");
  const intentRoot = await locateIntentRoot(process.cwd(), opts.intent);
  const config = await readIntentStateConfig(intentRoot);
  if (!remoteEnabled(opts, env, config)) return warnIgnoredUrl(opts);
  const baseUrl = resolveBackendUrl(opts, env, config);
  const idFrom = opts.execId?.trim() ? "--exec-id" : env.ORUN_EXEC_ID?.trim() ? "ORUN_EXEC_ID" : undefined;
  const named = opts.execId?.trim() || env.ORUN_EXEC_ID?.trim();
  const found: { runId: string; note?: string } | undefined = named ? { runId: named } : await defaultRunId(intentRoot, env);
  const runId = found?.runId;
  const why = remoteStateSource(opts, env, intentRoot);
  if (!runId) throw runNotNamed(command, why);
  const retryBudgetMs = look ? (envMilliseconds(env, "ORUN_BACKEND_RETRY_MS") ?? LOOK_RETRY_MS) : undefined;
  // A notice quotes the backend's answer (a 5xx body's error): escaped, and shaped as the command's other lines.
  const onRetrying = (message: string): void => notify(`${printable(message, { keepLineBreaks: true })}\n`);
  return { client: new BackendClient({ baseUrl, auth: resolveTokenSource(env), retryBudgetMs, onRetrying }), runId, baseUrl, intentRoot, why, ...(idFrom ? { idFrom } : {}), command, ...(found?.note ? { note: found.note } : {}) };
}

/** What turned remote state on: the flag, ORUN_REMOTE_STATE, or intent.yaml (remoteEnabled's order), as said to the user. */
interface RemoteStateSource {
  flag: boolean;
  /** `X (why)`, and the sentence `X turns remote state on (why)`. */
  text: string;
  turnsOn: string;
}

function remoteStateSource(opts: ReadOptions, env: NodeJS.ProcessEnv, intentRoot: string | undefined): RemoteStateSource {
  if (opts.remoteState) return { flag: true, text: "--remote-state", turnsOn: "--remote-state turns remote state on" };
  if (remoteEnabled({}, env, undefined)) return { flag: false, text: "ORUN_REMOTE_STATE=true", turnsOn: "ORUN_REMOTE_STATE=true turns remote state on" };
  const intent = path.join(intentRoot ?? ".", "intent.yaml");
  return { flag: false, text: `${intent} (execution.state.mode: remote)`, turnsOn: `${intent} turns remote state on (execution.state.mode: remote)` };
}

/**
 * The run `status`/`logs` read when none is named (seed 002: with remote state on, they "automatically use the
 * backend"): the run this machine last took part in — the newest execution record that names a remote run —
 * else, in GitHub Actions, the run ID every runner of this workflow attempt derives (a workflow that pins
 * ORUN_EXEC_ID, as the seed's does, names its run through it before this). With the note the command says on
 * stderr, so the reader knows which run it sees; undefined when nothing identifies one.
 */
async function defaultRunId(intentRoot: string | undefined, env: NodeJS.ProcessEnv): Promise<{ runId: string; note: string } | undefined> {
  const { ExecutionStore } = await import("../runtime/records/store.js");
  const store = new ExecutionStore(intentRoot ?? process.cwd());
  const latest = await store.latestId();
  const meta = latest ? await store.readMetadata(latest).catch(() => undefined) : undefined;
  const found = meta?.remoteRunId ? { execId: latest!, meta } : (await store.list()).find((record) => record.meta?.remoteRunId);
  const recorded = found?.meta?.remoteRunId;
  if (recorded) {
    // Both from this machine's record (a copy from elsewhere, an edited metadata.json): printed escaped.
    const note = `remote state: showing run ${printable(recorded)}, the last this machine took part in (execution record ${printable(found.execId)}); name another with --exec-id\n`;
    return { runId: recorded, note };
  }
  if (env.GITHUB_ACTIONS === "true" && env.GITHUB_RUN_ID?.trim()) {
    const runId = deriveRunId(undefined, env);
    return { runId, note: `remote state: showing run ${runId} (this GitHub Actions run's; name another with --exec-id)\n` };
  }
  return undefined;
}

/**
 * No run named under remote state: the backend has no "latest" run. The message names what turned remote state
 * on — the user may never have typed --remote-state (ORUN_REMOTE_STATE, or intent.yaml's execution.state).
 */
function runNotNamed(command: "status" | "logs", why: RemoteStateSource): OrunError {
  if (why.flag) return new OrunError("--remote-state requires --exec-id or ORUN_EXEC_ID");
  return new OrunError(`${why.turnsOn}, so orun ${command} reads a run from the backend and needs to know which`, {
    hint: "name it with --exec-id <run-id> or ORUN_EXEC_ID: the run ID its runners shared",
  });
}

/**
 * For a run ID the backend does not have that is the ID of an execution record of this machine (a runner's `Local
 * record: R.<hex>`, a run made without remote state): how to read that record, naming what sent the command to the
 * backend (the user may never have typed --remote-state) and where the ID came from. Undefined for any other ID, and
 * for the folder a remote `--background` run's parent keeps under the run's own ID (no metadata: its child's record
 * is R.<hex>), which is no record of another run.
 */
async function localRecordHint(reader: RemoteReader): Promise<string | undefined> {
  const { ExecutionStore } = await import("../runtime/records/store.js");
  const { isRecordFolder } = await import("../cli/record-source.js");
  const { runId, why, idFrom, command } = reader;
  const store = new ExecutionStore(reader.intentRoot ?? process.cwd());
  if (!(await isRecordFolder(store, runId))) return undefined;
  const meta = await store.readMetadata(runId).catch(() => undefined);
  if (!meta || meta.remoteRunId === runId) return undefined;
  const named = idFrom === "ORUN_EXEC_ID" ? `${runId} (ORUN_EXEC_ID)` : runId;
  const read = why.flag ? `orun ${command} --local instead of --remote-state` : `orun ${command} --local`;
  return `${named} is an execution record on this machine, not a run ID; ${why.text} sends orun ${command} to the backend: read the record with ${read}`;
}

/**
 * A run the backend does not have at the first read: named, with where run IDs come from (was: "Run not found"),
 * or, for the ID of an execution record of this machine (a runner's `Local record:`), how to read that record.
 */
function runNotFound(reader: RemoteReader): (err: unknown) => Promise<never> {
  return async (err) => {
    if (!isRunNotFound(err)) throw err;
    const hint = (await localRecordHint(reader)) ?? "name the run ID its runners printed (remote state: run <id> on …) with --exec-id or ORUN_EXEC_ID; a run nothing happened in for the backend's --retention is deleted; a token sees only the runs of its namespace (orun backend token list names each token's), an OIDC token its repository's";
    throw new OrunError(`remote run ${printable(reader.runId)} not found on the backend at ${reader.baseUrl}`, { hint });
  };
}

/** A run read before and now not found: said as such, not as a bare 404. */
function runGone(runId: string, baseUrl: string): OrunError {
  return new OrunError(`remote run ${printable(runId)} is gone from the backend at ${baseUrl}: ${RUN_GONE_CAUSE}`);
}

/** What `status --watch` and `logs --follow` say, once, of a run the backend does not have yet (`record`: localRecordHint). */
function notYetLine(runId: string, baseUrl: string, record: string | undefined): string {
  return `remote run ${printable(runId)} is not on the backend at ${baseUrl} yet; waiting for its runners to start it (Ctrl-C to stop)${record ? `\n  (${record})` : ""}\n`;
}

/** `--watch`: consecutive failed polls before the watcher says the backend is not answering (it keeps polling). */
export const WATCH_FAILED_POLLS_REPORTED = 3;

/** How status writes its lines (`text`: the note, the status, each frame) and its JSON (`json`). */
interface StatusShaper {
  /** Reads the masks of the jobs whose own text status prints that it has not read yet (inside GitHub Actions). */
  learn(jobs: JobView[], client?: BackendClient): Promise<void>;
  /** The jobs as status prints them: one whose log could not be read for its masks has its error withheld. */
  shown(jobs: JobView[]): JobView[];
  text(text: string): string;
  json(json: string): string;
  /** `err` with the values of the masks read so far hidden in its text, as its other lines hide them. */
  error(err: unknown): unknown;
}

/** A job's text in place of what may quote a value its steps masked, when its log (the masks) could not be read. */
const WITHHELD = "(not shown: its log, which holds the values its steps masked, could not be read from the backend)";

/** `job` with the text status prints of it (printsJobText: its error, why its success is no evidence) withheld. */
function withheldText(job: JobView): JobView {
  return {
    ...job,
    ...(job.lastError ? { lastError: WITHHELD } : {}),
    ...(job.noEvidence && typeof job.noEvidence === "object" ? { noEvidence: { ...job.noEvidence, reason: WITHHELD } } : {}),
  };
}

/** Logs read at once for their masks (status, logs): many jobs' logs on a slow backend are read in a few rounds, not one by one. */
const LOG_READS_AT_ONCE = 4;

/**
 * A job whose own text status prints: its error (a step's output may be quoted in it, a value the step masked too),
 * or why its success is no promotion evidence. Its log holds the masks that hide values in that text.
 */
function printsJobText(job: JobView): boolean {
  return Boolean(job.lastError) || Boolean(job.noEvidence);
}

/**
 * Inside GitHub Actions status writes its lines masked, no line of them a workflow command (gha-logs.ts
 * githubNoteText, as `orun logs` writes its own), and its JSON masked with no `##[` in a string (githubJsonText); the
 * masks are those of the jobs whose text it prints, read from their logs only (each read again when the job's error
 * changes: a retried job's new attempt), not every job's (a run of 2,000 jobs read them all, one by one, before a
 * line was printed). Elsewhere it writes as it is.
 */
async function statusShaper(reader: RemoteReader, env: NodeJS.ProcessEnv): Promise<StatusShaper> {
  const gha = await import("../runtime/output/gha-logs.js");
  if (!gha.insideGithubActions(env)) return { learn: async () => undefined, shown: (jobs) => jobs, text: (text) => text, json: (json) => json, error: (err) => err };
  const { Masker } = await import("../runners/github-actions/masker.js");
  const masker = new Masker();
  const read = new Map<string, string>();
  let unreadable: string[] = [];
  const textOf = (job: JobView) => `${job.attempts}\u0000${job.lastError ?? ""}\u0000${JSON.stringify(job.noEvidence ?? null)}`;
  return {
    async learn(jobs, client = reader.client) {
      const unread = jobs.filter((job) => printsJobText(job) && read.get(job.jobId) !== textOf(job));
      // One log the backend fails to serve leaves that job's masks unknown, not the status unprinted (the backend
      // answered for the run): its error is withheld, and its log read again next time.
      const { mapLimited } = await import("../util/map-limited.js");
      const learnt = await mapLimited(unread, LOG_READS_AT_ONCE, (job) => jobMasks({ ...reader, client }, [job]).then((masks) => masks.get(job.jobId) ?? [], () => undefined));
      unreadable = [];
      unread.forEach((job, i) => {
        const values = learnt[i];
        if (values === undefined) return void unreadable.push(job.jobId);
        for (const value of values) masker.add(value);
        read.set(job.jobId, textOf(job));
      });
    },
    shown: (jobs) => jobs.map((job) => (unreadable.includes(job.jobId) ? withheldText(job) : job)),
    text: (text) => gha.githubNoteText(masker, text),
    json: (json) => gha.githubJsonText(masker, json),
    error: (err) => gha.maskedError(err, masker),
  };
}

/**
 * This backend names a job's log (logRef) once it has one; a v2 backend reports logRef null even then and no size, so
 * there every job's log is asked for (a missing one reads as empty).
 */
function mayHaveLog(job: JobView): boolean {
  return Boolean(job.logRef) || job.logBytes === undefined;
}

/** The values each job's log masked (each step's section read on its own), a few logs at a time; `logs` keeps the logs read. */
async function jobMasks(reader: Pick<RemoteReader, "client" | "runId">, jobs: JobView[], logs?: Map<string, string>): Promise<Map<string, string[]>> {
  const gha = await import("../runtime/output/gha-logs.js");
  const { mapLimited } = await import("../util/map-limited.js");
  const withLog = jobs.filter(mayHaveLog);
  const masks = await mapLimited(withLog, LOG_READS_AT_ONCE, async (job) => {
    const whole = await reader.client.readLog(reader.runId, job.jobId);
    logs?.set(job.jobId, whole);
    return gha.logTextMasks(whole, job.steps ? sectionHeaders(logLines(whole), job.steps) : undefined);
  });
  return new Map(withLog.map((job, i) => [job.jobId, masks[i]!]));
}

/** `orun status --remote-state [--watch] [--json]`; undefined when remote state is off. */
export async function remoteStatus(
  opts: ReadOptions & { watch?: boolean; intervalMs: number; json?: boolean; all?: boolean; detailed?: boolean },
  env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  if (opts.all && !opts.execId?.trim()) {
    // The backend keeps no list of runs (v2 neither); every runner also keeps a local record of its part.
    const { locateIntentRoot } = await import("../runtime/plan-source.js");
    if (!remoteEnabled(opts, env, await readIntentStateConfig(await locateIntentRoot(process.cwd(), opts.intent)))) return warnIgnoredUrl(opts);
    process.stderr.write("remote state is on, but the backend lists no runs: --all lists this machine's execution records (read a remote run with --exec-id <run-id>)\n");
    return undefined;
  }
  // Its outage notices are said as its other lines, with the masks read by then (inert, not masked, before the shaper is made).
  let shaping: StatusShaper | undefined;
  const reader = await remoteReader(opts, env, "status", !opts.watch, (line) => void process.stderr.write(shaping ? shaping.text(line) : `${quotingLineText(line.replace(/\n$/, ""), env)}\n`));
  if (!reader) return undefined;
  const shaper = (shaping = await statusShaper(reader, env));
  const shaped = shaper.text;
  let noted = false;
  const sayNote = (): void => {
    if (reader.note && !noted) process.stderr.write(shaped(reader.note));
    noted = true;
  };
  const { runId, baseUrl } = reader;
  const commandUrl = opts.backendUrl?.trim() || env.ORUN_BACKEND_URL;
  // Read once: a run's plan does not change.
  const storeDir = reader.intentRoot ?? process.cwd();
  let named: Promise<string | undefined> | undefined;
  const planName = (planId: string) => (named ??= import("./recorded-plan.js").then((plans) => plans.storedRunPlanName(storeDir, planId)));
  // The Stopped line's retry: how `orun run` pasted here is given the run's plan (read once too).
  let argument: Promise<string | undefined> | undefined;
  const planArgument = (planId: string) => (argument ??= import("./recorded-plan.js").then((plans) => plans.runPlanArgument(storeDir, runId, planId, process.cwd())));
  if (!opts.watch) {
    // Times and leases are counted on the backend's clock (it dated them), not on this machine's.
    try {
      const [runRead, jobsRead] = await Promise.allSettled([reader.client.getRun(runId), reader.client.jobsAndClock(runId)]);
      if (runRead.status === "rejected" || jobsRead.status === "rejected") {
        // The jobs read, their masks hide values in the error too (a backend's reason may quote a job's error):
        // read as far as the backend lets them be, the error said however that goes.
        if (jobsRead.status === "fulfilled") await shaper.learn(jobsRead.value.jobs);
        return await runNotFound(reader)(runRead.status === "rejected" ? runRead.reason : (jobsRead as PromiseRejectedResult).reason);
      }
      const [run, { jobs: all, now }] = [runRead.value, jobsRead.value];
      // The masks of the jobs printed hide values in the note (the run's ID) too, so it is said once they are read.
      await shaper.learn(all);
      const jobs = shaper.shown(all);
      sayNote();
      process.stdout.write(opts.json ? shaper.json(statusJson(run, jobs, await planName(run.planChecksum))) : shaped(statusText(run, jobs, baseUrl, { detailed: opts.detailed, commandUrl, now, planArgument: run.stoppedReason ? await planArgument(run.planChecksum) : undefined })));
      return 0;
    } catch (err) {
      // An outage or a refusal is said masked with what masks were read by then (main.ts makes it inert).
      throw shaper.error(err);
    } finally {
      sayNote();
    }
  }
  // A run not created yet holds no masks; one there has those of the jobs printed read first, as above.
  await reader.client.listJobs(runId).then((jobs) => shaper.learn(jobs), () => undefined);
  sayNote();
  // Each poll is one attempt with a short timeout: the watcher's loop is the retry, so a backend that went away
  // is reported after a few polls (not after the client's 2-minute retry budget) and picked up again when back.
  const client = new BackendClient({ baseUrl, auth: resolveTokenSource(env), retryBudgetMs: 0, requestTimeoutMs: Math.max(5_000, opts.intervalMs), onRetrying: () => undefined });
  const tty = Boolean(process.stdout.isTTY);
  // A log gets a frame when the run changed, not at every poll (a run no runner has started yet repeated the same
  // frame every poll, its duration aside).
  const frames = watchFrames(tty, (text) => void process.stdout.write(text));
  let frame = "";
  let failures = 0;
  let failingSince = 0;
  let reported: string | undefined;
  let hinted = false;
  for (;;) {
    try {
      const [run, { jobs: all, now }] = await Promise.all([client.getRun(runId), client.jobsAndClock(runId)]);
      if (reported !== undefined && !tty) {
        process.stderr.write(shaped(`Backend ${baseUrl} is answering again.\n`));
        frames.forget();
      }
      failures = 0;
      reported = undefined;
      const plan = !opts.json && run.stoppedReason ? await planArgument(run.planChecksum) : undefined;
      await shaper.learn(all, client);
      const jobs = shaper.shown(all);
      frame = opts.json ? shaper.json(statusJson(run, jobs, await planName(run.planChecksum))) : shaped(statusText(run, jobs, baseUrl, { detailed: opts.detailed, commandUrl, now, planArgument: plan }));
      frames.show(frame, opts.json ? frame : shaped(statusText(run, jobs, baseUrl, { detailed: opts.detailed, ticking: false, commandUrl, planArgument: plan })));
      if (isRunFinished(run)) return run.status === "completed" ? 0 : 1;
    } catch (err) {
      // Watched, then gone: it will not come back (a run not created yet, by contrast, is waited for).
      if (frame && isRunNotFound(err)) throw shaper.error(runGone(runId, baseUrl));
      // Not created yet (watched before its runners start): said once and waited for, no failed poll — the backend
      // answered (it said "Error fetching remote state: run not found … polls failed"). The ID may be a record of
      // this machine, which the line says (a run of that name may yet start).
      if (isRunNotFound(err)) {
        if (!hinted) process.stderr.write(shaped(notYetLine(runId, baseUrl, await localRecordHint(reader))));
        if (reported !== undefined && !tty) process.stderr.write(shaped(`Backend ${baseUrl} is answering again.\n`));
        hinted = true;
        failures = 0;
        reported = undefined;
        await new Promise((resolve) => setTimeout(resolve, opts.intervalMs));
        continue;
      }
      if (failures++ === 0) failingSince = Date.now();
      if (failures >= WATCH_FAILED_POLLS_REPORTED) {
        const message = err instanceof Error ? err.message : String(err);
        // The backend's message may quote a job's error (a value its steps masked, a `##[error]`): shaped as the frames are.
        const line = shaped(`Error fetching remote state: ${printable(message)} — ${failures} polls failed since ${new Date(failingSince).toISOString().slice(11, 19)} UTC; still polling every ${formatDuration(opts.intervalMs)}\n`);
        // A terminal redraws the last status with the error under it; a log gets the error once (and again if it
        // changes) on stderr, so that stdout stays the frames alone (--json: JSON documents).
        if (tty) frames.draw(`${frame}${line}`);
        else if (message !== reported) process.stderr.write(line);
        reported = message;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs));
  }
}

/**
 * `orun logs --remote-state [--job X] [--step S] [--failed] [--raw] [--follow]`; undefined when remote state
 * is off. A job's remote log is its steps' output, each under a `=== <step> ===` line (job-log.ts). `--raw`, as
 * locally: the output alone on stdout — no run, job or step header lines (notes go to stderr).
 */
export async function remoteLogs(
  opts: ReadOptions & { job?: string; step?: string; failed?: boolean; raw?: boolean; follow?: boolean; pollMs?: number },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number | undefined> {
  // Its outage notices are said as its other lines (say), with the masks read by then (inert, not masked, before say is made).
  let saying: ((text: string) => void) | undefined = undefined;
  const found = await remoteReader(opts, env, "logs", !opts.follow, (line) => (saying ? saying(line) : void process.stderr.write(`${quotingLineText(line.replace(/\n$/, ""), env)}\n`)));
  if (!found) return undefined;
  const reader: RemoteReader = found;
  const { client, runId } = reader;
  const { checkRemoteLogFilter, REMOTE_MATCH } = await import("./log-scope.js");
  const { noLogsMatchText } = await import("../runtime/logs-scope.js");
  const filter = { job: opts.job, step: opts.step, failed: opts.failed };
  const filtered = Boolean(opts.job || opts.step || opts.failed);
  const wantedJob = opts.job;
  // Inside GitHub Actions the logs are printed as the local `orun logs` prints them there (runtime/output/gha-logs.ts):
  // masked with the values the jobs' steps masked, handed to the runner first, between stop-commands markers; orun's
  // own lines masked and never a workflow command.
  const gha = await import("../runtime/output/gha-logs.js");
  const inGithub = gha.insideGithubActions(env);
  // The values the jobs' steps masked: read before anything is said (the run's note, an error), which hides them too.
  let masker = new (await import("../runners/github-actions/masker.js")).Masker();
  const say = (text: string, stream: NodeJS.WriteStream = process.stderr): void => void stream.write(inGithub ? gha.githubNoteText(masker, text) : text);
  saying = say;
  let noted = false;
  const sayNote = (): void => {
    if (reader.note && !noted) say(reader.note);
    noted = true;
  };
  try {
    return await readRemoteLogs();
  } catch (err) {
    sayNote();
    throw inGithub ? gha.maskedError(err, masker) : err;
  }

  async function readRemoteLogs(): Promise<number> {
    const select = (jobs: JobView[]) => jobs.filter((j) => mayHaveLog(j) && (!wantedJob || REMOTE_MATCH.job(j.jobId, wantedJob)) && (!opts.failed || j.status === "failed"));
    // Nothing printed for a filter: why, from the jobs it selects (their status and reason; see runtime/logs-scope.ts).
    const noLogsMatch = (scope: LogScope | undefined) => say(noLogsMatchText(scope, filter), opts.raw ? process.stderr : process.stdout);
    if (!opts.follow) {
      const [run, jobs] = await Promise.all([client.getRun(runId), client.listJobs(runId)]).catch(runNotFound(reader));
      // Inside GitHub Actions every job's log is read first: the masks of all of them hide values in what is printed
      // (the job or step that masked a value may not be the one shown), the runner is handed those of the jobs shown.
      const logs = new Map<string, string>();
      const byJob = inGithub ? await jobMasks(reader, jobs, logs) : new Map<string, string[]>();
      masker = gha.masksOf(byJob).masker;
      sayNote();
      // A job or step the run does not have (a typo) is an error, before any log is printed.
      const scope = checkRemoteLogFilter(runId, jobs, filter);
      const entries: { job: JobView; log: string }[] = [];
      const step = stepWanted(opts.step, select(jobs));
      for (const job of select(jobs)) {
        const whole = logs.get(job.jobId) ?? (await client.readLog(runId, job.jobId));
        const log = stepSections(whole, step, opts.raw, job.steps);
        if (log.trim()) entries.push({ job, log });
      }
      if (entries.length === 0) {
        if (filtered) noLogsMatch(scope);
        else say("No logs for this run yet.\n", opts.raw ? process.stderr : process.stdout);
        return 0;
      }
      const text = opts.raw ? rawLogsText(entries) : logsText(run, entries);
      if (!inGithub) process.stdout.write(text);
      else {
        const shown = gha.githubLogWriter(gha.masksOf(byJob, new Set(entries.map((entry) => entry.job.jobId))), (chunk) => void process.stdout.write(chunk));
        shown.write(text);
        shown.end();
      }
      return 0;
    }
    // As without --follow, inside GitHub Actions the masks the jobs' logs hold already hide values in all that is said,
    // and go to the runner first (a run not created yet holds none; later masks are learnt as their lines come).
    const known = inGithub ? gha.masksOf(await client.listJobs(runId).then((jobs) => jobMasks(reader, jobs)).catch(() => new Map<string, string[]>())) : undefined;
    if (known) masker = known.masker;
    sayNote();
    // Follow: print what each job's log gains until the run is finished (then one last read).
    const followed = new Map<string, FollowedLog>();
    let seen = false;
    let checked = false;
    let waiting = false;
    let printed = false;
    // Output of several jobs interleaves by whole lines, each stretch under its job's name.
    let printing: string | undefined;
    // Inside GitHub Actions a value a step masks is learnt as its line comes, and handed to the runner before it.
    const learning = inGithub ? gha.githubLogWriter({ masker, values: known?.values ?? [] }, (chunk) => void process.stdout.write(chunk), { learn: true }) : undefined;
    const out = (text: string): void => void (learning ? learning.write(text) : process.stdout.write(text));
    const print = (jobId: string, text: string) => {
      if (!text) return;
      printed = true;
      out(printing === jobId || opts.raw ? text : `── ${printable(jobId)}\n${text}`);
      printing = jobId;
    };
    const followRemoteLogs = async (): Promise<number> => {
      for (;;) {
        // The run before its jobs: once it reads finished, the jobs and logs read after it hold everything.
        // Once read, a run that is not found any more has gone: said as such.
        const gone = (err: unknown) => (isRunNotFound(err) && seen ? runGone(runId, reader.baseUrl) : err);
        let run: RunView;
        try {
          run = await client.getRun(runId);
        } catch (err) {
          if (seen || !isRunNotFound(err)) throw gone(err);
          // Not created yet (followed before its runners start, as status --watch waits for it): said once, waited for.
          if (!waiting) say(notYetLine(runId, reader.baseUrl, await localRecordHint(reader)));
          waiting = true;
          await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 1000));
          continue;
        }
        seen = true;
        const jobs = await client.listJobs(runId).catch((err: unknown) => Promise.reject(gone(err)));
        // The run's jobs are registered with it: a typo is refused at the first listing, before anything is printed.
        if (!checked) checkRemoteLogFilter(runId, jobs, filter);
        checked = true;
        // Judged on the jobs listed now: their step keys are registered with the run.
        const step = stepWanted(opts.step, select(jobs));
        for (const job of select(jobs)) {
          let log = followed.get(job.jobId);
          if (!log) followed.set(job.jobId, (log = new FollowedLog(step, opts.raw, job.steps)));
          const shown = log.shown;
          const { restarted, retried, text } = await log.poll(client, runId, job);
          if (restarted && shown) {
            const why = retried ? "the failed job is retried in this run" : "another runner took the job over";
            const restartLine = `── ${printable(job.jobId)} (its log restarted: ${why})\n`;
            if (opts.raw) say(restartLine);
            else out(restartLine);
            printing = opts.raw ? printing : job.jobId;
          }
          print(job.jobId, text);
        }
        if (isRunFinished(run)) {
          for (const [jobId, log] of followed) print(jobId, log.end());
          // As without --follow: a filter that printed nothing says so, with the status of the jobs it selects.
          if (!printed && filtered) noLogsMatch(checkRemoteLogFilter(runId, jobs, filter));
          return run.status === "completed" ? 0 : 1;
        }
        await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 1000));
      }
    };
    try {
      return await followRemoteLogs();
    } finally {
      // The closing marker even when the follow ends in an error: the runner's commands are on again for what follows.
      learning?.end();
    }
  }
}

/** Which steps `--step` selects in a log: those whose key holds it, or only the one it names (StepFilter). */
export interface StepWanted {
  step: string;
  /** `step` is the whole key of a step of the jobs listed: only that step, not `dockimg` beside `dock`. */
  whole: boolean;
}

/**
 * `--step` as the local `orun logs --step` matches it (runtime/logs.ts stepMatcher): a step whose key holds it, unless
 * it is the whole key of a step of the jobs listed (their JobView.steps; a v2 runner's jobs list none).
 */
function stepWanted(step: string | undefined, jobs: readonly JobView[]): StepWanted | undefined {
  return step === undefined ? undefined : { step, whole: jobs.some((job) => job.steps?.includes(step)) };
}

/**
 * What `orun logs --remote-state --follow` has read of one job's log. Each poll reads only the bytes
 * past those already read (`?offset=`), and none when the job listing says the log has not changed.
 * A takeover restarts the log under a new attempt: it is then read again from its start. (From a
 * backend that does not tell the attempt, a log shorter than what was read is taken as restarted.)
 * Text is handed out by whole lines (a line still being written, or a character split between two
 * appends, waits for the rest).
 */
class FollowedLog {
  /** Bytes read so far (the next read's offset), and the attempt they belong to. */
  private offset = 0;
  private attempt: number | undefined;
  /** The job's retries in its run when last read (JobView.retries): a restart with more was a retry, not a takeover. */
  private retries: number | undefined;
  /** Some of this log was handed out. */
  shown = false;
  private decoder = new StringDecoder("utf8");
  private partial = "";
  private filter: StepFilter | undefined;

  constructor(
    private readonly step: StepWanted | undefined,
    private readonly raw = false,
    private readonly steps?: readonly string[],
  ) {
    this.filter = this.newFilter();
  }

  /** Without --step and --raw the log is handed out as it is. */
  private newFilter(): StepFilter | undefined {
    return this.step || this.raw ? new StepFilter(this.step, this.raw, this.steps) : undefined;
  }

  async poll(client: BackendClient, runId: string, job: JobView): Promise<{ restarted: boolean; retried: boolean; text: string }> {
    const retried = this.retries !== undefined && (job.retries ?? 0) > this.retries;
    this.retries = job.retries ?? 0;
    const unchanged = job.logBytes !== undefined && job.attempts === this.attempt && job.logBytes <= this.offset;
    if (this.attempt !== undefined && unchanged) return { restarted: false, retried: false, text: "" };
    let slice = await client.readLogFrom(runId, job.jobId, this.offset);
    const restarted = slice.attempt !== undefined && this.attempt !== undefined ? slice.attempt !== this.attempt : slice.size < this.offset;
    if (restarted) {
      if (this.offset > 0) slice = await client.readLogFrom(runId, job.jobId, 0);
      this.offset = 0;
      this.decoder = new StringDecoder("utf8");
      this.partial = "";
      this.filter = this.newFilter();
    }
    this.offset += slice.content.length;
    this.attempt = slice.attempt;
    const text = this.partial + this.decoder.write(slice.content);
    const cut = text.lastIndexOf("\n") + 1;
    this.partial = text.slice(cut);
    return { restarted, retried: restarted && retried, text: this.hand(text.slice(0, cut)) };
  }

  /** What was held back, at the end: a last line without a newline. */
  end(): string {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    return this.hand(this.filter ? this.filter.push(rest) + this.filter.flush() : rest, false);
  }

  private hand(text: string, filter = true): string {
    const out = filter && this.filter ? this.filter.push(text) : text;
    if (out) this.shown = true;
    return out;
  }
}

/**
 * The sections of a remote job log for the steps `step` selects (StepWanted), or the whole log; `raw`: without the
 * `=== <step> ===` lines (the steps' output alone). `steps`: the job's step keys in run order (JobView.steps),
 * which tell a section header from a step's own output line (see StepFilter).
 */
export function stepSections(log: string, step: StepWanted | undefined, raw = false, steps?: readonly string[]): string {
  if (!step && !raw) return log;
  const filter = new StepFilter(step, raw, steps);
  if (!steps) return filter.push(log) + filter.flush();
  const lines = logLines(log);
  const headers = sectionHeaders(lines, steps);
  return lines.filter((line, i) => filter.take(line, headers.has(i))).join("");
}

/** A whole log's lines, each with its line break. */
function logLines(log: string): string[] {
  return log.split(/(?<=\n)/).filter((line) => line !== "");
}

/** The step key a header-shaped line (`=== <key> ===`, as runners write section headers) names. */
function headerKey(line: string): string | undefined {
  return /^=== (.+) ===\n?$/.exec(line)?.[1];
}

/**
 * Which header-shaped lines of a whole log are its sections' headers, given the job's step keys in run order: the
 * longest run of them whose steps come in run order (a step printing another step's header adds a line out of
 * that order); of equal runs, the one taking each header at its first chance. Returns their line indexes.
 */
function sectionHeaders(lines: readonly string[], steps: readonly string[]): Set<number> {
  const order = new Map(steps.map((key, i) => [key, i]));
  const found: { line: number; at: number }[] = [];
  lines.forEach((line, i) => {
    const at = order.get(headerKey(line) ?? "");
    if (at !== undefined) found.push({ line: i, at });
  });
  // longest[k]: the longest run in step order starting at found[k], from the end; `best` is a max Fenwick tree over
  // step positions (mirrored, so that "a later step" is a prefix).
  const size = steps.length;
  const best = new Array<number>(size + 1).fill(0);
  const longest = new Array<number>(found.length).fill(0);
  for (let k = found.length - 1; k >= 0; k--) {
    let after = 0;
    for (let i = size - 1 - found[k].at; i > 0; i -= i & -i) after = Math.max(after, best[i]);
    longest[k] = after + 1;
    for (let i = size - found[k].at; i <= size; i += i & -i) best[i] = Math.max(best[i], longest[k]);
  }
  const chosen = new Set<number>();
  let need = Math.max(0, ...longest);
  let last = -1;
  for (let k = 0; k < found.length && need > 0; k++) {
    if (found[k].at <= last || longest[k] !== need) continue;
    chosen.add(found[k].line);
    last = found[k].at;
    need--;
  }
  return chosen;
}

/**
 * One step's sections (`=== <step> ===` and what follows; every step's without `step`) of a log fed piece by
 * piece: only whole lines are judged. `raw` drops the header lines themselves.
 *
 * The wire format is v2's, which other tools read, so a step may print a line that looks like a header
 * (`=== DONE ===`). Steps run one after another and each section starts once, so with the job's step keys in run
 * order (`steps`) a line is a header only when it names a step after the current section's: other such lines are
 * output. A step that prints nothing has no section, so a header may skip steps; when, after such a skip, the
 * header of a skipped step comes, the skip was a step's own output line and the reader re-synchronises on that
 * header (the lines already handed out stay as they were: a stream is not taken back). A whole log (stepSections)
 * is judged at once instead: its headers are the longest run of header lines in step order.
 * What stays ambiguous: a step printing the exact header of a later step of its own job (read as that step's
 * start); while following, a step printing the header of a step that was skipped before it (read as that step's
 * start); and logs of runs whose runners sent no step keys (v2 runners; runs registered before migration 14),
 * where every such line is taken for a header, as v2 does.
 */
export class StepFilter {
  private partial = "";
  private keep: boolean;
  /** Run-order position of the current section's step (-1 before the first header). */
  private current = -1;
  /** The position before the current section's header: a header between the two re-synchronises (see take). */
  private before = -1;
  private readonly order?: ReadonlyMap<string, number>;

  constructor(
    private readonly step: StepWanted | undefined,
    private readonly raw = false,
    steps?: readonly string[],
  ) {
    this.keep = step === undefined;
    if (steps) this.order = new Map(steps.map((key, i) => [key, i]));
  }

  push(text: string): string {
    const lines = (this.partial + text).split(/(?<=\n)/);
    this.partial = lines[lines.length - 1]!.endsWith("\n") ? "" : lines.pop()!;
    return lines.filter((line) => this.take(line)).join("");
  }

  /** The last line, which has no newline. */
  flush(): string {
    const rest = this.partial;
    this.partial = "";
    return rest && this.take(rest) ? rest : "";
  }

  /** Whether `line` is handed out; `header`: the caller decided whether it is a section header (stepSections). */
  take(line: string, header?: boolean): boolean {
    const key = headerKey(line);
    if (key === undefined || !(header ?? this.startsSection(key))) return this.keep;
    this.keep = this.step === undefined || key === this.step.step || (!this.step.whole && key.includes(this.step.step));
    return this.keep && !this.raw;
  }

  /**
   * Whether a header-shaped line naming `key` starts a section: with the job's step order, a later step's, or one
   * between the step before the current section and the current one (the current header skipped it: it was output).
   */
  private startsSection(key: string): boolean {
    if (!this.order) return true;
    const at = this.order.get(key);
    if (at === undefined || at <= this.before || at === this.current) return false;
    if (at > this.current) this.before = this.current;
    this.current = at;
    return true;
  }
}
