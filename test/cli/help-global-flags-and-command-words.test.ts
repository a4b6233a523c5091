// First contact with the CLI: what `orun --help` says about the global flags
// is what the commands accept, a global flag put before a command that does
// not take it says which commands do, and words newcomers type for commands
// (`orun jobs`, `orun version`) point at the real command.
import { test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import { runOrun } from "../support/cli.js";

/** Every command that runs (not a group such as `get`). */
const LEAF_COMMANDS = ["plan", "validate", "get plans", "get jobs", "get components", "get environments", "component", "describe", "compositions", "run", "status", "logs", "gc", "backend serve", "backend token create", "backend token revoke", "backend token list"];

/** `orun --help`'s global options: flag → the commands listed as taking it. */
async function globalFlagUsers(): Promise<Map<string, string[]>> {
  const help = await runOrun(["--help"]);
  assert.equal(help.code, 0, help.stderr);
  const block = help.stdout.slice(help.stdout.indexOf("\nGlobal options"));
  const users = new Map<string, string[]>();
  for (const m of block.matchAll(/^ {2}(?:-\w, )?(--[\w-]+).*\n {27}\((.+)\)$/gm)) {
    const every = /^every command but (.+)$/.exec(m[2]!);
    const but = every?.[1]!.split(", ") ?? [];
    users.set(m[1]!, every ? LEAF_COMMANDS.filter((c) => !but.some((b) => c === b || c.startsWith(`${b} `))) : m[2]!.split(", "));
    if (every) users.set(`not ${m[1]!}`, LEAF_COMMANDS.filter((c) => but.some((b) => c === b || c.startsWith(`${b} `))));
  }
  assert.deepEqual([...users.keys()].filter((k) => !k.startsWith("not ")), ["--intent", "--config-dir", "--all"], block);
  return users;
}

test("orun --help lists, for each global flag, commands that all accept it before the command — and validate is not said to take --all", async () => {
  const users = await globalFlagUsers();
  assert.ok(!users.get("--all")!.includes("validate"), "validate has no --all");
  for (const expected of ["run", "get jobs"]) assert.ok(users.get("--all")!.includes(expected), expected);
  assert.ok(users.get("--config-dir")!.includes("compositions"));
  assert.deepEqual(users.get("not --intent"), ["backend serve", "backend token create", "backend token revoke", "backend token list"], "-i: every command but backend");
  for (const [key, commands] of users) {
    const flag = key.replace(/^not /, "");
    for (const command of commands) {
      const args = flag === "--all" ? [flag] : [flag, "x"];
      const result = await runOrun([...args, ...command.split(" "), "--help"], { cwd: os.tmpdir() });
      assert.equal(result.code, key.startsWith("not ") ? 1 : 0, `orun ${args.join(" ")} ${command} --help: ${result.stderr}`);
    }
  }
});

test("a global flag before a command that does not take it names the commands that do, instead of commander's bare 'unknown option'", async () => {
  const status = await runOrun(["-c", "registry", "status"], { cwd: os.tmpdir() });
  assert.equal(status.code, 1);
  assert.match(status.stderr, /^✕ -c, --config-dir is a global flag of plan, validate, .*compositions.*: "orun status" does not take it\n$/);
  const validate = await runOrun(["--all", "validate"], { cwd: os.tmpdir() });
  assert.equal(validate.code, 1);
  assert.match(validate.stderr, /^✕ --all is a global flag of .*run.*: "orun validate" does not take it\n$/);
  const jobs = await runOrun(["--intent=x.yaml", "-c", "r", "get", "jobs"], { cwd: os.tmpdir() });
  assert.match(jobs.stderr, /: "orun get jobs" does not take it/, "through an alias-free subcommand path, after a flag it does take");
});

test("words newcomers type for commands point at the real one; other typos keep commander's spelling suggestion", async () => {
  const cases: [string, RegExp][] = [
    ["jobs", /did you mean orun get jobs\?/], // commander offered `logs`
    ["plans", /did you mean orun get plans\?/], // commander offered `plan`
    ["version", /did you mean orun --version\?/],
    ["exec", /did you mean orun run\?/],
    ["serve", /did you mean orun backend serve\?/],
    ["debug", /did you mean orun plan --debug/], // v2.3 listed a debug command
  ];
  for (const [word, hint] of cases) {
    const result = await runOrun([word], { cwd: os.tmpdir() });
    assert.equal(result.code, 1, word);
    assert.match(result.stderr, new RegExp(`^✕ unknown command '${word}' \\(${hint.source}`), word);
  }
  const typo = await runOrun(["lgos"], { cwd: os.tmpdir() });
  assert.equal(typo.code, 1);
  assert.match(typo.stderr, /unknown command 'lgos'\n\(Did you mean logs\?\)/);
});

test("a word after get, backend or backend token that names none of their commands is refused with the ones they have", async () => {
  const cases: [string[], RegExp][] = [
    [["get", "frob"], /^✕ orun get has no command 'frob': it takes plans, jobs, components, environments \(orun get --help describes them\)\n$/],
    [["get", "jbos"], /^✕ orun get has no command 'jbos': it takes plans, jobs, components, environments \(did you mean orun get jobs\? /],
    [["backend", "token", "lst"], /^✕ orun backend token has no command 'lst': it takes create, revoke, list \(did you mean orun backend token list\? /],
  ];
  for (const [words, expected] of cases) {
    const result = await runOrun(words, { cwd: os.tmpdir() });
    assert.equal(result.code, 1, words.join(" "));
    assert.match(result.stderr, expected, words.join(" "));
  }
  // A command's own arguments are no subcommands.
  const named = await runOrun(["get", "components", "nosuch"], { cwd: os.tmpdir() });
  assert.doesNotMatch(named.stderr, /has no command/, named.stderr);
});

test("help shows no '(default: [])' for repeatable flags", async () => {
  for (const command of [["run"], ["plan"], ["get", "components"]]) {
    const help = await runOrun([...command, "--help"]);
    assert.equal(help.code, 0);
    assert.ok(!help.stdout.includes("(default: [])"), `${command.join(" ")} --help:\n${help.stdout}`);
  }
  const run = await runOrun(["run", "--help"]);
  assert.match(run.stdout, /--component <name> +this component's jobs and the jobs they depend on/, "the flag is still listed");
});

test("orun help <command> <subcommand> shows that subcommand's help; orun help <typo> names the typo instead of printing everything", async () => {
  const jobs = await runOrun(["help", "get", "jobs"]);
  assert.equal(jobs.code, 0, jobs.stderr);
  assert.match(jobs.stdout, /^Usage: orun get jobs\|job \[options\]/, "was get's help: commander's help command looks one word deep");
  const create = await runOrun(["help", "backend", "token", "create"]);
  assert.match(create.stdout, /^Usage: orun backend token create/);
  const typo = await runOrun(["help", "lgos"]);
  assert.equal(typo.code, 1);
  assert.equal(typo.stdout, "", "not the whole program's help");
  assert.match(typo.stderr, /^✕ unknown command 'lgos'\n\(Did you mean logs\?\)/);
  const plain = await runOrun(["help", "run"]);
  assert.match(plain.stdout, /^Usage: orun run \[options\]/);
});
