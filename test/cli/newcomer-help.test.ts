// `orun --help` as a newcomer reads it: it names the global flags, its
// examples run as written in the bundled example, and every command's and
// subcommand's --help works.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runOrun } from "../support/cli.js";
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

test("every command and subcommand answers --help with its usage (exit 0)", async () => {
  // The names in the "Commands:" block (up to the blank line after it).
  const commandsOf = (text: string): string[] => {
    const block = text.slice(text.indexOf("\nCommands:") + 1).split("\n\n")[0]!;
    return [...block.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]!).filter((c) => c !== "help");
  };
  const queue: string[][] = commandsOf((await runOrun(["--help"])).stdout).map((c) => [c]);
  const seen: string[] = [];
  while (queue.length > 0) {
    const command = queue.shift()!;
    const result = await runOrun([...command, "--help"]);
    assert.equal(result.code, 0, `${command.join(" ")}: ${result.stderr}`);
    assert.match(result.stdout, new RegExp(`^Usage: orun ${command.join(" ")}`), command.join(" "));
    seen.push(command.join(" "));
    if (result.stdout.includes("\nCommands:")) queue.push(...commandsOf(result.stdout).map((c) => [...command, c]));
  }
  for (const expected of ["plan", "run", "get jobs", "backend serve", "backend token create"]) assert.ok(seen.includes(expected), `${expected} in ${seen.join(", ")}`);
});
