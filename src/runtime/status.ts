// `orun status`: one execution record rendered for people (or as JSON).
import { stat } from "node:fs/promises";
import { canonicalJobId, parseJobId, planShortId } from "../model/plan.js";
import { OrunError, errorMessage } from "../util/errors.js";
import { jsonErrorOf } from "../util/json-error.js";
import { printable } from "../util/printable.js";
import { shellWord } from "../util/shell-word.js";
import { loggedJobFolders } from "./records/resume-guards.js";
import { foreignLockNote, lockHolder, ownerAlive, parseOwner, readLockText } from "./records/lock.js";
import { readStateFile, type ExecState, type JobState } from "./records/state.js";
import { backgroundFailure, exists, pendingBackgroundChild, type BackgroundError, type ExecutionStore, ManifestsRead, type RecordedManifest, type RunMetadata } from "./records/store.js";
import type { Palette } from "./output/terminal.js";
import type { StepOrder } from "./logs.js";
import { resolvedCommand } from "./resume-words.js";
import { remoteRunWords } from "./plan-reference.js";
import { approvalOffer } from "./output/approval-offer.js";
import { describedError } from "./output/failure-text.js";
import { mapLimited } from "../util/map-limited.js";

export interface ExecutionSnapshot {
  execId: string;
  meta?: RunMetadata;
  state?: ExecState;
  /**
   * True when no live process holds the record's lock although its run has not finished: metadata says
   * running, or a --background child died before its run wrote metadata.
   */
  interrupted: boolean;
  /** A run is starting: a --background child (the metadata, if any, is an earlier run's), or a run holding its new record's lock. */
  starting?: boolean;
  /** The latest --background child failed before its run started: the metadata (if any) is an earlier run's. */
  backgroundError?: BackgroundError;
  /** The process that ran (or is to run) it, from metadata or the --background pid file. */
  pid?: number;
  /** A live process holds the record's lock (a run, or gc removing it). */
  locked?: boolean;
  /** No metadata, state or lock, but the folder changed moments ago: perhaps an older orun creating its record. */
  justCreated?: boolean;
  /** Another host's run holds the lock (presumed running: it cannot be checked from here): what to do if it is gone. */
  foreignLock?: string;
  /**
   * Reading the lock of an unfinished run failed (EACCES, EIO): the error and the lock's path. Whether its run is
   * alive cannot be told then, so it is not called interrupted.
   */
  lockUnreadable?: string;
  /** The record's metadata.json, when it could not be read (missing, unreadable): named where its absence matters. */
  metadataFile?: string;
  /** Why the record's metadata.json could not be read (it is not JSON): the record is shown without it, with a warning. */
  metadataUnreadable?: string;
  /** The record's state.json, when it is missing though the record shows a run (metadata, logs): its jobs' results are not known. */
  stateMissing?: string;
  /**
   * state.json names another plan than metadata.json (replaced, or copied from another execution): every resume
   * refuses the record (records/resume-state.ts loadState), so status says so, naming the file and both plans' checksums.
   */
  stateOfOtherPlan?: { file: string; planChecksum: string; recordPlanChecksum: string };
  /** Without metadata: the plan the record keeps (manifest.json), when readable, for its name, ID and job count. */
  recordedPlan?: RecordedPlan;
  /**
   * Jobs state.json holds that the record's plan (manifest.json) does not: a state.json edited, or copied from
   * another execution. They are named, never counted among the plan's jobs.
   */
  notInPlan?: string[];
  /** Where the record's root is now (the folder holding its `.orun`): its resume command's paths are printed under it. */
  root?: string;
}

/**
 * How long a record folder with neither lock, metadata nor state may be a run still setting itself up. orun
 * makes a record whole with its lock, so only an older orun's record (or a folder made by hand) is ever seen so.
 */
const CREATING_GRACE_MS = 10_000;

/**
 * One record as status shows it. `reread`: whether a record found interrupted is read again before it is called so
 * (see below). `metadataOfAnyShape`: metadata of the wrong shape is read as missing too (`orun logs`), not an error.
 * `planJobs: false`: jobs state.json holds that the plan lacks (notInPlan) are not looked for — the whole manifest is
 * read for them, and `orun logs` (whose --follow asks for a snapshot every 200 ms) shows none. `manifests`: manifests
 * parsed already, shared by the snapshots of a list (ManifestsRead).
 */
