// state.json: per-job and per-step status of one execution. The scheduler
// keeps the authoritative copy in memory; StateWriter persists it atomically,
// coalescing bursts of transitions into one write.
import { canonicalJobId } from "../../model/plan.js";
import { OrunError, errorMessage } from "../../util/errors.js";
import { jsonErrorWithoutExcerpt } from "../../util/fs-read.js";
import { toJson, writeFileAtomic, writeFileAtomicSync } from "../fs-atomic.js";
import { readRecordFile } from "./read-record.js";
import { journalFileOf, readJournal, TransitionJournal } from "./journal.js";

export type JobStatus = "pending" | "running" | "completed" | "failed" | "skipped" | "blocked";
export type StepStatus = "pending" | "running" | "completed" | "failed" | "skipped";

export const JOB_STATUSES: readonly JobStatus[] = ["pending", "running", "completed", "failed", "skipped", "blocked"];
const STEP_STATUSES: readonly string[] = ["pending", "running", "completed", "failed", "skipped"];

/**
 * Why a record's status is refused: records carry no format version, so a value this orun does not know may be a
 * newer one's. `record` names the file's kind ("execution state"): such a file is unreadable here, not called corrupt.
 */
export function unknownStatus(record: string, value: unknown): string {
  return `unreadable ${record}: unknown status ${JSON.stringify(value)}: not a status this orun knows (a newer orun may have written it)`;
}

export interface JobState {
  status: JobStatus;
  startedAt?: string;
  finishedAt?: string;
  heartbeatAt?: string;
  steps: Record<string, StepStatus>;
  lastError?: string;
  /** Why a job was skipped or blocked. */
  reason?: string;
  /**
   * The revision the run that recorded this result vouched for (run-revision.ts), NO_REVISION when it vouched for
   * none (the jobs' tree was not a clean checkout of the plan's commit). Promotion evidence is judged by it, not by
   * the record's latest run: a resume from the clean commit does not make a success of an uncommitted fix evidence
   * for that commit. Missing in records of an orun before it: their record's metadata.revision stands for it.
   */
  revision?: string;
  /**
   * The runner that ran its steps (local, docker, github-actions): a resume skips the steps it completed only under the
   * same runner (resumed-steps.ts). Missing in records of an orun before it: the record's metadata.runner stands for it.
   */
  runner?: string;
}

/** JobState.revision of a result recorded by a run that vouched for no revision. */
export const NO_REVISION = "none";

export interface ExecState {
  execId: string;
  planChecksum: string;
  jobs: Record<string, JobState>;
}

export function emptyState(execId: string, planChecksum: string): ExecState {
  return { execId, planChecksum, jobs: {} };
}

/**
 * Reads and validates a state file, with the transitions journaled since it was written (journal.ts)
 * folded in. Missing (and no journal) → undefined. Unparsable or wrongly shaped → OrunError naming the
 * file (the file is left untouched). Job IDs in the dotted v2 form are canonicalised.
 */
export async function readStateFile(file: string): Promise<ExecState | undefined> {
  const text = await readRecordFile(file, "execution state");
  const journal = journalFileOf(file);
  const entries = await readJournal(journal, (value, field) => parseJob(value, journal, field));
  if (text === undefined && entries.length === 0) return undefined;
  const state = text === undefined ? emptyState("", "") : parseState(text, file);
  // A run writes state.json before it journals anything: a journal without one outlived a state.json that was
  // deleted. Readers show what it holds; a run refuses it (journalWithoutState) rather than guess.
  if (text === undefined) orphaned.add(state);
  if (entries.length > 0) {
    for (const entry of entries) state.jobs[canonicalJobId(entry.job)] = entry.state;
    journaled.add(state);
  }
  return state;
}

/** States read with journaled transitions that state.json does not hold yet. */
const journaled = new WeakSet<ExecState>();

/** States read from a journal alone (state.json missing). */
const orphaned = new WeakSet<ExecState>();

