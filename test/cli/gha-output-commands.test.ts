// With GITHUB_ACTIONS=true what a step prints never reaches GitHub's runner as a workflow command, in either syntax
// (`::name::` at a line's start, `##[name]` anywhere in it), nor shapes GitHub's log view (`##[group]`,
// `##[endgroup]`, `##[error]` at a line's start): not inside its group, not where orun echoes it outside (link labels
// in the job's footer and the run's summary, a group's title, an `::error::` annotation). The runner's reading is
// test/support/gha-runner-log.ts, written from actions/runner's source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { runnerLog, shapingLines } from "../support/gha-runner-log.js";
import { planDir } from "../runtime/helpers.js";
import { commandData } from "../../src/runtime/output/github-actions.js";

const GHA = { GITHUB_ACTIONS: "true" };

/** The commands the runner would process that are not orun's own framing (groups, its stop-commands and resumes, `allowed`). */
function foreignCommands(stdout: string, allowed: string[] = []): string[] {
  const { commands } = runnerLog(stdout);
  const own = (c: { name: string; data: string }): boolean => c.name === "stop-commands" && /^orun-stop-/.test(c.data);
  const resumes = new Set(commands.filter(own).map((c) => c.data.toLowerCase()));
  return commands
    .filter((c) => !own(c) && !["group", "endgroup", ...allowed].includes(c.name) && !resumes.has(c.name))
    .map((c) => `${c.name}:${c.data} (line ${c.line + 1}: ${stdout.split("\n")[c.line]})`);
}

test("GHA output: link labels with a workflow command in the middle of the line (##[error], ##[add-mask], ##[stop-commands], ##[set-output]) or at its start (::notice::) reach the runner as text, in the footer and the summary", async (t) => {
  const dir = await planDir(t, [
    {
      id: "api@dev.build",
      steps: [
        {
          id: "links",
          run: [
            `echo "Preview ##[error]injected: https://preview.example.dev/x"`,
            `echo "Docs ##[add-mask]Done: https://docs.example.dev/y"`,
            `echo "Stop ##[stop-commands]tok: https://stop.example.dev/z"`,
            `echo "Out ##[set-output name=x]y: https://out.example.dev/w"`,
            `echo "::notice::pwn https://evil.example.dev"`,
            `echo "##[endgroup]Closer https://closer.example.dev"`,
          ].join("; "),
        },
      ],
    },
  ]);
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "labels"], { cwd: dir, env: GHA });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  // The one command besides orun's framing: its own ::add-mask:: of the value the step masked in the old syntax
  // (GitHub would have honoured that line; test/cli/gha-output-masks.test.ts).
  assert.deepEqual(foreignCommands(run.stdout, ["add-mask"]), [], run.stdout);
  const masks = runnerLog(run.stdout).commands.filter((c) => c.name === "add-mask");
  assert.deepEqual(masks.map((c) => [c.data, run.stdout.split("\n")[c.line]]), [["Done: https://docs.example.dev/y", "::add-mask::Done: https://docs.example.dev/y"]], run.stdout);
  // orun's group is honoured, and GitHub's view shows no other group or error line (a label that starts the
  // summary's line with ##[endgroup] is shown as \##[endgroup]).
  const { commands, log } = runnerLog(run.stdout);
  assert.equal(commands.filter((c) => c.name === "group").length, 1, run.stdout);
  assert.equal(commands.filter((c) => c.name === "endgroup").length, 1, run.stdout);
  assert.deepEqual(shapingLines(log).map((line) => line.replace(/^(##\[group\]).*$/, "$1")), ["##[group]", "##[endgroup]"], run.stdout);
  assert.match(run.stdout, /^ {2}\\##\[endgroup\]Closer https:\/\/closer\.example\.dev$/m, run.stdout);
  // The labels still read as the step printed them, in the footer and in the summary.
  // (The footer's links are read from the group's masked output: Docs's URL is part of the value it masked.)
  const at = run.stdout.indexOf("✓ Done in");
  for (const label of ["Preview ##[error]", "Docs ##[add-mask]", "Stop ##[stop-comm", "Out ##[set-output"]) {
    assert.equal(run.stdout.slice(0, at).includes(`↗ ${label}`), !label.startsWith("Docs"), `${label}\n${run.stdout}`);
    assert.ok(run.stdout.slice(at).includes(`  ${label}`), `${label}\n${run.stdout}`);
  }
});

test("GHA output: ##[group], ##[endgroup] and ##[error] that start a step's line are shown as \\##[…] inside its group, so GitHub's log view keeps orun's groups whole; elsewhere in a line they stay as printed", async (t) => {
  const dir = await planDir(t, [
    {
      id: "api@dev.build",
      steps: [
        { id: "fake", run: `echo first; printf '##[endgroup]\\n  ##[group]fake\\n##[error]x\\n##[warning]w\\nmid ##[error]kept\\n'` },
        { id: "next", run: "echo next" },
      ],
    },
  ]);
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "view"], { cwd: dir, env: GHA });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const lines = run.stdout.split("\n");
  for (const line of ["\\##[endgroup]", "  \\##[group]fake", "\\##[error]x", "\\##[warning]w", "mid ##[error]kept"]) assert.ok(lines.includes(line), `${line}\n${run.stdout}`);
  // GitHub's view: orun's two groups, each opened and closed once, and no error line.
  const shaping = shapingLines(runnerLog(run.stdout).log);
  assert.deepEqual(
    shaping.map((line) => line.replace(/^(##\[group\]).*$/, "$1")),
    ["##[group]", "##[endgroup]", "##[group]", "##[endgroup]"],
    run.stdout,
  );
  assert.deepEqual(foreignCommands(run.stdout), [], run.stdout);
});

test("GHA output: a failed step's title and ::error:: annotation never carry a line that GitHub's view reads as its own", async (t) => {
  // A title's and an annotation's line breaks are escaped (%0A), and the runner turns them back into lines.
  assert.equal(commandData("boom\n##[endgroup]\r  ##[error]x ##[group]y"), "boom%0A\\##[endgroup]%0D  \\##[error]x ##[group]y");
  assert.equal(commandData("##[group]first"), "\\##[group]first");
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ id: "fail", run: "echo '  ##[endgroup] headline ##[error]x'; exit 2" }] }]);
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "title"], { cwd: dir, env: GHA });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout, /^::group::✕ {2}01 fail {2}\d+\.\ds {2}· {2}command exited with code 2$/m, run.stdout);
  assert.deepEqual(foreignCommands(run.stdout, ["error"]), [], run.stdout);
  const shaping = shapingLines(runnerLog(run.stdout).log).map((line) => line.replace(/^(##\[\w+\]).*$/, "$1"));
  assert.deepEqual(shaping, ["##[group]", "##[endgroup]", "##[error]"], run.stdout);
});
