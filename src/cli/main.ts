// The `orun` binary. Each command family registers itself from its own module
// in ./commands so the CLI reads like the pipeline: plan → run → backend.
import { Command, CommanderError, Help, type Option } from "commander";
import { OrunError, errorMessage } from "../util/errors.js";
import { registerPlanCommands } from "./commands/plan.js";
import { registerRunCommands } from "./commands/run.js";
import { registerBackendCommands } from "./commands/backend.js";
import { VERSION } from "../version.js";
import { printable } from "../util/printable.js";
import { closeNames } from "../util/edit-distance.js";
import { jsonErrorOf, jsonRequested } from "./json-error.js";
import { INTENT_HELP } from "./flag-help.js";

/** The flags hoistGlobalFlags moves behind the command, as `orun --help` lists them. */
const GLOBAL_FLAGS = [
  { flags: "-i, --intent <file>", short: "-i", long: "--intent", help: INTENT_HELP },
  { flags: "-c, --config-dir <path>", short: "-c", long: "--config-dir", help: "legacy composition registry (env ORUN_CONFIG_DIR)" },
  { flags: "--all", long: "--all", help: "do not scope to the component folder you are in" },
] as const;

const EXAMPLES = `
Examples (in a folder with an intent.yaml, e.g. examples/platform):
  orun plan -v dag         compile .orun/plans/<id>.json and show the job DAG
  orun run --dry-run       preview job order, working directories, runner and step phases
  orun run                 compile a fresh plan and run it with the local runner
  orun status              the latest run's jobs; orun logs prints their output

Run "orun <command> --help" for a command's flags (e.g. orun run --help, orun get jobs --help).
`;

/** Every command below `command`, as [path, command] ("get jobs"), depth first. */
function commandsBelow(command: Command, prefix: string[] = []): [string, Command][] {
  return command.commands.flatMap((sub) => {
    const name = [...prefix, sub.name()];
    return [[name.join(" "), sub] as [string, Command], ...commandsBelow(sub, name)];
  });
}

const takes = (command: Command, flag: string): boolean => command.options.some((o) => o.short === flag || o.long === flag);

/**
 * The commands that take a global flag, in words: read from the commands themselves, so `orun --help`
 * cannot go stale (it once named validate for --all, which validate refuses). Most take -i, so for a
 * flag most take the families that do not are named instead ("every command but backend").
 */
function flagUsers(program: Command, flag: string): string {
  const leaves = commandsBelow(program).filter(([, c]) => c.commands.length === 0);
  const users = leaves.filter(([, c]) => takes(c, flag) && !(flag === "--all" && OWN_ALL[c.name()])).map(([name]) => name);
  if (users.length <= leaves.length / 2) return users.join(", ");
  const family = (name: string) => name.split(" ")[0]!;
  const others = leaves.filter(([name]) => !users.includes(name)).map(([name]) => (users.some((u) => family(u) === family(name)) ? name : family(name)));
  return `every command but ${[...new Set(others)].join(", ")}`;
}

/** `orun --help`'s global options, each with the commands that take it, and a first session. */
function globalHelp(program: Command): string {
  const lines = GLOBAL_FLAGS.map((flag) => `  ${flag.flags.padEnd(24)} ${flag.help}\n  ${"".padEnd(24)} (${flagUsers(program, flag.long)})`);
  return `\nGlobal options (also accepted before the command, by the commands listed):\n${lines.join("\n")}\n${EXAMPLES}`;
}

/** Commands whose own --all means something else than the global scope flag. */
const OWN_ALL: Record<string, string> = { gc: "removes every finished execution but the promotion-gate evidence", status: "lists every execution" };

/**
 * Words newcomers type that are not commands, with what they most likely want. Commander's own
 * suggestion goes by spelling alone: it offered `logs` for `orun jobs` and `plan` for `orun plans`.
 */
const COMMAND_HINTS: Record<string, string> = {
  jobs: "orun get jobs",
  job: "orun get jobs (or orun describe job <id>)",
  plans: "orun get plans",
  components: "orun get components",
  environments: "orun get environments",
  envs: "orun get environments",
  env: "orun get environments",
  list: "orun get plans|jobs|components|environments",
  ls: "orun get plans|jobs|components|environments",
  show: "orun describe plan [ref] or orun describe job <id>",
  exec: "orun run",
  execute: "orun run",
  apply: "orun run",
  start: "orun run",
  deploy: "orun run",
  log: "orun logs",
  version: "orun --version",
  serve: "orun backend serve",
  token: "orun backend token create|list|revoke",
  debug: "orun plan --debug", // v2.3 had a debug command
};

