// `orun run --background`: the parent locks and creates the execution record,
// then re-executes this binary detached with the same arguments (minus
// --background, with the pinned --exec-id), output going to run.log. The
// lock passes from parent to child without ever being free, so neither a
// second run nor `orun gc` can slip in during the hand-off.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { open, readFile, rename, rm, stat, utimes } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { toJson, writeFileAtomic } from "./fs-atomic.js";
import { BACKGROUND_ERROR_FILE, exists, pendingBackgroundPid, recordUser, type BackgroundError, type ExecutionStore, type RunMetadata } from "./records/store.js";

/** Set for the detached child only; its value is the execution record's folder. */
export const BACKGROUND_CHILD_ENV = "ORUN_BACKGROUND_CHILD";
/**
 * Set for a `--background --json` child: the descriptor of a pipe its parent reads until the run has started (the
 * child closes it) or the child was refused (it writes the error there first; see src/cli/background-startup.ts).
 */
export const BACKGROUND_STARTUP_FD_ENV = "ORUN_BACKGROUND_STARTUP_FD";
/**
 * Set for a child whose exec-id this start generated (none was given): pinned with --exec-id, it would read as the
 * user's, and a refusal would tell them to run their own command again, which generates another.
 */
export const BACKGROUND_GENERATED_ID_ENV = "ORUN_BACKGROUND_GENERATED_ID";
const STARTUP_FD = 3;

/** Arguments for the child: drop --background/--bg and any --exec-id, then pin ours. */
export function backgroundChildArgs(args: readonly string[], execId: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--background" || arg === "--bg") continue;
    if (arg === "--exec-id") {
      i++;
      continue;
    }
    if (arg.startsWith("--exec-id=")) continue;
    out.push(arg);
  }
  return [...out, "--exec-id", execId];
}

export interface BackgroundRun {
  execId: string;
  pid: number;
  logFile: string;
  /** With --json: where the run's JSON summary ends up (its messages go to run.log). */
  summaryFile?: string;
  /** With --json: what the child writes before its run starts (nothing, or why it was refused), read to its end. */
  startup?: Promise<string>;
  /**
   * With --json: called once the child said it was refused (the parent prints the refusal). Takes back what this start
   * wrote (discardRefusedStart): a record it made goes, an existing one loses the pid file (and a run.log this start
   * made). True when that was done.
   */
  discardRefused?: () => Promise<boolean>;
}

/**
 * Opens the record (`execId`, else a generated one: BackgroundRun.execId) and starts the child on it. Refuses
 * (OrunError, nothing written) when a live run holds the exec-id's lock.
 */
