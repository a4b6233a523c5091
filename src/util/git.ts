// The one way orun runs `git`: a real child process (`git -C <dir> …`) with a
// stable environment. Callers decide what a failure means: change detection
// turns it into an error naming the ref or directory, while reading the plan
// revision or the `github` context treats it as "no value".

import { execFile } from "node:child_process";

export interface GitResult {
  /** Exit status 0. */
  ok: boolean;
  /** True when no `git` program is on PATH (ok is then false). */
  missing: boolean;
  stdout: string;
  stderr: string;
}

export interface GitOptions {
  /** Kill git after this many milliseconds (a hung credential helper or network filesystem); the result is then not ok. */
  timeoutMs?: number;
}

// No optional index lock (a concurrent `git commit` never fails because orun looked);
// C locale so messages quoted in errors read the same on every machine.
const GIT_ENV = { GIT_OPTIONAL_LOCKS: "0", LC_ALL: "C" };

/** Runs `git -C <dir> <args…>`; never rejects. */
export function runGit(dir: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile(
      "git",
      ["-C", dir, ...args],
      { maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? 0, env: { ...process.env, ...GIT_ENV } },
      (err, stdout, stderr) => {
        const missing = (err as NodeJS.ErrnoException | null)?.code === "ENOENT";
        resolve({ ok: !err, missing, stdout, stderr });
      },
    );
  });
}

/** `git show <commit>:<path>` as bytes (a file's encoding is its own); undefined when the file does not exist there. */
export function gitShowBytes(dir: string, commit: string, repoPath: string): Promise<{ ok: boolean; missing: boolean; bytes: Buffer }> {
  return new Promise((resolve) => {
    execFile(
      "git",
      ["-C", dir, "show", `${commit}:${repoPath}`],
      { encoding: "buffer", maxBuffer: 256 * 1024 * 1024, env: { ...process.env, ...GIT_ENV } },
      (err, stdout) => resolve({ ok: !err, missing: (err as NodeJS.ErrnoException | null)?.code === "ENOENT", bytes: stdout }),
    );
  });
}

/** Trimmed stdout of a git command that succeeded; undefined when it failed, timed out or git is not installed. */
export async function gitOutput(dir: string, args: readonly string[], options: GitOptions = {}): Promise<string | undefined> {
  const result = await runGit(dir, args, options);
  return result.ok ? result.stdout.trim() : undefined;
}

/** The commit HEAD names in the repository containing `dir` (full hex SHA); undefined outside a repository or before the first commit. */
export async function headCommit(dir: string): Promise<string | undefined> {
  const sha = await gitOutput(dir, ["rev-parse", "--verify", "--quiet", "HEAD"]);
  return sha && /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined;
}