/** True when `state` came from a journal whose state.json is missing: its plan cannot be verified. */
export function journalWithoutState(state: ExecState): boolean {
  return orphaned.has(state);
}

/** True when `state` came with journaled transitions: writing it makes the journal redundant. */
export function foldedJournal(state: ExecState): boolean {
  return journaled.has(state);
}

/** `advice` follows an invalid-JSON error: what the user can do about the file. */
export function parseState(text: string, file: string, advice = "fix or delete the file, or start a new run with another --exec-id"): ExecState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new OrunError(`corrupt execution state (invalid JSON: ${jsonErrorWithoutExcerpt(err)}); ${advice}`, {
      location: { file },
    });
  }
  if (!isRecord(raw)) return bad(file, "(root)", "expected a JSON object");
  if (raw.jobs !== undefined && !isRecord(raw.jobs)) bad(file, "jobs", "expected an object");
  const jobs: Record<string, JobState> = {};
  const rawJobs = (raw.jobs as Record<string, unknown> | undefined) ?? {};
  for (const id of Object.keys(rawJobs)) {
    const canonical = canonicalJobId(id);
    // No plan job is named so, and assigned into `jobs` it would become the map's prototype, not a job of it.
    if (canonical === "__proto__") bad(file, `jobs.${id}`, "not a job ID (component@environment.job)");
    jobs[canonical] = parseJob(rawJobs[id], file, `jobs.${id}`);
  }
  return {
    execId: typeof raw.execId === "string" ? raw.execId : "",
    planChecksum: typeof raw.planChecksum === "string" ? raw.planChecksum : "",
    jobs,
  };
}

function bad(file: string, field: string, why: string): never {
  throw new OrunError(`corrupt execution state: ${why}`, { location: { file, field } });
}

function unknown(file: string, field: string, value: unknown): never {
  throw new OrunError(unknownStatus("execution state", value), { location: { file, field } });
}

/** One job's recorded state, validated (`field` names it in errors). */
function parseJob(value: unknown, file: string, field: string): JobState {
  if (!isRecord(value)) return bad(file, field, "expected an object");
  if (!JOB_STATUSES.includes(value.status as JobStatus)) unknown(file, `${field}.status`, value.status);
  if (value.steps !== undefined && !isRecord(value.steps)) bad(file, `${field}.steps`, "expected an object");
  const raw = (value.steps as Record<string, unknown> | undefined) ?? {};
  for (const key of Object.keys(raw)) {
    if (!STEP_STATUSES.includes(raw[key] as string)) unknown(file, `${field}.steps.${key}`, raw[key]);
  }
  // The parsed object itself, not a copy (status --all reads 200 states of 2,000 jobs): JSON.parse made it a plain
  // object of its own, where a step ID `__proto__` is a key (assigning it would have set the prototype).
  const job: JobState = { status: value.status as JobStatus, steps: raw as Record<string, StepStatus> };
  for (const name of JOB_STRINGS) {
    const text = value[name];
    if (text === undefined) continue;
    if (typeof text !== "string") bad(file, `${field}.${name}`, "expected a string");
    job[name] = text;
  }
  return job;
}

/** The optional string fields of a job's state. */
const JOB_STRINGS = ["startedAt", "finishedAt", "heartbeatAt", "lastError", "reason", "revision", "runner"] as const;

/** Serialises with sorted job and step keys so files diff cleanly. */
export function serializeState(state: ExecState): string {
  const jobs: Record<string, JobState> = {};
  for (const id of Object.keys(state.jobs).sort()) {
    const job = state.jobs[id]!;
    // fromEntries, not assignment: a step ID `__proto__` stays a key.
    const steps = Object.fromEntries(Object.keys(job.steps).sort().map((key) => [key, job.steps[key]!]));
    jobs[id] = {
      status: job.status,
      ...(job.startedAt ? { startedAt: job.startedAt } : {}),
      ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
      ...(job.heartbeatAt ? { heartbeatAt: job.heartbeatAt } : {}),
      steps,
      ...(job.lastError ? { lastError: job.lastError } : {}),
      ...(job.reason ? { reason: job.reason } : {}),
      ...(job.revision ? { revision: job.revision } : {}),
      ...(job.runner ? { runner: job.runner } : {}),
    };
  }
  return toJson({ execId: state.execId, planChecksum: state.planChecksum, jobs });
}

