// .orun/gc-removed-evidence.json: the promotion-gate successes `orun gc` removed (gc-evidence.ts), so a gate left
// without evidence can say why (gates.ts). The notes only explain a block: a damaged note is dropped, a file that
// cannot be read gives none (each said once), and gc warns rather than fails when it cannot write them — its
// removals are done by then. A file gc cannot parse is set aside, not overwritten; gc runs at once take turns (a lock).
import { readdir, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { acquireExecLock, lockHolder, type ExecLock } from "./records/lock.js";
import type { ExecutionStore } from "./records/store.js";
import { toJson, writeFileAtomic } from "./fs-atomic.js";
import { readOwnFile, jsonErrorWithoutExcerpt } from "../util/fs-read.js";
import { errorMessage, fileSystemReason } from "../util/errors.js";
import { warnOnStderr } from "../util/warning.js";

/** A success gc removed: what gates.ts names when a gate finds no evidence at that revision. */
export interface RemovedEvidence {
  execId: string;
  component: string;
  environment: string;
  revision: string;
  removedAt: string;
  /** `drop-evidence`: removed though kept otherwise; `older-revision`: past the `revisions` newest revisions. */
  cause: "drop-evidence" | "older-revision";
  revisions?: number;
}

const CAUSES: readonly string[] = ["drop-evidence", "older-revision"];

/** Notes kept; the oldest go first. */
const REMOVED_EVIDENCE_KEPT = 1000;
const MAX_NOTES_BYTES = 16 * 1024 * 1024;
/** How long gc waits for another gc of this host writing its notes (which takes milliseconds). */
const LOCK_WAIT_MS = 2_000;

export function removedEvidenceFile(store: ExecutionStore): string {
  return path.join(store.orunDir, "gc-removed-evidence.json");
}

type NotesRead = { notes: RemovedEvidence[]; damaged?: string } | { unreadable: string; notJson: boolean };

/** Why `value` is no note (`removedAt: expected a date`), or undefined for a sound one. */
function noteFault(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "expected an object";
  const note = value as Record<string, unknown>;
  for (const field of ["execId", "component", "environment", "revision", "removedAt"]) {
    if (typeof note[field] !== "string" || note[field] === "") return `${field}: expected a non-empty string`;
  }
  if (!Number.isFinite(Date.parse(note.removedAt as string))) return "removedAt: expected a date";
  if (!CAUSES.includes(note.cause as string)) return `cause: expected one of ${CAUSES.join(", ")}`;
  if (note.revisions !== undefined && !(Number.isSafeInteger(note.revisions) && (note.revisions as number) >= 0)) return "revisions: expected a whole number";
  return undefined;
}

async function readNotes(file: string): Promise<NotesRead> {
  const read = await readOwnFile(file, { maxBytes: MAX_NOTES_BYTES });
  if (read.kind === "missing") return { notes: [] };
  if (read.kind === "refused") return { unreadable: /^(a|an|not|larger) /.test(read.reason) ? `it is ${read.reason}` : `cannot read it: ${read.reason}`, notJson: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.text);
  } catch (err) {
    return { unreadable: `invalid JSON: ${jsonErrorWithoutExcerpt(err)}`, notJson: true };
  }
  const removed = (parsed as { removed?: unknown } | null)?.removed;
  if (!Array.isArray(removed)) return { unreadable: `expected {"removed": [...]}`, notJson: true };
  const notes: RemovedEvidence[] = [];
  let damaged: string | undefined;
  let bad = 0;
  removed.forEach((value: unknown, index) => {
    const fault = noteFault(value);
    if (fault === undefined) notes.push(value as RemovedEvidence);
    else {
      bad++;
      damaged ??= `removed[${index}]: ${fault}`;
    }
  });
  return damaged === undefined ? { notes } : { notes, damaged: `${bad} damaged note${bad === 1 ? "" : "s"} ignored (${damaged})` };
}

/** Files already warned about in this process: a run checks its gates once per gated job. */
const warned = new Set<string>();

function warnOnce(file: string, message: string, warn: (message: string) => void): void {
  if (warned.has(file)) return;
  warned.add(file);
  warn(message);
}

/**
 * The successes gc removed, newest last; none when the file is missing or cannot be read. Damaged notes are dropped.
 * Either is warned once, naming the file.
 */
