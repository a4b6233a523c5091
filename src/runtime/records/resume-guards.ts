// What a resume (`orun run --exec-id` of an existing record, off remote state) refuses rather than guess: a record
// it cannot tell is a local run's. Refused before anything is written, naming the file and what to do.
import { OrunError } from "../../util/errors.js";
import { shellWord } from "../../util/shell-word.js";
import { runnerRecordRun } from "../ids.js";
import type { ExecutionStore } from "./store.js";

/**
 * A record whose metadata.json is missing or not JSON cannot show it was a local run. With a remote runner's record
 * ID (`<run>.<6 hex>`) it may be one runner's part in a remote run, whose state holds only that runner's jobs:
 * resumed here, every other job of the plan ran on this machine outside the run, and the record lost its remote run.
 */
export async function refuseResumingRunnerRecord(store: ExecutionStore, execId: string): Promise<void> {
  const run = runnerRecordRun(execId);
  if (run === undefined) return;
  const { meta, unreadable } = await store.readMetadataLeniently(execId);
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
