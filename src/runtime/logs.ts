// `orun logs`: step logs of an execution record, optionally filtered by job
// and step, optionally followed while the run is still going.
import { lstat, readdir, open } from "node:fs/promises";
import type { Dirent } from "node:fs";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { incompleteCharacter } from "./output/utf8.js";
import { canonicalJobId, jobIdFragments, parseJobId, type PlanStep } from "../model/plan.js";
import { safeSegment } from "./ids.js";
import { JOB_FINISH_SEGMENT, JOB_SUMMARY_SEGMENT, type ExecutionStore } from "./records/store.js";
import { readStateFile, type JobState } from "./records/state.js";
import { printable } from "../util/printable.js";
import { describedError } from "./output/failure-text.js";
import { orderSteps, stepKeys } from "../model/steps.js";
import { OrunError } from "../util/errors.js";

export interface LogEntry {
  jobId: string;
  stepKey: string;
  /** The log; absent for a step that failed with no output, or a job's error no step's log shows. */
  file?: string;
  status: string;
  /** The job's recorded error, shown in place of the log never written by the step it names (or by the job). */
  error?: string;
  /** Why the step's log is not shown (no `file`): what stands in its place (a FIFO, a folder, a link) and where. */
  unreadable?: string;
}

/** Each job's step keys in the order its steps run (src/model/steps.ts), by canonical job ID. */
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
  const plan = await store.readManifestLeniently(execId);
  if (!plan) return undefined;
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
 * record; without a plan, the order they were written), with IDs recovered from state where possible. Where the
 * record has no log, an entry says what happened instead, in its place in that order: each step recorded failed
 * that printed nothing (with the job's error when it names that step), the step the job's error names if it left
 * no log (a cancel before it started), and the job's own error when no step's entry shows it (`start job: …`
 * first, `job finalizer: …` last, unless the finalizer's log shows it). `runOver`: the run is dead or finished, so
 * a step (or job) it left `running` is listed `interrupted`.
 */
export async function listLogs(store: ExecutionStore, execId: string, filter: LogFilter = {}, options: { stepOrder?: StepOrder; runOver?: boolean } = {}): Promise<LogEntry[]> {
  // A corrupt state.json is an error naming it (as `orun status` gives): read past, every step showed `completed`.
  const state = await readStateFile(store.stateFile(execId));
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
  await assertLogsFolder(logsDir);
  // Only real folders and files: a symbolic link in a record (copied from elsewhere, or planted) could make
  // `orun logs` print any file on the machine.
  const listedJobs = await readdir(logsDir, { withFileTypes: true }).catch(() => []);
  const jobDirs = listedJobs.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  // A job's folder replaced by anything else is never read, but named: the job vanished from `orun logs`, which
  // then said no step printed anything.
  const notFolders = new Map(listedJobs.filter((entry) => !entry.isDirectory() && jobBySegment.has(entry.name)).map((entry) => [entry.name, notAFolder(entry)] as const));
  // Jobs with a failure and no log folder at all (they failed before any step printed anything) are listed too.
  const withDir = new Set([...jobDirs, ...notFolders.keys()].map((dir) => jobBySegment.get(dir) ?? dir));
  const failing = (id: string): boolean => state?.jobs[id]?.status === "failed" || Object.values(state?.jobs[id]?.steps ?? {}).includes("failed");
  const silentJobs = ids.filter((id) => failing(id) && !withDir.has(id)).map((id) => safeSegment(id));
  const wantedJob = filter.job ? safeSegment(canonicalJobId(filter.job)) : undefined;
  const jobNeedles = filter.job ? jobIdFragments(filter.job) : [];
  const out: LogEntry[] = [];
  const selected = [...jobDirs, ...notFolders.keys(), ...silentJobs]
    .sort()
    .map((dir) => ({ dir, jobId: jobBySegment.get(dir) ?? dir }))
    .filter(({ dir, jobId }) => !wantedJob || dir === wantedJob || jobNeedles.some((needle) => jobId.includes(needle)));
  const stepWanted = stepMatcher(filter.step, selected.map(({ jobId }) => [...Object.keys(state?.jobs[jobId]?.steps ?? {}), ...(stepOrder?.get(canonicalJobId(jobId)) ?? [])]).flat());
  for (const { dir, jobId } of selected) {
    const jobState = state?.jobs[jobId];
    const keys = Object.keys(jobState?.steps ?? {});
    const stepBySegment = new Map([...keys.map((key) => [v2Segment(key), key] as const), ...keys.map((key) => [safeSegment(key), key] as const)]);
    const notFolder = notFolders.get(dir);
    const listed = notFolder === undefined ? await readdir(path.join(logsDir, dir), { withFileTypes: true }).catch(() => []) : [];
    const files = listed.filter((entry) => entry.isFile() && entry.name.endsWith(".log")).map((entry) => entry.name);
    const items: RecordItem[] = [];
    if (notFolder !== undefined) {
      const unreadable = `logs not shown: ${path.join(logsDir, dir)} is ${notFolder}, not a folder`;
      items.push({ segment: NOT_A_FOLDER_SEGMENT, stepKey: "logs", status: jobState?.status ?? NOT_RECORDED, unreadable, place: "start" });
    }
    // A step's log that is no regular file is never read (a FIFO would hang `orun logs`, a link print any file), but
    // it is named: it was shown as the step's `no output`.
    for (const entry of listed) {
      const segment = entry.name.slice(0, -4);
      if (entry.isFile() || !entry.name.endsWith(".log") || segment === JOB_SUMMARY_SEGMENT || segment === JOB_FINISH_SEGMENT) continue;
      const stepKey = stepBySegment.get(segment) ?? segment;
      const what = entry.isSymbolicLink() ? "a symbolic link" : entry.isDirectory() ? "a directory" : "not a regular file (a FIFO, socket or device)";
      const unreadable = `log not shown: ${path.join(logsDir, dir, entry.name)} is ${what}`;
      items.push({ segment, stepKey, status: jobState?.steps[stepKey] ?? jobState?.status ?? NOT_RECORDED, unreadable });
    }
    for (const name of files) {
      const segment = name.slice(0, -4);
      const file = path.join(logsDir, dir, name);
      const stepKey = segment === JOB_SUMMARY_SEGMENT ? "job summary" : segment === JOB_FINISH_SEGMENT ? "job finish" : (stepBySegment.get(segment) ?? segment);
      const status = segment === JOB_FINISH_SEGMENT ? await finalizerOutcome(jobState, file) : (jobState?.steps[stepKey] ?? jobState?.status ?? NOT_RECORDED);
      const place = segment === JOB_FINISH_SEGMENT ? "finish" : segment === JOB_SUMMARY_SEGMENT ? "summary" : undefined;
      items.push({ segment, stepKey, file, status, ...(place ? { place } : {}) });
    }
    const stepsLogged = new Set(items.filter((item) => !item.place).map((item) => item.stepKey));
    // A job or step asked for by name: its steps that printed nothing are listed too (`completed, no output`).
    // Steps whose logs could not be looked for are not called `no output`.
    const silentSteps = notFolder === undefined && (filter.step !== undefined || filter.job !== undefined);
    const noLog = withoutLog(jobState, stepsLogged, items.some((item) => item.place === "finish"), silentSteps);
    // A step of a job whose folder was not read may have printed: its log is not shown, not known to be empty.
    items.push(...(notFolder === undefined ? noLog : noLog.map((item) => ({ ...item, unreadable: "log not shown" }))));
    for (const item of await inRunOrder(items, stepOrder?.get(canonicalJobId(jobId)))) {
      // Whichever step is asked for, its log is behind what stands in the job's folder.
      if (!stepWanted(item) && item.segment !== NOT_A_FOLDER_SEGMENT) continue;
      // A step's error is what --failed is for, even on a step the cancel left unstarted (`skipped`).
      if (filter.failed && item.status !== "failed" && item.error === undefined) continue;
      // A run that is over (status.ts runIsOver) left its `running` steps interrupted: nothing runs them any more.
      const status = options.runOver && item.status === "running" ? "interrupted" : item.status;
      out.push({ jobId, stepKey: item.stepKey, file: item.file, status, ...(item.error !== undefined ? { error: item.error } : {}), ...(item.unreadable ? { unreadable: item.unreadable } : {}) });
    }
  }
  return out;
}

/**
 * Which entries `--step` selects: a step whose key it is, or a part of one (`dock` finds `dockimg`) — unless it
 * is the whole key of a step of the jobs listed (`keys`): then only that step, not `dockimg` beside `dock`.
 */
function stepMatcher(step: string | undefined, keys: readonly string[]): (item: { segment: string; stepKey: string }) => boolean {
  if (step === undefined) return () => true;
  if (keys.includes(step)) return (item) => item.stepKey === step;
  return (item) => item.segment === safeSegment(step) || item.stepKey.includes(step);
}

/**
 * The record's `logs/` is a real folder, or missing: a symbolic link there had `orun logs` print the logs of
 * wherever it led, and a file there passed for a run whose steps printed nothing.
 */
async function assertLogsFolder(logsDir: string): Promise<void> {
  const info = await lstat(logsDir).catch(() => undefined);
  if (!info || info.isDirectory()) return;
  throw new OrunError(`cannot read the step logs: ${info.isSymbolicLink() ? "it is a symbolic link" : "it is not a folder"}, not the record's logs folder`, {
    location: { file: logsDir },
  });
}

/** The entry of a job whose logs folder is something else (a file, a link): no step's log name (those end `.log`). */
const NOT_A_FOLDER_SEGMENT = "~not-a-folder";

/** What stands in a job's logs folder's place, as a message names it. */
function notAFolder(entry: Dirent): string {
  return entry.isSymbolicLink() ? "a symbolic link" : entry.isFile() ? "a file" : "a FIFO, socket or device";
}

/**
 * The label of a log whose job the record's state does not hold (state.json missing, or the job not in it): the
 * step is never called completed without a record saying so.
 */
const NOT_RECORDED = "status not recorded";

/** A log file, or what stands in for a log the record does not have (no `file`), before it is placed in run order. */
interface RecordItem {
  segment: string;
  stepKey: string;
  file?: string;
  status: string;
  error?: string;
  unreadable?: string;
  /** Where a job's own entry goes (a step's goes by the plan's order): before the steps, or after them. */
  place?: JobPlace;
}

/** Step states a step without a log can be shown in (`completed, no output`): not one still to run or running. */
const ENDED_SILENTLY: ReadonlySet<string> = new Set(["completed", "skipped"]);

/** A job's own entries, in the order they are shown around its steps. */
const JOB_PLACES = ["start", "error", "finish", "summary"] as const;
type JobPlace = (typeof JOB_PLACES)[number];

/**
 * The entries a job's record holds no log for (`logged`: the step keys that have one): every step recorded
 * failed, the step the job's error names (`step <key>: …`), and the job's own error when it names no step.
 * `silentSteps` (a job or step asked for by name): also a step that completed or was skipped without printing,
 * so `orun logs --job X` shows every step it ran and `orun logs --step X` says so instead of "No logs match".
 */
function withoutLog(jobState: JobState | undefined, logged: Set<string>, finishLogged: boolean, silentSteps = false): RecordItem[] {
  if (!jobState) return [];
  const lastError = jobState.status === "failed" ? jobState.lastError : undefined;
  const keys = Object.keys(jobState.steps);
  // The longest key the error starts with: a key may itself hold `: ` (a step named by its `use:`).
  const named = lastError === undefined ? undefined : keys.filter((key) => lastError.startsWith(`step ${key}: `)).sort((a, b) => b.length - a.length)[0];
  const items: RecordItem[] = keys
    .filter((key) => !logged.has(key) && (jobState.steps[key] === "failed" || key === named || (silentSteps && ENDED_SILENTLY.has(jobState.steps[key]!))))
    .map((key) => ({ segment: safeSegment(key), stepKey: key, status: jobState.steps[key]!, ...(key === named ? { error: lastError } : {}) }));
  if (lastError === undefined || named !== undefined) return items;
  if (lastError.startsWith("job finalizer: ")) {
    // The finalizer's log says what failed in it (the runner prints its errors there).
    if (!finishLogged) items.push({ segment: JOB_FINISH_SEGMENT, stepKey: "job finish", status: "failed", error: lastError, place: "finish" });
  } else if (lastError.startsWith("start job: ")) {
    items.push({ segment: "~start", stepKey: "job start", status: "failed", error: lastError, place: "start" });
  } else {
    items.push({ segment: "~job", stepKey: "job", status: "failed", error: lastError, place: "error" });
  }
  return items;
}

/**
 * How the runner's job finalizer (post hooks) ended, which its log is labelled with: failed when the job's error
 * is the finalizer's, or — the job having failed first, so its error is another's — when the log shows a post
 * hook's error (the runner ends such logs with a `✗ <error>` line per failed hook).
 */
async function finalizerOutcome(jobState: JobState | undefined, file: string): Promise<string> {
  if (!jobState || jobState.status !== "failed") return jobState?.status ?? NOT_RECORDED;
  if (jobState.lastError?.startsWith("job finalizer: ")) return "failed";
  let failed = false;
  // The start of the line being read: only a line's start is looked at, however long the line.
  let head = "";
  await readPieces(file, false, (text) => {
    const parts = String(text).split("\n");
    for (let i = 0; i < parts.length; i++) {
      if (i > 0) {
        failed ||= head.startsWith(FAILED_HOOK_MARK);
        head = "";
      }
      if (head.length < FAILED_HOOK_MARK.length) head += parts[i]!.slice(0, FAILED_HOOK_MARK.length - head.length);
    }
  });
  return failed || head.startsWith(FAILED_HOOK_MARK) ? "failed" : "completed";
}

/** How the github-actions runner marks a failed post hook in the job finish log (src/runners/github-actions/index.ts). */
const FAILED_HOOK_MARK = "✗ ";

/**
 * A job's entries in the order its steps ran: by `order` (the plan's), else as their logs were written; an error
 * from starting the job first, the job's other error and its own logs (finalizer, summary) last.
 */
async function inRunOrder(items: RecordItem[], order: string[] | undefined): Promise<RecordItem[]> {
  const unplacedRank = order?.length ?? 0;
  const rank = (item: RecordItem): number => {
    if (item.place === "start") return -1;
    if (item.place) return Number.MAX_SAFE_INTEGER - JOB_PLACES.length + JOB_PLACES.indexOf(item.place);
    const at = order?.indexOf(item.stepKey) ?? -1;
    return at >= 0 ? at : unplacedRank;
  };
  // Without a plan (or for a log the plan does not name), the order the logs were created in (at a step's first
  // output) — as fine as the kernel's file times, a clock tick: logs begun within one tick go by name. An entry
  // with no log has no such time: it follows the logs.
  const unplaced = items.filter((item) => rank(item) === unplacedRank);
  const born = new Map(await Promise.all(unplaced.map(async (item) => [item, item.file === undefined ? Infinity : await createdAt(item.file)] as const)));
  return [...items].sort((a, b) => rank(a) - rank(b) || (born.get(a) ?? 0) - (born.get(b) ?? 0) || a.segment.localeCompare(b.segment));
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
 * `raw`: the logs' bytes as recorded (invalid UTF-8 included), without header lines: one log is printed exactly (`orun logs --job X --step Y
 * --raw > out.txt`); between several, a log that did not end its last line gets a newline, so none are glued.
 * Each log is streamed in pieces: read whole, a log of a gigabyte needed as much memory, and past V8's longest
 * string (about 1 GiB) `orun logs` failed.
 */
export async function printLogs(entries: LogEntry[], write: (chunk: string | Buffer) => void, options: { raw?: boolean; note?: (text: string) => void } = {}): Promise<void> {
  let unterminated = false;
  for (const entry of entries) {
    if (entry.file === undefined) {
      // Not a log: under --raw (the logs' bytes only) it goes to `note` (stderr).
      if (!options.raw) write(`── ${entryKey(entry)}  (${printable(entry.status)}, ${noLogNote(entry)})\n${errorLine(entry)}`);
      else options.note?.(`${entryKey(entry)}: ${errorLine(entry) || `${printable(entry.status)}, ${noLogNote(entry)}\n`}`);
      continue;
    }
    if (!options.raw) write(`── ${entryKey(entry)}  (${printable(entry.status)})\n`);
    let started = false;
    let endsLine = true;
    await readPieces(entry.file, options.raw === true, (piece) => {
      if (piece.length === 0) return;
      if (!started && options.raw && unterminated) write("\n");
      started = true;
      write(piece);
      endsLine = endsWithNewline(piece);
    });
    if (options.raw) unterminated = started ? !endsLine : unterminated;
    else if (!endsLine) write("\n");
  }
}

/**
 * `<job> › <step>` as a header shows it: the IDs come from the record (state.json, a journal, folder and file
 * names), which may come from anywhere, so a control or bidi character in one is shown as `\u{hex}` rather than
 * reaching the terminal (as `orun status` shows them, src/util/printable.ts).
 */
function entryKey(entry: LogEntry): string {
  return `${printable(entry.jobId)} › ${printable(entry.stepKey)}`;
}

/** Step states a followed log's header names, as `orun logs` does: a step still running has none yet. */
const ENDED: ReadonlySet<string> = new Set(["completed", "failed", "skipped", "interrupted"]);

/** `--follow`'s header note for a log: its step's status once it has ended (a finished run's are all ended). */
function endedNote(entry: LogEntry): string {
  return ENDED.has(entry.status) ? `  (${entry.status})` : "";
}

/** What an entry without a log says in its place: `no output`, or why the log there is not shown (its path escaped). */
function noLogNote(entry: LogEntry): string {
  return entry.unreadable === undefined ? "no output" : printable(entry.unreadable);
}

/**
 * The job's recorded error as printed in place of a log, on one line (control characters shown as `\u{hex}`); nothing
 * for a step that failed with no output when the error is another's.
 */
function errorLine(entry: LogEntry): string {
  if (entry.error === undefined) return "";
  return `error: ${printable(describedError(entry.error))}\n`;
}

function endsWithNewline(piece: string | Buffer): boolean {
  return typeof piece === "string" ? piece.endsWith("\n") : piece[piece.length - 1] === 0x0a;
}

/**
 * A log piece by piece: its bytes as they are when `raw`, else its text (characters never split between
 * pieces); an unreadable or vanished log reads as empty.
 */
async function readPieces(file: string, raw: boolean, take: (piece: string | Buffer) => void): Promise<void> {
  const handle = await open(file, "r").catch(() => undefined);
  if (!handle) return;
  try {
    const decoder = new StringDecoder("utf8");
    const buffer = Buffer.alloc(FOLLOW_CHUNK);
    for (let position = 0; ; ) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position).catch(() => ({ bytesRead: 0 }));
      if (bytesRead === 0) break;
      position += bytesRead;
      const piece = buffer.subarray(0, bytesRead);
      // Bytes are copied: the writer may still hold them (a stream's queue) when the buffer is read into again.
      take(raw ? Buffer.from(piece) : decoder.write(piece));
    }
    if (!raw) take(decoder.end());
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
  write: (chunk: string | Buffer) => void,
  isDone: () => Promise<boolean>,
  options: { intervalMs?: number; signal?: AbortSignal; raw?: boolean; note?: (text: string) => void } = {},
): Promise<void> {
  const followed = new Map<string, FollowedFile>();
  let current = "";
  // Output is copied as it arrives, partial lines included: a header or the end starts a fresh line.
  let atLineStart = true;
  const emit = (piece: string | Buffer): void => {
    if (piece.length === 0) return;
    write(piece);
    atLineStart = endsWithNewline(piece);
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
        const key = entryKey(entry);
        // Shown once — and again should the job's error turn out to be this step's (it is recorded as the job ends).
        const shown = `${entry.jobId}\0${entry.stepKey}\0${entry.status}\0${entry.error ?? ""}`;
        if (errorsShown.has(shown)) continue;
        errorsShown.add(shown);
        if (options.raw) options.note?.(`${key}: ${errorLine(entry) || `${printable(entry.status)}, ${noLogNote(entry)}\n`}`);
        else {
          header(key, `  (${printable(entry.status)}, ${noLogNote(entry)})`);
          emit(errorLine(entry));
        }
        continue;
      }
      const handle = await open(entry.file, "r").catch(() => undefined);
      if (!handle) continue;
      try {
        const info = await handle.stat();
        const key = entryKey(entry);
        let file = followed.get(entry.file);
        // A job that runs again (a resumed or retried execution) starts a new log file in place of the old one;
        // a log truncated in place starts over too. Either way it is shown again from its start.
        const replaced = file !== undefined && (file.ino !== info.ino || file.birthtimeMs !== info.birthtimeMs || info.size < file.offset);
        if (!file || replaced) {
          if (file?.decoder) emit(file.decoder.end());
          if (file?.held) emit(file.held);
          file = { ino: info.ino, birthtimeMs: info.birthtimeMs, offset: 0 };
          followed.set(entry.file, file);
          if (replaced) header(key, "  (written again: the job ran again)");
        }
        for (let from = file.offset; from < info.size; ) {
          const buffer = Buffer.alloc(Math.min(info.size - from, FOLLOW_CHUNK));
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
          if (bytesRead === 0) break;
          if (key !== current) header(key, endedNote(entry));
          // --raw copies the bytes as they are; otherwise a character split between two reads waits for its other bytes.
          if (options.raw) {
            // Bytes as they are, but a character's first bytes wait for the rest (a terminal shows it whole).
            const data = file.held ? Buffer.concat([file.held, buffer.subarray(0, bytesRead)]) : buffer.subarray(0, bytesRead);
            const whole = data.length - incompleteCharacter(data);
            emit(data.subarray(0, whole));
            file.held = whole < data.length ? Buffer.from(data.subarray(whole)) : undefined;
          } else {
            file.decoder ??= new StringDecoder("utf8");
            emit(file.decoder.write(buffer.subarray(0, bytesRead)));
          }
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
  for (const file of followed.values()) {
    emit(file.decoder?.end() ?? "");
    if (file.held) emit(file.held);
  }
  if (!atLineStart && !options.raw) write("\n");
}

/** One log file as `followLogs` has read it: which file it was (a job that runs again makes a new one) and how far. */
interface FollowedFile {
  ino: number;
  birthtimeMs: number;
  offset: number;
  decoder?: StringDecoder;
  /** --raw: the first bytes of a UTF-8 character whose rest the log has not got yet. */
  held?: Buffer;
}


/** `orun logs` reads a log (and `--follow` what a log gained) this much at most at a time. */
const FOLLOW_CHUNK = 1 << 20;

export { incompleteCharacter };
