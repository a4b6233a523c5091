// One `orun run` per execution at a time: an exclusive lock file naming its
// owner (pid, host, and the process's start time so a reused pid is not
// mistaken for the owner). Node has no flock, so:
// - a free lock is created atomically with its content (link(2) of a
//   finished temp file: it fails when the lock exists, and nobody ever reads
//   a half-written lock);
// - a stale lock (its owner is gone) is taken over only under an exclusive
//   takeover guard of that very lock content, `<lock>.takeover.<hash>.<n>`:
//   its holder re-reads the lock and, if it still holds that content, renames
//   its own lock over it. Everyone else starts over and then finds a live
//   owner. A guard whose holder died is never removed to be taken again (two
//   processes clearing it at once could each end up holding one): the next
//   generation `<n+1>` is taken instead. Once the content is gone from the
//   lock its guards are moot, and whoever saw it go removes them. The lock
//   counts as gone only when it is missing or reads as something else: a
//   failed read (EMFILE, EIO) proves nothing, and removing the spent
//   generations beneath a live holder then let two racers each take one.
// - whoever takes the lock removes the spent guards of other contents left
//   beside it (a takeover killed after replacing the lock, older orun's
//   `<lock>.takeover`): once per run, one readdir of the record.
// A `--background` parent takes the lock and hands it to its child.
import { link, lstat, open, readdir, rm, stat, writeFile } from "node:fs/promises";
import { readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { tempSibling, writeFileAtomic } from "../../util/fs-atomic.js";
import os from "node:os";
import path from "node:path";
import { OrunError, fileSystemReason } from "../../util/errors.js";
import { readOwnFile, readOwnFileSync, readOwnFileText, type OwnFileOptions, type OwnFileRead } from "../../util/fs-read.js";

export interface ExecLock {
  release(): Promise<void>;
  releaseSync(): void;
  /**
   * Names another (already running) process as the owner, keeping the lock held throughout.
   * Used by `--background`: the parent's lock passes to its child without a free moment.
   */
  handOver(pid: number): Promise<void>;
}

/** What a lock file says about its owner. Older orun versions wrote only pid, host and since. */
export interface LockOwner {
  pid?: number;
  host?: string;
  /** The owner's start time in clock ticks after boot (/proc/<pid>/stat field 22). */
  startTime?: number;
  /** /proc/sys/kernel/random/boot_id when the lock was written. */
  bootId?: string;
  since?: string;
  /** Set by a `--background` parent on its own lock: its child may adopt it. */
  handoff?: boolean;
  /** Set when the lock was handed to the process it names, which adopts it. */
  handoffTo?: number;
  /** Set by `orun gc`, which locks a record only to remove it (another gc then leaves it alone, not "running"). */
  purpose?: "gc";
}

/**
 * A takeover guard naming no owner this host can check (unparseable: half-written on a file system without hard
 * links; another host's) is spent once older than this. One naming a live owner here is never spent by age: its
 * holder may be stalled (a loaded machine, SIGSTOP) between reading the lock and replacing it.
 */
const GUARD_STALE_MS = 5_000;
/** Generations of takeover guards tried for one lock content before giving up for now (each spent by a dead holder). */
const GUARD_GENERATIONS = 64;
/** How long a lock that cannot be parsed is presumed to be in the middle of being written (older orun). */
const UNREADABLE_GRACE_MS = 2_000;
const ACQUIRE_DEADLINE_MS = 15_000;
/**
 * How a lock (or its takeover guard) is read: a regular file of a few hundred bytes, never through a link, never
 * waiting on a FIFO planted in its place (that hung `status`, `gc` and `run`, which then ignored SIGTERM).
 */
const LOCK_READ: OwnFileOptions = { maxBytes: 64 * 1024 };
/** A lock file's text; undefined when it is missing or no regular file (status, gc). */
export const readLockText = (file: string): Promise<string | undefined> => readOwnFileText(file, LOCK_READ);

export async function acquireExecLock(file: string, execId: string, options: { handoff?: boolean; purpose?: "gc" } = {}): Promise<ExecLock> {
  try {
    return await acquire(file, execId, options);
  } catch (err) {
    // The record's folder vanished under us: `orun gc` removed it while this run was starting.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new OrunError(`execution ${execId} was removed while this run was starting (orun gc?); run it again`, { location: { file } });
    }
    // A full disk or an unwritable record: say which file (a failed write's error names none).
    if (!(err instanceof OrunError)) throw new OrunError(`could not lock execution ${execId}: ${fileSystemReason(err)}`, { location: { file }, cause: err });
    throw err;
  }
}