export async function readSnapshot(store: ExecutionStore, execId: string, options: { reread?: boolean; metadataOfAnyShape?: boolean; planJobs?: boolean; manifests?: ManifestsRead } = {}): Promise<ExecutionSnapshot> {
  const { reread = true } = options;
  const { meta, unreadable: metadataUnreadable } = await store.readMetadataLeniently(execId, { anyDamage: options.metadataOfAnyShape });
  const state = await readStateFile(store.stateFile(execId));
  const child = await pendingBackgroundChild(store.execDir(execId));
  const backgroundPid = child?.pid;
  const backgroundError = backgroundPid === undefined ? await backgroundFailure(store.execDir(execId)) : undefined;
  const unfinished = meta?.status === "running" || backgroundPid !== undefined;
  // The running process holds the lock; the lock knows its start time, so a reused pid does not pass for it.
  // A --background child may still be recording why it stopped after giving up the lock: alive, it is not interrupted.
  const { owner: holder, readError } = await lockHolder(store.lockFile(execId));
  const locked = holder !== undefined;
  // Only where it decides anything: a finished run's lock is no question.
  const lockUnreadable = readError !== undefined && (unfinished || !meta) ? `${readError}, ${store.lockFile(execId)}` : undefined;
  // A record appears with its lock (ExecutionStore.openRecord) and keeps it until its run has written metadata:
  // a lock left by a dead process on a record without metadata is a run killed while it started.
  const staleLock = !meta && !locked && !lockUnreadable && backgroundPid === undefined ? await deadLockOwner(store.lockFile(execId)) : undefined;
  const diedStarting = staleLock !== undefined;
  const childAlive = child !== undefined && (await backgroundChildAlive(store.lockFile(execId), child));
  // A record without metadata that no process holds, whose state has a job running (a migrated .orun-state.json of a
  // crashed run): nothing will finish that job, so it is interrupted (decision 7), not running for ever.
  const abandoned = !meta && !locked && !lockUnreadable && backgroundPid === undefined && Object.values(state?.jobs ?? {}).some((job) => job.status === "running");
  const interrupted = diedStarting || abandoned || (unfinished && !locked && !lockUnreadable && !childAlive);
  // A process records how it ended before it lets go (a run its last metadata before it frees the lock, a
  // --background child its background-error.json before it exits), and the files above are read one after another:
  // a record read as interrupted may be one that ended in between. Only a second reading that finds it so says it
  // (status --watch and logs --follow exited 1 for a good run, or showed a refused child interrupted without its error).
  if (interrupted && reread) return readSnapshot(store, execId, { ...options, reread: false });
  // A run that holds its new record and has not written metadata yet is starting too (not gc removing it).
  const starting = (backgroundPid !== undefined && !interrupted) || (!meta && locked && holder.purpose !== "gc");
  if (!meta && !state && !(await exists(store.execDir(execId)))) throw new OrunError(`execution ${execId} no longer exists (removed by orun gc?)`);
  // Safety net for a record folder made without its lock (by an older orun between its mkdir and its lock, or by
  // hand): empty and new, it may still be a run setting itself up. A migrated legacy record has a state.json.
  const changed = !meta && !state && !locked && !lockUnreadable && !diedStarting ? (await stat(store.execDir(execId)).catch(() => undefined))?.mtimeMs : undefined;
  const justCreated = changed !== undefined && Date.now() - changed < CREATING_GRACE_MS;
  const foreignLock = foreignLockNote(holder, store.lockFile(execId));
  // Missing only where the record shows jobs ran: its metadata counts ended jobs, or its logs hold output. A run
  // that failed before any job started (a refused runner, a --background child that never began) has none.
  const jobsEnded = meta !== undefined && meta.jobDone + meta.jobFailed + (meta.jobSkipped ?? 0) + (meta.jobBlocked ?? 0) > 0;
  const stateMissing = !state && !starting && !justCreated && (jobsEnded || (await loggedJobFolders(store, execId)).length > 0);
  // The manifest is read where it tells something: the plan without metadata, the plan's jobs beside state.json's.
  const manifest = !meta || (options.planJobs !== false && Object.keys(state?.jobs ?? {}).length > 0) ? await store.readManifestLeniently(execId, options.manifests) : undefined;
  const notInPlan = state && manifest ? jobsNotIn(manifest, Object.keys(state.jobs)) : [];
  const [statePlan, recordPlan] = [state?.planChecksum, meta?.planChecksum];
  const otherPlan = statePlan && recordPlan && statePlan !== recordPlan ? { file: store.stateFile(execId), planChecksum: statePlan, recordPlanChecksum: recordPlan } : undefined;
  return {
    execId,
    meta,
    state,
    interrupted,
    ...(locked ? { locked } : {}),
    ...(justCreated ? { justCreated } : {}),
    ...(starting ? { starting } : {}),
    ...(backgroundError ? { backgroundError } : {}),
    ...(foreignLock ? { foreignLock } : {}),
    ...(lockUnreadable ? { lockUnreadable } : {}),
    ...(meta ? {} : { metadataFile: store.metadataFile(execId), ...recordedPlanOf(manifest, state?.planChecksum) }),
    ...(notInPlan.length ? { notInPlan } : {}),
    ...(metadataUnreadable ? { metadataUnreadable } : {}),
    ...(stateMissing ? { stateMissing: store.stateFile(execId) } : {}),
    ...(otherPlan ? { stateOfOtherPlan: otherPlan } : {}),
    root: store.rootDir,
    pid: backgroundPid ?? backgroundError?.pid ?? meta?.pid ?? staleLock?.pid,
  };
}

/** A plan checksum as refusals name it: its first 12 hex digits. */
const shortChecksum = (full: string): string => full.replace(/^sha256-/, "").slice(0, 12);

/** A record's plan as its manifest.json names it. */
export interface RecordedPlan {
  name: string;
  id: string;
  jobTotal: number;
}