export async function readRemovedEvidence(store: ExecutionStore, warn: (message: string) => void = warnOnStderr): Promise<RemovedEvidence[]> {
  const file = removedEvidenceFile(store);
  const read = await readNotes(file);
  if ("unreadable" in read) {
    warnOnce(file, `${file}: ${read.unreadable}; it is ignored, so a promotion gate blocked for want of evidence gc removed does not say so`, warn);
    return [];
  }
  if (read.damaged) warnOnce(file, `${file}: ${read.damaged}`, warn);
  return read.notes;
}

/**
 * Adds notes of the successes just removed to .orun/gc-removed-evidence.json (written atomically, under a lock another
 * gc waits for, merged with what the file holds then). Never throws: what cannot be done is warned.
 */
export async function noteRemovedEvidence(store: ExecutionStore, notes: RemovedEvidence[], warn: (message: string) => void = warnOnStderr): Promise<void> {
  if (notes.length === 0) return;
  const file = removedEvidenceFile(store);
  const lost = `a promotion gate blocked at ${notes.length === 1 ? "its revision" : "their revisions"} will not say gc removed ${notes.length === 1 ? "it" : "them"}`;
  let lock: ExecLock | undefined;
  try {
    lock = await lockNotes(`${file}.lock`);
    const read = await readNotes(file);
    let earlier: RemovedEvidence[] = [];
    if ("unreadable" in read) {
      // Only a file holding something other than notes is set aside; a directory or a FIFO in its place is left as it is.
      if (!read.notJson) throw new Error(read.unreadable);
      const aside = `${file}.damaged-${Date.now()}`;
      await rename(file, aside);
      warn(`${file}: ${read.unreadable}; set aside as ${path.basename(aside)}, and a new one started`);
    } else {
      earlier = read.notes;
      if (read.damaged) warn(`${file}: ${read.damaged}; dropped from it`);
    }
    await writeFileAtomic(file, toJson({ removed: [...earlier, ...notes].slice(-REMOVED_EVIDENCE_KEPT) }));
  } catch (err) {
    warn(`cannot note the removed promotion evidence in ${file} (${fileSystemReason(err)}): ${lost}`);
  } finally {
    await lock?.release().catch(() => undefined);
  }
}

/**
 * The notes' lock, waited for a moment while another gc of this host writes its notes (a few milliseconds' work). One
 * another host holds cannot be checked from here, so it is not waited for. The refusal names the file and its holder,
 * not an execution (acquireExecLock words its own for a run).
 */
async function lockNotes(file: string): Promise<ExecLock> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return await acquireExecLock(file, "gc-removed-evidence");
    } catch (err) {
      // A file system failure (read-only, full: the error's cause) is not waited out; another gc holding it is.
      if ((err as { cause?: unknown }).cause !== undefined) throw new Error(`cannot lock ${path.basename(file)}: ${errorMessage(err)}`);
      const { owner } = await lockHolder(file);
      const foreign = owner?.host !== undefined && owner.host !== os.hostname();
      if (foreign || Date.now() > deadline) {
        const holder = owner === undefined ? "another orun gc" : `orun gc ${foreign ? `on host ${owner.host} ` : ""}(pid ${owner.pid ?? "?"}${owner.since ? `, since ${owner.since}` : ""})`;
        throw new Error(`${file} is held by ${holder}; remove that file if that gc is gone`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** What `noteRemovedEvidence` set aside: `gc-removed-evidence.json.damaged-<ms>`. */
const SET_ASIDE = /^gc-removed-evidence\.json\.damaged-(\d+)$/;

/**
 * Removes the damaged notes files gc set aside before `cutoff` (gc's --max-age, as for records): kept that long for
 * whoever wants to look into them, then gone. Never throws: one that cannot be removed stays.
 */
export async function removeOldSetAsideNotes(store: ExecutionStore, cutoff: number): Promise<void> {
  const names = await readdir(store.orunDir).catch(() => [] as string[]);
  for (const name of names) {
    const setAt = Number(SET_ASIDE.exec(name)?.[1]);
    if (Number.isFinite(setAt) && setAt < cutoff) await rm(path.join(store.orunDir, name), { force: true }).catch(() => undefined);
  }
}
