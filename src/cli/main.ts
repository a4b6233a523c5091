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
    .exitOverride();
  registerPlanCommands(program);
  registerRunCommands(program);
  registerBackendCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help/version exit 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`✕ ${errorMessage(err)}\n`);
    if (process.env.ORUN_DEBUG && err instanceof Error && !(err instanceof OrunError)) process.stderr.write(`${err.stack}\n`);
    return err instanceof OrunError ? err.exitCode : 1;
  }
}