/**
 * `{ recordedPlan }` from the record's manifest.json (the plan its run ran), or nothing when it is missing or not a
 * plan: status of a record without metadata then still names the plan and counts its jobs. Its ID is from the plan's
 * checksum, else the one state.json records (`stateChecksum`: a plan file written by hand has none).
 */
function recordedPlanOf(plan: RecordedManifest | undefined, stateChecksum: string | undefined): { recordedPlan?: RecordedPlan } {
  if (!plan) return {};
  const name = typeof plan.metadata?.name === "string" ? plan.metadata.name : "";
  const checksum = typeof plan.metadata?.checksum === "string" && plan.metadata.checksum ? plan.metadata.checksum : (stateChecksum ?? "");
  const id = planShortId({ metadata: { name, checksum } });
  return { recordedPlan: { name, id, jobTotal: plan.jobs.length } };
}

/** The IDs of `stateJobs` (canonical, as readStateFile keys them) that no job of the manifest has. */
function jobsNotIn(manifest: RecordedManifest, stateJobs: string[]): string[] {
  const ids = canonicalIdsOf(manifest);
  return stateJobs.filter((id) => !ids.has(id));
}

/** Each manifest's canonical job IDs, worked out once however many records share it (ManifestsRead). */
const manifestIds = new WeakMap<RecordedManifest, Set<string>>();

function canonicalIdsOf(manifest: RecordedManifest): Set<string> {
  let ids = manifestIds.get(manifest);
  if (!ids) {
    ids = new Set(manifest.jobs.map((job) => (typeof (job as { id?: unknown } | null)?.id === "string" ? canonicalJobId((job as { id: string }).id) : "")));
    manifestIds.set(manifest, ids);
  }
  return ids;
}

/** The owner a lock file names when that process is gone (the file is there, its owner is not); else undefined. */
async function deadLockOwner(lockFile: string): Promise<{ pid?: number } | undefined> {
  const text = await readLockText(lockFile);
  if (text === undefined) return undefined;
  const owner = parseOwner(text);
  // Taken by a run meanwhile (liveLockOwner found none a moment ago); a lock that cannot be parsed and is not being written is stale too.
  if (owner && ownerAlive(owner)) return undefined;
  return { pid: owner?.pid };
}

/**
 * Whether the --background child named in the pid file still runs: that pid, started before the pid file was
 * written (the parent writes it after the child started) and, when the lock handed to it names it, with the
 * lock's start time. A dead child's pid reused by another process must not keep its run "starting" for ever.
 */
async function backgroundChildAlive(lockFile: string, child: { pid: number; writtenMs: number }): Promise<boolean> {
  const lock = parseOwner((await readLockText(lockFile)) ?? "");
  if (lock?.pid === child.pid && lock.startTime !== undefined && ownerAlive(lock) === false) return false;
  return ownerAlive({ pid: child.pid, since: new Date(child.writtenMs).toISOString() });
}

export function isFinished(snapshot: ExecutionSnapshot): boolean {
  if (snapshot.interrupted || snapshot.backgroundError) return true;
  if (snapshot.starting) return false;
  if (snapshot.meta) return snapshot.meta.status !== "running";
  // No metadata: a run creating the record holds its lock (or is about to: the folder is new); without one
  // nothing will ever write it (a migrated legacy record), and --watch / logs --follow waited for ever.
  return !snapshot.locked && !snapshot.justCreated && !snapshot.lockUnreadable;
}

/**
 * The exit status of a command that waited for the run to finish (`status --watch`, `logs --follow`): 1 when it
 * failed, was interrupted or its --background child never started it, else 0 (an incomplete run failed nothing).
 */
export function outcomeExitCode(snapshot: ExecutionSnapshot): number {
  return snapshot.meta?.status === "failed" || snapshot.interrupted || snapshot.backgroundError ? 1 : 0;
}

/** `{execID, meta, state}` (meta omitted when missing), as v2.3 prints it. */
export function snapshotJson(snapshot: ExecutionSnapshot): string {
  return `${JSON.stringify(snapshotObject(snapshot), null, 2)}\n`;
}

function snapshotObject(snapshot: ExecutionSnapshot): Record<string, unknown> {
  return {
    execID: snapshot.execId,
    ...(snapshot.meta ? { meta: snapshot.meta } : {}),
    state: snapshot.state ?? null,
    ...(snapshot.interrupted ? { interrupted: true, ...carryOnJson(snapshot) } : {}),
    ...(snapshot.starting ? { starting: true } : {}),
    ...(snapshot.backgroundError ? { backgroundError: snapshot.backgroundError } : {}),
    ...approvalJson(snapshot),
    ...(snapshot.foreignLock ? { foreignLock: snapshot.foreignLock } : {}),
    ...(snapshot.lockUnreadable ? { lockUnreadable: snapshot.lockUnreadable } : {}),
    ...(snapshot.metadataUnreadable ? { metadataUnreadable: snapshot.metadataUnreadable } : {}),
    ...(!snapshot.meta && !snapshot.metadataUnreadable && snapshot.metadataFile && !snapshot.starting ? { metadataMissing: snapshot.metadataFile } : {}),
    ...(snapshot.stateMissing ? { stateMissing: snapshot.stateMissing } : {}),
    ...(snapshot.notInPlan ? { notInPlan: snapshot.notInPlan } : {}),
    ...(snapshot.stateOfOtherPlan ? { stateOfOtherPlan: snapshot.stateOfOtherPlan } : {}),
  };
}