/**
 * Persists state.json atomically. `schedule()` after every transition;
 * writes are serialised and bursts within the interval coalesce into one
 * write of the latest state. `settled(job)` after a job's terminal transition
 * also journals it at once (journal.ts), so a crash before the next write
 * cannot lose it. `flush()` waits until the file matches memory, and then
 * removes the journal.
 */
export class StateWriter {
  private dirty = false;
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastWrite = 0;
  private failure: unknown;
  private readonly journal: TransitionJournal;
  /** Journal appends so far, and how many of them the latest state.json write holds. */
  private journaled = 0;
  private written = 0;
  writes = 0;

  constructor(
    private readonly file: string,
    private readonly state: ExecState,
    /** Minimum gap between writes; undefined = adaptive (20 ms, growing with the number of jobs). */
    private readonly intervalMs?: number,
    /** The revision this run vouches for (undefined: none), stamped on each result it settles (JobState.revision). */
    private readonly revision?: string,
  ) {
    this.journal = new TransitionJournal(journalFileOf(file));
  }

  /**
   * Serialising the state costs time proportional to its size, so large runs
   * write less often (1,000 jobs: every 100 ms). Job completions are journaled
   * meanwhile; a crash loses at most the step-level progress of that interval.
   */
  private interval(): number {
    return this.intervalMs ?? Math.max(20, Math.min(250, Object.keys(this.state.jobs).length / 10));
  }

  schedule(): void {
    this.dirty = true;
    if (this.timer || this.writing) return;
    const wait = Math.max(0, this.lastWrite + this.interval() - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.writeNow();
    }, wait);
  }

  /**
   * The state in memory differs from the file (a resume changed it before its run began): the next flush() writes
   * it, and nothing before — a run refused before that leaves the record as it was, and no timed write of this state
   * races the run's first awaited writes.
   */
  markChanged(): void {
    this.dirty = true;
  }

  /** The journal file (journal.ts): a hand-off has the spawn helper append a completion to it. */
  get journalFile(): string {
    return this.journal.file;
  }

  /**
   * A job reached its terminal status (completed, failed, skipped, blocked) in this run: stamped with the revision
   * the run vouches for, journaled now, written soon.
   */
  settled(jobId: string): void {
    const job = this.state.jobs[jobId];
    if (job) job.revision = this.revision ?? NO_REVISION;
    if (job && this.journal.append(jobId, job)) this.journaled++;
    this.schedule();
  }

  /**
   * Throws when a transition could not be journaled (a full disk, an unwritable record): a run must then
   * start nothing more — a crash would run again whatever this run did and could not record.
   */
  assertJournaled(): void {
    this.journal.check();
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.writing || this.dirty) {
      if (this.writing) await this.writing;
      else await this.writeNow();
    }
    if (this.failure) throw this.failure;
    // state.json holds every journaled transition (and whatever a crashed run journaled, folded in when read).
    if (this.written === this.journaled) this.journal.remove();
    this.journal.check();
  }

  /** Last-resort synchronous write (signal handlers). */
  flushSync(): void {
    writeFileAtomicSync(this.file, serializeState(this.state));
    this.dirty = false;
  }

  private writeNow(): Promise<void> {
    if (this.writing) return this.writing;
    this.dirty = false;
    this.lastWrite = Date.now();
    this.writes++;
    const holds = this.journaled;
    this.writing = writeFileAtomic(this.file, serializeState(this.state))
      .then(() => {
        this.written = holds;
      })
      .catch((err: unknown) => {
        this.failure ??= new OrunError(`cannot write execution state: ${errorMessage(err)}`, { location: { file: this.file } });
      })
      .finally(() => {
        this.writing = undefined;
        if (this.dirty && !this.timer) this.schedule();
      });
    return this.writing;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
