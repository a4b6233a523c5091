// The words a failed step's error is shown in (spec 20 §6, "Step failure"): the failure block's `✗` and `error` lines,
// the -v step lines, retry and `onFailure: continue` lines and `orun logs`. The record keeps the runner's own words
// (state.json lastError `step <key>: exit status 3`, and --json); every line a person reads says it in the spec's.
import { printable } from "../../util/printable.js";

/** The summary the `error` line shows, and the step's time limit when a timeout stopped it (for the hint). */
export interface ErrorSummary {
  summary: string;
  timeout?: string;
  /** The step exited non-zero, timed out or was canceled: the summary is the spec's few words, not the error's text. */
  short: boolean;
}

/** `error` is a step's error without its `step <key>: ` prefix (`exit status 3`, `timed out after 3s`, `canceled`). */
export function errorSummary(error: string): ErrorSummary {
  const exit = /^exit status (\d+)$/.exec(error);
  if (exit) return { summary: `command exited with code ${exit[1]}`, short: true };
  // A composite action's step or an action's post failed (`deploy › step 1: exit status 3`, `job finalizer: post np:
  // exit status 3`): the same words after what names it.
  const named = /^(.+: )exit status (\d+)$/s.exec(error);
  if (named) return { summary: `${named[1]}command exited with code ${named[2]}`, short: false };
  // The local and docker runners say `timed out after 3s`, the github-actions runner `command timed out after 3s`.
  const timeout = /^(?:command )?timed out after (\S+)$/.exec(error);
  if (timeout) return { summary: "command timed out", timeout: timeout[1], short: true };
  if (error === "canceled") return { summary: "command canceled", short: true };
  return { summary: error, short: false };
}

/**
 * A recorded error (`step <key>: exit status 3`, or a step's own) on a line of its own, with no hint beside it (-v
 * step lines, retry and `onFailure: continue` lines, `orun logs`): `step <key>: command exited with code 3`, and a
 * timeout keeps its limit (`command timed out after 300ms`), which the failure block gives in its hint.
 */
export function describedError(error: string): string {
  const step = /^step [^:]+: /.exec(error)?.[0] ?? "";
  const { summary, timeout } = errorSummary(error.slice(step.length));
  return step + summary + (timeout === undefined ? "" : ` after ${timeout}`);
}

/**
 * `error`: the job's error as recorded; `cwd`: the failed step's working directory, when known; `localActionRoot`: the
 * job failed for a missing local action, relative to that root (the runner says so: StepResult).
 */
export function hintFor(error: string, options: { cwd?: string; localActionRoot?: string } = {}): string | undefined {
  // A local action is looked for from the repository root, not the step's working directory (the general
  // "path not found" hint below would send the user to the component path).
  if (options.localActionRoot !== undefined) return `local actions (use: ./path) are relative to the repository root ${printable(options.localActionRoot)}, not to the step's working directory; fix the path in use: or add the action there`;
  // A runner's failure to start a job (no container engine, a mount refused…) carries its own hint: these
  // step-level guesses (a component path, executable permissions) would point the wrong way.
  if (error.startsWith("start job: ")) return undefined;
  const text = error.toLowerCase();
  // Said by every runner when the step's own folder is missing (the general hint below would send the user looking
  // for a path inside it).
  const missingDir = /working directory (.+) does not exist/.exec(error);
  if (missingDir) return `the working directory ${printable(missingDir[1]!)} is missing; check the job's path and the step's working-directory, or set --workdir`;
  const stepError = error.replace(/^step [^:]+: /, "");
  if (text.includes("timed out") || text.includes("context deadline exceeded")) {
    const limit = errorSummary(stepError).timeout;
    return `the command exceeded its configured timeout${limit ? ` of ${printable(limit)}` : ""}; increase step.timeout or job.timeout if it is expected to take longer`;
  }
  if (text.includes("no such file or directory") || text.includes("does not exist")) {
    const from = options.cwd === undefined ? "the step's working directory" : `the step's working directory ${printable(options.cwd)}`;
    return `a file or path was not found from ${from}; check the component path and relative file paths, or set --workdir`;
  }
  if (text.includes("unable to find image") || text.includes("pull access denied")) return "the container image could not be pulled; check the image name (job.runsOn with --runner docker, or a docker:// step image) and access to its registry";
  if (text.includes("executable file not found") || text.includes("command not found") || /(^|: )exit status 127$/.test(stepError)) return "a required command is not available in this runner environment";
  if (text.includes("permission denied") || /(^|: )exit status 126$/.test(stepError)) return "permission denied; check executable permissions and access to the target directory";
  return undefined;
}