export async function startBackground(
  store: ExecutionStore,
  wanted: string | undefined,
  generate: () => string,
  cliArgs: readonly string[],
  cwd: string,
  options: { json?: boolean } = {},
): Promise<BackgroundRun> {
  // Held until the child owns it: the child adopts a lock its parent marked for hand-off.
  const opened = await store.openRecord(wanted, generate, { handoff: true });
  const { lock, execId } = opened;
  const dir = store.execDir(execId);
  let pid: number;
  let startup: Promise<string> | undefined;
  const logFile = path.join(dir, "run.log");
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> | undefined;
  // What `latest` named before this start pointed it at its new record: where a discarded one points it back.
  const latestBefore = opened.created ? await store.latestTarget() : undefined;
  // What an existing record's start-up files were, for a refused start to put back (discardRefusedStart).
  const before = opened.created ? undefined : await startupFilesOf(dir, logFile);
  try {
    await store.create(execId);
    // An earlier child's start-up failure is not this one's.
    await rm(path.join(dir, BACKGROUND_ERROR_FILE), { force: true });
    // Never through a symbolic link left in the record (it would append to, or truncate, the file it names).
    const fd = openSync(logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
    // A --json summary must stay parseable: warnings (stderr) go to run.log, the summary to its own file —
    // written beside it and put in place when the run ends (publishSummary), so a refused start keeps the last one.
    const out = options.json ? openSync(path.join(dir, `${SUMMARY_FILE}${PARTIAL}`), constants.O_WRONLY | constants.O_TRUNC | constants.O_CREAT | constants.O_NOFOLLOW, 0o644) : fd;
    try {
      const started = spawn(process.execPath, [process.argv[1]!, ...backgroundChildArgs(cliArgs, execId)], {
        cwd,
        detached: true,
        stdio: ["ignore", out, fd, ...(options.json ? (["pipe"] as const) : [])],
        env: { ...process.env, [BACKGROUND_CHILD_ENV]: dir, ORUN_EXEC_ID: execId, ORUN_NO_COLOR: "1", ...(wanted === undefined ? { [BACKGROUND_GENERATED_ID_ENV]: "1" } : {}), ...(options.json ? { [BACKGROUND_STARTUP_FD_ENV]: String(STARTUP_FD) } : {}) },
      });
      if (started.pid === undefined) {
        // spawn failed synchronously enough to have no pid: the error event says why.
        throw await new Promise<Error>((resolve) => started.once("error", resolve));
      }
      child = started;
      exited = new Promise((resolve) => started.once("exit", resolve));
      started.unref();
      pid = started.pid;
      const pipe = started.stdio[STARTUP_FD];
      if (options.json && pipe instanceof Readable) startup = readToEnd(pipe);
    } finally {
      closeSync(fd);
      if (out !== fd) closeSync(out);
    }
  } catch (err) {
    // A child that never started leaves no record of its own behind.
    if (opened.created) await store.discardRecord(execId).catch(() => undefined);
    await lock.release();
    throw err;
  }
  await lock.handOver(pid);
  await writeFileAtomic(path.join(dir, "pid"), `${pid}\n`);
  const made = before ? { pid, before } : { latestBefore, madeStoreFolder: opened.madeStoreFolder };
  const discardRefused = options.json ? () => discardRefusedStart(store, execId, child!, exited!, made) : undefined;
  return { execId, pid, logFile, ...(options.json ? { summaryFile: path.join(dir, SUMMARY_FILE) } : {}), ...(startup ? { startup } : {}), ...(discardRefused ? { discardRefused } : {}) };
}

/** How long a refused child may take to exit before its record is kept after all (it writes nothing more there). */
const REFUSED_CHILD_EXIT_MS = 10_000;

/** An existing record's run.log size and pid file (its text and times) before a start changed them. */
interface StartupFiles {
  logFile: string;
  logSize: number | undefined;
  pidText: string | undefined;
  /** In seconds, as `utimes` takes them (a Date would drop what lies below the millisecond). */
  pidTimes: { atime: number; mtime: number } | undefined;
  /** An earlier start's failure (BACKGROUND_ERROR_FILE), which every start removes: status reads the record by it. */
  errorText: string | undefined;
}

async function startupFilesOf(dir: string, logFile: string): Promise<StartupFiles> {
  const pidFile = path.join(dir, "pid");
  const [log, pidInfo, pidText, errorText] = await Promise.all([
    stat(logFile).catch(() => undefined),
    stat(pidFile).catch(() => undefined),
    readFile(pidFile, "utf8").catch(() => undefined),
    readFile(path.join(dir, BACKGROUND_ERROR_FILE), "utf8").catch(() => undefined),
  ]);
  return { logFile, logSize: log?.size, pidText, pidTimes: pidInfo && { atime: pidInfo.atimeMs / 1000, mtime: pidInfo.mtimeMs / 1000 }, errorText };
}

/**
 * A `--background --json` start whose child was refused before its run began (a --job whose dependencies are not
 * done, a plan that no longer compiles, another plan's execution): the parent prints the refusal and the child, told
 * so through the start-up pipe, wrote no failure to the record. What this start wrote is taken back once the child
 * has exited. A new record (its run.log, pid) goes and `latest` points back where it did — unless a run wrote in it
 * (state.json or manifest.json: its runner refused after it opened the record). An existing record (a refused
 * resume) gets its run.log, pid file and an earlier start's failure back as they were: a pid file naming the refused child would read as a child
 * still starting (pendingBackgroundChild compares its time with metadata.json's, so that is put back too). Nothing
 * is taken back while the child has not exited in time.
 */
async function discardRefusedStart(
  store: ExecutionStore,
  execId: string,
  child: ChildProcess,
  exited: Promise<unknown>,
  made: { latestBefore: string | undefined; madeStoreFolder: string | undefined } | { pid: number; before: StartupFiles },
): Promise<boolean> {
  // Unref'd while it runs on alone: waited for here, it must keep this process alive until it exits.
  child.ref();
  let timer: NodeJS.Timeout | undefined;
  const gone = await Promise.race([exited.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), REFUSED_CHILD_EXIT_MS)))]);
  clearTimeout(timer);
  child.unref();
  if (!gone) return false;
  const dir = store.execDir(execId);
  if ("pid" in made) {
    const { logFile, logSize, pidText, pidTimes, errorText } = made.before;
    const pidFile = path.join(dir, "pid");
    // Only while the pid file is this start's: a later start's names its own child.
    if ((await readFile(pidFile, "utf8").catch(() => "")).trim() === String(made.pid)) {
      if (pidText === undefined) await rm(pidFile, { force: true });
      else {
        await writeFileAtomic(pidFile, pidText);
        if (pidTimes) await utimes(pidFile, pidTimes.atime, pidTimes.mtime);
      }
      // The refused child wrote no failure of its own (see above): the earlier start's is the record's again.
      if (errorText !== undefined) await writeFileAtomic(path.join(dir, BACKGROUND_ERROR_FILE), errorText);
    }
    if (logSize === undefined) await rm(logFile, { force: true });
    else await truncateOwnFile(logFile, logSize).catch(() => undefined);
    return true;
  }
  if ((await exists(path.join(dir, "state.json"))) || (await exists(path.join(dir, "manifest.json")))) return false;
  // `latest` first: executions/ made by this start must be empty for discardRecord to remove it.
  await store.unpointLatest(execId, made.latestBefore);
  await store.discardRecord(execId, made.madeStoreFolder);
  return true;
}

