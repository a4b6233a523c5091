// `orun --help` as a newcomer reads it: it names the global flags, its
// examples run as written in the bundled example, and every command's and
// subcommand's --help works.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runOrun, type CliResult } from "../support/cli.js";
import { copyExample } from "../support/examples.js";

const created: string[] = [];
after(() => Promise.all(created.map((d) => rm(d, { recursive: true, force: true }))));

test("orun --help names the global flags, and each of its examples runs in examples/platform", async () => {
  const help = await runOrun(["--help"]);
  assert.equal(help.code, 0, help.stderr);
  for (const flag of ["-i, --intent <file>", "-c, --config-dir <path>", "--all"]) assert.ok(help.stdout.includes(`  ${flag} `), `global flag ${flag} listed`);
  const examples = [...help.stdout.slice(help.stdout.indexOf("\nExamples")).matchAll(/^ {2}orun (.+?)(?: {2,}.*)?$/gm)].map((m) => m[1]!.split(" "));
  assert.ok(examples.length >= 3, help.stdout);
  const dir = await mkdtemp(path.join(os.tmpdir(), "orun-help-"));
  created.push(dir);
  await copyExample("platform", dir);
  for (const args of examples) {
    const result = await runOrun(args, { cwd: dir, env: { ORUN_RUNNER: "", GITHUB_ACTIONS: "" } });
    assert.equal(result.code, 0, `orun ${args.join(" ")}: ${result.stdout}${result.stderr}`);
  }
});

/** Every command and subcommand's --help, by command path ("get jobs"), found by walking the "Commands:" blocks. */
async function everyHelp(): Promise<Map<string, CliResult>> {
  // The names in the "Commands:" block (up to the blank line after it).
  const commandsOf = (text: string): string[] => {
    const block = text.slice(text.indexOf("\nCommands:") + 1).split("\n\n")[0]!;
    return [...block.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]!).filter((c) => c !== "help");
  };
  const queue: string[][] = commandsOf((await runOrun(["--help"])).stdout).map((c) => [c]);
  const helps = new Map<string, CliResult>();
  while (queue.length > 0) {
    const command = queue.shift()!;
    const result = await runOrun([...command, "--help"]);
    helps.set(command.join(" "), result);
    if (result.stdout.includes("\nCommands:")) queue.push(...commandsOf(result.stdout).map((c) => [...command, c]));
  }
  return helps;
}

/** The description of `flags` in a --help text, its wrapped lines joined. */
function flagHelp(help: string, flags: string): string | undefined {
  const lines = help.split("\n");
  const at = lines.findIndex((line) => line.startsWith(`  ${flags} `));
  if (at < 0) return undefined;
  const column = lines[at]!.search(/\S/u) + flags.length + lines[at]!.slice(2 + flags.length).search(/\S/u);
  const rest = lines.slice(at + 1);
  const end = rest.findIndex((line) => line.trim() === "" || line.search(/\S/u) < column);
  return [lines[at]!.slice(column), ...rest.slice(0, end < 0 ? rest.length : end).map((line) => line.trim())].join(" ");
}

test("every command and subcommand answers --help with its usage (exit 0)", async () => {
  const helps = await everyHelp();
  for (const [command, result] of helps) {
    assert.equal(result.code, 0, `${command}: ${result.stderr}`);
    assert.match(result.stdout, new RegExp(`^Usage: orun ${command}`), command);
  }
  for (const expected of ["plan", "run", "get jobs", "backend serve", "backend token create"]) assert.ok(helps.has(expected), `${expected} in ${[...helps.keys()].join(", ")}`);
});

test("every command that takes -i/--intent or -c/--config-dir says what it is and its default, as orun --help does", async () => {
  const helps = await everyHelp();
  const taking = { intent: [] as string[], configDir: [] as string[] };
  const vague: string[] = [];
  for (const [command, { stdout }] of helps) {
    const intent = flagHelp(stdout, "-i, --intent <file>") ?? flagHelp(stdout, "-i, --intent <path>");
    if (intent !== undefined) {
      taking.intent.push(command);
      if (!/\(default: intent\.yaml found walking up from the working directory\)/.test(intent)) vague.push(`orun ${command} --help: -i, --intent: ${intent}`);
    }
    const configDir = flagHelp(stdout, "-c, --config-dir <path>");
    if (configDir !== undefined) {
      taking.configDir.push(command);
      if (!/<type>\/job\.yaml.*\(env ORUN_CONFIG_DIR\)/.test(configDir)) vague.push(`orun ${command} --help: -c, --config-dir: ${configDir}`);
    }
  }
  assert.deepEqual(vague, []);
  for (const command of ["plan", "validate", "run", "status", "logs", "gc", "get jobs", "describe"]) assert.ok(taking.intent.includes(command), `${command} takes --intent`);
  for (const command of ["plan", "validate", "run", "get components"]) assert.ok(taking.configDir.includes(command), `${command} takes --config-dir`);
});