/** An interrupted run's carry-on command for `status --json`, with `resumeScopeUnknown` when its record does not say it. */
function carryOnJson(snapshot: ExecutionSnapshot): { resumeCommand: string; resumeScopeUnknown?: true } {
  const { recorded, unknownScope } = carryOn(snapshot.execId, snapshot.meta, snapshot.metadataFile, snapshot.root);
  return { resumeCommand: recorded, ...(unknownScope ? { resumeScopeUnknown: true } : {}) };
}

/**
 * The jobs the record's last run blocked for want of --approve that are blocked still, and the command that approves
 * and runs them (its paths under where the record's root is now, as the resume command's), as the run offered it.
 */
export function approvalOf(snapshot: ExecutionSnapshot): { blocked: string[]; command: string; alsoApproves?: string[] } | undefined {
  const approval = snapshot.meta?.approval;
  // Blocked in another plan's state.json is not blocked in this run, and the approving resume refuses the record.
  if (!approval || snapshot.stateOfOtherPlan) return undefined;
  const blocked = approval.blocked.filter((id) => snapshot.state?.jobs[id]?.status === "blocked");
  if (blocked.length === 0) return undefined;
  const command = snapshot.root !== undefined && approval.words.length ? resolvedCommand(approval.words, snapshot.root) : approval.command;
  return { blocked, command, ...(approval.alsoApproves?.length ? { alsoApproves: approval.alsoApproves } : {}) };
}

function approvalJson(snapshot: ExecutionSnapshot): { approval?: NonNullable<ReturnType<typeof approvalOf>> } {
  const approval = approvalOf(snapshot);
  return approval ? { approval } : {};
}

/** The jobs of state.json that are the plan's: those its manifest lacks (notInPlan) are named apart, never counted. */
function planJobsOf(snapshot: ExecutionSnapshot): [string, JobState][] {
  const jobs = Object.entries(snapshot.state?.jobs ?? {});
  if (!snapshot.notInPlan?.length) return jobs;
  const ghosts = new Set(snapshot.notInPlan);
  return jobs.filter(([id]) => !ghosts.has(canonicalJobId(id)));
}

/** A job's status as shown: `interrupted` is a `running` job of a run that is no longer alive. */
type ShownStatus = JobState["status"] | "interrupted";

const ICON: Record<JobState["status"], string> = { completed: "✓", failed: "✗", running: "●", pending: "○", skipped: "○", blocked: "⊘" };
const RANK: Record<ShownStatus, number> = { failed: 0, interrupted: 1, running: 1, blocked: 2, pending: 3, skipped: 4, completed: 5 };

/**
/** What carries on an interrupted execution (carryOn). */
export interface CarryOn {
  /** The remote run a runner's record is part of (printable). */
  rejoins?: string;
  /** The command, safe to print (printable). */
  command: string;
  /** The command as printed (`command`) before printable, for `--json` (its reader quotes it). */
  recorded: string;
  /** Set when the record does not say the run's scope or runner: why, and what to add (printable). */
  unknownScope?: string;
}

/**
 * What carries on an interrupted execution: the command its run recorded at start (RunMetadata.resumeCommand), the
 * one its summary would print, naming its plan, scope and runner flags. A runner's part of a remote run (its record
 * names the run) is not resumed by its record's ID, which `orun run --exec-id` would take for a new remote run of that
 * name: the runner's own command in the run joins it again for the same slice and takes over the jobs the dead one
 * held once their lease runs out (docs/remote-state.md, Runners under remote state). A record without a command (an
 * older orun's, or one whose metadata.json is missing or unreadable: `metadataFile`) gets the bare one (a remote run's
 * by the record's plan ID) with `unknownScope`, since it runs every job of the plan it finds, on the default runner.
 * Text and `--json` read the same command: an empty one counts as none in both. A local run's recorded words are
 * printed with their paths under `root`, where the record's root is now (absolute): after the repository moved, the
 * command resumes this record, not one of another checkout at the old path; else the command as recorded.
 */
export function carryOn(execId: string, meta: RunMetadata | undefined, metadataFile?: string, root?: string): CarryOn {
  const rejoins = meta?.remoteRunId ? printable(meta.remoteRunId) : undefined;
  const words = !meta?.remoteRunId && root !== undefined ? meta?.resumeWords : undefined;
  const recorded = !meta?.resumeCommand?.trim() ? undefined : words?.length ? resolvedCommand(words, root!) : meta.resumeCommand;
  if (recorded) return { ...(rejoins ? { rejoins } : {}), command: printable(recorded), recorded };
  const why = meta ? "its record, from an older orun, does not say" : `its record has no readable metadata.json${metadataFile ? ` (${printable(metadataFile)})` : ""}, which says`;
  const unknownScope = `${why} the run's scope or runner: add its --job/--component/-e and --runner flags, or it runs every job of the plan on the default runner`;
  const bare = !meta?.remoteRunId
    ? `orun run --exec-id ${shellWord(execId)}`
    : `orun run ${meta.planId ? `${shellWord(meta.planId)} ` : ""}--exec-id ${remoteRunWords(meta.remoteRunId, meta.remoteBackendUrl)}`;
  return { ...(rejoins ? { rejoins } : {}), command: printable(bare), recorded: bare, unknownScope };
}

