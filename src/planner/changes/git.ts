// The git commands change detection needs, run as real `git` processes.
// Unlike v2.3 (which turned every git failure into "nothing changed"), a
// missing repository or ref is an error: a silently empty change set would
// make CI skip work it should do.

import { realpath } from "node:fs/promises";
import { OrunError } from "../../util/errors.js";
import { gitShowBytes, runGit, type GitResult } from "../../util/git.js";

/** runGit, with git missing from PATH an error: change detection cannot work without it. */
async function git(cwd: string, args: readonly string[]): Promise<GitResult> {
  const result = await runGit(cwd, args);
  if (result.missing) throw new OrunError("change detection needs git, but `git` was not found on PATH");
  return result;
}

/** Absolute, symlink-resolved top level of the repository containing `dir`. */
export async function gitToplevel(dir: string): Promise<string> {
  const result = await git(dir, ["rev-parse", "--show-toplevel"]);
  if (!result.ok) {
    throw new OrunError(`${dir} is not inside a git repository`, {
      hint: "change detection compares git revisions; use --files a,b to name changed files without git",
    });
  }
  return realpath(result.stdout.trim());
}

/** The commit a ref names; tries `origin/<ref>` too (CI checkouts often only have remote branches). */
export async function resolveCommit(repo: string, ref: string, role: "base" | "head"): Promise<{ ref: string; sha: string }> {
  const remote = /^[0-9a-f]{7,40}$/i.test(ref) || /^(origin\/|refs\/)/.test(ref) ? [] : [`origin/${ref}`];
  for (const candidate of [ref, ...remote]) {
    const result = await git(repo, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${candidate}^{commit}`]);
    if (result.ok) return { ref: candidate, sha: result.stdout.trim() };
  }
  throw new OrunError(`${role} ref "${ref}" does not exist in ${repo}`, {
    location: { field: `--${role}` },
    hint: "check the branch, tag or commit name; in GitHub Actions check out with `fetch-depth: 0` so history is available",
  });
}

/** NUL-separated path output (`-z`) → paths. */
export function splitPaths(stdout: string): string[] {
  return stdout.split("\0").filter((p) => p !== "");
}

/** Paths (relative to the top level) that differ between two commits, or between a commit and the working tree. */
export async function diffNames(repo: string, from: string, to?: string): Promise<string[]> {
  const result = await git(repo, ["diff", "--name-only", "--no-renames", "-z", from, ...(to ? [to] : []), "--"]);
  if (!result.ok) throw new OrunError(`git diff ${from}${to ? ` ${to}` : ""} failed in ${repo}: ${result.stderr.trim()}`);
  return splitPaths(result.stdout);
}

/** The merge base of two commits; undefined for unrelated histories or shallow clones. */
export async function mergeBase(repo: string, a: string, b: string): Promise<string | undefined> {
  const result = await git(repo, ["merge-base", a, b]);
  return result.ok ? result.stdout.trim() : undefined;
}

/** Tracked files changed in the index or working tree (staged and unstaged). */
export async function uncommittedNames(repo: string): Promise<string[]> {
  const hasHead = (await git(repo, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])).ok;
  const staged = await git(repo, ["diff", "--cached", "--name-only", "--no-renames", "-z", "--"]);
  const unstaged = hasHead ? await git(repo, ["diff", "HEAD", "--name-only", "--no-renames", "-z", "--"]) : await git(repo, ["diff", "--name-only", "--no-renames", "-z", "--"]);
  for (const result of [staged, unstaged]) if (!result.ok) throw new OrunError(`git diff failed in ${repo}: ${result.stderr.trim()}`);
  return [...splitPaths(staged.stdout), ...splitPaths(unstaged.stdout)];
}

/** Untracked files that .gitignore does not exclude. */
export async function untrackedNames(repo: string): Promise<string[]> {
  const result = await git(repo, ["ls-files", "--others", "--exclude-standard", "-z", "--full-name", "--", ":/"]);
  if (!result.ok) throw new OrunError(`git ls-files failed in ${repo}: ${result.stderr.trim()}`);
  return splitPaths(result.stdout);
}

/** A file's content at a commit; undefined when the file does not exist there. */
export async function showFile(repo: string, commit: string, toplevelPath: string): Promise<Buffer | undefined> {
  const result = await gitShowBytes(repo, commit, toplevelPath);
  if (result.missing) throw new OrunError("change detection needs git, but `git` was not found on PATH");
  return result.ok ? result.bytes : undefined;
}
