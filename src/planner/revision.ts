// The source revision a plan records (metadata.revision). Promotion gates ask
// for evidence that a component succeeded in an environment at this revision,
// and every run of the plan records its results under it. So it names a commit
// only when the code the plan runs is that commit: git HEAD, provided no
// tracked file of the repository differs from it (modified, staged, deleted;
// composition sources and scripts may live outside the intent directory).
// Otherwise the plan records no revision: its gates block and its
// runs are no evidence, so a run of uncommitted code never lets HEAD through a
// gate. Untracked files do not count (plan files written with -o, scratch
// files): like `git describe --dirty`, only changes to what HEAD holds, except
// the intent and component manifests the plan was compiled from: a new
// component.yaml not yet added (or one gitignored) is code HEAD does not hold.

import { runGit } from "../util/git.js";
import { shellWord } from "../util/shell-word.js";

export interface SourceRevision {
  /** The commit to record; undefined outside a repository, before the first commit (with a warning), or with uncommitted changes. */
  revision?: string;
  /** Why HEAD is not recorded although there is one. */
  warning?: string;
  /** The reason alone (what differs from HEAD), without what it means for the plan. */
  reason?: string;
  /** What ends it when orun's own state folder (.orun/) is what differs: it is tracked by git by mistake. */
  untrackState?: string;
  /** The warning matters only to a plan with promotion gates (outside a repository: nothing to commit). */
  onlyWithGates?: boolean;
}

const SHOWN_FILES = 3;

/**
 * `readFiles`: files the plan was read from, relative to `dir` with forward slashes (the intent, component
 * manifests); one that HEAD does not hold (untracked or ignored) also leaves the revision out.
 */
export async function sourceRevision(dir: string, head: string | undefined, readFiles: readonly string[] = []): Promise<SourceRevision> {
  if (!head) return await unbornHead(dir);
  // -z: paths as they are (no quoting), relative to the repository root; --untracked-files=no: only what HEAD or the index track.
  // ls-files --others (ignored ones too) --directory: files not in the index under `dir`, a wholly untracked folder as one entry ending in "/".
  const [status, others] = await Promise.all([
    runGit(dir, ["status", "--porcelain=v1", "-z", "--untracked-files=no"]),
    readFiles.length > 0 ? runGit(dir, ["ls-files", "-z", "--others", "--directory", "--", "."]) : undefined,
  ]);
  const short = head.slice(0, 12);
  const consequence = `so the plan records no source revision: its promotion gates block and its runs record no promotion evidence for commit ${short}`;
  const unknown = (command: string, result: { stderr: string }): SourceRevision => {
    const reason = `cannot tell whether the working tree matches ${short} (${command}: ${result.stderr.trim().split("\n")[0] || "failed"})`;
    return { reason, warning: `${reason}, ${consequence}` };
  };
  if (!status.ok) return unknown("git status", status);
  if (others && !others.ok) return unknown("git ls-files", others);
  const changed = changedPaths(status.stdout);
  const notInHead = others ? untrackedAmong(others.stdout, readFiles) : [];
  if (changed.length === 0 && notInHead.length === 0) return { revision: head };
  const reasons: string[] = [];
  if (changed.length > 0) reasons.push(`uncommitted changes to tracked files (${shown(changed)})`);
  if (notInHead.length > 0) reasons.push(`files the plan was compiled from that are not committed (${shown(notInHead)})`);
  const reason = reasons.join(" and ");
  const untrackState = untrackAdvice(changed);
  return { reason, warning: `${reason}, ${consequence}; ${advice(changed, notInHead)}`, ...(untrackState ? { untrackState } : {}) };
}

/**
 * In a repository with no commit yet (as after `git init`, where getting-started begins) there is no revision to
 * record: say so, as for uncommitted changes, rather than let a gate block later with no warning before. Outside a
 * repository the same holds for a plan with promotion gates (their block says "as warned"); one without gates
 * loses nothing, so it is not warned.
 */
async function unbornHead(dir: string): Promise<SourceRevision> {
  const inside = await runGit(dir, ["rev-parse", "--is-inside-work-tree"]);
  if (!inside.ok || inside.stdout.trim() !== "true") {
    const reason = "the intent's folder is not in a git repository";
    return {
      reason,
      warning: `${reason}, so the plan records no source revision: its promotion gates block and its runs record no promotion evidence; plan in a git repository, with the code committed`,
      onlyWithGates: true,
    };
  }
  const reason = "the repository has no commit yet";
  return { reason, warning: `${reason}, so the plan records no source revision: its promotion gates block and its runs record no promotion evidence; commit and plan again` };
}

/**
 * What to do. orun's own state folder (.orun/) committed by mistake changes on every run: committing it again
 * brings the warning back, so the advice is to stop tracking it.
 */
function advice(changed: string[], notInHead: string[]): string {
  const untrack = untrackAdvice(changed);
  if (untrack === undefined) return "commit them and plan again";
  const codeChanged = changed.some((file) => stateFolderOf(file) === undefined) || notInHead.length > 0;
  return codeChanged ? `${untrack}; commit the other changes, and plan again` : `${untrack}, and plan again`;
}

/** `orun's state folder is tracked by git: add .orun/ to .gitignore, …` when a changed file is in a .orun folder. */
function untrackAdvice(changed: string[]): string | undefined {
  const state = [...new Set(changed.map(stateFolderOf).filter((folder): folder is string => folder !== undefined))];
  if (state.length === 0) return undefined;
  return `orun's state folder is tracked by git: add .orun/ to .gitignore, run git rm -r --cached ${state.map(shellWord).join(" ")} and commit`;
}

/** The `.orun` folder a repository path lies in (`apps/.orun` for `apps/.orun/plans/x.json`), if any. */
function stateFolderOf(file: string): string | undefined {
  const match = /^(?:(.*?)\/)?\.orun\//.exec(file);
  if (!match) return undefined;
  return match[1] === undefined ? ".orun" : `${match[1]}/.orun`;
}

function shown(paths: string[]): string {
  return paths.slice(0, SHOWN_FILES).join(", ") + (paths.length > SHOWN_FILES ? ` and ${paths.length - SHOWN_FILES} more` : "");
}

/** The files of `readFiles` that `git ls-files -z --others --directory` output lists, themselves or in a listed folder. */
function untrackedAmong(output: string, readFiles: readonly string[]): string[] {
  const entries = new Set(output.split("\0").filter((entry) => entry.length > 0));
  if (entries.size === 0) return [];
  return readFiles.filter((file) => {
    if (entries.has(file) || entries.has("./")) return true;
    for (let slash = file.indexOf("/"); slash >= 0; slash = file.indexOf("/", slash + 1)) if (entries.has(file.slice(0, slash + 1))) return true;
    return false;
  });
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
