// The source revision a plan records (metadata.revision). Promotion gates ask
// for evidence that a component succeeded in an environment at this revision,
// and every run of the plan records its results under it. So it names a commit
// only when the code the plan runs is that commit: git HEAD, provided no
// tracked file of the repository differs from it (modified, staged, deleted;
// composition sources and scripts may live outside the intent directory).
// Otherwise the plan records no revision: its gates block and its
// runs are no evidence, so a run of uncommitted code never lets HEAD through a
// gate. Untracked files do not count (plan files written with -o, scratch
// files): like `git describe --dirty`, only changes to what HEAD holds.

import { runGit } from "../util/git.js";

export interface SourceRevision {
  /** The commit to record; undefined outside a repository, before the first commit, or with uncommitted changes. */
  revision?: string;
  /** Why HEAD is not recorded although there is one. */
  warning?: string;
}

const SHOWN_FILES = 3;

export async function sourceRevision(dir: string, head: string | undefined): Promise<SourceRevision> {
  if (!head) return {};
  // -z: paths as they are (no quoting), relative to the repository root; --untracked-files=no: only what HEAD or the index track.
  const status = await runGit(dir, ["status", "--porcelain=v1", "-z", "--untracked-files=no"]);
  const short = head.slice(0, 12);
  const consequence = `so the plan records no source revision: its promotion gates block and its runs record no promotion evidence for ${short}`;
  if (!status.ok) return { warning: `cannot tell whether the working tree matches ${short} (git status: ${status.stderr.trim().split("\n")[0] || "failed"}), ${consequence}` };
  const changed = changedPaths(status.stdout);
  if (changed.length === 0) return { revision: head };
  const files = changed.slice(0, SHOWN_FILES).join(", ") + (changed.length > SHOWN_FILES ? ` and ${changed.length - SHOWN_FILES} more` : "");
  return { warning: `uncommitted changes to tracked files (${files}), ${consequence}; commit them and plan again` };
}

/** Paths in `git status --porcelain=v1 -z` output (a rename's or copy's original path is the entry after it). */
function changedPaths(output: string): string[] {
  const entries = output.split("\0");
  const paths: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.length < 4) continue;
    paths.push(entry.slice(3));
    if (/[RC]/.test(entry.slice(0, 2))) i++;
  }
  return paths;
}
