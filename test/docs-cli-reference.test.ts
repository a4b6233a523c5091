// The documentation's CLI against the built CLI's own --help:
// - docs/cli.md's "Flags by command" section of each command lists exactly the
//   flags `orun <command> --help` prints, and its global-flag table those of
//   `orun --help`; a flag it names that --help does not print is one of the few
//   it explains (v2.3 aliases accepted, v2.3 flags refused) and behaves so;
// - every `orun <command> … --flag` written in README.md, docs/*.md and the
//   examples' READMEs names a flag that command takes.
// A flag added, renamed or removed without its documentation fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT, runOrun } from "./support/cli.js";

/** Each command with flags of its own, as typed after `orun`. */
const COMMANDS = ["plan", "validate", "get plans", "get jobs", "get components", "get environments", "component", "describe", "compositions", "run", "status", "logs", "gc", "backend serve", "backend token create", "backend token list", "backend token revoke"];
const ALIASES: Record<string, string> = { "get plan": "get plans", "get job": "get jobs", "get component": "get components", "get environment": "get environments" };
/** Flags orun --help lists as global (they are documented once, in the global table). */
const GLOBAL = ["--intent", "--config-dir", "--all"];

const FLAG = /(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])/g;

/** The flags an --help text lists in its Options block (the option lines, not their descriptions). */
function helpFlags(help: string): Set<string> {
  const rest = help.slice(help.indexOf("\nOptions:"));
  const end = rest.search(/\n(Commands|Global options|Examples)[^\n]*:/);
  const options = end === -1 ? rest : rest.slice(0, end);
  const flags = new Set<string>();
  for (const m of options.matchAll(/^ {2}((?:-[a-zA-Z], )?--[a-z][a-z0-9-]*)/gm)) {
    for (const flag of m[1]!.split(", ")) flags.add(flag);
  }
  flags.delete("-h");
  flags.delete("--help");
  return flags;
}

const helpTexts = new Map<string, Promise<string>>();

/** `orun <command> --help` (asked once per command for the whole file). */
function helpOf(command: string): Promise<string> {
  let text = helpTexts.get(command);
  if (!text) {
    text = runOrun([...command.split(" ").filter(Boolean), "--help"]).then((result) => {
      assert.equal(result.code, 0, `orun ${command} --help: ${result.stderr}`);
      return result.stdout;
    });
    helpTexts.set(command, text);
  }
  return text;
}

