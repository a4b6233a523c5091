// The execution record store: `.orun/executions/<exec-id>/` with
// manifest.json (the plan), metadata.json, state.json and
// logs/<job>/<step>.log, plus the `latest` symlink. Finding, creating and migrating records lives here; what goes
// into them is decided by the runtime.
import { mkdir, readdir, rename, rm, rmdir, symlink, lstat, readlink, stat, writeFile } from "node:fs/promises";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import os from "node:os";
import type { Plan } from "../../model/plan.js";
import { OrunError, fileSystemReason, ownershipHint } from "../../util/errors.js";
import { MAX_TEXT_FILE_BYTES, jsonErrorWithoutExcerpt, readOwnFile, readOwnFileText } from "../../util/fs-read.js";
import { safeSegment } from "../ids.js";
import { toJson, writeFileAtomic } from "../fs-atomic.js";
import { parseState, serializeState, unknownStatus, type ExecState } from "./state.js";
import { readRecordFile } from "./read-record.js";
import { acquireExecLock, lockAssembledRecord, ownerAlive, type ExecLock } from "./lock.js";
import { warnOnStderr } from "../../util/warning.js";
import { printable } from "../../util/printable.js";
import { isRecordedWords, type RecordedWord } from "../resume-words.js";

/** A new record being assembled in executions/ (openRecord); skipped by readers, swept by gc when left by a crash. */
export const ASSEMBLING_SUFFIX = ".new.tmp";
/** A record being removed in executions/ (gc, a refused new run); skipped by readers, swept by gc when left by a crash. */
export const DISCARDED_SUFFIX = ".gc.tmp";

/** The name of a record folder this process sets aside in executions/: `<id>.<pid>.<8 hex><suffix>`. */
export function setAsideName(execId: string, suffix: typeof ASSEMBLING_SUFFIX | typeof DISCARDED_SUFFIX): string {
  return `${execId}.${process.pid}.${randomBytes(4).toString("hex")}${suffix}`;
}

/** Whether `name` is a folder setAsideName made with `suffix`, by process `pid` when given (else by any). */
export function isSetAsideName(name: string, suffix: typeof ASSEMBLING_SUFFIX | typeof DISCARDED_SUFFIX, pid?: number): boolean {
  return new RegExp(`\\.${pid ?? "\\d+"}\\.[0-9a-f]{8}${suffix.replace(/\./g, "\\.")}$`).test(name);
}

export interface OpenedRecord {
  execId: string;
  lock: ExecLock;
  /** The record did not exist before this run. */
  created: boolean;
  /** The outermost folder made on the way to executions/ (`.orun`, say), when it was missing: discardRecord removes it if left empty. */
  madeStoreFolder?: string;
}

/** How many candidates an ambiguous exec-id prefix lists. */
const AMBIGUOUS_SHOWN = 10;

/** File-name segment of a job summary in logs/<job>/ (never produced by safeSegment for a step key). */
export const JOB_SUMMARY_SEGMENT = "~summary";
/** File-name segment of what the runner printed when it finished the job (post hooks), in logs/<job>/. */
export const JOB_FINISH_SEGMENT = "~finish";

/** `incomplete`: the last run ended with nothing failed but jobs of the plan still to run (a scoped run, a reopened job). */
export type RunStatus = "running" | "completed" | "failed" | "incomplete";
const RUN_STATUSES: readonly string[] = ["running", "completed", "failed", "incomplete"] satisfies RunStatus[];

export interface RunMetadata {
  execId: string;
  planId: string;
  planName: string;
  planChecksum?: string;
  /** Source revision of the plan (promotion-gate evidence). */
  revision?: string;
  startedAt: string;
  finishedAt?: string;
  status: RunStatus;
  trigger: "cli" | "background";
  user: string;
  runner?: string;
  dryRun: false;
  pid?: number;
  jobTotal: number;
  jobDone: number;
  jobFailed: number;
  jobSkipped?: number;
  jobBlocked?: number;
  links?: { label: string; url: string; jobId?: string; stepId?: string }[];
  /** Why the run stopped before finishing its jobs (a runner that could not start, a plan refused…). */
  error?: string;
  /** Under remote state: the backend's run ID this record is one runner's part of (status/logs read it by default). */
  remoteRunId?: string;
  /** Under remote state: the backend's URL (never its password), which the commands status prints repeat. */
  remoteBackendUrl?: string;
  /**
   * The command that carries the run on if its process dies (SIGKILL, OOM, a killed CI job), written when it starts:
   * off remote state the resume its summary would print (plan, scope, runner flags); under it the runner's own
   * command in the remote run (its `--job` slice, runner flags). Records of an older orun have none. A local run's
   * names the paths inside the record's root (the folder holding `.orun`) relative to it: the command as typed there.
   */
  resumeCommand?: string;
  /**
   * A local run's resume command as words, its paths inside the record's root relative to it: `orun status` prints
   * them under where the root is now, so the command still resumes this record once the repository has moved
   * (resume-words.ts). Records of an older orun have none: their `resumeCommand` is printed as it is.
   */
  resumeWords?: RecordedWord[];
  /**
   * Jobs this run blocked for want of --approve (a policy's requireApproval) and the command that approves and runs
   * them, as the run's summary offered it: `orun status` offers it too.
   */
  approval?: RecordedApproval;
}