async function acquire(file: string, execId: string, options: { handoff?: boolean; purpose?: "gc" }): Promise<ExecLock> {
  const me = { ...currentOwner(options.handoff), ...(options.purpose ? { purpose: options.purpose } : {}) };
  const deadline = Date.now() + ACQUIRE_DEADLINE_MS;
  // What stood in the way of the last takeover attempt: said if the deadline passes (the lock itself did not change).
  let blockedBy: string | undefined;
  // `handingOver`: the pid of the --background parent handing this process the lock (see guardHeld).
  const takeOver = async (seen: string, handingOver?: number): Promise<boolean> => {
    const outcome = await replaceUnderGuard(file, seen, me, handingOver);
    if (outcome === "replaced") return true;
    if (typeof outcome === "object") {
      if (outcome.lasting) throw new LockTakeoverBlocked(execId, file, outcome.note);
      blockedBy = outcome.note;
    }
    return false;
  };
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) {
      if (Date.now() > deadline) {
        if (blockedBy) throw new LockTakeoverBlocked(execId, file, blockedBy);
        throw new OrunError(`could not lock execution ${execId}: the lock file keeps changing`, { location: { file } });
      }
      await pause(attempt);
    }
    blockedBy = undefined;
    if (await createExclusive(file, me)) return acquired(file, me);

    const read = await readOwner(file);
    if (read.kind === "missing") continue; // released meanwhile
    if (read.kind === "unreadable") {
      if (read.ageMs < UNREADABLE_GRACE_MS) continue;
    } else {
      const owner = read.owner;
      // The lock was handed to this process, or is being handed to it by its --background parent.
      const fromParent = owner.handoff === true && owner.pid === process.ppid && owner.host === os.hostname();
      if (isSelf(owner) || fromParent) {
        if (await takeOver(read.text, fromParent ? owner.pid : undefined)) return acquired(file, me);
        continue;
      }
      const held = heldBy(owner, execId, file);
      if (held) throw held;
    }
    // Stale: its owner died without releasing. Only the holder of the takeover guard may replace it.
    if (await takeOver(read.text)) return acquired(file, me);
  }
}

/**
 * Why a run cannot take the lock `owner` holds on `execId`: another host's run (it cannot be checked from here), or a
 * live run or gc here; undefined when its owner is gone. `preview`: as a dry-run says it ("the run would refuse: …").
 */
function heldBy(owner: LockOwner, execId: string, file: string, preview = false): OrunError | undefined {
  const would = preview ? "the run would refuse: " : "";
  if (owner.host !== undefined && owner.host !== os.hostname()) {
    return new OrunError(`${would}execution ${execId} is locked by ${owner.host} (pid ${owner.pid ?? "?"}); remove the lock file if that run is gone`, { location: { file } });
  }
  if (!ownerAlive(owner)) return undefined;
  if (owner.purpose === "gc") {
    return new OrunError(`${would}execution ${execId} is being removed by orun gc (pid ${owner.pid ?? "?"}); run it afresh once gc is done, or use another --exec-id`, { location: { file } });
  }
  return new OrunError(`${would}execution ${execId} is already running (pid ${owner.pid ?? "?"}); wait for it or use another --exec-id`, { location: { file } });
}

