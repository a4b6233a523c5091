// The revision a run records its results under (metadata.revision): what later promotion gates accept as
// evidence that a component succeeded at that commit. The plan names the commit it was compiled from, but a
// stored plan can be run later from a working tree that has moved on — checked out elsewhere, or edited to fix
// a failure before a resume. Such a run still runs; it just vouches for no commit. Outside a git repository
// (a plan carried to another machine's folder) there is nothing to compare, and the plan's revision stands.
// Under remote state the runner reports this with each job's result (RemoteHooks.vouchFor): the backend counts
// the jobs it runs as no evidence, while the remote run's other runners may still vouch for theirs.

import { headCommit } from "../util/git.js";

/** `remoteRunId`: the run is remote state's (that run's other runners record evidence of their own). */
export async function revisionToRecord(planned: string | undefined, workspaceDir: string, warn: (message: string) => void, remoteRunId?: string): Promise<string | undefined> {
  if (!planned) return undefined;
  const head = await headCommit(workspaceDir);
  if (head === undefined) return planned;
  const short = planned.slice(0, 12);
  const noEvidence = `${remoteRunId === undefined ? "this run records" : `the jobs this runner runs in remote run ${remoteRunId} record`} no promotion evidence for ${short}`;
  if (head !== planned) {
    warn(`the working tree is at ${head.slice(0, 12)}, not at the plan's revision ${short}, so ${noEvidence}`);
    return undefined;
  }
  // Loaded here: a run of a plan without a revision (most hand-written ones) stays as lean as it was.
  const { sourceRevision } = await import("../planner/revision.js");
  const tree = await sourceRevision(workspaceDir, head);
  if (tree.revision === planned) return planned;
  warn(`${tree.reason ?? `the working tree does not match ${short}`}, so ${noEvidence}`);
  return undefined;
}