/** Cuts `file` back to `size`: never through a symbolic link left in the record (as run.log is opened). */
async function truncateOwnFile(file: string, size: number): Promise<void> {
  const handle = await open(file, constants.O_WRONLY | constants.O_NOFOLLOW);
  try {
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
}

/** All a pipe gives until its writer closes it (or exits); a read error ends it like the end of input. */
function readToEnd(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (text += chunk));
    stream.on("error", () => resolve(text));
    stream.on("end", () => resolve(text));
  });
}

const PARTIAL = ".partial";
/** Where a `--background --json` run's summary ends up in its record. */
export const SUMMARY_FILE = "summary.json";

/**
 * In the detached child as it ends: what it printed (its --json summary, see startBackground) replaces the
 * record's previous summary; a child that printed nothing (refused before its run) leaves that in place.
 */
export async function publishSummary(recordDir: string): Promise<void> {
  const partial = path.join(recordDir, `${SUMMARY_FILE}${PARTIAL}`);
  const printed = (await stat(partial).catch(() => undefined))?.size ?? 0;
  if (printed > 0) await rename(partial, path.join(recordDir, SUMMARY_FILE)).catch(() => undefined);
  else await rm(partial, { force: true });
}

/**
 * The detached child failed before its run wrote the record's metadata (the plan no longer compiles, the
 * runner refuses it, a --job whose dependencies are not done…): nobody is watching its terminal, so the
 * record says so — `orun status` shows the error and `status --watch` / `logs --follow` end instead of
 * waiting for a run that never starts. A new record gets failed metadata; an earlier run's metadata (a
 * resume in the background) is left exactly as that run closed it, and the failure goes beside it
 * (BACKGROUND_ERROR_FILE), as a refused foreground resume leaves the record untouched. Not called under --json when
 * the parent was told the refusal (it prints it, and takes back what its start wrote: discardRefusedStart).
 */
export async function recordBackgroundFailure(recordDir: string, execId: string, error: string): Promise<void> {
  if (path.basename(recordDir) !== execId) return;
  const file = path.join(recordDir, "metadata.json");
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  if (await exists(file)) {
    // This child's own run wrote metadata (and closed it), or an earlier run's is there to keep.
    if ((await pendingBackgroundPid(recordDir)) === undefined) return;
    const failure: BackgroundError = { pid: process.pid, error, at: now };
    await writeFileAtomic(path.join(recordDir, BACKGROUND_ERROR_FILE), toJson(failure)).catch(() => undefined);
    return;
  }
  const meta: RunMetadata = {
    planId: "",
    planName: "",
    jobTotal: 0,
    jobDone: 0,
    jobFailed: 0,
    execId,
    startedAt: now,
    finishedAt: now,
    status: "failed",
    trigger: "background",
    user: recordUser(),
    dryRun: false,
    pid: process.pid,
    error,
  };
  await writeFileAtomic(file, toJson(meta)).catch(() => undefined);
}