/**
 * What a run of `execId` would refuse of the lock on it now, said as a dry-run says it, without taking the lock: a
 * live run (or gc) holding it here, or another host's run. Undefined when it is free, stale or cannot be read (the
 * run then takes it over, or waits, or says why it cannot).
 */
export async function previewedLockRefusal(file: string, execId: string): Promise<OrunError | undefined> {
  const { owner } = await lockHolder(file);
  // `{}`: a lock being written this instant, whose owner is not known yet.
  return owner?.pid === undefined ? undefined : heldBy(owner, execId, file, true);
}

/**
 * A stale lock nobody can take over for now: a takeover of it is in progress in a live process (stopped, or stuck),
 * or so many died midway that no guard generation is left. `note` says which, and what to do; gc keeps the record
 * saying so (it is no run).
 */
export class LockTakeoverBlocked extends OrunError {
  constructor(
    execId: string,
    file: string,
    readonly note: string,
  ) {
    super(`could not lock execution ${execId}: ${note}`, { location: { file } });
  }
}

/** Reading the lock failed (EACCES, EIO, EMFILE): nothing is known of its owner, and nothing was changed. */
export class LockReadFailed extends OrunError {
  constructor(
    file: string,
    /** `EACCES: permission denied` */
    readonly failure: string,
  ) {
    super(`could not read the execution lock (${failure}); nothing was removed: run it again once the lock can be read`, { location: { file } });
  }
}

/** The lock, just taken: the spent guards of other contents beside it are swept first (see the header). */
async function acquired(file: string, owner: LockOwner): Promise<ExecLock> {
  await sweepSpentGuards(file, JSON.stringify(owner)).catch(() => undefined);
  return heldLock(file, owner);
}

/**
 * Removes takeover guards beside the lock whose holder is gone and that guard another content than the lock's
 * (`current`, this process's own): that content left the lock for good, so nobody needs them; a live holder's
 * goes when it sees the lock changed. Older orun's single `<lock>.takeover` likewise, once its holder is dead.
 */
async function sweepSpentGuards(file: string, current: string): Promise<void> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const own = path.basename(takeoverGuard(file, current)).replace(/\.0$/, ".");
  for (const name of await readdir(dir)) {
    if (!name.startsWith(`${base}.takeover`) || name.startsWith(own)) continue;
    const rest = name.slice(base.length);
    if (rest !== ".takeover" && !/^\.takeover\.[0-9a-f]{16}\.\d+$/.test(rest)) continue;
    const guard = path.join(dir, name);
    const read = await readOwnFile(guard, LOCK_READ);
    if (read.kind === "text" && (await guardSpent(guard, read.text))) await rm(guard, { force: true });
  }
}

/**
 * Locks a record that is still being assembled under a temporary name nobody else reads (see
 * ExecutionStore.openRecord): the lock is written there, and `place(finalFile)` gives the held lock once the
 * folder has been renamed into place. Never call `place` when the rename failed: release() removes the file it names.
 */
export async function lockAssembledRecord(tempFile: string, options: { handoff?: boolean } = {}): Promise<{ place(finalFile: string): ExecLock }> {
  const owner = currentOwner(options.handoff);
  await writeFile(tempFile, JSON.stringify(owner), { mode: 0o600, flag: "wx" });
  return { place: (finalFile) => heldLock(finalFile, owner) };
}

type ReadResult = { kind: "missing" } | { kind: "unreadable"; text: string; ageMs: number } | { kind: "owner"; text: string; owner: LockOwner };