/** `orun logs` of this record: a runner's part of a remote run is read with --local (under remote state `--exec-id` names the run). */
export function logsCommandOf(execId: string, meta: RunMetadata | undefined): string {
  return `orun logs ${meta?.remoteRunId ? "--local " : ""}--exec-id ${shellWord(execId)}`;
}

/**
 * Whether a `running` job or step of the record stopped with its run (shown as interrupted, and run again on
 * resume): the run is dead, or it finished and left it `running` (an older orun closed its record so after a
 * crash or a fail-fast stop). `orun status` and `orun logs` say the same of it.
 */
export function runIsOver(snapshot: ExecutionSnapshot): boolean {
  return snapshot.interrupted || (snapshot.meta !== undefined && snapshot.meta.status !== "running" && !snapshot.starting);
}

/**
 * `detailed`: each job's steps under it, with their status (`orun status --detailed`), in `stepOrder` (the order
 * they run, as `orun logs` shows them: logs.ts readStepOrder) where the record has its plan, else by key.
 */
export function renderStatus(snapshot: ExecutionSnapshot, p: Palette, now = Date.now(), options: { detailed?: boolean; stepOrder?: StepOrder } = {}): string {
  const { meta } = snapshot;
  const lines: string[] = [""];
  // Without state.json the jobs' results are not known: nor is the run's (metadata alone would call it completed).
  const status = snapshot.interrupted ? "interrupted" : snapshot.starting ? "starting" : snapshot.backgroundError ? "failed" : snapshot.stateMissing ? "unknown" : (meta?.status ?? "unknown");
  const started = meta?.startedAt ? Date.parse(meta.startedAt) : NaN;
  const finished = meta?.finishedAt ? Date.parse(meta.finishedAt) : snapshot.interrupted || !meta ? NaN : now;
  const duration = span(started, finished) ?? "—";
  const plan = snapshot.recordedPlan;
  lines.push(`${p.bold("▲ orun")} ${printable(meta?.planName || plan?.name || "plan")}`);
  lines.push(`  Plan: ${printable(meta?.planId || plan?.id || "—")}  ·  Run: ${printable(snapshot.execId)}  ·  State: ${colorStatus(status, p)}  ·  Duration: ${duration}`);
  // Under remote state this record is one runner's part: the run, with every runner's jobs, is the backend's.
  if (meta?.remoteRunId) {
    lines.push(`  Remote run: ${printable(meta.remoteRunId)}  ·  every runner's jobs: ${p.cyan(`orun status --exec-id ${remoteRunWords(meta.remoteRunId, meta.remoteBackendUrl)}`)}`);
  }
  const over = runIsOver(snapshot);
  const shown = (job: JobState): ShownStatus => (over && job.status === "running" ? "interrupted" : job.status);
  // A state.json of another plan tells nothing of this run's jobs: none of its jobs is counted or listed (it counted
  // and listed the other plan's jobs that share an ID with this plan's as this run's).
  const jobs = snapshot.stateOfOtherPlan ? [] : planJobsOf(snapshot).map(([id, job]) => ({ id: canonicalJobId(id), job, status: shown(job), parts: parseJobId(id) }));
  const count = (s: ShownStatus): number => jobs.filter((j) => j.status === s).length;
  const waiting = jobs.filter((j) => j.status === "pending" && j.job.reason).length;
  const total = Math.max(meta?.jobTotal ?? plan?.jobTotal ?? 0, jobs.length);
  const counts = [
    `${p.green("✓")} ${count("completed")} completed`,
    `● ${count("running")} running`,
    `${p.red("✗")} ${count("failed")} failed`,
    ...(count("interrupted") ? [`${p.yellow("!")} ${count("interrupted")} interrupted`] : []),
    ...(count("skipped") ? [`○ ${count("skipped")} skipped`] : []),
    ...(count("blocked") ? [`${p.yellow("⊘")} ${count("blocked")} blocked`] : []),
    // A pending job is one this execution has still to run: with a reason it waits on a dependency outside the
    // last run; without one a crash left it to run again.
    ...(waiting ? [`○ ${waiting} waiting`] : []),
    ...(count("pending") - waiting ? [`○ ${count("pending") - waiting} pending`] : []),
    // Plan jobs the record does not hold: a scoped run (--job, --component, --env, a folder) left them out. Not
    // under remote state: there the record is one runner's part, the others ran the rest.
    ...(over && !meta?.remoteRunId && !snapshot.stateMissing && total > jobs.length ? [`○ ${total - jobs.length} not run`] : []),
  ];
  if (snapshot.stateOfOtherPlan) lines.push(`  Jobs: not known, its state.json is another plan's (see below)  (${total} in plan)`);
  else {
    lines.push(`  Jobs: ${counts.join("  ·  ")}  (${total} in plan)`);
    // Finished jobs only (spec 20: succeeded, cached, failed): a skipped or blocked job did not run, and one whose
    // jobs were all blocked read 100% with nothing run.
    const done = count("completed") + count("failed");
    const pct = total ? Math.floor((done * 100) / total) : 0;
    const filled = Math.round((pct / 100) * 32);
    lines.push(`  Progress: ${"▓".repeat(filled)}${"░".repeat(32 - filled)} ${pct}%`);
  }
  if (snapshot.backgroundError) {
    lines.push(`  ${p.red("Error:")} ${printable(snapshot.backgroundError.error)}`);
    lines.push(`  (a --background run that did not start, ${snapshot.backgroundError.at}; the jobs below are from the run before it)`);
  } else if (meta?.error) lines.push(`  ${p.red("Error:")} ${printable(meta.error)}`);
  for (const link of meta?.links ?? []) lines.push(`  ${printable(link.label)} ${p.cyan(printable(link.url))}`);
  if (snapshot.metadataUnreadable) {
    lines.push(`  ${p.yellow("!")} its metadata.json cannot be read (${printable(snapshot.metadataUnreadable)}): shown without it, so its run's state and times are not known; fix or delete the file`);
  }
  // State unknown for want of metadata: say so, and where it was looked for (a run starting has none yet).
  if (status === "unknown" && !meta && !snapshot.metadataUnreadable && snapshot.metadataFile) {
    lines.push(`  ${p.yellow("!")} its metadata.json is missing (${printable(snapshot.metadataFile)}): how its run ended and when are not recorded`);
  }
  // Of a state.json of another plan, the jobs its plan lacks are that plan's: the line below says so of them all.
  if (snapshot.notInPlan && !snapshot.stateOfOtherPlan) {
    const [count, them] = [snapshot.notInPlan.length, snapshot.notInPlan.map((id) => printable(id))];
    const named = count > 5 ? `${them.slice(0, 5).join(", ")} and ${count - 5} more` : them.join(", ");
    lines.push(`  ${p.yellow("!")} its state.json holds ${count === 1 ? "a job" : `${count} jobs`} its plan (manifest.json) does not: ${named}; not counted or listed (an edited or copied state.json?)`);
  }
  if (snapshot.stateOfOtherPlan) {
    const { file, planChecksum, recordPlanChecksum } = snapshot.stateOfOtherPlan;
    lines.push(`  ${p.yellow("!")} its state.json (${printable(file)}) belongs to plan ${printable(shortChecksum(planChecksum))}, not to the plan its record ran (${printable(shortChecksum(recordPlanChecksum))}, metadata.json): the file was replaced or copied from another execution, and a resume refuses it; restore it, or use a new --exec-id`);
  }
  if (snapshot.stateMissing) {
    lines.push(`  ${p.yellow("!")} its state.json is missing (${printable(snapshot.stateMissing)}): which jobs ran and how they ended is not recorded; orun logs shows what they printed`);
  }
  if (snapshot.foreignLock) lines.push(`  ${p.yellow("!")} ${printable(snapshot.foreignLock)}`);
  if (snapshot.lockUnreadable) {
    const whose = snapshot.pid !== undefined ? `the run (pid ${snapshot.pid})` : "a run";
    lines.push(`  ${p.yellow("!")} the execution lock could not be read (${printable(snapshot.lockUnreadable)}): whether ${whose} is still alive cannot be told`);
  }
  if (snapshot.interrupted) {
    const who = snapshot.pid !== undefined ? `the run (pid ${snapshot.pid})` : "the run";
    const { rejoins, command, unknownScope } = carryOn(snapshot.execId, meta, snapshot.metadataFile, snapshot.root);
    const how = rejoins ? `rejoin remote run ${rejoins} with: ${command} (the jobs it held are taken over once their lease runs out)` : `resume with: ${command}`;
    lines.push(`  ${p.yellow("!")} ${who} is no longer alive; ${how}`);
    if (unknownScope) lines.push(`  ${p.yellow("!")} ${unknownScope}`);
  }

  const approval = approvalOf(snapshot);
  if (approval) lines.push(approvalOffer(approval));

  jobs.sort(
    (a, b) =>
      (a.parts?.component ?? a.id).localeCompare(b.parts?.component ?? b.id) ||
      (a.parts?.environment ?? "").localeCompare(b.parts?.environment ?? "") ||
      RANK[a.status] - RANK[b.status] ||
      a.id.localeCompare(b.id),
  );
  let group = "";
  for (const { id, job, status, parts } of jobs) {
    const key = parts ? printable(`${parts.component}  ·  ${parts.environment}`) : "jobs";
    if (key !== group) {
      group = key;
      lines.push("", `  ${p.bold(key)}`);
    }
    if (status === "interrupted") {
      lines.push(`    ${p.yellow("!")} ${printable(parts?.job ?? id)}  interrupted`);
      if (options.detailed) lines.push(...stepLines(job, p, true, options.stepOrder?.get(id)));
      continue;
    }
    const started = job.startedAt ? Date.parse(job.startedAt) : NaN;
    const ended = job.finishedAt ? Date.parse(job.finishedAt) : job.status === "running" ? now : NaN;
    const length = span(started, ended);
    const took = length ? `  ${p.dim(length)}` : "";
    const detail =
      job.status === "failed"
        ? `  ${describedError(job.lastError ?? "")}`
        : job.reason
          ? `  ${job.status === "pending" ? "waiting" : job.status} · ${job.reason}`
          : job.status === "pending" && job.lastError
            ? `  pending · ${describedError(job.lastError)}`
            : "";
    // Done = no longer to run: a step skipped by its `if:` or failed with onFailure: continue counts too.
    const stepsDone = Object.values(job.steps).filter((s) => s !== "pending" && s !== "running").length;
    const progress = job.status === "running" ? `  [${stepsDone}/${Object.keys(job.steps).length}]` : "";
    lines.push(`    ${icon(job.status, p)} ${printable(parts?.job ?? id)}${took}${progress}${printable(detail)}`);
    if (options.detailed) lines.push(...stepLines(job, p, false, options.stepOrder?.get(id)));
  }
  lines.push("", `  Logs: ${logsCommandOf(snapshot.execId, meta)}`);
  return `${lines.join("\n")}\n`;
}

