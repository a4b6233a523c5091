// The local runner: each `run:` step through `sh -c` on the host (or the
// step's `shell:`), in the step's working directory, with the host
// environment underneath the environment orun declares for the step.
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import type { HandOff, Runner, StepContext, StepResult } from "./runner.js";
import { isUseStep } from "./runner.js";
import type { RunnerOptions } from "./registry.js";
import { runProcess, type ProcessOutcome, type ProcessRequest } from "./process/run-process.js";
import { NativeSpawner, nativeSpawnerWanted } from "./process/native-spawner.js";
import { locateShell, resolveShell, withScriptPath, type ShellCommand } from "./process/shell.js";
import { withScriptFile } from "./process/script-file.js";
import { errorMessage } from "../util/errors.js";
import { envRecord } from "../runtime/step-env.js";
import { longestExecString, MAX_ARG_STRLEN } from "./process/exec-limits.js";

export function createLocalRunner(_options: RunnerOptions = {}): Runner {
  const host = hostEnv();
  // Steps start through the native helper when it was built (see native-spawner.ts);
  // ORUN_LOCAL_SPAWNER=direct spawns from this process instead.
  let spawner: NativeSpawner | undefined;
  // Directories seen to exist (a step may create one a later step uses; only hits are cached).
  const knownDirs = new Set<string>();
  const spawnStep = (request: ProcessRequest, ctx: StepContext): Promise<ProcessOutcome> =>
    spawner?.alive
      ? spawner.run(request, { inheritEnv: true, opens: ctx.opensLatch, waits: ctx.waitsFor?.latch, onStart: ctx.waitsFor?.onStart })
      : runProcess({ ...request, env: { ...host, ...request.env } });
  const handOff: HandOff = {
    newLatch: () => spawner!.newLatch(),
    closeLatch: (latch) => spawner?.closeLatch(latch),
    journalOnOpen: (latch, file, line) => spawner?.journalOnOpen(latch, file, line),
  };
  return {
    name: "local",
    get handOff() {
      return spawner?.alive ? handOff : undefined;
    },
    async prepare(run) {
      if (!nativeSpawnerWanted()) return;
      // Step output passes through files in the run's scratch space (removed at run end).
      const outputDir = path.join(run.scratchDir, "output");
      await mkdir(outputDir, { recursive: true });
      spawner = await NativeSpawner.start(outputDir, host);
    },
    cleanup() {
      spawner?.close();
      spawner = undefined;
      return Promise.resolve();
    },
    async runStep(ctx: StepContext): Promise<StepResult> {
      const { step, stepKey } = ctx;
      // A handed-over step starts in the helper, or not at all: with the helper gone, or a working directory
      // not yet seen (the job it waits for may create it), it runs the ordinary way once released.
      if (ctx.waitsFor && (!spawner?.alive || !knownDirs.has(ctx.cwd))) return NOT_STARTED;
      if (isUseStep(step)) {
        return failure(`step "${stepKey}" uses GitHub Actions syntax (${step.use!.trim()}); rerun with --gha or --runner github-actions`);
      }
      if (!knownDirs.has(ctx.cwd)) {
        try {
          const info = await stat(ctx.cwd);
          if (!info.isDirectory()) return failure(`working directory ${ctx.cwd} is not a directory`);
          knownDirs.add(ctx.cwd);
        } catch {
          return failure(`working directory ${ctx.cwd} does not exist`);
        }
      }
      let invocation: ShellCommand;
      try {
        invocation = resolveShell(step.shell, step.run ?? "", `job ${ctx.job.job.id} step ${stepKey}`, "sh -c");
      } catch (err) {
        return failure(errorMessage(err));
      }
      // `shell: python` runs python3 where only that is on the step's PATH.
      if (invocation.fallback !== undefined) invocation = locateShell(invocation, ctx.env.PATH ?? host.PATH) ?? invocation;
      const run = async (command: ShellCommand): Promise<StepResult> => {
        const outcome = await spawnStep({
          command: command.command,
          args: command.args,
          cwd: ctx.cwd,
          env: ctx.env,
          timeoutMs: ctx.timeoutMs,
          signal: ctx.signal,
          onOutput: ctx.onOutput,
          onOutputBytes: ctx.onOutputBytes,
        }, ctx);
        if (outcome.notStarted) return NOT_STARTED;
        const error = outcome.exitCode === null && outcome.error !== undefined && TOO_BIG.test(outcome.error) ? tooBig(ctx.env, command) : outcome.error;
        return { exitCode: outcome.exitCode, output: outcome.output, error, timedOut: outcome.timedOut };
      };
      if (invocation.scriptExtension === undefined) return run(invocation);
      const scripts = { dir: path.join(ctx.job.run.scratchDir, "scripts"), extension: invocation.scriptExtension, mode: 0o700 };
      return withScriptFile(step.run ?? "", scripts, (file) => run(withScriptPath(invocation, file)));
    },
  };
}

function hostEnv(): Record<string, string> {
  const env = envRecord();
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return env;
}

/** The kernel refused to start the process: its arguments and environment exceed what exec accepts (E2BIG). */
const TOO_BIG = /E2BIG|argument list too long/i;

/** Says which variable (or argument) is too long, or how big the whole is: "spawn E2BIG" named nothing. */
function tooBig(env: Record<string, string>, command: ShellCommand): string {
  const what = "cannot start the step: its environment and arguments are too large for the system (E2BIG)";
  const longest = longestExecString(env, command.args);
  if (longest.bytes >= MAX_ARG_STRLEN) return `${what}: ${longest.name} is ${longest.bytes} bytes, over the ${MAX_ARG_STRLEN / 1024} KiB Linux allows for one`;
  const total = Object.entries(env).reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value) + 2, 0);
  return `${what}: ${Object.keys(env).length} variables of ${total} bytes in all, with the host's environment underneath`;
}

/** A handed-over step that did not start: the executor runs it the ordinary way once its job is confirmed. */
const NOT_STARTED: StepResult = Object.freeze({ exitCode: null, output: "", notStarted: true });

function failure(error: string): StepResult {
  return { exitCode: null, output: "", error };
}
