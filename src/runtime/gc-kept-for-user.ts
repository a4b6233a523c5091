// What `orun gc` says of the records it kept for the user to settle (GcResult.keptForUser): a line for each, then why
// it exits 1. Both read the one list of reasons (KEPT_FOR_USER), so a new reason is listed and fails gc by being there.
import { KEPT_FOR_USER, type KeptForUser, type KeptForUserReason } from "./gc.js";
import { OrunError } from "../util/errors.js";
import { printable } from "../util/printable.js";

/**
 * `  kept <id> (<note>)` for each record, grouped by reason in KEPT_FOR_USER's order. A note holds paths and what was
 * found in the record, which may come from anywhere: shown escaped.
 */
export function keptForUserLines(kept: ReadonlyMap<string, KeptForUser>): string[] {
  const entries = [...kept];
  return (Object.keys(KEPT_FOR_USER) as KeptForUserReason[]).flatMap((reason) =>
    entries.filter(([, record]) => record.reason === reason).map(([id, record]) => `  kept ${id} (${printable(record.note)})`),
  );
}

/**
 * Why gc exits 1 (`✕` on stderr) after keeping such records, or undefined: what was asked for was not done, and only
 * the user can say the record is free. `--dry-run` did what it was asked (exit 0). A lock whose read failed (EACCES,
 * EIO) may be a live run's: nothing to remove then, only to retry.
 */
export function keptForUserRefusal(kept: ReadonlyMap<string, KeptForUser>, dryRun: boolean | undefined): OrunError | undefined {
  if (kept.size === 0 || dryRun) return undefined;
  const asks = [...kept.values()].map((record) => KEPT_FOR_USER[record.reason]);
  const locks = asks.filter((ask) => ask !== "state").length;
  if (locks === 0) {
    const files = [...new Set([...kept.values()].map((record) => (record.reason === "metadata-unreadable" ? "metadata.json" : "state.json")))].sort().reverse().join(" or ");
    return new OrunError(`gc kept ${executions(asks.length)} whose ${files} it could not read (named above): fix or delete the file, then run orun gc again`);
  }
  if (asks.every((ask) => ask !== "lock")) {
    // Not "nothing was removed": other records may have been, just above.
    const left = locks === 1 ? "it was" : "they were";
    return new OrunError(`gc kept ${executions(locks)} whose lock it could not read (named above, left as ${left}); run orun gc again once the lock can be read`);
  }
  return new OrunError(`gc kept ${executions(locks)} whose lock it could not read or take over: see the note above for what to remove, then run orun gc again`);
}

const executions = (count: number): string => (count === 1 ? "1 execution" : `${count} executions`);
