// `orun logs`: step logs of an execution record, optionally filtered by job
// and step, optionally followed while the run is still going.
import { lstat, readdir, open } from "node:fs/promises";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { canonicalJobId, jobIdFragments, parseJobId, type PlanStep } from "../model/plan.js";
import { safeSegment } from "./ids.js";
import { JOB_FINISH_SEGMENT, JOB_SUMMARY_SEGMENT, type ExecutionStore } from "./records/store.js";
import { readStateFile } from "./records/state.js";
import { readRecordFile } from "./records/read-record.js";
import { orderSteps, stepKeys } from "./steps.js";

export interface LogEntry {
  jobId: string;
  stepKey: string;
  /** The log; absent for a failed job that left no log of its failure (`error` says what stopped it). */
  file?: string;
  status: string;
  /** The job's recorded error, shown in place of the log its failed step never wrote (it failed before any output). */
  error?: string;
}

/** Each job's step keys in the order its steps run (src/runtime/steps.ts), by canonical job ID. */
export type StepOrder = Map<string, string[]>;

export interface LogFilter {
  job?: string;
  step?: string;
  failed?: boolean;
}

/**
 * The order each job's steps run in, from the plan the record keeps (manifest.json); undefined when it has none
 * or it cannot be read (logs are then in the order they were written).
 */
export async function readStepOrder(store: ExecutionStore, execId: string): Promise<StepOrder | undefined> {
  let plan: { jobs?: unknown };
  try {
    const text = await readRecordFile(store.manifestFile(execId), "execution manifest");
    if (text === undefined) return undefined;
    plan = JSON.parse(text) as { jobs?: unknown };
  } catch {
    return undefined;
  }
  if (!Array.isArray(plan?.jobs)) return undefined;
  const order: StepOrder = new Map();
  for (const job of plan.jobs as { id?: unknown; steps?: unknown }[]) {
    if (typeof job?.id !== "string" || !Array.isArray(job.steps) || !job.steps.every((step) => step && typeof step === "object")) continue;
    // The keys the runtime gives the steps: counted in run order, as it counts them.
    order.set(canonicalJobId(job.id), stepKeys(orderSteps(job.steps as PlanStep[])));
  }
  return order;
}

/**
 * Every step log on disk, job by job, each job's in the order its steps run (`stepOrder`, else read from the
 * record; without a plan, the order they were written), with IDs recovered from state where possible. A failed
 * job whose failure left no log (it failed before its step printed anything, or before any step ran) gets an
 * entry with its recorded error instead.
 */
export async function listLogs(store: ExecutionStore, execId: string, filter: LogFilter = {}, options: { stepOrder?: StepOrder } = {}): Promise<LogEntry[]> {
  const state = await readStateFile(store.stateFile(execId)).catch(() => undefined);
  const stepOrder = options.stepOrder ?? (await readStepOrder(store, execId));
  const jobBySegment = new Map<string, string>();
  const ids = Object.keys(state?.jobs ?? {});
  // A record written by orun v2 names a job's folder by its dotted ID with only `/`, `\` and `:` replaced; this
  // orun's own names (set last) win where the two would meet.
  for (const id of ids) {
    const parts = parseJobId(id);
    jobBySegment.set(v2Segment(id), id);
    if (parts) jobBySegment.set(v2Segment(`${parts.component}.${parts.environment}.${parts.job}`), id);
  }
  for (const id of ids) jobBySegment.set(safeSegment(id), id);
  const logsDir = store.logsDir(execId);
  // Only real folders and files: a symbolic link in a record (copied from elsewhere, or planted) could make
  // `orun logs` print any file on the machine.
  const jobDirs = (await readdir(logsDir, { withFileTypes: true }).catch(() => []))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  // Failed jobs that wrote no log at all (they failed before any step ran) are listed too.
  const withDir = new Set(jobDirs.map((dir) => jobBySegment.get(dir) ?? dir));
  const silentFailures = ids.filter((id) => state?.jobs[id]?.status === "failed" && !withDir.has(id)).map((id) => safeSegment(id));
  const wantedJob = filter.job ? safeSegment(canonicalJobId(filter.job)) : undefined;
  const jobNeedles = filter.job ? jobIdFragments(filter.job) : [];
  const out: LogEntry[] = [];
  for (const dir of [...jobDirs, ...silentFailures].sort()) {
    const jobId = jobBySegment.get(dir) ?? dir;
    if (wantedJob && dir !== wantedJob && !jobNeedles.some((needle) => jobId.includes(needle))) continue;
    const jobState = state?.jobs[jobId];
    const keys = Object.keys(jobState?.steps ?? {});
    const stepBySegment = new Map([...keys.map((key) => [v2Segment(key), key] as const), ...keys.map((key) => [safeSegment(key), key] as const)]);
    const files = (await readdir(path.join(logsDir, dir), { withFileTypes: true }).catch(() => []))
      .filter((entry) => entry.isFile() && entry.name.endsWith(".log"))
      .map((entry) => entry.name);
    const logs = files.map((file) => {
      const segment = file.slice(0, -4);
      const stepKey = segment === JOB_SUMMARY_SEGMENT ? "job summary" : segment === JOB_FINISH_SEGMENT ? "job finish" : (stepBySegment.get(segment) ?? segment);
      return { segment, stepKey, file: path.join(logsDir, dir, file) };
    });
    const jobEntries: LogEntry[] = [];
    for (const { segment, stepKey, file } of await inRunOrder(logs, stepOrder?.get(canonicalJobId(jobId)))) {
      if (filter.step && segment !== safeSegment(filter.step) && !stepKey.includes(filter.step)) continue;
      const status = jobState?.steps[stepKey] ?? jobState?.status ?? "completed";
      if (filter.failed && status !== "failed") continue;
      jobEntries.push({ jobId, stepKey, file, status });
    }
    out.push(...jobEntries);
    // A failure with no log of it: the error it was recorded with (`orun run` points at `orun logs --job <id>`).
    if (jobState?.status === "failed" && jobState.lastError && !logs.some((log) => jobState.steps[log.stepKey] === "failed")) {
      const stepKey = Object.keys(jobState.steps).find((key) => jobState.steps[key] === "failed") ?? "job";
      if (!filter.step || stepKey === filter.step || safeSegment(stepKey) === safeSegment(filter.step) || stepKey.includes(filter.step)) {
        out.push({ jobId, stepKey, status: "failed", error: jobState.lastError });
      }
    }
  }
  return out;
}

