// The `orun` binary. Each command family registers itself from its own module
// in ./commands so the CLI reads like the pipeline: plan → run → backend.
import { Command, CommanderError } from "commander";
import { OrunError, errorMessage } from "../util/errors.js";
import { registerPlanCommands } from "./commands/plan.js";
import { registerRunCommands } from "./commands/run.js";
import { registerBackendCommands } from "./commands/backend.js";
import { VERSION } from "../version.js";

/** `orun --help`: the global flags (hoisted by hoistGlobalFlags, so not commander options) and a first session. */
const GLOBAL_HELP = `
Global options (also accepted before the command):
  -i, --intent <file>      intent file (default: intent.yaml found walking up from the working directory)
  -c, --config-dir <path>  legacy composition registry (env ORUN_CONFIG_DIR)
  --all                    plan, validate, get jobs, run: do not scope to the component folder you are in

Examples (in a folder with an intent.yaml, e.g. examples/platform):
  orun plan -v dag         compile .orun/plans/<id>.json and show the job DAG
  orun run --dry-run       preview job order, working directories, runner and step phases
  orun run                 compile a fresh plan and run it with the local runner
  orun status              the latest run's jobs; orun logs prints their output
`;

export function buildProgram(): Command {
  const program = new Command("orun")
    .description("Compile declarative intent into a checksummed plan DAG and run it")
    .version(VERSION)
    .showSuggestionAfterError(true)
    // Spec 20 §1: every error is `✕ <message>` on stderr with exit code 1, usage errors included.
    .configureOutput({ outputError: (text, write) => write(`✕ ${text.replace(/^error: /, "")}`) })
    .exitOverride()
    .addHelpText("after", GLOBAL_HELP);
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
  // Their own --all means something else (gc: remove every finished execution; status: list every one).
  const ownAll = { gc: "removes every finished execution", status: "lists every execution" }[remaining[0] ?? ""];
  if (ownAll && moved.includes("--all")) {
    throw new OrunError(`--all before "${remaining[0]}" is the global scope flag, which ${remaining[0]} does not take; its own --all ${ownAll}`, {
      hint: `write "orun ${remaining[0]} --all" if that is what you mean`,
    });
  }
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
