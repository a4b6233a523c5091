// One process of a step (a script, a node action, a container), seen the way
// GitHub's runner sees it: fresh file-command files before it starts, its
// output lines through workflow-command handling and masking, and what it
// reported (env, PATH, outputs, state, summary) applied to the job after it.
import { appendFile, rm } from "node:fs/promises";
import path from "node:path";
import { createFileCommands, isProtectedEnvKey, readFileCommands, shownInError, summaryTooLargeMessage, type FileCommandPaths } from "./file-commands.js";
import type { JobState } from "./job-state.js";
import { formatTimeout } from "../../runtime/duration.js";
import type { SpawnOutcome } from "./process.js";
import { CommandProcessor, allowsUnsecureCommands, allowsUnsecureStopTokens } from "./workflow-commands.js";

export interface CommandRun {
  exitCode: number | null;
  error?: string;
  timedOut?: boolean;
  outputs: Record<string, string>;
  state: Record<string, string>;
}

export interface CommandIO {
  signal: AbortSignal;
  timedOut: () => boolean;
  timeoutMs?: number;
  emit: (line: string) => void;
  debug: boolean;
}

/** Starts the process with its file-command files and a line sink; resolves when it has ended. */
export type Launch = (files: FileCommandPaths, onLine: (line: string, continuation: boolean) => void) => Promise<SpawnOutcome>;

export function fileCommandRoot(state: JobState): string {
  return path.join(state.temp, "file_commands");
}

/** `env` is the process's environment: it may opt into GitHub's disabled set-env and add-path commands. */
export async function runWithFileCommands(state: JobState, io: CommandIO, env: Record<string, string>, launch: Launch): Promise<CommandRun> {
  const files = await createFileCommands(fileCommandRoot(state));
  const processor = new CommandProcessor(state.masker, { debug: io.debug, allowUnsecureCommands: allowsUnsecureCommands(env), allowUnsecureStopTokens: allowsUnsecureStopTokens(env) });
  const outcome = await launch(files, (line, continuation) => {
    const text = processor.line(line, continuation);
    if (text !== undefined) io.emit(text);
  });
  let error = outcome.error ?? processor.failures[0];
  let timedOut = outcome.timedOut;
  if (outcome.error === "canceled" && io.timedOut()) {
    timedOut = true;
    // The limit as the local and docker runners give it (`300ms`, `1m30s`): the plan's Go duration, not seconds.
    error = `command timed out after ${formatTimeout(io.timeoutMs ?? 0)}`;
  }
  const effects = processor.effects;
  const mask = (text: string): string => state.masker.mask(text);
  let fromFiles: Awaited<ReturnType<typeof readFileCommands>> = { env: {}, outputs: {}, state: {}, paths: [], summary: "" };
  try {
    fromFiles = await readFileCommands(files, mask);
  } catch (err) {
    error ??= err instanceof Error ? err.message : String(err);
  }
  await rm(path.dirname(files.env), { recursive: true, force: true });
  for (const [key, value] of Object.entries({ ...fromFiles.env, ...effects.env })) {
    if (isProtectedEnvKey(key)) io.emit(`warning: ${key} cannot be set through GITHUB_ENV (reserved by the runner)`);
    // No process can be given a NUL in its environment: kept, it would fail every later step of the job.
    else if (key.includes("\0") || value.includes("\0")) error ??= `GITHUB_ENV: ${shownInError(key, mask)} has a NUL byte in its ${key.includes("\0") ? "name" : "value"}, which no environment can hold; not set`;
    else state.exportedEnv[key] = value;
  }
  for (const entry of [...fromFiles.paths, ...effects.paths]) {
    if (entry.includes("\0")) error ??= `GITHUB_PATH: ${shownInError(entry, mask)} has a NUL byte, which no PATH can hold; not added`;
    else state.extraPath.push(entry);
  }
  if (fromFiles.summaryTooLarge !== undefined) io.emit(`error: ${summaryTooLargeMessage(fromFiles.summaryTooLarge)}`);
  if (fromFiles.summary.trim() !== "") {
    const text = state.masker.mask(fromFiles.summary);
    await appendFile(state.summaryFile, text.endsWith("\n") ? text : `${text}\n`);
  }
  return { exitCode: outcome.exitCode, error, timedOut, outputs: { ...effects.outputs, ...fromFiles.outputs }, state: { ...effects.state, ...fromFiles.state } };
}