/** A job's logs in the order its steps ran: by `order` (the plan's), else as written; the job's own logs last. */
async function inRunOrder<T extends { segment: string; stepKey: string; file: string }>(logs: T[], order: string[] | undefined): Promise<T[]> {
  const jobLogs = [JOB_FINISH_SEGMENT, JOB_SUMMARY_SEGMENT];
  const rank = (log: T): number => {
    const own = jobLogs.indexOf(log.segment);
    if (own >= 0) return Number.MAX_SAFE_INTEGER - jobLogs.length + own;
    const at = order?.indexOf(log.stepKey) ?? -1;
    return at >= 0 ? at : (order?.length ?? 0);
  };
  // Without a plan (or for a log the plan does not name), the order the logs were created in (at a step's first
  // output) — as fine as the kernel's file times, a clock tick: logs begun within one tick go by name.
  const unplaced = logs.filter((log) => rank(log) === (order?.length ?? 0));
  const born = new Map(await Promise.all(unplaced.map(async (log) => [log.file, await createdAt(log.file)] as const)));
  return [...logs].sort((a, b) => rank(a) - rank(b) || (born.get(a.file) ?? 0) - (born.get(b.file) ?? 0) || a.segment.localeCompare(b.segment));
}

/** When a file was made (its change time where the file system keeps no birth time). */
async function createdAt(file: string): Promise<number> {
  const info = await lstat(file).catch(() => undefined);
  return info ? info.birthtimeMs || info.ctimeMs : 0;
}

/** How orun v2 made a job or step ID a file name (spec 20 §4.4): its records are read as they are. */
function v2Segment(id: string): string {
  return id.replace(/[/\\:]/g, "_");
}

/**
 * `raw`: the logs' text as recorded, without header lines: one log is printed exactly (`orun logs --job X --step Y
 * --raw > out.txt`); between several, a log that did not end its last line gets a newline, so none are glued.
 * Each log is streamed in pieces: read whole, a log of a gigabyte needed as much memory, and past V8's longest
 * string (about 1 GiB) `orun logs` failed.
 */
export async function printLogs(entries: LogEntry[], write: (text: string) => void, options: { raw?: boolean; note?: (text: string) => void } = {}): Promise<void> {
  let unterminated = false;
  for (const entry of entries) {
    if (entry.file === undefined) {
      // Not a log: under --raw (the logs' bytes only) it goes to `note` (stderr).
      if (!options.raw) write(`── ${entry.jobId} › ${entry.stepKey}  (${entry.status}, no output)\n${errorLine(entry)}`);
      else options.note?.(`${entry.jobId} › ${entry.stepKey}: ${errorLine(entry)}`);
      continue;
    }
    if (!options.raw) write(`── ${entry.jobId} › ${entry.stepKey}  (${entry.status})\n`);
    let started = false;
    let endsLine = true;
    await readPieces(entry.file, (text) => {
      if (text === "") return;
      if (!started && options.raw && unterminated) write("\n");
      started = true;
      write(text);
      endsLine = text.endsWith("\n");
    });
    if (options.raw) unterminated = started ? !endsLine : unterminated;
    else if (!endsLine) write("\n");
  }
}