/**
 * How long from `start` to `end` (epoch ms), or undefined when either is unknown or they are the wrong way round: a
 * record from a machine whose clock was behind (a CI artifact), or a `running` job compared with this machine's clock.
 * Records keep whole seconds (RFC 3339, spec 20 §4.3), so this says whole seconds too: `<1s`, `12s`, `2m5s`, `1h3m`
 * (tenths, as the live view shows them, would be a precision the record does not have).
 */
function span(start: number, end: number): string | undefined {
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return undefined;
  const seconds = Math.floor((end - start) / 1000);
  if (seconds < 1) return "<1s";
  if (seconds < 60) return `${seconds}s`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return hours > 0 ? `${hours}h${minutes}m` : `${minutes}m${seconds % 60}s`;
}

function icon(status: JobState["status"], p: Palette): string {
  const glyph = ICON[status];
  return status === "completed" ? p.green(glyph) : status === "failed" ? p.red(glyph) : status === "blocked" ? p.yellow(glyph) : glyph;
}

/**
 * `--detailed`: a job's steps in run order (`order`: their keys; steps it does not name follow, by key), each with
 * its icon; a dead run's `running` step shows as interrupted (`!`), a skipped one says so.
 */
function stepLines(job: JobState, p: Palette, interrupted: boolean, order: string[] = []): string[] {
  const rank = (key: string): number => {
    const at = order.indexOf(key);
    return at === -1 ? order.length : at;
  };
  return Object.entries(job.steps)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([key, step]) => {
      const glyph = interrupted && step === "running" ? p.yellow("!") : step in ICON ? icon(step as JobState["status"], p) : "?";
      // Skipped and pending share the icon: the word tells a step that will not run from one still to run.
      const word = interrupted && step === "running" ? "  interrupted" : step === "skipped" ? `  ${p.dim("skipped")}` : "";
      return `        ${glyph} ${printable(key)}${word}`;
    });
}

