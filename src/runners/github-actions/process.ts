// Runs one script/action process and turns its output stream into lines for
// the workflow-command processor: nothing is shown or kept before a whole
// line has been through command handling and masking.
//
// Processes start through the native spawn helper when it was built (as the
// local runner's steps do): when orun dies without stopping them (SIGKILL, a
// crash), the helper kills them, so a remote-state takeover or a resume never
// runs a job beside a survivor of the dead runner. Without the helper (or
// with ORUN_LOCAL_SPAWNER=direct) they start from this process.
import { rmSync } from "node:fs";
import { NativeSpawner, nativeSpawnerWanted } from "../process/native-spawner.js";
import { runProcess, type ProcessOutcome, type ProcessRequest } from "../process/run-process.js";
import type { Masker } from "./masker.js";
import { LineSplitter, MAX_LINE } from "./workflow-commands.js";
import { createOutputDir, removeDeadOutputDirs } from "./stale-scratch.js";

export interface SpawnRequest {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  signal: AbortSignal;
  /** Each output line (stdout and stderr combined); `continuation` for later pieces of a line over 1 MiB. */
  onLine: (line: string, continuation: boolean) => void;
  /** Masks the lines: a line over 1 MiB is cut where no value it masks lies across the cut (each piece is masked alone). */
  masker: Masker;
}

export interface SpawnOutcome {
  exitCode: number | null;
  timedOut: boolean;
  /** `exit status 3`, `signal: SIGTERM`, `canceled`, spawn errors; undefined on success. */
  error?: string;
}

export async function spawnProcess(request: SpawnRequest): Promise<SpawnOutcome> {
  const lines = new LineSplitter(request.onLine, MAX_LINE, false, (text) => request.masker.safeCut(text));
  const outcome = await start({
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

let spawner: Promise<NativeSpawner | undefined> | undefined;

/** One helper for the whole orun process, started on first use; it exits with orun (its input closes). */
function sharedSpawner(): Promise<NativeSpawner | undefined> {
  spawner ??= (async () => {
    if (!nativeSpawnerWanted()) return undefined;
    // Named after this process, so a later run removes it if this one is killed before its exit handler runs.
    const outputDir = createOutputDir();
    process.once("exit", () => rmSync(outputDir, { recursive: true, force: true }));
    await removeDeadOutputDirs();
    return NativeSpawner.start(outputDir, {});
  })().catch(() => undefined);
  return spawner;
}

async function start(request: ProcessRequest): Promise<ProcessOutcome> {
  const helper = await sharedSpawner();
  // The request's env is the process's whole environment (the runner builds it), not an overlay.
  return helper?.alive ? helper.run(request, { inheritEnv: false }) : runProcess(request);
}
