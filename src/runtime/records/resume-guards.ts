// What a resume (`orun run --exec-id` of an existing record, off remote state) refuses rather than guess: a record
// it cannot tell is a local run's, and one whose results are gone while its logs show jobs ran. Both are refused
// before anything is written, naming the file and what to do.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { OrunError } from "../../util/errors.js";
import { printable } from "../../util/printable.js";
import { shellWord } from "../../util/shell-word.js";
import { runnerRecordRun } from "../ids.js";
import { remoteRunWords } from "../plan-reference.js";
import type { ExecutionStore, RunMetadata } from "./store.js";

/**
 * A record's metadata.json as a resume (or its dry-run) reads it, once for all its checks: readMetadataLeniently's
 * result, or `damaged`, the error that metadata of the wrong shape is — thrown where the resume refuses it
 * (recordedMetadata), after the checks of the record's state, which go without it.
 */
export type ResumedMetadata = { meta?: RunMetadata; unreadable?: string; damaged?: unknown };

export async function readResumedMetadata(store: ExecutionStore, execId: string): Promise<ResumedMetadata> {
  return store.readMetadataLeniently(execId).catch((damaged: unknown) => ({ damaged }));
}

/** The record's metadata as readMetadataLeniently gives it: metadata of the wrong shape refuses the resume here. */
export function recordedMetadata(read: ResumedMetadata): { meta?: RunMetadata; unreadable?: string } {
  if (read.damaged !== undefined) throw read.damaged;
  return read;
}

/**
 * A record whose metadata.json is missing or not JSON cannot show it was a local run. With a remote runner's record
 * ID (`<run>.<6 hex>`) it may be one runner's part in a remote run, whose state holds only that runner's jobs:
 * resumed here, every other job of the plan ran on this machine outside the run, and the record lost its remote run.
 */
export function refuseResumingRunnerRecord(store: ExecutionStore, execId: string, metadata: ResumedMetadata): void {
  const run = runnerRecordRun(execId);
  if (run === undefined) return;
  const { meta, unreadable } = recordedMetadata(metadata);
  if (meta?.remoteRunId) refuseRemotePart(execId, meta.remoteRunId, meta, store);
  if (meta) return;
  const renamed = `${run}-${execId.slice(run.length + 1)}`;
  throw new OrunError(
    `cannot resume ${execId} here: its metadata.json ${unreadable ? "is not valid JSON" : "is missing"}, and its ID has the form of a remote runner's own record (<run>.<6 hex>), one runner's part in a remote run; resumed off remote state, every job of the plan this record does not hold would run on this machine, outside that run`,
    {
      location: { file: store.metadataFile(execId) },
      hint: `rejoin the remote run instead: orun run <plan> --remote-state --backend-url <url> --exec-id ${shellWord(run)}; or start afresh with a new --exec-id; if this record was a local run, rename it to resume it: mv ${shellWord(store.execDir(execId))} ${shellWord(store.execDir(renamed))} && orun run --exec-id ${shellWord(renamed)}`,
    },
  );
}

/**
 * A runner's record that says it is its part of remote run `run` holds only that runner's jobs: resumed off remote
 * state, every other job of the plan would run on this machine, outside the run. Refused, naming the command the
 * runner recorded in the run (its rejoin command, as `orun status` gives it).
 */
function refuseRemotePart(execId: string, run: string, meta: RunMetadata, store: ExecutionStore): never {
  const rejoin = meta.resumeCommand?.trim() || `orun run ${meta.planId ? `${shellWord(meta.planId)} ` : ""}--exec-id ${remoteRunWords(run, meta.remoteBackendUrl)}`;
  throw new OrunError(
    `cannot resume ${printable(execId)} here: it is this machine's part of remote run ${printable(run)}, which holds only this runner's jobs; resumed off remote state, every other job of the plan would run on this machine, outside that run`,
    {
      location: { file: store.metadataFile(execId) },
      hint: `rejoin it: ${printable(rejoin)}; or start afresh with a new --exec-id`,
    },
  );
}

/**
 * A record without state.json whose logs show jobs ran: what became of them is not recorded, so a resume would run
 * every one again (a deploy too). Refused, as a journal without its state.json is (resume-state.ts loadState).
 */
export async function refuseResumeWithoutState(store: ExecutionStore, execId: string): Promise<void> {
  const logged = await loggedJobFolders(store, execId);
  if (logged.length === 0) return;
  throw new OrunError(
    `execution ${execId} has no state.json, but its logs show ${logged.length} job(s) ran (${logged.slice(0, 3).join(", ")}${logged.length > 3 ? ", …" : ""}): their results are not recorded, so a resume would run them all again`,
    {
      location: { file: store.stateFile(execId) },
      hint: `restore state.json; or delete the record's logs too (rm -r ${shellWord(store.logsDir(execId))}) to run every job again in it; or use a new --exec-id`,
    },
  );
}

/**
 * The job folders under the record's logs/ that hold a step's log (real folders and regular files only), sorted;
 * none when it has no logs. An empty folder, or one holding only links, is no sign that a job ran.
 */
export async function loggedJobFolders(store: ExecutionStore, execId: string): Promise<string[]> {
  const entries = await readdir(store.logsDir(execId), { withFileTypes: true }).catch(() => []);
  const logged: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const files = await readdir(path.join(store.logsDir(execId), entry.name), { withFileTypes: true }).catch(() => []);
    if (files.some((file) => file.isFile())) logged.push(printable(path.basename(entry.name)));
  }
  return logged.sort();
}