function colorStatus(status: string, p: Palette): string {
  return status === "completed" ? p.green(status) : status === "failed" || status === "interrupted" ? p.red(status) : status === "incomplete" ? p.yellow(status) : status;
}

/** Records read at once by the lists of every record: each snapshot may read its record's whole plan (its jobs). */
const RECORDS_AT_ONCE = 4;

/**
 * `orun status --all --json`: every execution as `{execID, meta, state}` (the --json shape), newest first. `masks`
 * (inside GitHub Actions): how each record's strings are masked, with the values its own steps masked (read
 * after the record, as one execution's status reads them).
 */
export async function executionListJson(store: ExecutionStore, masks?: (execId: string) => Promise<(text: string) => string>): Promise<string> {
  const entries = await store.list();
  const manifests = new ManifestsRead();
  const rows = await mapLimited(entries, RECORDS_AT_ONCE, async ({ execId, meta }) => {
    let row: unknown;
    try {
      row = snapshotObject(await readSnapshot(store, execId, { manifests }));
    } catch (err) {
      // One unreadable record does not hide the others; it says what is wrong with it (and what is still readable).
      // `error` as under --json when a command fails (message, hint, file…): one shape for a script to read.
      row = { execID: execId, ...(meta ? { meta } : {}), ...jsonErrorOf(err, errorMessage(err)) };
    }
    return masks ? maskedStrings(row, await masks(execId)) : row;
  });
  return `${JSON.stringify(rows, null, 2)}\n`;
}

/** `value` (parsed JSON) with each string, keys too, through `mask`. */
function maskedStrings(value: unknown, mask: (text: string) => string): unknown {
  if (typeof value === "string") return mask(value);
  if (Array.isArray(value)) return value.map((item) => maskedStrings(item, mask));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [mask(key), maskedStrings(item, mask)]));
}

