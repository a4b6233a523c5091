// `orun run --background`: the parent locks and creates the execution record,
// then re-executes this binary detached with the same arguments (minus
// --background, with the pinned --exec-id), output going to run.log. The
// lock passes from parent to child without ever being free, so neither a
// second run nor `orun gc` can slip in during the hand-off.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
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
   * With --json, for a record this start made: called once the child said it was refused (the parent prints the
   * refusal). Removes the record if it holds nothing but that refusal (discardRefusedRecord). True when it went.
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
        env: { ...process.env, [BACKGROUND_CHILD_ENV]: dir, ORUN_EXEC_ID: execId, ORUN_NO_COLOR: "1", ...(options.json ? { [BACKGROUND_STARTUP_FD_ENV]: String(STARTUP_FD) } : {}) },
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
  const discardRefused = options.json && opened.created ? () => discardRefusedRecord(store, execId, child!, exited!, latestBefore, opened.madeStoreFolder) : undefined;
  return { execId, pid, logFile, ...(options.json ? { summaryFile: path.join(dir, SUMMARY_FILE) } : {}), ...(startup ? { startup } : {}), ...(discardRefused ? { discardRefused } : {}) };
}

/** How long a refused child may take to exit before its record is kept after all (it writes nothing more there). */
const REFUSED_CHILD_EXIT_MS = 10_000;

/**
 * A `--background --json` start whose child was refused before its run began (a --job whose dependencies are not
 * done, a plan that no longer compiles): the parent has printed the refusal, so a new record holding only that (its
 * failed metadata, run.log, pid) is noise — it would be what `orun status` and `latest` show instead of the last run
 * that ran. Once the child has exited, the record goes and `latest` points back where it did. A record a run wrote
 * (state.json or manifest.json: its runner refused after it opened the record) is kept, as is one whose child has not
 * exited in time.
 */
async function discardRefusedRecord(store: ExecutionStore, execId: string, child: ChildProcess, exited: Promise<unknown>, latestBefore: string | undefined, madeStoreFolder: string | undefined): Promise<boolean> {
  // Unref'd while it runs on alone: waited for here, it must keep this process alive until it exits.
  child.ref();
  let timer: NodeJS.Timeout | undefined;
  const gone = await Promise.race([exited.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), REFUSED_CHILD_EXIT_MS)))]);
  clearTimeout(timer);
  child.unref();
  if (!gone) return false;
  const dir = store.execDir(execId);
  if ((await exists(path.join(dir, "state.json"))) || (await exists(path.join(dir, "manifest.json")))) return false;
  // `latest` first: executions/ made by this start must be empty for discardRecord to remove it.
  await store.unpointLatest(execId, latestBefore);
  await store.discardRecord(execId, madeStoreFolder);
  return true;
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
 * (BACKGROUND_ERROR_FILE), as a refused foreground resume leaves the record untouched. Under --json the parent,
 * which prints the refusal, then removes a new record that holds only it (discardRefusedRecord).
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
