// A `run --background --json` start-up, between the detached child and its parent: the parent prints its
// `"status": "started"` document only once the child's run has started. A child refused before that (a --job whose
// dependencies are not done, a plan that no longer compiles) hands its error to the parent, which prints it as any
// command does under --json (✕ on stderr, the JSON error on stdout) and exits non-zero. Before, the parent said
// "started" (exit 0) and the child's JSON error went to a summary file already removed.
import { closeSync, writeSync } from "node:fs";
import { OrunError, errorMessage } from "../util/errors.js";
import { printable } from "../util/printable.js";
import { jsonErrorOf, type JsonError } from "./json-error.js";

const STARTED = "started";

interface Refusal extends JsonError {
  exitCode: number;
}

/** In the child: its end of the pipe (named by `variable`), taken out of the environment its steps inherit. */
export function startupPipe(env: NodeJS.ProcessEnv, variable: string): StartupPipe | undefined {
  const fd = Number(env[variable]);
  delete env[variable];
  return Number.isInteger(fd) && fd > 2 ? new StartupPipe(fd) : undefined;
}

export class StartupPipe {
  private open = true;

  constructor(private readonly fd: number) {}

  /** The run has started (or ended without a refusal): the parent prints "started". Once; later calls do nothing. */
  started(): void {
    this.send(STARTED);
  }

  /**
   * Refused before its run started: the parent prints this error and exits with its status. False when the parent was
   * not told (gone, or the run had started): then the record must say it.
   */
  refused(err: unknown): boolean {
    const refusal: Refusal = { exitCode: err instanceof OrunError ? err.exitCode : 1, ...jsonErrorOf(err, errorMessage(err)) };
    return this.send(JSON.stringify(refusal));
  }

  /** Whether `text` reached the parent. */
  private send(text: string): boolean {
    if (!this.open) return false;
    this.open = false;
    let sent = false;
    try {
      // The whole text, or the parent reads a cut refusal (explainedRefusal then finds no JSON in it).
      sent = writeSync(this.fd, text) === Buffer.byteLength(text);
    } catch {
      // The parent is gone (killed while it waited): the record says how the run went.
    }
    try {
      closeSync(this.fd);
    } catch {
      // Already closed: nothing to release.
    }
    return sent;
  }
}

/** In the parent: the refusal the child explained in `text`, or undefined (its run started, or it said nothing). */
export function explainedRefusal(text: string): Refusal | undefined {
  if (text === STARTED) return undefined;
  try {
    const refusal = JSON.parse(text) as Refusal | null;
    return refusal?.error?.message ? refusal : undefined;
  } catch {
    return undefined;
  }
}

/**
 * In the parent: `text` is what the child sent. Undefined when its run started; else the child's refusal printed
 * (a child that ended without a word, killed say, is said to have ended before its run started) and the exit status.
 */
export function printRefusal(text: string, execId: string, logFile: string): number | undefined {
  if (text === STARTED) return undefined;
  let refusal = explainedRefusal(text);
  if (!refusal) {
    const message = `the background run ${execId} ended before its run started: see ${logFile}`;
    refusal = { exitCode: 1, ...jsonErrorOf(new OrunError(message), message) };
  }
  process.stderr.write(`✕ ${printable(refusal.error.message, { keepLineBreaks: true })}\n`);
  process.stdout.write(`${JSON.stringify({ error: refusal.error }, null, 2)}\n`);
  return refusal.exitCode || 1;
}