/** `orun status --all`: one line per execution, running first, then newest first. */
export async function renderExecutionList(store: ExecutionStore, p: Palette, now = Date.now()): Promise<string> {
  const entries = await store.list();
  if (entries.length === 0) return "No runs yet.\n\n  Start one with: orun run\n";
  // A record whose state or metadata cannot be read is listed as such, with what metadata is still readable
  // (orun status --exec-id <it> names the file).
  const manifests = new ManifestsRead();
  const rows = await mapLimited(entries, RECORDS_AT_ONCE, async (entry) => {
    const row = await readSnapshot(store, entry.execId, { manifests }).catch(
      (err: unknown) => ({ execId: entry.execId, meta: entry.meta, interrupted: false, unreadable: unreadableFile(err) }) as ListedSnapshot,
    );
    // Only the row's lines are kept, not the snapshot: it holds its record's whole state, and 200 records of a
    // 2,000-job plan held 400,000 job states at once until the list was printed.
    return { running: row.meta?.status === "running" && !row.interrupted, lines: listLines(row, p, now) };
  });
  rows.sort((a, b) => Number(b.running) - Number(a.running));
  const lines = [`  ${"RUN".padEnd(38)}${"STATE".padEnd(13)}${"PLAN".padEnd(22)}${"RESULT".padEnd(37)}AGE`, ...rows.flatMap((row) => row.lines)];
  return `${lines.join("\n")}\n`;
}

/** A record listed by `orun status --all`: its snapshot, or what is wrong with it when it cannot be read. */
type ListedSnapshot = ExecutionSnapshot & { unreadable?: string };

/** The lines `orun status --all` shows of one record: its row, and a note below it on what it needs looked at. */
function listLines(row: ListedSnapshot, p: Palette, now: number): string[] {
  const out: string[] = [];
  const status = "unreadable" in row ? "unreadable" : row.interrupted ? "interrupted" : row.starting ? "starting" : row.backgroundError ? "failed" : row.stateMissing ? "unknown" : (row.meta?.status ?? "unknown");
  const jobs = planJobsOf(row).map(([, job]) => job);
  const done = jobs.filter((j) => j.status === "completed").length;
  const failed = jobs.filter((j) => j.status === "failed").length;
  // A run can fail with no job failed (blocked by a gate or approval): say what stopped it.
  const blocked = jobs.filter((j) => j.status === "blocked").length;
  // Skipped after a failure they depended on: left out, `1 succeeded · 1 failed` read as all a 3-job run did.
  const skipped = jobs.filter((j) => j.status === "skipped").length;
  // An incomplete execution (a scoped run, a reopened job) says how many of the plan's jobs are still to run.
  const toRun = status === "incomplete" ? Math.max(row.meta?.jobTotal ?? 0, jobs.length) - jobs.filter((j) => j.status !== "pending").length : 0;
  // A state.json of another plan: its counts are not this run's, and every resume refuses the record.
  const result =
    "unreadable" in row
      ? `${row.unreadable} unreadable`
      : row.stateMissing
        ? "state.json missing"
        : row.stateOfOtherPlan
          ? "state.json of another plan"
          : `${done} succeeded · ${failed} failed${blocked ? ` · ${blocked} blocked` : ""}${skipped ? ` · ${skipped} skipped` : ""}${toRun > 0 ? ` · ${toRun} to run` : ""}`;
  const started = row.meta?.startedAt ? Date.parse(row.meta.startedAt) : NaN;
  const glyph =
    row.stateOfOtherPlan ? "?" : status === "completed" ? p.green("✓") : status === "running" || status === "starting" ? "●" : status === "incomplete" ? p.yellow("○") : status === "unknown" || status === "unreadable" ? "?" : p.red("✗");
  out.push(
    `${glyph} ${fit(row.execId, 37)} ${fit(status, 12)} ${fit(row.meta?.planName || row.meta?.planId || "—", 21)} ${fit(result, 36)} ${Number.isFinite(started) ? age(now - started) : "—"}`,
  );
  if (row.foreignLock) out.push(`    ${p.yellow("!")} ${printable(row.foreignLock)}`);
  if (row.stateOfOtherPlan) {
    const { planChecksum, recordPlanChecksum } = row.stateOfOtherPlan;
    const [theirs, ours] = [shortChecksum(planChecksum), shortChecksum(recordPlanChecksum)].map((checksum) => printable(checksum));
    out.push(`    ${p.yellow("!")} its state.json belongs to plan ${theirs}, not to its run's ${ours}: a resume refuses it (orun status --exec-id ${printable(shellWord(row.execId))})`);
  }
  return out;
}

/** The record file an error names (its message does), for the one-line listing. */
function unreadableFile(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return ["journal.jsonl", "state.json", "metadata.json", "manifest.json"].find((file) => message.includes(file)) ?? "record";
}

function fit(raw: string, width: number): string {
  const text = printable(raw);
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function age(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return "now";
  if (minutes < 60) return `${minutes}m`;
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)}h`;
  return `${Math.floor(minutes / 1440)}d`;
}
