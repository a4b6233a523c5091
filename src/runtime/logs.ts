// `orun logs`: step logs of an execution record, optionally filtered by job
// and step, optionally followed while the run is still going.
import { readdir, open } from "node:fs/promises";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { canonicalJobId, jobIdFragments, parseJobId } from "../model/plan.js";
import { safeSegment } from "./ids.js";
import { JOB_FINISH_SEGMENT, JOB_SUMMARY_SEGMENT, type ExecutionStore } from "./records/store.js";
import { readStateFile } from "./records/state.js";

export interface LogEntry {
  jobId: string;
  stepKey: string;
  file: string;
  status: string;
}

export interface LogFilter {
  job?: string;
  step?: string;
  failed?: boolean;
}

/** Every step log on disk, in job then file order, with IDs recovered from state where possible. */
export async function listLogs(store: ExecutionStore, execId: string, filter: LogFilter = {}): Promise<LogEntry[]> {
  const state = await readStateFile(store.stateFile(execId)).catch(() => undefined);
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
    .map((entry) => entry.name)
    .sort();
  const wantedJob = filter.job ? safeSegment(canonicalJobId(filter.job)) : undefined;
  const jobNeedles = filter.job ? jobIdFragments(filter.job) : [];
  const out: LogEntry[] = [];
  for (const dir of jobDirs) {
    const jobId = jobBySegment.get(dir) ?? dir;
    if (wantedJob && dir !== wantedJob && !jobNeedles.some((needle) => jobId.includes(needle))) continue;
    const jobState = state?.jobs[jobId];
    const keys = Object.keys(jobState?.steps ?? {});
    const stepBySegment = new Map([...keys.map((key) => [v2Segment(key), key] as const), ...keys.map((key) => [safeSegment(key), key] as const)]);
    const files = (await readdir(path.join(logsDir, dir), { withFileTypes: true }).catch(() => []))
      .filter((entry) => entry.isFile() && entry.name.endsWith(".log"))
      .map((entry) => entry.name)
      .sort();
    for (const file of files) {
      const segment = file.slice(0, -4);
      const stepKey = segment === JOB_SUMMARY_SEGMENT ? "job summary" : segment === JOB_FINISH_SEGMENT ? "job finish" : (stepBySegment.get(segment) ?? segment);
      if (filter.step && segment !== safeSegment(filter.step) && !stepKey.includes(filter.step)) continue;
      const status = jobState?.steps[stepKey] ?? jobState?.status ?? "completed";
      if (filter.failed && status !== "failed") continue;
      out.push({ jobId, stepKey, file: path.join(logsDir, dir, file), status });
    }
  }
  return out;
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
export async function printLogs(entries: LogEntry[], write: (text: string) => void, options: { raw?: boolean } = {}): Promise<void> {
  let unterminated = false;
  for (const entry of entries) {
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
  options: { intervalMs?: number; signal?: AbortSignal; raw?: boolean } = {},
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
  const drain = async (): Promise<void> => {
    for (const entry of await listLogs(store, execId, filter)) {
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