async function readOwner(file: string): Promise<ReadResult> {
  const read = await readOwnFile(file, LOCK_READ);
  if (read.kind === "missing") return { kind: "missing" };
  if (read.kind === "refused") {
    // A read that failed (EACCES, EIO, EMFILE) says nothing about the lock: whether a run holds it is unknown, so
    // removing it is no advice to give. Only what is no lock file at all is worth removing.
    const failure = await readFailure(file, read);
    if (failure) throw new LockReadFailed(file, failure);
    // A directory, a symlink, a FIFO, a socket where the lock belongs: never guess, never delete it.
    const found = await noLockReason(file, read);
    const what = found.startsWith("not ") ? found : `${found}, not a lock file`;
    throw new OrunError(`the execution lock is ${what}; remove it if no run is using this execution`, { location: { file } });
  }
  const text = read.text;
  const owner = parseOwner(text);
  if (owner) return { kind: "owner", text, owner };
  const info = await stat(file).catch(() => undefined);
  return { kind: "unreadable", text, ageMs: info ? Date.now() - info.mtimeMs : Infinity };
}

/**
 * Why the lock file cannot be read as a lock, or undefined (missing, or a regular file): `noLock`, what stands in
 * its place (a directory, a FIFO, a socket, a symbolic link); or `readError`, a read that failed (EACCES, EIO,
 * EMFILE), which says nothing of the lock. Either way it names no owner to check: gc keeps its record and says so,
 * and a run refuses it (readOwner).
 */
export async function lockRefusal(file: string): Promise<{ noLock: string } | { readError: string } | undefined> {
  const read = await readOwnFile(file, LOCK_READ);
  if (read.kind !== "refused") return undefined;
  const failure = await readFailure(file, read);
  return failure ? { readError: failure } : { noLock: await noLockReason(file, read) };
}

/**
 * Errnos of a read that failed on what may well be a lock file: refused by its mode, an I/O error, out of
 * descriptors or memory, interrupted, a stale NFS handle. Whether a run holds that lock is unknown, and the same read
 * may succeed later (or as its owner). Any other errno says what stands there can never be read as a lock: ENXIO (a
 * socket, a device with no driver), ENODEV, ENOTDIR; and ELOOP is O_NOFOLLOW refusing a symbolic link.
 */
const READ_FAILURES = new Set(["EACCES", "EPERM", "EIO", "EMFILE", "ENFILE", "ENOMEM", "ENOBUFS", "EAGAIN", "EWOULDBLOCK", "EINTR", "EBUSY", "ESTALE", "ETIMEDOUT"]);

/**
 * `EACCES: permission denied`, `EIO: i/o error`… when reading the lock (or a guard) `file` failed in a way that tells
 * nothing of it (READ_FAILURES); undefined when it was read, is missing, or is no lock file at all: what stands there
 * is no regular file, even when opening it was denied (EPERM: a container's rules for device nodes).
 */
async function readFailure(file: string, read: OwnFileRead): Promise<string | undefined> {
  if (read.kind !== "refused" || read.code === undefined || !READ_FAILURES.has(read.code)) return undefined;
  const info = await lstat(file).catch(() => undefined);
  if (info && !info.isFile()) return undefined;
  return errnoText(read);
}

