// Runs one script/action process through the shared process helper
// (process group, abort, kill escalation) and turns its output stream into
// lines for the workflow-command processor: nothing is shown or kept
// before a whole line has been through command handling and masking.
import { runProcess } from "../process/run-process.js";
import { LineSplitter } from "./workflow-commands.js";

export interface SpawnRequest {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  signal: AbortSignal;
  /** Each output line (stdout and stderr combined). */
  onLine: (line: string) => void;
}

export interface SpawnOutcome {
  exitCode: number | null;
  timedOut: boolean;
  /** `exit status 3`, `signal: SIGTERM`, `canceled`, spawn errors; undefined on success. */
  error?: string;
}

export async function spawnProcess(request: SpawnRequest): Promise<SpawnOutcome> {
  const lines = new LineSplitter(request.onLine);
  const outcome = await runProcess({
    command: request.command,
    args: request.args,
    cwd: request.cwd,
    env: request.env,
    signal: request.signal,
    onOutput: (chunk) => lines.push(chunk),
  });
  lines.flush();
  return { exitCode: outcome.exitCode, timedOut: outcome.timedOut, error: outcome.error };
}