export function buildProgram(): Command {
  const program = new Command("orun")
    .description("Compile declarative intent into a checksummed plan DAG and run it")
    .version(VERSION)
    .showSuggestionAfterError(true)
    // Spec 20 §1: every error is `✕ <message>` on stderr with exit code 1, usage errors included.
    // The message may quote what was typed, a record or a backend's answer: escaped (src/util/printable.ts).
    .configureOutput({ outputError: (text, write) => write(`✕ ${printable(text.replace(/^error: /, ""), { keepLineBreaks: true })}`) })
    .exitOverride()
    // Repeatable flags start from [] so the action gets a list: "(default: [])" tells a reader nothing.
    .configureHelp({ optionDescription: (option) => describeOption(option) });
  registerPlanCommands(program);
  registerRunCommands(program);
  registerBackendCommands(program);
  program.addHelpText("after", () => globalHelp(program));
  return program;
}

function describeOption(option: Option): string {
  const text = new Help().optionDescription(option);
  return Array.isArray(option.defaultValue) && option.defaultValue.length === 0 ? text.replace(/ \(default: \[\]\)$/, "") : text;
}

/**
 * Spec 10 §1.1: `-i/--intent`, `-c/--config-dir` and `--all` are global flags, so `orun -i x plan` means
 * `orun plan -i x`. Leading ones move behind the command (before a `--`). Given the program, a flag the
 * command does not take is refused naming the commands that do (commander would say only "unknown option").
 */
export function hoistGlobalFlags(argv: readonly string[], program?: Command): string[] {
  const [node = "", script = "", ...rest] = argv;
  const { moved, remaining } = splitLeadingGlobalFlags(rest);
  if (moved.length === 0) return [...argv];
  // Their own --all means something else (gc: remove every finished execution but gate evidence; status: list every one).
  const ownAll = OWN_ALL[remaining[0] ?? ""];
  if (ownAll && moved.includes("--all")) {
    throw new OrunError(`--all before "${remaining[0]}" is the global scope flag, which ${remaining[0]} does not take; its own --all ${ownAll}`, {
      hint: `write "orun ${remaining[0]} --all" if that is what you mean`,
    });
  }
  if (program) refuseUntakenFlags(program, remaining, moved);
  const end = remaining.includes("--") ? remaining.indexOf("--") : remaining.length;
  return [node, script, ...remaining.slice(0, end), ...moved, ...remaining.slice(end)];
}

/** The global flags (with their values) that lead `words`, and the words after them. */
function splitLeadingGlobalFlags(words: readonly string[]): { moved: string[]; remaining: string[] } {
  const moved: string[] = [];
  let i = 0;
  while (i < words.length) {
    const arg = words[i]!;
    if ((arg === "-i" || arg === "--intent" || arg === "-c" || arg === "--config-dir") && i + 1 < words.length) {
      moved.push(arg, words[i + 1]!);
      i += 2;
    } else if (arg === "--all" || /^--(intent|config-dir)=/.test(arg)) {
      moved.push(arg);
      i++;
    } else break;
  }
  return { moved, remaining: words.slice(i) };
}

/** The command `words` name (`get jobs`), with its path; undefined for none, or a group such as `get` alone. */
function commandNamed(program: Command, words: readonly string[]): { command: Command; path: string } | undefined {
  let command = program;
  const names: string[] = [];
  for (const word of words) {
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (!sub) break;
    command = sub;
    names.push(sub.name());
  }
  return command === program || command.commands.length > 0 ? undefined : { command, path: names.join(" ") };
}

function refuseUntakenFlags(program: Command, remaining: readonly string[], moved: readonly string[]): void {
  const target = commandNamed(program, remaining);
  if (!target) return; // no command (or a group): commander reports what is missing
  for (const arg of moved) {
    const flag = GLOBAL_FLAGS.find((f) => arg === f.long || ("short" in f && arg === f.short) || arg.startsWith(`${f.long}=`));
    if (!flag || takes(target.command, flag.long)) continue;
    throw new OrunError(`${flag.flags.replace(/ <.*/, "")} is a global flag of ${flagUsers(program, flag.long)}: "orun ${target.path}" does not take it`);
  }
}

