// Which commit a recorded job result is promotion evidence for. Each result carries the revision the run that
// recorded it vouched for (JobState.revision, run-revision.ts), as the backend keeps `no_evidence` per job: a record
// is resumed by several runs, and one of them may have run an uncommitted fix, so what the record's latest run
// vouched for says nothing of the results earlier runs left in it.
import { NO_REVISION, type ExecState, type JobState } from "./state.js";

/**
 * The revision a recorded result ran at: its own, else — recorded by an orun before results carried one — its
 * record's metadata.revision (judged as it was then). Undefined when it ran at none.
 */
export function resultRevision(job: JobState, recordRevision: string | undefined): string | undefined {
  const revision = job.revision ?? recordRevision;
  return revision === NO_REVISION ? undefined : revision;
}

/**
 * Stamps each completed result an older orun recorded without a revision with its record's (metadata.revision, or
 * none), before a run of this orun resumes the record and writes its own revision there. True when one was stamped.
 */
export function stampEarlierResults(state: ExecState, recordRevision: string | undefined): boolean {
  let stamped = false;
  for (const job of Object.values(state.jobs)) {
    if (job.status !== "completed" || job.revision !== undefined) continue;
    job.revision = recordRevision ?? NO_REVISION;
    stamped = true;
  }
  return stamped;
}

/**
 * The revision a record as a whole vouches for (metadata.revision, what `orun status` shows): the run's, unless a
 * result it keeps ran at another revision or at none (a success of an uncommitted fix, before a resume from the clean
 * commit). Results of both kinds are still judged one by one (resultRevision).
 */
export function recordRevision(state: ExecState, runRevision: string | undefined): string | undefined {
  if (runRevision === undefined) return undefined;
  const other = Object.values(state.jobs).some((job) => job.status === "completed" && (job.revision ?? runRevision) !== runRevision);
  return other ? undefined : runRevision;
}
