// `orun gc`: remove old execution records. The newest `keep` records that
// are younger than `maxAgeDays` stay. A record that may belong to a live run
// is never removed: its lock names a live owner (pid and start time), or it
// was created moments ago and has no metadata yet (a run starting up).
// Removal itself holds the record's lock, so no run can start on it midway. A lock that is no file orun can read
// (a directory, a FIFO, a link) names no owner to check: its record is kept, saying so, never called "running".
// The newest promotion-gate evidence of each component × environment at each of its newest revisions stays unless
// asked (gc-evidence.ts); the successes removed are noted, so a gate left without evidence can say why. A record
// whose state.json cannot be read may hold such evidence: it is kept, named, for the user to fix or delete the file.
import { lstat, readdir, readlink, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import {
  LockReadFailed,
  LockTakeoverBlocked,
  acquireExecLock,
  foreignLockNote,
  liveLockOwner,
  lockRefusal,
  lockTakeoverBlocked,
  parseOwner,
  readLockText,
} from "./records/lock.js";
import { ASSEMBLING_SUFFIX, DISCARDED_SUFFIX, isSetAsideName, pendingBackgroundChild, setAsideName, type ExecutionStore, type RunMetadata } from "./records/store.js";
import { OrunError, errorMessage } from "../util/errors.js";
import { DEFAULT_EVIDENCE_REVISIONS, evidenceHolders, type HeldSuccess } from "./gc-evidence.js";
import { noteRemovedEvidence, removeOldSetAsideNotes, type RemovedEvidence } from "./removed-evidence.js";
import { MAX_TEXT_FILE_BYTES, readOwnFileText } from "../util/fs-read.js";

export interface GcOptions {
  keep: number;
  maxAgeDays: number;
  dryRun: boolean;
  /** Also remove the records holding the newest promotion-gate evidence (gc-evidence.ts), kept otherwise. */
  dropEvidence?: boolean;
  /** How many revisions of each component × environment keep their newest success (default DEFAULT_EVIDENCE_REVISIONS). */
  evidenceRevisions?: number;
  now?: number;
  /** Where what gc could not do that is no failure goes (the notes of removed evidence): stderr by default. */
  warn?: (message: string) => void;
}

export interface GcResult {
  removed: string[];
  /**
   * Records the age and count limits would remove, kept as the newest promotion-gate evidence of some component ×
   * environment (or, with dropEvidence, removed all the same), each with what it is evidence of.
   */
  keptEvidence: Map<string, string>;
  droppedEvidence: Map<string, string>;
  keptRunning: string[];
  /** Of keptRunning, those another host's run holds (presumed running), each with what to do if that run is gone. */
  keptForeign?: Map<string, string>;
  /**
   * Records kept for the user to settle, each with why (KEPT_FOR_USER) and a note saying what was found, where and
   * what to do: gc lists them and exits 1 (not under --dry-run).
   */
  keptForUser: Map<string, KeptForUser>;
  /** Stored plans removed (or, dry-run, to remove): `plans/<id>.json` older than the age limit that nothing refers to. */
  plans: string[];
  /**
   * Stale stored plans left in place because this run is starting (no metadata of its own yet): it may be about to
   * load one of them (a --background child reads its plan reference again), and nothing records which yet.
   */
  plansHeldFor?: string;
}

/**
 * Why gc keeps a record for the user to settle, in the order gc lists them, each with what it asks of the user:
 * - `lock-unreadable`: its lock cannot be read as one (a directory, a FIFO, a symbolic link in its place), so whether
 *   a run holds it cannot be told (`lock`: the user removes the lock);
 * - `lock-read-error`: reading its lock failed (EACCES, EIO, EMFILE), which says nothing of the lock (`retry`);
 * - `lock-blocked`: its stale lock could not be taken over (a takeover stopped in a live process, or too many that
 *   died midway); no run holds it (`lock`);
 * - `state-unreadable`: its state.json cannot be read (corrupt, or no file in its place), so whether it holds
 *   promotion-gate evidence cannot be told (`state`: the user fixes or deletes the file);
 * - `metadata-unreadable`: its metadata.json is of a shape or status this orun does not know (a newer orun's, or
 *   damaged): its run's state and age cannot be told (`state`).
 * The one list of them: a new kind is listed, and fails gc, by being added here.
 */
export const KEPT_FOR_USER = {
  "lock-unreadable": "lock",
  "lock-read-error": "retry",
  "lock-blocked": "lock",
  "state-unreadable": "state",
  "metadata-unreadable": "state",
} as const satisfies Record<string, "lock" | "retry" | "state">;

export type KeptForUserReason = keyof typeof KEPT_FOR_USER;

export interface KeptForUser {
  reason: KeptForUserReason;
  note: string;
}

/** A record younger than this without metadata is a run starting (e.g. a --background hand-off). */
export const STARTING_GRACE_MS = 60_000;

export async function collectGarbage(store: ExecutionStore, options: GcOptions): Promise<GcResult> {
  const now = options.now ?? Date.now();
  const cutoff = now - options.maxAgeDays * 86_400_000;
  const entries = await store.list();
  const candidates: string[] = [];
  const keptRunning: string[] = [];
  // A Map: an exec ID may be any name, __proto__ included.
  const keptForUser = new Map<string, KeptForUser>();
  const keepForUser = (id: string, reason: KeptForUserReason, note: string): void => void keptForUser.set(id, { reason, note });
  const keepUnreadableLock = (id: string, unreadable: UnreadableLock): void => keepForUser(id, unreadable.readError ? "lock-read-error" : "lock-unreadable", unreadable.note);
  // Records the limits would remove that no run holds: candidates once their state.json is known to be readable.
  const eligible: string[] = [];
  for (const [index, entry] of entries.entries()) {
    const started = Date.parse(entry.startedAt ?? "");
    const young = !Number.isFinite(started) || started >= cutoff;
    if (index < options.keep && young) continue;
    const unreadable = await unreadableLock(store, entry.execId);
    if (unreadable) {
      keepUnreadableLock(entry.execId, unreadable);
      continue;
    }
    const damaged = entry.meta === undefined ? await damagedMetadata(store, entry.execId) : undefined;
    if (damaged !== undefined) {
      keepForUser(entry.execId, "metadata-unreadable", `metadata unreadable: ${damaged}; fix or delete the file, then run orun gc again`);
      continue;
    }
    const running = await mayBeRunning(store, entry.execId, entry.meta, now);
    if (running === "removing") continue; // another gc's
    if (running) {
      keptRunning.push(entry.execId);
      continue;
    }
    eligible.push(entry.execId);
  }
  // Every record's state.json is read once, by the search for evidence (which needs the newer records' too).
  const { holders, held: heldSuccesses, unreadable: unreadableStates } = eligible.length
    ? await evidenceHolders(store, entries, options.evidenceRevisions)
    : { holders: new Map<string, string>(), held: new Map<string, HeldSuccess>(), unreadable: new Map<string, unknown>() };
  for (const id of eligible) {
    if (unreadableStates.has(id)) keepForUser(id, "state-unreadable", unreadableStateNote(unreadableStates.get(id)));
    else candidates.push(id);
  }
  const keptEvidence = new Map<string, string>();
  const droppedEvidence = new Map<string, string>();
  for (const id of [...candidates]) {
    const note = holders.get(id);
    if (note === undefined) continue;
    if (options.dropEvidence) {
      droppedEvidence.set(id, note);
      continue;
    }
    keptEvidence.set(id, note);
    candidates.splice(candidates.indexOf(id), 1);
  }
  // Plans the executions that stay ran are kept (`orun run <plan id>` of a run still on record).
  const stayingPlans = new Set(entries.filter((entry) => !candidates.includes(entry.execId)).flatMap((entry) => (entry.meta?.planId ? [entry.meta.planId] : [])));
  const stale = await stalePlans(store, cutoff, stayingPlans);
  const plansHeldFor = stale.length ? await runStarting(store, entries, now) : undefined;
  const plans = plansHeldFor ? [] : stale;
  const held = plansHeldFor ? { plansHeldFor } : {};
  if (options.dryRun) {
    // What the real gc would find taking each lock: a stale lock whose takeover is stuck keeps its record, and so
    // does a run that took the lock since the scan (another gc's removal is left to it, as above).
    const removable: string[] = [];
    for (const id of candidates) {
      const seen = await lockTakeoverBlocked(store.lockFile(id));
      if (typeof seen === "string") keepForUser(id, "lock-blocked", `lock not taken over: ${seen}`);
      else if (seen === undefined) removable.push(id);
      else if (seen.live.purpose !== "gc") keptRunning.push(id);
    }
    return { removed: removable, keptEvidence, droppedEvidence: onlyOf(droppedEvidence, removable), keptRunning, keptForUser, plans, ...held, ...(await foreignNotes(store, keptRunning)) };
  }

  const removed: string[] = [];
  for (const id of candidates) {
    const outcome = await removeRecord(store, id);
    if (outcome === "removed") removed.push(id);
    else if (outcome === "locked") keptRunning.push(id);
    else if (outcome === "gone") continue;
    else if ("blocked" in outcome) keepForUser(id, "lock-blocked", outcome.blocked);
    else keepUnreadableLock(id, outcome.unreadable);
  }
  // Advisory: a failure to write them is a warning, and the clean-up below still runs.
  await noteRemovedEvidence(store, removedSuccesses(removed, heldSuccesses, options, now), options.warn);
  await removeOldSetAsideNotes(store, cutoff);
  const removedPlans: string[] = [];
  for (const id of plans) {
    const file = path.join(store.orunDir, "plans", `${id}.json`);
    // Saved again since it was looked at (the same plan compiled anew): it stays.
    if (((await lstat(file).catch(() => undefined))?.mtimeMs ?? Infinity) >= cutoff) continue;
    await rm(file, { force: true });
    removedPlans.push(id);
  }
  await sweepLeftovers(store, now);
  // Keep `latest` pointing at something that exists: not at what this gc removed, nor at what is already gone
  // (removed by hand, or by another gc running at the same time, which also removes what this one meant to keep).
  const link = path.join(store.executionsDir, "latest");
  const target = await readlink(link).catch(() => undefined);
  if (target !== undefined && (removed.includes(path.basename(target)) || !(await lstat(store.execDir(path.basename(target))).catch(() => undefined)))) {
    let survivor: string | undefined;
    for (const entry of entries) {
      if (removed.includes(entry.execId) || !(await lstat(store.execDir(entry.execId)).catch(() => undefined))) continue;
      survivor = entry.execId;
      break;
    }
    if (survivor) await store.pointLatest(survivor);
    else await rm(link, { force: true });
  }
  return { removed, keptEvidence, droppedEvidence: onlyOf(droppedEvidence, removed), keptRunning, keptForUser, plans: removedPlans, ...held, ...(await foreignNotes(store, keptRunning)) };
}

/** What the removed records were the newest success of at their revision, and why gc removed that. */
function removedSuccesses(removed: string[], held: Map<string, HeldSuccess>, options: GcOptions, now: number): RemovedEvidence[] {
  const removedAt = new Date(now).toISOString();
  return removed.flatMap((execId) => {
    const success = held.get(execId);
    if (!success) return [];
    return success.pairs.map(({ component, environment, revision }): RemovedEvidence => {
      const cause = success.kept.some((kept) => kept.component === component && kept.environment === environment && kept.revision === revision) ? "drop-evidence" : "older-revision";
      return { execId, component, environment, revision, removedAt, cause, ...(cause === "older-revision" ? { revisions: options.evidenceRevisions ?? DEFAULT_EVIDENCE_REVISIONS } : {}) };
    });
  });
}

/** The notes of the records in `ids` (those removed: a record kept for its lock holds its evidence still). */
function onlyOf(notes: Map<string, string>, ids: string[]): Map<string, string> {
  return new Map([...notes].filter(([id]) => ids.includes(id)));
}

/**
 * The note of a record whose state.json cannot be read (`err`, why): kept, since it may hold the only success of a
 * revision (gc-evidence.ts cannot tell; removed, the gate would lose it unsaid).
 */
/** Why a record's metadata.json is refused, beyond not being JSON at all (read as missing, like no file): undefined when it reads. */
async function damagedMetadata(store: ExecutionStore, execId: string): Promise<string | undefined> {
  try {
    await store.readMetadataLeniently(execId);
    return undefined;
  } catch (err) {
    return err instanceof OrunError && err.hint ? err.message.slice(0, -(err.hint.length + 3)) : errorMessage(err);
  }
}

function unreadableStateNote(err: unknown): string {
  return `state unreadable: ${errorMessage(err)}; whether it holds promotion-gate evidence cannot be told: fix or delete the file, then run orun gc again`;
}

/** A lock gc cannot read as one (`readError`: the read failed), and the note that says so. */
interface UnreadableLock {
  note: string;
  readError: boolean;
}

const readErrorNote = (failure: string, file: string): string => `lock could not be read: ${failure}, ${file}; nothing was removed`;

/**
 * The note of a record whose lock cannot be read as one: `lock unreadable: <what was found>, <lock path>; …` for no
 * lock file at all (removing it is the way out), or, `readError`, the read that failed and where (it may well be a
 * live run's lock: nothing is to be removed).
 */
async function unreadableLock(store: ExecutionStore, execId: string): Promise<UnreadableLock | undefined> {
  const file = store.lockFile(execId);
  const refusal = await lockRefusal(file);
  if (refusal === undefined) return undefined;
  if ("readError" in refusal) return { note: readErrorNote(refusal.readError, file), readError: true };
  return { note: `lock unreadable: ${refusal.noLock}, ${file}; remove it if no run is using this execution`, readError: false };
}

/** GcResult.keptForeign for the records kept as running: those whose lock names another host. */
async function foreignNotes(store: ExecutionStore, kept: string[]): Promise<Pick<GcResult, "keptForeign">> {
  // A Map: an exec ID may be any name, __proto__ included.
  const notes = new Map<string, string>();
  for (const id of kept) {
    const note = foreignLockNote(await liveLockOwner(store.lockFile(id)), store.lockFile(id));
    if (note) notes.set(id, note);
  }
  return notes.size ? { keptForeign: notes } : {};
}

/**
 * A run that has not written its own metadata yet (a new record, or a --background child resuming one whose
 * metadata is an earlier run's) and is alive: the plan it is about to load is recorded nowhere yet.
 */
async function runStarting(store: ExecutionStore, entries: Awaited<ReturnType<ExecutionStore["list"]>>, now: number): Promise<string | undefined> {
  for (const entry of entries) {
    const ownMetadata = entry.meta !== undefined && (await pendingBackgroundChild(store.execDir(entry.execId))) === undefined;
    if (!ownMetadata && (await mayBeRunning(store, entry.execId, undefined, now)) === true) return entry.execId;
  }
  return undefined;
}

/** A stored plan's own file, `plans/<plan id>.json` (spec 20 §7.3: 8 or more lowercase hex characters). */
const PLAN_FILE = /^([0-9a-f]{8,64})\.json$/;

/**
 * Stored plans older than `cutoff` that nothing refers to: not the plan of an execution that stays, nor the one
 * `latest.json` or a named plan (`orun plan --name`) holds. v2 removed every plan file older than 30 days,
 * whatever referred to it.
 */
async function stalePlans(store: ExecutionStore, cutoff: number, held: Set<string>): Promise<string[]> {
  const dir = path.join(store.orunDir, "plans");
  const names = await readdir(dir).catch(() => [] as string[]);
  const kept = new Set(held);
  for (const name of names) {
    if (!name.endsWith(".json") || PLAN_FILE.test(name)) continue;
    const id = await heldPlanId(path.join(dir, name));
    // A copy that cannot be read may hold any plan: nothing is removed on a guess.
    if (id === undefined) return [];
    kept.add(id);
  }
  const stale: string[] = [];
  for (const name of names) {
    const id = PLAN_FILE.exec(name)?.[1];
    if (!id || [...kept].some((keep) => keep.startsWith(id) || id.startsWith(keep))) continue;
    const info = await lstat(path.join(dir, name)).catch(() => undefined);
    if (info?.isFile() && info.mtimeMs < cutoff) stale.push(id);
  }
  return stale.sort();
}

/** The short ID of the plan a copy (latest.json, a named plan) holds; "" for what is no plan; undefined when unreadable. */
async function heldPlanId(file: string): Promise<string | undefined> {
  const info = await lstat(file).catch(() => undefined);
  if (!info?.isFile()) return "";
  // Not through a link or into a FIFO swapped in since the lstat.
  const text = await readOwnFileText(file, { maxBytes: MAX_TEXT_FILE_BYTES });
  if (text === undefined) return undefined;
  try {
    const plan = JSON.parse(text) as { metadata?: { checksum?: unknown } } | null;
    const checksum = plan?.metadata?.checksum;
    return typeof checksum === "string" ? checksum.replace(/^sha256-/, "").slice(0, 12) : "";
  } catch {
    return undefined;
  }
}

/**
 * A run (foreground, or a --background child after the hand-off) holds its record's lock for its whole
 * life, and the lock knows the owner's start time: a bare pid (metadata, the `pid` file) may have been
 * reused long after the run ended, so only the lock decides — plus a grace for a record without metadata or lock
 * (an older orun made the folder before its lock). `removing`: another gc holds it to remove it.
 */
async function mayBeRunning(store: ExecutionStore, execId: string, meta: RunMetadata | undefined, now: number): Promise<boolean | "removing"> {
  const owner = await liveLockOwner(store.lockFile(execId));
  if (owner) return owner.purpose === "gc" ? "removing" : true;
  // A record is made whole with its lock (openRecord): a lock whose owner is gone is no run starting up.
  if (meta === undefined && !(await lstat(store.lockFile(execId)).catch(() => undefined))) {
    const info = await stat(store.execDir(execId)).catch(() => undefined);
    // Birth time where the file system records it, else the last change of its entries.
    const created = info ? (info.birthtimeMs > 0 ? info.birthtimeMs : info.mtimeMs) : 0;
    if (now - created < STARTING_GRACE_MS) return true;
  }
  return false;
}

/**
 * Removes what interrupted writers left in executions/ a while ago: `latest.<pid>[.<hex>].tmp` symlinks,
 * directories an interrupted gc had moved aside (DISCARDED_SUFFIX) and records a killed run was assembling
 * (ASSEMBLING_SUFFIX). Nothing else (a real directory may be a record).
 */
async function sweepLeftovers(store: ExecutionStore, now: number): Promise<void> {
  const names = await readdir(store.executionsDir).catch(() => [] as string[]);
  for (const name of names) {
    const full = path.join(store.executionsDir, name);
    const info = await lstat(full).catch(() => undefined);
    if (!info || now - info.mtimeMs < STARTING_GRACE_MS) continue;
    if (/^latest\.\d+(\.[0-9a-f]{8})?\.tmp$/.test(name) && info.isSymbolicLink()) await rm(full, { force: true });
    else if ((isSetAsideName(name, DISCARDED_SUFFIX) || isSetAsideName(name, ASSEMBLING_SUFFIX)) && info.isDirectory()) await rm(full, { recursive: true, force: true });
  }
}

/**
 * Takes the record's lock (refused: a run owns it, keep it), moves the directory aside under a name
 * readers skip, then deletes it. A run starting on the same exec-id meanwhile gets a fresh directory.
 */
async function removeRecord(
  store: ExecutionStore,
  execId: string,
): Promise<"removed" | "locked" | "gone" | { unreadable: UnreadableLock } | { blocked: string }> {
  const dir = store.execDir(execId);
  try {
    await acquireExecLock(store.lockFile(execId), execId, { purpose: "gc" });
  } catch (err) {
    // Removed meanwhile (the lock reports a vanished record as an OrunError too), or being removed by another gc
    // (it was reported "still running"); else a run owns it.
    const holder = parseOwner((await readLockText(store.lockFile(execId))) ?? "");
    if (holder?.purpose === "gc" || !(await lstat(dir).catch(() => undefined))) return "gone";
    // Its read failed (it may have been readable a moment ago and be again the next): said as it was seen.
    if (err instanceof LockReadFailed) return { unreadable: { note: readErrorNote(err.failure, store.lockFile(execId)), readError: true } };
    // Made unreadable (a directory, a FIFO) since it was looked at: no owner to tell, as above.
    const unreadable = await unreadableLock(store, execId);
    if (unreadable) return { unreadable };
    // A stale lock whose takeover is stuck: no run holds it, so it is not called running.
    if (err instanceof LockTakeoverBlocked) return { blocked: `lock not taken over: ${err.note}` };
    // A lock that could not be written (a full disk) is no run: say so rather than "still running".
    if (err instanceof OrunError && err.cause === undefined) return "locked";
    throw err;
  }
  const aside = path.join(store.executionsDir, setAsideName(execId, DISCARDED_SUFFIX));
  await rename(dir, aside);
  await rm(aside, { recursive: true, force: true });
  return "removed";
}