/** `<code>: <what it means>`, without the syscall and path Node appends (`, open '<file>'`): the caller names the file. */
function errnoText(read: { reason: string; code?: string }): string {
  const text = read.code === undefined || read.reason.startsWith(read.code) ? read.reason : `${read.code}: ${read.reason}`;
  return text.replace(/, [a-z_]+ '[^]*$/, "");
}

/** What stands in the lock's place when it is no lock file: the refusal's own words, or (opening failed) its kind. */
async function noLockReason(file: string, read: { reason: string; code?: string }): Promise<string> {
  if (read.code === undefined || read.code === "ELOOP") return read.reason;
  // Opening a socket fails with ENXIO, a device node with no driver behind it with ENXIO or ENODEV.
  const info = await lstat(file).catch(() => undefined);
  if (info?.isDirectory()) return "a directory";
  if (info?.isFIFO()) return "a FIFO";
  if (info?.isSocket()) return "a socket";
  if (info?.isCharacterDevice()) return "a character device";
  if (info?.isBlockDevice()) return "a block device";
  return `something that cannot be opened (${errnoText(read)})`;
}

/** The owner a lock file names, or undefined when it is not a lock (garbage, half-written). */
export function parseOwner(text: string): LockOwner | undefined {
  let data: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
    data = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const pid = Number.isSafeInteger(data.pid) && (data.pid as number) > 0 ? (data.pid as number) : undefined;
  if (pid === undefined) return undefined;
  return {
    pid,
    host: typeof data.host === "string" ? data.host : undefined,
    startTime: Number.isSafeInteger(data.startTime) ? (data.startTime as number) : undefined,
    bootId: typeof data.bootId === "string" ? data.bootId : undefined,
    since: typeof data.since === "string" ? data.since : undefined,
    handoff: data.handoff === true ? true : undefined,
    handoffTo: Number.isSafeInteger(data.handoffTo) ? (data.handoffTo as number) : undefined,
    ...(data.purpose === "gc" ? { purpose: "gc" as const } : {}),
  };
}

/**
 * What status and gc say of a record another host's run holds: it cannot be checked from here, so it is presumed
 * running for as long as the lock is there (undefined for a lock of this host).
 */
export function foreignLockNote(owner: LockOwner | undefined, file: string): string | undefined {
  if (owner?.host === undefined || owner.host === os.hostname()) return undefined;
  return `locked by host ${owner.host} (pid ${owner.pid ?? "?"}); remove ${file} if that run is gone`;
}

/** The lock file's owner, when it names a live process on this host (gc and status use this). */
export async function liveLockOwner(file: string): Promise<LockOwner | undefined> {
  return (await lockHolder(file)).owner;
}

/**
 * The lock file's live owner (as liveLockOwner), or, `readError`, why reading it failed (EACCES, EIO: readFailure):
 * then whether a run holds it is unknown, which `orun status` says rather than calling the run gone.
 */
export async function lockHolder(file: string): Promise<{ owner?: LockOwner; readError?: string }> {
  let read: ReadResult;
  try {
    read = await readOwner(file);
  } catch (err) {
    return err instanceof LockReadFailed ? { readError: err.failure } : {};
  }
  if (read.kind === "unreadable") return read.ageMs < UNREADABLE_GRACE_MS ? { owner: {} } : {};
  if (read.kind !== "owner") return {};
  // Another host's run cannot be checked from here: presume it alive.
  if (read.owner.host !== undefined && read.owner.host !== os.hostname()) return { owner: read.owner };
  return ownerAlive(read.owner) ? { owner: read.owner } : {};
}

/**
 * True when the process a lock names is still the one that wrote it: the pid exists, is not a zombie,
 * and (when recorded) has the same start time and boot. Locks from older versions carry only `since`:
 * a process that started after it cannot have written it.
 */
export function ownerAlive(owner: LockOwner): boolean {
  if (owner.pid === undefined || !isAlive(owner.pid)) return false;
  const boot = bootId();
  if (owner.bootId !== undefined && boot !== undefined && owner.bootId !== boot) return false;
  const started = processStartTicks(owner.pid);
  if (started === undefined) return true; // no procfs: kill(0) is all we know
  if (owner.startTime !== undefined) return owner.startTime === started;
  const since = owner.since === undefined ? NaN : Date.parse(owner.since);
  const startedAtMs = ticksToEpochMs(started);
  if (Number.isFinite(since) && startedAtMs !== undefined && startedAtMs > since + 1_000) return false;
  return true;
}

/** True when `pid` exists and is not a zombie (an unreaped dead process is not an owner). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  const fields = statFields(pid);
  return fields === undefined || fields[0] !== "Z"; // no procfs: trust kill(0)
}

/** /proc/<pid>/stat from field 3 (state) on; the command name may contain spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is stopped by a signal (SIGSTOP, SIGTSTP): state T in /proc/<pid>/stat, until someone sends it
 * SIGCONT. Not `t`, a tracing stop: SIGCONT does not resume it (only its tracer does), and a process under strace is
 * in `t` much of the time while it makes progress.
 */
export function processStopped(pid: number): boolean {
  return statFields(pid)?.[0] === "T";
}

/** A process's start time in clock ticks after boot (field 22), or undefined without procfs. */
export function processStartTicks(pid: number): number | undefined {
  const value = Number(statFields(pid)?.[19]);
  return Number.isSafeInteger(value) ? value : undefined;
}

let cachedBootId: string | undefined | null = null;
function bootId(): string | undefined {
  if (cachedBootId === null) {
    try {
      cachedBootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || undefined;
    } catch {
      cachedBootId = undefined;
    }
  }
  return cachedBootId;
}

let cachedClock: { bootMs: number; msPerTick: number } | undefined | null = null;
/**
 * Wall-clock start of a process from its tick count: boot time (/proc/stat btime) plus ticks at
 * USER_HZ (100 on Linux). Checked against this process's own start; undefined when they disagree.
 */
function ticksToEpochMs(ticks: number): number | undefined {
  if (cachedClock === null) {
    cachedClock = undefined;
    try {
      const btime = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
      const own = processStartTicks(process.pid);
      const clock = { bootMs: btime * 1000, msPerTick: 10 };
      const ownStart = Date.now() - process.uptime() * 1000;
      if (Number.isFinite(btime) && own !== undefined && Math.abs(clock.bootMs + own * clock.msPerTick - ownStart) < 2_000) cachedClock = clock;
    } catch {
      // no procfs
    }
  }
  return cachedClock ? cachedClock.bootMs + ticks * cachedClock.msPerTick : undefined;
}

function currentOwner(handoff?: boolean): LockOwner {
  return ownerFor(process.pid, handoff);
}

function ownerFor(pid: number, handoff?: boolean, handoffTo?: number): LockOwner {
  const startTime = processStartTicks(pid);
  const boot = bootId();
  return {
    pid,
    host: os.hostname(),
    ...(startTime !== undefined ? { startTime } : {}),
    ...(boot !== undefined ? { bootId: boot } : {}),
    since: new Date().toISOString(),
    ...(handoff ? { handoff: true } : {}),
    ...(handoffTo !== undefined ? { handoffTo } : {}),
  };
}

/** A lock handed to this very process by its `--background` parent. */
function isSelf(owner: LockOwner): boolean {
  if (owner.handoffTo !== process.pid || owner.pid !== process.pid || owner.host !== os.hostname()) return false;
  return owner.startTime === undefined || owner.startTime === processStartTicks(process.pid);
}

/** Creates the lock with its full content, failing (false) when it exists. */
async function createExclusive(file: string, owner: LockOwner): Promise<boolean> {
  const tmp = tempSibling(file);
  try {
    await writeFile(tmp, JSON.stringify(owner), { mode: 0o600 });
    await link(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") return createWithOpen(file, owner);
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** For file systems without hard links: O_EXCL create, then write (readers allow for the gap). */
async function createWithOpen(file: string, owner: LockOwner): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, "wx", 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    await handle.writeFile(JSON.stringify(owner));
  } finally {
    await handle.close();
  }
  return true;
}

/** Writes the lock atomically over whatever is there (only for a lock this process may take). */
function replace(file: string, owner: LockOwner): Promise<void> {
  return writeFileAtomic(file, JSON.stringify(owner), { mode: 0o600 });
}

/** Why a takeover cannot go ahead now; `lasting`: nothing will change that without the user (no use retrying). */
interface Blocked {
  note: string;
  lasting?: boolean;
}

/**
 * Replaces the lock with `next` if it still holds exactly `seen`, while holding the takeover guard of `seen`: every
 * change of an existing lock (a stale takeover, a child adopting its parent's lock, the parent handing it over) goes
 * through here, so no two of them interleave. Blocked: another live process holds the guard, or none is left to take.
 * `retry`: the lock could not be read again (EMFILE, EIO): nothing is known, so nothing is settled.
 */
async function replaceUnderGuard(file: string, seen: string, next: LockOwner, handingOver?: number): Promise<"replaced" | "changed" | "retry" | Blocked> {
  const taken = await takeGuard(file, seen, handingOver);
  if (typeof taken !== "number") return taken;
  const generation = taken;
  let settled = false;
  try {
    const now = await readOwnFile(file, LOCK_READ);
    // A read that failed tells nothing: the lock may well still be `seen`, so the spent generations stay.
    if (await readFailure(file, now)) return "retry";
    if (now.kind !== "text" || now.text !== seen) {
      settled = true;
      return "changed"; // released, or replaced by a live owner meanwhile (or by no lock file at all)
    }
    await replace(file, next);
    settled = true;
    return "replaced";
  } finally {
    // `seen` is no longer the lock and never will be again (each lock's content is its own): every guard of it is
    // moot, the spent generations below this one included. Unsettled (the write or the read failed), only this one's goes.
    for (let n = settled ? 0 : generation; n <= generation; n++) await rm(takeoverGuard(file, seen, n), { force: true });
  }
}

/** Where the takeover guard of lock content `seen`, generation `n`, lives: beside the lock. */
export function takeoverGuard(file: string, seen: string, generation = 0): string {
  return `${file}.takeover.${createHash("sha256").update(seen).digest("hex").slice(0, 16)}.${generation}`;
}

/**
 * Creates the first takeover guard of `seen` not spent by a dead holder; its generation, or why none: a live process
 * holds one (or one is being removed: its holder saw the content go, which a fresh look at the lock shows), one
 * cannot be read (whether its holder lives is unknown), or every generation is spent. `handingOver`: see guardHeld.
 */
async function takeGuard(file: string, seen: string, handingOver?: number): Promise<number | Blocked> {
  for (let generation = 0; generation < GUARD_GENERATIONS; generation++) {
    const guard = takeoverGuard(file, seen, generation);
    if (await createExclusive(guard, currentOwner())) return generation;
    const held = await guardHeld(guard, handingOver);
    if (held === "missing") return { note: `a takeover of its stale lock was under way (${guard})` };
    if (held !== "spent") return held;
    // Spent: its holder died holding it (or it is no guard at all); never removed here, the next generation decides.
  }
  return allGenerationsSpent(file, seen);
}

/**
 * What `orun gc --dry-run` says of a record the real gc would have to take the lock of: why its stale lock could not
 * be taken over now (as takeGuard would find it, without taking anything); `live`, the owner when a live run (or
 * another host's, or another gc) holds it now (it may have started since gc looked); or undefined when gc could
 * take it (or the lock is free).
 */
export async function lockTakeoverBlocked(file: string): Promise<string | { live: LockOwner } | undefined> {
  const read = await readOwner(file).catch(() => undefined);
  if (read === undefined || read.kind === "missing") return undefined;
  if (read.kind === "unreadable" && read.ageMs < UNREADABLE_GRACE_MS) return { live: {} };
  if (read.kind === "owner" && ((read.owner.host !== undefined && read.owner.host !== os.hostname()) || ownerAlive(read.owner))) return { live: read.owner };
  for (let generation = 0; generation < GUARD_GENERATIONS; generation++) {
    const held = await guardHeld(takeoverGuard(file, read.text, generation));
    if (held === "missing") return undefined; // free: the takeover would take this generation
    if (held !== "spent") return held.note;
  }
  return allGenerationsSpent(file, read.text).note;
}

function allGenerationsSpent(file: string, seen: string): Blocked {
  const guards = takeoverGuard(file, seen).replace(/\.0$/, ".*");
  return {
    note: `${GUARD_GENERATIONS} takeovers of its stale lock died midway (their guards ${guards} remain); if no run is using this execution, remove ${file} (those guards go with the next run)`,
    lasting: true,
  };
}

/**
 * Whether an existing takeover guard stands in the way: `spent` (its holder died holding it, or it is no guard at
 * all), `missing`, or why it blocks. A holder stopped by a signal (state T) is named at once as lasting: it does
 * nothing until someone continues it, so waiting out the deadline only delays the same answer (once continued, it
 * takes the lock for its own run or gc: this attempt would not get it then either). Not so for `handingOver`, the
 * --background parent handing this very process its lock: once continued it hands the lock over, so it is waited
 * for as a running holder is. A holder a debugger or strace stops (state t) is waited for too (processStopped).
 */
async function guardHeld(guard: string, handingOver?: number): Promise<"spent" | "missing" | Blocked> {
  const read = await readOwnFile(guard, LOCK_READ);
  if (read.kind === "missing") return "missing";
  // A failed read (EMFILE, EIO) is no sign of a dead holder; a directory, FIFO or socket in its place is no guard at all.
  const failure = await readFailure(guard, read);
  if (failure) return { note: `its takeover guard ${guard} cannot be read (${failure})` };
  if (read.kind !== "text" || (await guardSpent(guard, read.text))) return "spent";
  const holder = parseOwner(read.text);
  const pid = holder?.pid;
  if (pid === undefined) return { note: `a takeover of its stale lock has not finished (${guard}); remove that file if no orun is running` };
  // guardSpent checked a holder of this host as alive (its start time too); another host's pid means nothing here.
  const local = holder?.host === undefined || holder.host === os.hostname();
  if (local && pid === handingOver) {
    return { note: `the --background parent (pid ${pid}) handing this run its lock has not finished (it holds ${guard}); if it is stopped, continue it with kill -CONT ${pid}` };
  }
  if (local && processStopped(pid)) {
    return {
      note: `a takeover of its stale lock by pid ${pid} is stopped (it holds ${guard}); let it finish with kill -CONT ${pid}, or end it with kill -KILL ${pid}`,
      lasting: true,
    };
  }
  return { note: `a takeover of its stale lock by pid ${pid} has not finished (it holds ${guard}); wait for it, or end pid ${pid} if it is stopped or stuck` };
}

/** True when the guard's holder is gone: dead on this host, or (naming none this host can check) older than GUARD_STALE_MS. */
async function guardSpent(guard: string, text: string): Promise<boolean> {
  const holder = parseOwner(text);
  if (holder && (holder.host === undefined || holder.host === os.hostname())) return !ownerAlive(holder);
  const info = await stat(guard).catch(() => undefined);
  return !info || Date.now() - info.mtimeMs > GUARD_STALE_MS;
}

function heldLock(file: string, owner: LockOwner): ExecLock {
  const written = JSON.stringify(owner);
  let released = false;
  return {
    // Only while the file is still this lock: the record may have been discarded and another run's made in its place.
    async release() {
      if (released) return;
      released = true;
      if ((await readLockText(file)) === written) await rm(file, { force: true });
    },
    releaseSync() {
      if (released) return;
      released = true;
      const now = readOwnFileSync(file, LOCK_READ);
      if (now.kind === "text" && now.text === written) rmSync(file, { force: true });
    },
    async handOver(pid: number) {
      released = true; // the new owner releases it
      // The child may have adopted it already (and even finished): then it is no longer ours to write.
      for (let attempt = 0; attempt < 200; attempt++) {
        const outcome = await replaceUnderGuard(file, written, ownerFor(pid, false, pid));
        if (outcome === "replaced" || outcome === "changed") return;
        await pause(attempt);
      }
    },
  };
}

/** Short randomized back-off so racing processes do not retry in lockstep. */
function pause(attempt: number): Promise<void> {
  const ms = Math.min(50, 2 + attempt * 3) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}
