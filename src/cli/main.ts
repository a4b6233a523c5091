// The `orun` binary. Each command family registers itself from its own module
// in ./commands so the CLI reads like the pipeline: plan → run → backend.
import { Command, CommanderError } from "commander";
import { OrunError, errorMessage } from "../util/errors.js";
import { registerPlanCommands } from "./commands/plan.js";
import { registerRunCommands } from "./commands/run.js";
import { registerBackendCommands } from "./commands/backend.js";
import { VERSION } from "../version.js";

export function buildProgram(): Command {
  const program = new Command("orun")
    .description("Compile declarative intent into a checksummed plan DAG and run it")
    .version(VERSION)
    .showSuggestionAfterError(true)
    // Spec 20 §1: every error is `✕ <message>` on stderr with exit code 1, usage errors included.
    .configureOutput({ outputError: (text, write) => write(`✕ ${text.replace(/^error: /, "")}`) })
    .exitOverride();
  registerPlanCommands(program);
  registerRunCommands(program);
  registerBackendCommands(program);
  return program;
}

/**
 * Spec 10 §1.1: `-i/--intent`, `-c/--config-dir` and `--all` are global flags, so `orun -i x plan` means
 * `orun plan -i x`. Leading ones move behind the command (before a `--`); the command still decides
 * whether it takes them.
 */
export function hoistGlobalFlags(argv: readonly string[]): string[] {
  const [node = "", script = "", ...rest] = argv;
  const moved: string[] = [];
  let i = 0;
  while (i < rest.length) {
    const arg = rest[i]!;
    if ((arg === "-i" || arg === "--intent" || arg === "-c" || arg === "--config-dir") && i + 1 < rest.length) {
      moved.push(arg, rest[i + 1]!);
      i += 2;
    } else if (arg === "--all" || /^--(intent|config-dir)=/.test(arg)) {
      moved.push(arg);
      i++;
    } else break;
  }
  if (moved.length === 0) return [...argv];
  const remaining = rest.slice(i);
  const end = remaining.includes("--") ? remaining.indexOf("--") : remaining.length;
  return [node, script, ...remaining.slice(0, end), ...moved, ...remaining.slice(end)];
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(hoistGlobalFlags(argv));
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help/version exit 0; usage errors were already printed by commander (as `✕ …`).
      return err.exitCode === 0 ? 0 : 1;
    }
    process.stderr.write(`✕ ${errorMessage(err)}\n`);
    if (process.env.ORUN_DEBUG && err instanceof Error && !(err instanceof OrunError)) process.stderr.write(`${err.stack}\n`);
    return err instanceof OrunError ? err.exitCode : 1;
  }
}