/** A job's recorded error as printed in place of its log, on one line (control characters shown as `?`). */
function errorLine(entry: LogEntry): string {
  // eslint-disable-next-line no-control-regex
  return `error: ${(entry.error ?? "").replace(/[\r\n]+/g, " ").replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "?")}\n`;
}

/** A log's text piece by piece (characters never split between pieces); an unreadable or vanished log reads as empty. */
async function readPieces(file: string, take: (text: string) => void): Promise<void> {
  const handle = await open(file, "r").catch(() => undefined);
  if (!handle) return;
  try {
    const decoder = new StringDecoder("utf8");
    const buffer = Buffer.alloc(FOLLOW_CHUNK);
    for (let position = 0; ; ) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position).catch(() => ({ bytesRead: 0 }));
      if (bytesRead === 0) break;
      position += bytesRead;
      take(decoder.write(buffer.subarray(0, bytesRead)));
    }
    take(decoder.end());
  } finally {
    await handle.close();
  }
}

/**
 * Follows the logs of a running execution: prints what exists, then new
 * bytes of existing files and new files as they appear, until `isDone()`
 * reports the run finished (then drains once more).
 */
export async function followLogs(
  store: ExecutionStore,
  execId: string,
  filter: LogFilter,
  write: (text: string) => void,
  isDone: () => Promise<boolean>,
  options: { intervalMs?: number; signal?: AbortSignal; raw?: boolean; note?: (text: string) => void } = {},
): Promise<void> {
  const followed = new Map<string, FollowedFile>();
  let current = "";
  // Output is copied as it arrives, partial lines included: a header or the end starts a fresh line.
  let atLineStart = true;
  const emit = (text: string): void => {
    if (text === "") return;
    write(text);
    atLineStart = text.endsWith("\n");
  };
  const header = (key: string, note = ""): void => {
    current = key;
    if (options.raw) return;
    if (!atLineStart) emit("\n");
    emit(`── ${key}${note}\n`);
  };
  // The plan a record keeps does not change while it is followed: its step order is read once.
  let stepOrder: StepOrder | undefined | null = null;
  const errorsShown = new Set<string>();
  const drain = async (): Promise<void> => {
    if (stepOrder === null) stepOrder = await readStepOrder(store, execId);
    for (const entry of await listLogs(store, execId, filter, { stepOrder })) {
      if (entry.file === undefined) {
        const key = `${entry.jobId} › ${entry.stepKey}`;
        if (errorsShown.has(key)) continue;
        errorsShown.add(key);
        if (options.raw) options.note?.(`${key}: ${errorLine(entry)}`);
        else {
          header(key, "  (failed, no output)");
          emit(errorLine(entry));
        }
        continue;
      }
      const handle = await open(entry.file, "r").catch(() => undefined);
      if (!handle) continue;
      try {
        const info = await handle.stat();
        const key = `${entry.jobId} › ${entry.stepKey}`;
        let file = followed.get(entry.file);
        // A job that runs again (a resumed or retried execution) starts a new log file in place of the old one;
        // a log truncated in place starts over too. Either way it is shown again from its start.
        const replaced = file !== undefined && (file.ino !== info.ino || file.birthtimeMs !== info.birthtimeMs || info.size < file.offset);
        if (!file || replaced) {
          if (file?.decoder) emit(file.decoder.end());
          file = { ino: info.ino, birthtimeMs: info.birthtimeMs, offset: 0 };
          followed.set(entry.file, file);
          if (replaced) header(key, "  (written again: the job ran again)");
        }
        for (let from = file.offset; from < info.size; ) {
          const buffer = Buffer.alloc(Math.min(info.size - from, FOLLOW_CHUNK));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
          if (bytesRead === 0) break;
          if (key !== current) header(key);
          // A character split between two reads waits for its other bytes.
          file.decoder ??= new StringDecoder("utf8");
          emit(file.decoder.write(buffer.subarray(0, bytesRead)));
          from += bytesRead;
          file.offset = from;
        }
      } finally {
        await handle.close();
      }
    }
  };
  const interval = options.intervalMs ?? 200;
  for (;;) {
    const done = await isDone();
    await drain();
    if (done || options.signal?.aborted) break;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  for (const file of followed.values()) emit(file.decoder?.end() ?? "");
  if (!atLineStart && !options.raw) write("\n");
}

/** One log file as `followLogs` has read it: which file it was (a job that runs again makes a new one) and how far. */
interface FollowedFile {
  ino: number;
  birthtimeMs: number;
  offset: number;
  decoder?: StringDecoder;
}

/** `orun logs` reads a log (and `--follow` what a log gained) this much at most at a time. */
const FOLLOW_CHUNK = 1 << 20;