/**
 * `orun help get jobs` → `orun get jobs --help`: commander's help command looks one word deep, so it showed
 * `get`'s help; and `orun help nosuch` printed the whole program's help with exit 1 instead of naming the typo.
 */
function helpOfSubcommand(program: Command, argv: readonly string[]): string[] {
  const [node = "", script = "", first, ...words] = argv;
  if (first !== "help" || words.length === 0 || words.some((w) => w.startsWith("-"))) return [...argv];
  // An unknown word goes to commander as the command, which names it and suggests one ("--help" would win).
  const known = program.commands.some((c) => c.name() === words[0] || c.aliases().includes(words[0]!));
  return known ? [node, script, ...words, "--help"] : [node, script, ...words];
}

/** A word that is no command but names what a newcomer most likely wants (see COMMAND_HINTS). */
function refuseHintedCommand(program: Command, argv: readonly string[]): void {
  const word = argv[2];
  if (word === undefined || !Object.hasOwn(COMMAND_HINTS, word)) return;
  if (program.commands.some((c) => c.name() === word || c.aliases().includes(word))) return;
  throw new OrunError(`unknown command '${word}'`, { hint: `did you mean ${COMMAND_HINTS[word]}? orun --help lists the commands` });
}

/**
 * A word after a command that only groups others (`orun get`, `orun backend`, `orun backend token`) that names none of
 * them: said with the ones it has. Commander says only "unknown command 'frob'", with a suggestion however far.
 */
function refuseUnknownSubcommand(program: Command, argv: readonly string[]): void {
  let command = program;
  const path: string[] = [];
  for (const word of argv.slice(2)) {
    if (word.startsWith("-")) return;
    const names = command.commands.filter((c) => c.name() !== "help");
    if (names.length === 0 || command.registeredArguments.length > 0) return;
    const next = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (next) {
      command = next;
      path.push(next.name());
      continue;
    }
    if (word === "help" || path.length === 0) return;
    const [meant] = closeNames(word, names.flatMap((c) => [c.name(), ...c.aliases()]), { limit: 1 });
    throw new OrunError(`orun ${path.join(" ")} has no command '${word}': it takes ${names.map((c) => c.name()).join(", ")}`, {
      hint: `${meant ? `did you mean orun ${path.join(" ")} ${meant}? ` : ""}orun ${path.join(" ")} --help describes them`,
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let args: readonly string[] = argv;
  try {
    args = helpOfSubcommand(program, hoistGlobalFlags(argv, program));
    refuseHintedCommand(program, args);
    refuseUnknownSubcommand(program, args);
    await program.parseAsync(args);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    const json = asksForJson(program, args);
    if (err instanceof CommanderError) {
      // help/version exit 0; usage errors were already printed by commander (as `✕ …`).
      if (err.exitCode !== 0 && json) writeJsonError(err, err.message.replace(/^error: /, ""));
      return err.exitCode === 0 ? 0 : 1;
    }
    const text = `✕ ${printable(errorMessage(err), { keepLineBreaks: true })}\n`;
    // In a GitHub Actions log no line of it is a workflow command (an error echoes what was typed: `--job ::error::x`).
    const gha = process.env.GITHUB_ACTIONS === "true" ? await import("../runtime/output/gha-logs.js") : undefined;
    process.stderr.write(gha ? gha.inertCommandText(text) : text);
    if (process.env.ORUN_DEBUG && err instanceof Error && !(err instanceof OrunError)) process.stderr.write(`${err.stack}\n`);
    if (json) writeJsonError(err, errorMessage(err), gha);
    return err instanceof OrunError ? err.exitCode : 1;
  }
}

/** Whether the command line asks for JSON output (src/cli/json-error.ts), read from its words as typed. */
function asksForJson(program: Command, args: readonly string[]): boolean {
  // Global flags the hoisting refused (one the command does not take) still lead the words.
  const { remaining } = splitLeadingGlobalFlags(args.slice(2));
  const target = commandNamed(program, remaining);
  return target !== undefined && jsonRequested(target.command, remaining);
}

/** `gha`: inside GitHub Actions, where no `##[` of its strings may reach the log raw (as stderr's text is inert). */
function writeJsonError(err: unknown, message: string, gha?: { inertJsonText(json: string): string }): void {
  const json = `${JSON.stringify(jsonErrorOf(err, message), null, 2)}\n`;
  process.stdout.write(gha ? gha.inertJsonText(json) : json);
}
