// The revision a run records its results under (metadata.revision): what later promotion gates accept as
// evidence that a component succeeded at that commit. The plan names the commit it was compiled from, but a
// stored plan can be run later from a working tree that has moved on — checked out elsewhere, or edited to fix
// a failure before a resume. Such a run still runs; it just vouches for no commit. What is judged is the tree the
// jobs run in — `--workdir` (GITHUB_WORKSPACE), else each job's folder — not the intent's or the current folder:
// a fixed copy run through --workdir from a clean checkout of the broken commit is not that commit, and a clean
// checkout of the plan's commit named by --workdir is, wherever orun was started. Outside any git repository
// (a plan carried to another machine's folder, jobs and all) there is nothing to compare, and the plan's revision
// stands; jobs run outside a repository while the run starts inside one are no evidence.
// Under remote state the runner reports this with each job's result (RemoteHooks.vouchFor): the backend counts
// the jobs it runs as no evidence, while the remote run's other runners may still vouch for theirs.

import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { gitOutput, headCommit, runGit } from "../util/git.js";
import { isInside } from "../util/paths.js";

export interface RunFolders {
  /** Intent root, plan workDir or the current folder: where the run was started from. */
  workspaceDir: string;
  /** The folders the jobs run in: the --workdir override alone, else each job's folder. */
  jobDirs: readonly string[];
}

/** `remoteRunId`: the run is remote state's (that run's other runners record evidence of their own). */
export async function revisionToRecord(planned: string | undefined, folders: RunFolders, warn: (message: string) => void, remoteRunId?: string): Promise<string | undefined> {
  if (!planned) return undefined;
  const short = planned.slice(0, 12);
  const noEvidence = `${remoteRunId === undefined ? "this run records" : `the jobs this runner runs in remote run ${remoteRunId} record`} no promotion evidence for commit ${short}`;
  const workspace = existingReal(folders.workspaceDir);
  const { repositories, outside } = await repositoriesOf(folders.jobDirs.length > 0 ? folders.jobDirs : [folders.workspaceDir]);
  if (outside.length > 0) {
    // Nothing is a repository (the plan carried elsewhere): nothing to compare.
    if (repositories.size === 0 && (await headCommit(workspace)) === undefined) return planned;
    warn(`the jobs run in ${outside[0]}, which is not in a git repository (nothing shows it holds ${short}), so ${noEvidence}`);
    return undefined;
  }
  // Loaded here: a run of a plan without a revision (most hand-written ones) stays as lean as it was.
  const { sourceRevision } = await import("../planner/revision.js");
  for (const [root, dirs] of repositories) {
    // The repository the run started in is "the working tree", as before; another one is named.
    const tree = isInside(root, workspace) ? "the working tree" : `the working tree ${root} (where the jobs run)`;
    const head = await headCommit(root);
    if (head === undefined) {
      warn(`${tree} has no commit, not the plan's revision ${short}, so ${noEvidence}`);
      return undefined;
    }
    if (head !== planned) {
      warn(`${tree} is at ${head.slice(0, 12)}, not at the plan's revision ${short}, so ${noEvidence}`);
      return undefined;
    }
    const state = await sourceRevision(root, head);
    if (state.revision !== planned) {
      // A tracked .orun/ changes on every run: the same advice plan gives, or the warning comes back each time.
      const untrack = state.untrackState ? `; ${state.untrackState}` : "";
      warn(`${state.reason ?? `${tree} does not match ${short}`}${tree === "the working tree" ? "" : ` in ${root}`}, so ${noEvidence}${untrack}`);
      return undefined;
    }
    const untracked = await untrackedFolder(root, dirs, short);
    if (untracked !== undefined) {
      warn(`${untracked}, so ${noEvidence}`);
      return undefined;
    }
  }
  return planned;
}

/** The folders grouped by the git repository holding them (its top level), and those in none. */
async function repositoriesOf(dirs: readonly string[]): Promise<{ repositories: Map<string, string[]>; outside: string[] }> {
  const pending = [...new Set(dirs.map(existingReal))];
  const repositories = new Map<string, string[]>();
  const outside: string[] = [];
  // One `git rev-parse` per repository, not per folder: jobs' folders usually share the run's repository.
  while (pending.length > 0) {
    const dir = pending.shift()!;
    const top = await gitOutput(dir, ["rev-parse", "--show-toplevel"]);
    if (!top) {
      outside.push(dir);
      continue;
    }
    const root = existingReal(top);
    const members = [dir, ...pending.filter((other) => isInside(root, other))];
    for (const member of members.slice(1)) pending.splice(pending.indexOf(member), 1);
    repositories.set(root, [...(repositories.get(root) ?? []), ...members]);
  }
  return { repositories, outside };
}

/**
 * A folder of `dirs` that the repository does not track at all (a copy next to the code, an ignored build
 * folder, a nested clone): the code run there is no commit's. Untracked files among tracked ones do not count,
 * as for the plan's revision. The reason, or undefined when every folder is tracked.
 */
async function untrackedFolder(root: string, dirs: readonly string[], short: string): Promise<string | undefined> {
  const relative = new Map(dirs.map((dir) => [path.relative(root, dir).split(path.sep).join("/"), dir] as const));
  relative.delete("");
  if (relative.size === 0) return undefined;
  // A wholly untracked (or ignored) folder named as a pathspec is listed as itself, "<folder>/".
  const others = await runGit(root, ["ls-files", "-z", "--others", "--directory", "--", ...[...relative.keys()].map((rel) => `:(literal)${rel}`)]);
  if (!others.ok) return `cannot tell whether git tracks the folders the jobs run in (git ls-files: ${others.stderr.trim().split("\n")[0] || "failed"})`;
  for (const entry of others.stdout.split("\0")) {
    const dir = entry.endsWith("/") ? relative.get(entry.slice(0, -1)) : undefined;
    if (dir !== undefined) return `the jobs run in ${dir}, a folder git does not track (${short} holds nothing there)`;
  }
  return undefined;
}

/** The real path of `dir`, or of its nearest existing ancestor (a job folder not made yet is judged where it would be). */
function existingReal(dir: string): string {
  let current = path.resolve(dir);
  while (!existsSync(current) && path.dirname(current) !== current) current = path.dirname(current);
  try {
    return realpathSync(current);
  } catch {
    return current;
  }
}