/** RunMetadata.approval: `command` as typed at the record's root, `words` its paths relative to it (as resumeWords). */
export interface RecordedApproval {
  blocked: string[];
  command: string;
  words: RecordedWord[];
  alsoApproves?: string[];
}

/** A metadata.json that is not JSON at all (readMetadataLeniently reads it as missing). */
class UnparsableMetadataError extends OrunError {
  constructor(readonly reason: string, file: string) {
    super(`corrupt execution metadata: ${reason}`, { location: { file } });
  }
}

/** The `user` a record names: the account running orun. */
export function recordUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}

export class ExecutionStore {
  /** `<root>/.orun` */
  readonly orunDir: string;
  readonly executionsDir: string;

  /** Where the store reports problems it works around (stderr unless given). */
  private readonly warn: (message: string) => void;

  constructor(readonly rootDir: string, options: { warn?: (message: string) => void } = {}) {
    this.orunDir = path.join(rootDir, ".orun");
    this.executionsDir = path.join(this.orunDir, "executions");
    this.warn = options.warn ?? warnOnStderr;
  }

  execDir(execId: string): string {
    return path.join(this.executionsDir, execId);
  }
  stateFile(execId: string): string {
    return path.join(this.execDir(execId), "state.json");
  }
  metadataFile(execId: string): string {
    return path.join(this.execDir(execId), "metadata.json");
  }
  /** The plan this execution runs, rewritten at the start of every run. */
  manifestFile(execId: string): string {
    return path.join(this.execDir(execId), "manifest.json");
  }
  lockFile(execId: string): string {
    return path.join(this.execDir(execId), ".lock");
  }
  /** `--background` only: the detached child's pid. */
  pidFile(execId: string): string {
    return path.join(this.execDir(execId), "pid");
  }
  logsDir(execId: string): string {
    return path.join(this.execDir(execId), "logs");
  }
  jobLogDir(execId: string, jobId: string): string {
    return path.join(this.logsDir(execId), safeSegment(jobId));
  }
  stepLogFile(execId: string, jobId: string, stepKey: string): string {
    return path.join(this.jobLogDir(execId, jobId), `${safeSegment(stepKey)}.log`);
  }
  /**
   * Removes the logs of a job's earlier run (it runs again from empty logs). A folder orun cannot clear (made by
   * another user: a `sudo orun run`) is named with the reason; the run failed with Node's bare "EACCES: …, unlink".
   */
  async clearJobLogs(execId: string, jobId: string): Promise<void> {
    const dir = this.jobLogDir(execId, jobId);
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (err) {
      throw new OrunError(`cannot clear the logs of ${jobId}'s earlier run: ${fileSystemReason(err)}`, { location: { file: dir }, ...ownershipHint(err), cause: err });
    }
  }
  /**
   * Moves the logs of a job's earlier run out of the record, into a folder below `asideDir` (the run's scratch space), until
   * it is known whether the job runs again: `restore` puts them back (it did not), `discard` removes them — never
   * rejecting: logs it cannot remove are out of the record already, so the run goes on, with a warning naming them.
   * Undefined when the job has no logs. Refused as clearJobLogs is when the folder cannot be moved. `keep`: steps
   * (keys) whose logs stay where they are — a resume skips them (resumed-steps.ts), so their logs are still theirs.
   */
  async setAsideJobLogs(execId: string, jobId: string, asideDir: string, keep?: ReadonlySet<string>): Promise<{ restore(): Promise<void>; discard(): Promise<void> } | undefined> {
    const dir = this.jobLogDir(execId, jobId);
    const aside = path.join(asideDir, safeSegment(jobId));
    const kept = new Set([...(keep ?? [])].map((key) => path.basename(this.stepLogFile(execId, jobId, key))));
    try {
      await mkdir(asideDir, { recursive: true });
      // Left by a run of this record that died before it removed its scratch space.
      await rm(aside, { recursive: true, force: true });
      if (kept.size === 0) await rename(dir, aside);
      else {
        // File by file: a kept log never leaves the record, not even for a moment a crash could make last.
        const names = (await readdir(dir)).filter((name) => !kept.has(name));
        await mkdir(aside);
        const moved: string[] = [];
        try {
          for (const name of names) {
            await rename(path.join(dir, name), path.join(aside, name));
            moved.push(name);
          }
        } catch (err) {
          // Refused with the record as it was: the logs moved so far go back.
          for (const name of moved) await rename(path.join(aside, name), path.join(dir, name)).catch(() => undefined);
          throw err;
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" && !(await exists(dir))) return undefined;
      throw new OrunError(`cannot clear the logs of ${jobId}'s earlier run: ${fileSystemReason(err)}`, { location: { file: dir }, ...ownershipHint(err), cause: err });
    }
    return {
      restore: async () => {
        try {
          if (kept.size === 0) await rename(aside, dir);
          else for (const name of await readdir(aside)) await rename(path.join(aside, name), path.join(dir, name));
        } catch (err) {
          throw new OrunError(`cannot put back the logs of ${jobId}'s earlier run (the run was stopped before the job started): ${fileSystemReason(err)}`, { location: { file: aside }, cause: err });
        }
      },
      discard: async () => {
        try {
          await rm(aside, { recursive: true, force: true });
        } catch (err) {
          this.warn(`cannot remove the logs of ${jobId}'s earlier run, set aside in ${aside}: ${fileSystemReason(err)} (they are no longer part of the record)`);
        }
      },
    };
  }
  /** Output of the runner's job finalizer (post hooks, output of steps that never ran). */
  jobFinishFile(execId: string, jobId: string): string {
    return path.join(this.jobLogDir(execId, jobId), `${JOB_FINISH_SEGMENT}.log`);
  }
  /** The job's step summary (GITHUB_STEP_SUMMARY); `~` keeps it apart from every step's file name. */
  jobSummaryFile(execId: string, jobId: string): string {
    return path.join(this.jobLogDir(execId, jobId), `${JOB_SUMMARY_SEGMENT}.log`);
  }

  /**
   * Opens the record a run (or a `--background` parent) writes, holding its lock. An existing record (a
   * resume) is locked where it is. A new one is assembled under a temporary name that readers skip (its
   * `logs/` folder and this process's lock) and renamed into place, so a record folder is never visible
   * without its lock: `status --watch`, `logs --follow` and `gc` once saw a run's bare folder between its
   * mkdir and its lock, and took it for a finished or abandoned record. A generated ID never resumes an
   * existing record (same plan name, day and 3 random bytes): it would skip the jobs that record completed.
   */
  async openRecord(execId: string | undefined, generate: () => string, options: { handoff?: boolean } = {}): Promise<OpenedRecord> {
    const madeStoreFolder = await this.creatingRecords(() => mkdir(this.executionsDir, { recursive: true }));
    for (let attempt = 0; ; attempt++) {
      const id = execId ?? generate();
      if (!(await exists(this.execDir(id)))) {
        const lock = await this.creatingRecords(() => this.assembleRecord(id, options));
        if (lock) return { execId: id, lock, created: true, ...(madeStoreFolder ? { madeStoreFolder } : {}) };
      }
      if (attempt >= 100) throw new OrunError(`could not create execution ${id}: its name keeps being taken`, { location: { file: this.execDir(id) } });
      if (execId === undefined) continue;
      await this.assertRecordFolder(id);
      try {
        const lock = await acquireExecLock(this.lockFile(id), id, options);
        try {
          await this.ensureLogsFolder(id);
        } catch (err) {
          await lock.release();
          throw err;
        }
        await sweepDeadWriters(this.execDir(id));
        return { execId: id, lock, created: false };
      } catch (err) {
        // Removed (orun gc) between the look and the lock: made afresh on the next round.
        if (!(await exists(this.execDir(id)))) continue;
        throw err;
      }
    }
  }

  /**
   * Runs a step of making a record, a file-system error naming executions/ (it named the temporary folder of a
   * record being assembled: "EACCES: permission denied, mkdir '…/<id>.<pid>.<hex>.new.tmp'").
   */
  private async creatingRecords<T>(make: () => Promise<T>): Promise<T> {
    try {
      return await make();
    } catch (err) {
      if (err instanceof OrunError) throw err;
      throw new OrunError(`cannot create an execution record here: ${fileSystemReason(err)}`, {
        location: { file: this.executionsDir },
        ...ownershipHint(err),
        cause: err,
      });
    }
  }

  /**
   * Refuses an existing `executions/<id>` that is not a real folder: a symbolic link (planted, or copied from
   * elsewhere) would have the run write its record wherever it leads, and a file is no record.
   */
  private async assertRecordFolder(execId: string): Promise<void> {
    const dir = this.execDir(execId);
    const info = await lstat(dir).catch(() => undefined);
    if (!info || info.isDirectory()) return;
    throw new OrunError(`${info.isSymbolicLink() ? "is a symbolic link" : "is not a folder"}, not an execution record; move it away or give another --exec-id`, {
      location: { file: dir },
    });
  }

  /**
   * The record's `logs/` folder, made if missing; anything else in its place is refused, naming it: a file there
   * failed the run with a bare EEXIST, and a symbolic link had every step's log written wherever it led.
   */
  private async ensureLogsFolder(execId: string): Promise<void> {
    const dir = this.logsDir(execId);
    await mkdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
    const info = await lstat(dir);
    if (info.isDirectory()) return;
    throw new OrunError(`${info.isSymbolicLink() ? "is a symbolic link" : "is not a folder"}: the record keeps its step logs in a folder here; move it away and run again`, {
      location: { file: dir },
    });
  }

  /** A new record put in place whole, locked; undefined when a folder of that name appeared meanwhile. */
  private async assembleRecord(execId: string, options: { handoff?: boolean }): Promise<ExecLock | undefined> {
    const temp = path.join(this.executionsDir, setAsideName(execId, ASSEMBLING_SUFFIX));
    try {
      await mkdir(path.join(temp, "logs"), { recursive: true });
      const pending = await lockAssembledRecord(path.join(temp, ".lock"), options);
      // rename(2) replaces an empty directory: a folder of this name made meanwhile (by hand, or an older orun
      // still setting its record up) is left to its owner.
      if (await exists(this.execDir(execId))) return undefined;
      await rename(temp, this.execDir(execId));
      return pending.place(this.lockFile(execId));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOTEMPTY" || code === "EEXIST") return undefined;
      throw err;
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  /**
   * Removes the records this process was assembling, at once and synchronously: for a process exiting on a second
   * Ctrl-C (`orun gc` would sweep them only later). The pid in their names makes them this process's alone.
   */
  discardAssembling(): void {
    let names: string[];
    try {
      names = readdirSync(this.executionsDir);
    } catch {
      return;
    }
    for (const name of names) {
      if (isSetAsideName(name, ASSEMBLING_SUFFIX, process.pid)) rmSync(path.join(this.executionsDir, name), { recursive: true, force: true });
    }
  }

  /**
   * Removes a record this process created and still holds, moved aside first so no reader sees it half-deleted. Given
   * openRecord's `madeStoreFolder`, the folders it made go too while empty (a refused run in a new folder leaves no
   * `.orun/executions/`); one another run has written into meanwhile stays.
   */
  async discardRecord(execId: string, madeStoreFolder?: string): Promise<void> {
    const aside = path.join(this.executionsDir, setAsideName(execId, DISCARDED_SUFFIX));
    await rename(this.execDir(execId), aside).catch(() => undefined);
    await rm(aside, { recursive: true, force: true });
    if (madeStoreFolder === undefined) return;
    for (let dir = this.executionsDir; ; dir = path.dirname(dir)) {
      const removed = await rmdir(dir).then(() => true, () => false); // rmdir(2) removes only an empty folder
      if (!removed || dir === madeStoreFolder || path.dirname(dir) === dir) return;
    }
  }

  /** What `executions/latest` links to now (undefined when it is no symbolic link). */
  async latestTarget(): Promise<string | undefined> {
    return readlink(path.join(this.executionsDir, "latest")).catch(() => undefined);
  }

  /**
   * Undoes pointLatest(execId) for a record that was discarded: `latest` links to `previous` again (or goes, when
   * there was none) — unless another run has pointed it elsewhere meanwhile.
   */
  async unpointLatest(execId: string, previous: string | undefined): Promise<void> {
    if ((await this.latestTarget()) !== execId) return;
    if (previous !== undefined) await this.pointLatest(previous);
    else await rm(path.join(this.executionsDir, "latest"), { force: true });
  }

  async create(execId: string): Promise<string> {
    const dir = this.execDir(execId);
    await mkdir(path.join(dir, "logs"), { recursive: true });
    await this.pointLatest(execId);
    return dir;
  }

  /**
   * Repoints `executions/latest` (a relative symlink) atomically. Something else in its place (a
   * directory or file, e.g. after an artifact or cache round-trip dereferenced the link) may be a copied
   * record: it is left alone with a warning, and readers fall back to the newest record.
   */
  async pointLatest(execId: string): Promise<void> {
    const link = path.join(this.executionsDir, "latest");
    const existing = await lstat(link).catch(() => undefined);
    if (existing && !existing.isSymbolicLink()) {
      this.warnLatestBlocked(link, existing.isDirectory() ? "a directory" : "not a symlink");
      return;
    }
    const tmp = `${link}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      await symlink(execId, tmp);
      await rename(tmp, link);
    } catch (err) {
      await rm(tmp, { force: true });
      // Replaced by a directory or file between the check and the rename.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EISDIR" || code === "ENOTDIR" || code === "ENOTEMPTY" || code === "EEXIST") this.warnLatestBlocked(link, "not a symlink");
      else throw err;
    }
  }

  private warnedLatest = false;
  private warnLatestBlocked(link: string, what: string): void {
    if (this.warnedLatest) return;
    this.warnedLatest = true;
    this.warn(`${link} is ${what}, so it was not repointed; it is left as it is (it may be a copied record): move it away to restore the latest-run pointer`);
  }

  /** Writes the plan as manifest.json (2-space JSON), atomically. */
  async writeManifest(execId: string, plan: Plan): Promise<void> {
    await writeFileAtomic(this.manifestFile(execId), toJson(plan));
  }

  async latestId(): Promise<string | undefined> {
    const target = await this.latestTarget();
    // Named by the link's last segment (as v2 read it), which must be a record's folder: a link to `.`, `..` or
    // itself was taken for a run "." of no plan (status printed it, exit 0). No link: the newest record.
    const id = target === undefined ? undefined : path.basename(target);
    if (id !== undefined && isRecordName(id) && (await this.isRecordFolder(id))) return id;
    const all = await this.list();
    return all[0]?.execId;
  }

  /** All executions, newest first (by startedAt, then name). */
  async list(): Promise<{ execId: string; meta?: RunMetadata; startedAt?: string }[]> {
    let names: string[];
    try {
      names = await readdir(this.executionsDir);
    } catch {
      return [];
    }
    const out: { execId: string; meta?: RunMetadata; startedAt?: string }[] = [];
    for (const name of names) {
      if (name === "latest" || name.endsWith(".tmp")) continue;
      const info = await lstat(this.execDir(name)).catch(() => undefined);
      if (!info?.isDirectory()) continue;
      const meta = await this.readMetadata(name).catch(() => undefined);
      out.push({ execId: name, meta, startedAt: meta?.startedAt ?? info.mtime.toISOString() });
    }
    out.sort((a, b) => (b.startedAt ?? "").localeCompare(a.startedAt ?? "") || b.execId.localeCompare(a.execId));
    return out;
  }

  /**
   * `latest`/empty → latest; an exact ID; else the one ID with that prefix. A prefix shared by several
   * executions is refused with the candidates listed (as git does for an ambiguous short SHA): v2 took the
   * first in name order, so `orun logs --exec-id my-plan-2024` showed whichever run sorted first.
   */
  async resolve(ref: string | undefined): Promise<string | undefined> {
    const wanted = (ref ?? "").trim();
    if (wanted === "" || wanted === "latest") return this.latestId();
    // Orun's own temporary entries (a record being assembled or removed) are never a record.
    if (!isRecordName(wanted)) throw new ExecutionNotFound(wanted);
    if (await exists(this.execDir(wanted))) {
      await this.assertRecordFolder(wanted);
      return wanted;
    }
    const matches = (await this.recordNames()).filter((id) => id.startsWith(wanted)).sort();
    if (matches.length === 0) throw new ExecutionNotFound(wanted);
    if (matches.length > 1) {
      const shown = matches.slice(0, AMBIGUOUS_SHOWN);
      const more = matches.length - shown.length;
      const list = shown.map((id) => `\n  ${id}`).join("") + (more ? `\n  … and ${more} more` : "");
      throw new OrunError(`exec-id prefix "${wanted}" is ambiguous (give more of it, or all of it); it matches ${matches.length} executions:${list}`);
    }
    return matches[0];
  }

  /** `executions/<id>` is a real folder (not a symbolic link to one). */
  private async isRecordFolder(execId: string): Promise<boolean> {
    return (await lstat(this.execDir(execId)).catch(() => undefined))?.isDirectory() === true;
  }

  /** Names of the record folders (not `latest`, not orun's temporary entries), unordered; reads no record. */
  private async recordNames(): Promise<string[]> {
    const entries = await readdir(this.executionsDir, { withFileTypes: true }).catch(() => []);
    return entries.filter((entry) => entry.isDirectory() && entry.name !== "latest" && !entry.name.endsWith(".tmp")).map((entry) => entry.name);
  }

  async readMetadata(execId: string): Promise<RunMetadata | undefined> {
    const read = await this.readMetadataText(execId);
    if (read.unparsable !== undefined) throw new UnparsableMetadataError(read.unparsable, this.metadataFile(execId));
    return read.meta;
  }

  /**
   * readMetadata for the commands that show or resume a record without it (docs/running.md): a metadata.json that is
   * not JSON at all (empty, torn, garbage) is read as missing, `unreadable` naming the file and why. One of the wrong
   * shape (or not a regular file) is still an error naming its field, unless `anyDamage` (`orun logs`: the step logs
   * do not depend on it): then it is read as missing too.
   */
  async readMetadataLeniently(execId: string, options: { anyDamage?: boolean } = {}): Promise<{ meta?: RunMetadata; unreadable?: string }> {
    try {
      return { meta: await this.readMetadata(execId) };
    } catch (err) {
      if (err instanceof UnparsableMetadataError) return { unreadable: `${this.metadataFile(execId)}: invalid JSON (${err.reason})` };
      if (options.anyDamage && err instanceof OrunError) return { unreadable: err.hint ? err.message.slice(0, -(err.hint.length + 3)) : err.message };
      throw err;
    }
  }

  private async readMetadataText(execId: string): Promise<{ meta?: RunMetadata; unparsable?: string }> {
    const file = this.metadataFile(execId);
    let text: string | undefined;
    try {
      text = await readRecordFile(file, "execution metadata");
    } catch (err) {
      // A FIFO or a link where metadata.json belongs: named, never read (or waited on).
      if (err instanceof OrunError && /not a regular file|symbolic link|directory/.test(err.message)) throw err;
      return {};
    }
    if (text === undefined) return {};
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return { unparsable: jsonErrorWithoutExcerpt(err) };
    }
    return { meta: checkMetadata(raw, file) };
  }

  /**
   * The plan the record keeps (manifest.json) as it reads, unchecked beyond its `jobs` being an array; undefined when
   * it is missing, cannot be read or is not such JSON (status and logs then do without it).
   */
  async readManifestLeniently(execId: string, parsed?: ManifestsRead): Promise<RecordedManifest | undefined> {
    try {
      const text = await readRecordFile(this.manifestFile(execId), "execution manifest");
      if (text === undefined) return undefined;
      const parse = (json: string): RecordedManifest | undefined => {
        const plan = JSON.parse(json) as { metadata?: { name?: unknown; checksum?: unknown }; jobs?: unknown } | null;
        return Array.isArray(plan?.jobs) ? { metadata: plan.metadata, jobs: plan.jobs } : undefined;
      };
      return parsed ? parsed.read(text, parse) : parse(text);
    } catch {
      return undefined;
    }
  }

  async writeMetadata(meta: RunMetadata): Promise<void> {
    await writeFileAtomic(this.metadataFile(meta.execId), toJson(meta));
  }

  /**
   * Moves a pre-v0.10 `<root>/.orun-state.json` into
   * `executions/migrated-<YYYYMMDD-HHMMSS>/state.json`. The legacy file is
   * validated first and removed only after the copy is in place.
   */
  async migrateLegacy(now = new Date()): Promise<string | undefined> {
    const legacy = path.join(this.rootDir, ".orun-state.json");
    // Read as a record file (every `orun run` reads it, in a checkout that may not be trusted): never through a
    // link (it read, and quoted in the error, a file elsewhere), never waiting on a FIFO (that hung the run).
    const read = await readOwnFile(legacy, { maxBytes: MAX_TEXT_FILE_BYTES });
    if (read.kind === "missing") return undefined;
    if (read.kind === "refused") {
      throw new OrunError(`cannot read the legacy state file to migrate it: ${read.code && read.code !== "ELOOP" ? read.reason : `it is ${read.reason}`}`, {
        location: { file: legacy },
        hint: "move it aside to run without migrating it",
      });
    }
    const text = read.text;
    // Every run tries the migration, so another --exec-id is no way round a bad legacy file.
    const advice = "fix it, or move it aside to run without migrating it";
    let state: ExecState;
    try {
      state = parseState(text, legacy, advice);
    } catch (err) {
      if (err instanceof OrunError && !err.message.includes(advice)) throw new OrunError(err.message, { hint: advice });
      throw err;
    }
    const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
    await mkdir(this.executionsDir, { recursive: true });
    let execId = `migrated-${stamp}`;
    for (let n = 2; ; n++) {
      if (!(await exists(this.execDir(execId)))) {
        // Assembled aside and renamed into place, like a run's record: never seen without its state.
        const temp = path.join(this.executionsDir, setAsideName(execId, ASSEMBLING_SUFFIX));
        try {
          await mkdir(path.join(temp, "logs"), { recursive: true });
          // Rewrite execId to the folder name; statuses are kept verbatim.
          state.execId = execId;
          // The text that was validated, not a second read of the path.
          await writeFile(path.join(temp, "legacy-orun-state.json"), text);
          await writeFileAtomic(path.join(temp, "state.json"), serializeState(state));
          if (!(await exists(this.execDir(execId)))) {
            await rename(temp, this.execDir(execId));
            break;
          }
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
        } finally {
          await rm(temp, { recursive: true, force: true });
        }
      }
      execId = `migrated-${stamp}-${n}`;
    }
    await rm(legacy);
    await this.pointLatest(execId);
    return execId;
  }
}

const METADATA_STRINGS = ["execId", "planId", "planName", "planChecksum", "revision", "startedAt", "finishedAt", "status", "trigger", "user", "runner", "error", "resumeCommand", "remoteBackendUrl"] as const;
const METADATA_NUMBERS = ["pid", "jobTotal", "jobDone", "jobFailed", "jobSkipped", "jobBlocked"] as const;

/**
 * metadata.json as read: unknown fields pass (other orun versions), known fields of the wrong type are a
 * corrupt record named by file and field — status, logs and gc render these fields, and a hand-edited or
 * damaged file must not crash them (`planName: 5` did, for every record in `status --all`).
 */
function checkMetadata(raw: unknown, file: string): RunMetadata {
  const hint = "fix or delete the file, or start a new run with another --exec-id";
  const bad = (field: string, why: string): never => {
    throw new OrunError(`corrupt execution metadata: ${why}`, { location: { file, field }, hint });
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return bad("(root)", "expected a JSON object");
  const meta = raw as Record<string, unknown>;
  for (const field of METADATA_STRINGS) if (meta[field] !== undefined && typeof meta[field] !== "string") bad(field, "expected a string");
  for (const field of METADATA_NUMBERS) if (meta[field] !== undefined && !Number.isFinite(meta[field])) bad(field, "expected a number");
  // Printed as the record's state and compared by every reader: a value none of them knows must not pass for one.
  if (meta.status !== undefined && !RUN_STATUSES.includes(meta.status as string)) {
    throw new OrunError(unknownStatus("execution metadata", meta.status), { location: { file, field: "status" }, hint });
  }
  if (meta.resumeWords !== undefined && !isRecordedWords(meta.resumeWords)) bad("resumeWords", "expected an array of strings and {root, plan?, env?}");
  if (meta.approval !== undefined) {
    const approval = meta.approval as Record<string, unknown> | null;
    const names = (v: unknown): boolean => Array.isArray(v) && v.every((id) => typeof id === "string");
    if (typeof approval !== "object" || approval === null || !names(approval.blocked) || typeof approval.command !== "string" || !isRecordedWords(approval.words) || (approval.alsoApproves !== undefined && !names(approval.alsoApproves))) {
      bad("approval", "expected {blocked, command, words, alsoApproves?}");
    }
  }
  if (meta.links !== undefined) {
    if (!Array.isArray(meta.links)) bad("links", "expected an array");
    (meta.links as unknown[]).forEach((link, i) => {
      const entry = link as Record<string, unknown> | null;
      if (typeof entry !== "object" || entry === null || typeof entry.label !== "string" || typeof entry.url !== "string") bad(`links[${i}]`, "expected {label, url}");
    });
  }
  return meta as unknown as RunMetadata;
}

/** The plan a record keeps (manifest.json) as readManifestLeniently reads it: shared when read through ManifestsRead, never to be changed. */
export interface RecordedManifest {
  metadata?: { name?: unknown; checksum?: unknown };
  jobs: unknown[];
}

/**
 * The last few manifests parsed, by a digest of their text: the records of one plan keep identical ones (517 KB each
 * for 2,000 jobs), and `status --all` parsed each again. A manifest edited in one record is its own (another text).
 * Only a few are kept — the records a list reads at once and those just before — not every one: records of many
 * plans (the plan changes from commit to commit) held every text and parse until the list was printed (rev28c:
 * 400 MB for 200 records of 2,000 jobs).
 */
export class ManifestsRead {
  private readonly recent = new Map<string, RecordedManifest | undefined>();

  constructor(private readonly keep = 8) {}

  /** The parse of `text`, read through `parse` unless one of the last few manifests had the same text. */
  read(text: string, parse: (text: string) => RecordedManifest | undefined): RecordedManifest | undefined {
    const key = createHash("sha256").update(text).digest("hex");
    if (this.recent.has(key)) return this.recent.get(key);
    const manifest = parse(text);
    this.recent.set(key, manifest);
    // A Map iterates in insertion order: the first key is the oldest.
    if (this.recent.size > this.keep) this.recent.delete(this.recent.keys().next().value!);
    return manifest;
  }

  /** How many are kept now. */
  get size(): number {
    return this.recent.size;
  }
}

/** Written beside an earlier run's metadata (never into it) when a `--background` child fails before its run starts. */
export const BACKGROUND_ERROR_FILE = "background-error.json";

export interface BackgroundError {
  pid: number;
  error: string;
  at: string;
}

/**
 * The pid of a `--background` child that has not yet written the record's metadata: the parent writes the
 * `pid` file once the child owns the lock, and the child's run rewrites metadata.json when it starts. Until
 * then, metadata is missing or older than the pid file (that of an earlier run of the same execution), and
 * no start-up failure of that child is on record (BACKGROUND_ERROR_FILE).
 */
export async function pendingBackgroundPid(execDir: string): Promise<number | undefined> {
  return (await pendingBackgroundChild(execDir))?.pid;
}

/** pendingBackgroundPid, with when the pid file was written (the child had started by then). */
export async function pendingBackgroundChild(execDir: string): Promise<{ pid: number; writtenMs: number } | undefined> {
  const pidFile = path.join(execDir, "pid");
  const [pidInfo, metaInfo, errorInfo] = await Promise.all(
    [pidFile, path.join(execDir, "metadata.json"), path.join(execDir, BACKGROUND_ERROR_FILE)].map((file) => stat(file).catch(() => undefined)),
  );
  if (!pidInfo || (metaInfo && metaInfo.mtimeMs >= pidInfo.mtimeMs) || (errorInfo && errorInfo.mtimeMs >= pidInfo.mtimeMs)) return undefined;
  const pid = Number.parseInt((await readOwnFileText(pidFile, { maxBytes: 1024 })) ?? "", 10);
  return Number.isSafeInteger(pid) && pid > 0 ? { pid, writtenMs: pidInfo.mtimeMs } : undefined;
}

/** The start-up failure of the latest `--background` child, when its run never wrote metadata. */
export async function backgroundFailure(execDir: string): Promise<BackgroundError | undefined> {
  const file = path.join(execDir, BACKGROUND_ERROR_FILE);
  const [errorInfo, metaInfo] = await Promise.all([stat(file).catch(() => undefined), stat(path.join(execDir, "metadata.json")).catch(() => undefined)]);
  if (!errorInfo || (metaInfo && metaInfo.mtimeMs > errorInfo.mtimeMs)) return undefined;
  try {
    const value = JSON.parse((await readOwnFileText(file, { maxBytes: MAX_TEXT_FILE_BYTES })) ?? "") as Partial<BackgroundError>;
    return typeof value.error === "string" ? { pid: Number(value.pid), error: value.error, at: String(value.at ?? "") } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes the temporary files (`<file>.<pid>.<hex>.tmp`, util/fs-atomic.ts) that writers killed mid-write left in
 * a record, once its lock is held: nothing else swept them (gc sweeps executions/ only), and they outlived resumes.
 * A file whose writer may still be alive stays — a --background parent writes the pid file after handing the
 * lock over; a pid reused by a process started after the file was written is no writer.
 */
async function sweepDeadWriters(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(/^.+\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) continue;
    const file = path.join(dir, name);
    const info = await lstat(file).catch(() => undefined);
    if (!info || info.isDirectory() || ownerAlive({ pid, since: new Date(info.mtimeMs).toISOString() })) continue;
    await rm(file, { force: true });
  }
}

/**
 * A name that may be a record folder in executions/: one segment, not hidden (`.`, `..`), not `latest` and not one of
 * orun's temporary entries (`*.tmp`, records being assembled or removed).
 */
function isRecordName(name: string): boolean {
  return name !== "" && name !== "latest" && !name.includes("/") && !name.includes("\\") && !name.startsWith(".") && !name.endsWith(".tmp");
}

export async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * An exec ID asked for, as a message shows it: a record's name is printable ASCII, so anything else in it (a line
 * break from ORUN_EXEC_ID) is shown as `\u{hex}` and a long one is cut; a record name reads as it is.
 */
function shownRef(ref: string): string {
  return printable(ref, { asciiOnly: true, max: 80 });
}

/**
 * No record has the exec ID (or prefix) asked for. `ref` keeps the ID whole: the message cuts a long one, so callers
 * (`status --watch` waiting for a run not started yet) test the class and `ref`, never the message text.
 */
export class ExecutionNotFound extends OrunError {
  constructor(readonly ref: string) {
    super(`execution not found: ${shownRef(ref)}`);
  }
}