/** docs/cli.md's `### orun …` sections: title → text. */
function sections(page: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of page.matchAll(/^### (orun [^\n]+)\n([\s\S]*?)(?=^##|(?![\s\S]))/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** The commands a section title covers: `orun get components (= orun component)`, `orun backend token create, list, revoke`. */
function commandsOf(title: string): string[] {
  const token = /^orun backend token (.+)$/.exec(title);
  if (token) return token[1]!.split(", ").map((verb) => `backend token ${verb}`);
  return [...title.matchAll(/orun ([a-z ]+?)(?=\)|$| \()/g)].map((m) => m[1]!.trim());
}

/** Flags a section may name though --help does not list them, and what orun must do with each. */
const UNLISTED: Record<string, Record<string, { args: string[]; accepted: RegExp } | { args: string[]; refused: RegExp }>> = {
  run: {
    "--job-id": { args: ["run", "--dry-run", "--job-id", "shared-lib@dev.build"], accepted: /1 job selected/ },
    "--bg": { args: ["run", "--dry-run", "--bg"], refused: /--background cannot be combined with --dry-run/ },
    "--isolation": { args: ["run", "--dry-run", "--isolation", "workspace"], refused: /^✕ --isolation is not supported: .*\(.*docs\/running\.md, Scheduling\)\n$/ },
    "--keep-workspaces": { args: ["run", "--dry-run", "--keep-workspaces"], refused: /^✕ --keep-workspaces is not supported: .*\(.*docs\/running\.md, Scheduling\)\n$/ },
    "--component-concurrency": { args: ["run", "--dry-run", "--component-concurrency", "2"], refused: /^✕ --component-concurrency is not supported: .*\(.*docs\/running\.md, Scheduling\)\n$/ },
  },
};

test("docs/cli.md's command table lists every command orun --help lists, and says where status and logs read", async () => {
  const page = await readFile(path.join(PROJECT_ROOT, "docs/cli.md"), "utf8");
  const table = page.slice(page.indexOf("## Commands"), page.indexOf("\n## ", page.indexOf("## Commands") + 1));
  const documented = new Set([...table.matchAll(/^\| `orun ([a-z]+)/gm)].map((m) => m[1]!));
  const help = await helpOf("");
  const commandsBlock = help.slice(help.indexOf("\nCommands:"), help.indexOf("\nGlobal options"));
  const listed = new Set([...commandsBlock.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]!).filter((name) => name !== "help"));
  assert.deepEqual([...documented].sort(), [...listed].sort());
  // The table says status and logs read the backend under remote state; so must their one-line help.
  for (const command of ["status", "logs"]) {
    assert.match(table, new RegExp(`^\\| \`orun ${command}[^|]*\\| [^\\n]*backend under remote state`, "m"), `cli.md: orun ${command}`);
    assert.match(commandsBlock, new RegExp(`^ {2}${command} [^\\n]*from the backend under remote state`, "m"), `orun --help: ${command}`);
  }
});

test("docs/cli.md lists, for every command, exactly the flags its --help prints (and the global ones orun --help prints)", async () => {
  const page = await readFile(path.join(PROJECT_ROOT, "docs/cli.md"), "utf8");
  await Promise.all(["", ...COMMANDS].map(helpOf));
  const bySection = sections(page);
  const covered = new Set<string>();
  for (const [title, text] of bySection) {
    // Flags of other commands a row mentions (`orun status --watch`) are not this command's.
    const own = text.replace(/`orun [^`]*`/g, "");
    const documented = new Set([...own.matchAll(FLAG)].map((m) => m[1]!).filter((f) => f !== "--help" && f !== "-h"));
    for (const command of commandsOf(title)) {
      assert.ok(COMMANDS.includes(command), `docs/cli.md: "${title}" names no command orun has (${command})`);
      covered.add(command);
      const listed = helpFlags(await helpOf(command));
      const missing = [...listed].filter((f) => !["-i", "--intent", "-c", "--config-dir"].includes(f) && !documented.has(f));
      assert.deepEqual(missing, [], `docs/cli.md "${title}": flags of orun ${command} --help not documented`);
      // The token section documents create's flags beside the --database all three take.
      if (command === "backend token list" || command === "backend token revoke") continue;
      const unlisted = UNLISTED[command] ?? {};
      const unknown = [...documented].filter((f) => !listed.has(f) && !(f in unlisted));
      assert.deepEqual(unknown, [], `docs/cli.md "${title}": flags orun ${command} --help does not list`);
    }
  }
  assert.deepEqual(COMMANDS.filter((c) => !covered.has(c)), [], "every command has a section in docs/cli.md");

  const globalTable = page.slice(page.indexOf("**Global flags**"), page.indexOf("## Flags by command"));
  const globalHelp = (await helpOf("")).split("\nGlobal options")[1] ?? "";
  const globalListed = [...globalHelp.matchAll(/^ {2}(?:-[a-zA-Z], )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]!);
  assert.deepEqual(globalListed, GLOBAL, "orun --help's global options");
  for (const flag of globalListed) assert.ok(globalTable.includes(`\`${flag}`) || globalTable.includes(`, ${flag}`), `global ${flag} in docs/cli.md's table`);
});

test("docs/cli.md's flags that --help does not list do what the page says (v2.3 aliases accepted, v2.3 flags refused)", async () => {
  const page = await readFile(path.join(PROJECT_ROOT, "docs/cli.md"), "utf8");
  const run = sections(page).get("orun run") ?? "";
  for (const [flag, check] of Object.entries(UNLISTED.run!)) {
    assert.ok(run.includes(`\`${flag}\``), `docs/cli.md "orun run" explains ${flag}`);
    const result = await runOrun(check.args, { cwd: path.join(PROJECT_ROOT, "examples/platform") });
    if ("accepted" in check) {
      assert.equal(result.code, 0, `${flag}: ${result.stderr}`);
      assert.match(result.stdout, check.accepted, flag);
    } else {
      assert.equal(result.code, 1, `${flag}: ${result.stdout}`);
      assert.match(result.stderr, check.refused, flag);
    }
  }
});

/** Every `orun …` command line or inline command in a Markdown page: [command words, flags]. */
function commandsIn(page: string): Array<{ text: string; command: string; flags: string[] }> {
  const fragments = [...page.matchAll(/`([^`\n]*\borun [^`\n]*)`/g)].map((m) => m[1]!);
  for (const block of page.matchAll(/```\w*\n([\s\S]*?)```/g)) fragments.push(...block[1]!.split("\n").filter((l) => /\borun /.test(l)));
  const found: Array<{ text: string; command: string; flags: string[] }> = [];
  for (const fragment of fragments) {
    // One command runs up to the next orun, a comment, a separator or a pipe.
    for (const m of fragment.matchAll(/\borun ((?:[a-z]+ ?){1,3})(.*?)(?=$|\borun |#|;|&&|\|)/g)) {
      const words = m[1]!.trim().split(" ");
      let command: string | undefined;
      for (const n of [3, 2, 1]) {
        const candidate = words.slice(0, n).join(" ");
        const resolved = ALIASES[candidate] ?? candidate;
        if (COMMANDS.includes(resolved) && words.length >= n) {
          command = resolved;
          break;
        }
      }
      if (!command) continue;
      const flags = [...`${m[1]} ${m[2]}`.matchAll(FLAG)].map((f) => f[1]!);
      found.push({ text: fragment.trim(), command, flags });
    }
  }
  return found;
}

async function markdownPages(): Promise<string[]> {
  const pages = ["README.md", ...(await readdir(path.join(PROJECT_ROOT, "docs"))).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  for (const example of await readdir(path.join(PROJECT_ROOT, "examples"), { withFileTypes: true })) {
    if (example.isDirectory()) pages.push(...(await readdir(path.join(PROJECT_ROOT, "examples", example.name))).filter((f) => f === "README.md").map((f) => `examples/${example.name}/${f}`));
  }
  return pages;
}

test("every orun command written in README.md, docs/ and the examples' READMEs uses flags that command takes", async () => {
  const help = new Map<string, Set<string>>();
  for (const command of COMMANDS) help.set(command, helpFlags(await helpOf(command)));
  let checked = 0;
  const wrong: string[] = [];
  for (const page of await markdownPages()) {
    const text = await readFile(path.join(PROJECT_ROOT, page), "utf8");
    for (const { text: line, command, flags } of commandsIn(text)) {
      checked++;
      const takes = help.get(command)!;
      const bad = flags.filter((f) => !takes.has(f) && f !== "--help" && f !== "-h");
      if (bad.length) wrong.push(`${page}: orun ${command} does not take ${bad.join(", ")}: ${line}`);
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok(checked >= 100, `the pages show many commands (found ${checked})`);
});

/** An --help text's option lines: each flag → its description (wrapped lines joined). */
function helpDescriptions(help: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string[] = [];
  for (const line of help.split("\n")) {
    const option = /^ {2}((?:-[a-zA-Z], )?--[a-z][a-z0-9-]*)(?: <[^>]+>)?\s*(.*)$/.exec(line);
    if (option) {
      current = option[1]!.split(", ");
      for (const flag of current) out.set(flag, option[2]!);
    } else if (/^ {3,}\S/.test(line) && current.length) {
      for (const flag of current) out.set(flag, `${out.get(flag)!} ${line.trim()}`);
    } else {
      current = [];
    }
  }
  return out;
}

test("every environment variable docs/cli.md names for a flag is named by that flag's --help too", async () => {
  const page = await readFile(path.join(PROJECT_ROOT, "docs/cli.md"), "utf8");
  const wrong: string[] = [];
  let checked = 0;
  for (const [title, text] of sections(page)) {
    for (const command of commandsOf(title)) {
      const descriptions = helpDescriptions(await helpOf(command));
      for (const row of text.split("\n").filter((l) => l.startsWith("| `-") || l.startsWith("| `["))) {
        const [flagsCell, meaning] = row.split(" | ");
        const variables = [...new Set((meaning ?? "").match(/\bORUN_[A-Z_]+\b/g) ?? [])];
        const flags = [...(flagsCell ?? "").matchAll(FLAG)].map((m) => m[1]!).filter((f) => descriptions.has(f));
        if (!variables.length || !flags.length) continue;
        const help = flags.map((f) => descriptions.get(f)!).join(" ");
        checked++;
        for (const variable of variables) if (!help.includes(variable)) wrong.push(`orun ${command} ${flags.join(", ")}: --help does not name ${variable}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok(checked >= 10, `rows naming a variable (found ${checked})`);
});
