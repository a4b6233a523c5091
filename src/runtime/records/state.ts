// state.json: per-job and per-step status of one execution. The scheduler
// keeps the authoritative copy in memory; StateWriter persists it atomically,
// coalescing bursts of transitions into one write.
import { readFile } from "node:fs/promises";
import { canonicalJobId } from "../../model/plan.js";
import { OrunError, errorMessage } from "../../util/errors.js";
import { toJson, writeFileAtomic, writeFileAtomicSync } from "../fs-atomic.js";

export type JobStatus = "pending" | "running" | "completed" | "failed" | "skipped" | "blocked";
export type StepStatus = "pending" | "running" | "completed" | "failed" | "skipped";

export const JOB_STATUSES: readonly JobStatus[] = ["pending", "running", "completed", "failed", "skipped", "blocked"];
const STEP_STATUSES: readonly string[] = ["pending", "running", "completed", "failed", "skipped"];

export interface JobState {
  status: JobStatus;
  startedAt?: string;
  finishedAt?: string;
  heartbeatAt?: string;
  steps: Record<string, StepStatus>;
  lastError?: string;
  /** Why a job was skipped or blocked. */
  reason?: string;
}

export interface ExecState {
  execId: string;
  planChecksum: string;
  jobs: Record<string, JobState>;
}

export function emptyState(execId: string, planChecksum: string): ExecState {
  return { execId, planChecksum, jobs: {} };
}

/**
 * Reads and validates a state file. Missing → undefined. Unparsable or
 * wrongly shaped → OrunError naming the file (the file is left untouched).
 * Job IDs in the dotted v2 form are canonicalised.
 */
export async function readStateFile(file: string): Promise<ExecState | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new OrunError(`cannot read execution state: ${errorMessage(err)}`, { location: { file } });
  }
  return parseState(text, file);
}

export function parseState(text: string, file: string): ExecState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new OrunError(`corrupt execution state (invalid JSON: ${errorMessage(err)}); fix or delete the file, or start a new run with another --exec-id`, {
      location: { file },
    });
  }
  const bad = (field: string, why: string): never => {
    throw new OrunError(`corrupt execution state: ${why}`, { location: { file, field } });
  };
  if (!isRecord(raw)) return bad("(root)", "expected a JSON object");
  if (raw.jobs !== undefined && !isRecord(raw.jobs)) bad("jobs", "expected an object");
  const jobs: Record<string, JobState> = {};
  for (const [id, value] of Object.entries((raw.jobs as Record<string, unknown> | undefined) ?? {})) {
    if (!isRecord(value)) return bad(`jobs.${id}`, "expected an object");
    if (!JOB_STATUSES.includes(value.status as JobStatus)) bad(`jobs.${id}.status`, `unknown status ${JSON.stringify(value.status)}`);
    const steps: Record<string, StepStatus> = {};
    if (value.steps !== undefined && !isRecord(value.steps)) bad(`jobs.${id}.steps`, "expected an object");
    for (const [key, status] of Object.entries((value.steps as Record<string, unknown> | undefined) ?? {})) {
      if (!STEP_STATUSES.includes(status as string)) bad(`jobs.${id}.steps.${key}`, `unknown status ${JSON.stringify(status)}`);
      steps[key] = status as StepStatus;
    }
    const job: JobState = { status: value.status as JobStatus, steps };
    for (const field of ["startedAt", "finishedAt", "heartbeatAt", "lastError", "reason"] as const) {
      if (value[field] !== undefined) {
        if (typeof value[field] !== "string") bad(`jobs.${id}.${field}`, "expected a string");
        job[field] = value[field] as string;
      }
    }
    jobs[canonicalJobId(id)] = job;
  }
  return {
    execId: typeof raw.execId === "string" ? raw.execId : "",
    planChecksum: typeof raw.planChecksum === "string" ? raw.planChecksum : "",
    jobs,
  };
}

/** Serialises with sorted job and step keys so files diff cleanly. */
export function serializeState(state: ExecState): string {
  const jobs: Record<string, JobState> = {};
  for (const id of Object.keys(state.jobs).sort()) {
    const job = state.jobs[id]!;
    const steps: Record<string, StepStatus> = {};
    for (const key of Object.keys(job.steps).sort()) steps[key] = job.steps[key]!;
    jobs[id] = {
      status: job.status,
      ...(job.startedAt ? { startedAt: job.startedAt } : {}),
      ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
      ...(job.heartbeatAt ? { heartbeatAt: job.heartbeatAt } : {}),
      steps,
      ...(job.lastError ? { lastError: job.lastError } : {}),
      ...(job.reason ? { reason: job.reason } : {}),
    };
  }
  return toJson({ execId: state.execId, planChecksum: state.planChecksum, jobs });
}

/**
 * Persists state.json atomically. `schedule()` after every transition;
 * writes are serialised and bursts within the interval coalesce into one
 * write of the latest state. `flush()` waits until the file matches memory.
 */
export class StateWriter {
  private dirty = false;
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastWrite = 0;
  private failure: unknown;
  writes = 0;

  constructor(
    private readonly file: string,
    private readonly state: ExecState,
    /** Minimum gap between writes; undefined = adaptive (20 ms, growing with the number of jobs). */
    private readonly intervalMs?: number,
  ) {}

  /**
   * Serialising the state costs time proportional to its size, so large runs
   * write less often (1,000 jobs: every 100 ms). A crash loses at most one
   * interval of transitions; those jobs are re-run on resume.
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
    this.writing = writeFileAtomic(this.file, serializeState(this.state))
      .catch((err: unknown) => {
        this.failure ??= err;
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
