// With GITHUB_ACTIONS=true a step's output is printed with the runner's commands stopped, so GitHub never sees a
// step's `::add-mask::`: orun reads the masks from the output itself, hides each value (`***`) in all it prints from
// then on (the step's group and its title, later steps, the footer, the summary) and hands the value to the runner
// with its own `::add-mask::`, outside the markers, before the group that holds it. GitHub's reading is
// test/support/gha-runner-log.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { runnerLog } from "../support/gha-runner-log.js";
import { planDir } from "../runtime/helpers.js";
import { StepMaskScanner } from "../../src/runtime/output/step-masks.js";
import { MAX_LINE } from "../../src/runners/github-actions/workflow-commands.js";

const GHA = { GITHUB_ACTIONS: "true" };

/** The stdout lines that hold `text`. */
function linesWith(stdout: string, text: string): string[] {
  return stdout.split("\n").filter((line) => line.includes(text));
}

test("GHA output: a value a step masks (::add-mask::, or ##[add-mask] in a line) is *** in its group, title, later steps and jobs, footer and summary, and handed to the runner before it is printed", async (t) => {
  const dir = await planDir(
    t,
    [
      {
        id: "api@dev.build",
        steps: [
          {
            id: "fetch",
            run: [
              `echo '::add-mask::s3cr3t'`,
              `echo 'token=s3cr3t'`,
              `echo 'Console https://console.example.dev/s3cr3t'`,
              `echo 'legacy ##[add-mask]old-secret'`,
              `echo 'old-secret too'`,
              // The runner reads a line ended by CR alone as a line.
              `printf 'progress\\r::add-mask::cr-secret\\n'`,
              `echo 'cr-secret'`,
              // %25 is the runner's escape of %.
              `echo '::add-mask::pa%25ss'`,
              `echo 'word pa%ss'`,
            ].join("; "),
          },
          { id: "later", run: "echo later s3cr3t old-secret cr-secret pa%ss" },
        ],
      },
      { id: "web@dev.build", dependsOn: ["api@dev.build"], steps: [{ id: "other", run: "echo other job s3cr3t" }] },
    ],
    { concurrency: 1 },
  );
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "masks"], { cwd: dir, env: GHA });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const out = run.stdout;
  // Each value appears once, in orun's own ::add-mask:: (escaped as the runner reads it), before the first group.
  const firstGroup = out.indexOf("::group::");
  for (const [value, line] of [
    ["s3cr3t", "::add-mask::s3cr3t"],
    ["old-secret", "::add-mask::old-secret"],
    ["cr-secret", "::add-mask::cr-secret"],
    ["pa%ss", "::add-mask::pa%25ss"],
  ] as const) {
    // (`pa%ss` is nowhere: its ::add-mask:: line spells it pa%25ss.)
    assert.deepEqual(linesWith(out, value), [line].filter((l) => l.includes(value)), out);
    assert.equal(out.split("\n").filter((l) => l === line).length, 1, out);
    assert.ok(out.indexOf(`\n${line}\n`) < firstGroup, `${line}\n${out}`);
  }
  // The step's own add-mask line shows the value masked, as GitHub echoes it. The title is the first line that is no
  // command (it showed `::add-mask::***`, which says nothing of the step).
  assert.match(out, /^::group::✓ {2}01 fetch {2}\d+\.\ds {2}· {2}token=\*\*\*$/m, out);
  for (const line of ["::add-mask::***", "token=***", "Console https://console.example.dev/***", "legacy ##[add-mask]***", "*** too", "word ***", "later *** *** *** ***", "other job ***"]) {
    assert.ok(out.split("\n").includes(line), `${line}\n${out}`);
  }
  assert.match(out, /^ {2}↗ Console {2}https:\/\/console\.example\.dev\/\*\*\*$/m, out);
  assert.match(out, /^ {2}Console https:\/\/console\.example\.dev\/\*\*\*$/m, out);
  // The runner processes those ::add-mask:: lines (they are outside stop-commands), and so hides the values too.
  const { commands } = runnerLog(out);
  assert.deepEqual(
    commands.filter((c) => c.name === "add-mask").map((c) => c.data),
    ["s3cr3t", "old-secret", "cr-secret", "pa%ss"],
    out,
  );
});

test("GHA output: a mask is read from where the step printed it, in output beyond what its group holds too; one the step printed with its own commands stopped is not a mask, as on GitHub", async (t) => {
  const dir = await planDir(t, [
    {
      id: "api@dev.big",
      steps: [
        {
          id: "flood",
          run: [
            `echo '::add-mask::early-secret'`,
            // 5 MB: the group holds the last 4 MiB, so the add-mask line above is not in it.
            `head -c 5000000 /dev/zero | tr '\\0' x | fold -w 1000`,
            `echo; echo 'at the end early-secret'`,
            `echo '::stop-commands::my-pause'`,
            `echo '::add-mask::not-a-secret'`,
            `echo '::my-pause::'`,
            `echo 'shown not-a-secret'`,
          ].join("; "),
        },
      ],
    },
  ]);
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "bigmask"], { cwd: dir, env: GHA });
  assert.equal(run.code, 0, run.stderr);
  const out = run.stdout;
  assert.ok(out.split("\n").includes("at the end ***"), out.slice(-2000));
  assert.deepEqual(linesWith(out, "early-secret"), ["::add-mask::early-secret"], out.slice(-2000));
  // Inside the group, as printed: GitHub would not have taken it for a mask either.
  assert.deepEqual(linesWith(out, "not-a-secret"), ["::add-mask::not-a-secret", "shown not-a-secret"], out.slice(-2000));
  assert.deepEqual(
    runnerLog(out).commands.filter((c) => c.name === "add-mask").map((c) => c.data),
    ["early-secret"],
    out.slice(-2000),
  );
});

test("StepMaskScanner reads masks as GitHub's runner does: either syntax, any case; a stop token it refuses leaves commands on; old-syntax escapes; blank values and split lines", () => {
  const found: string[] = [];
  const scanner = new StepMaskScanner((value) => found.push(value));
  const output = [
    "::stop-commands::pause-logging", // refused by the runner: commands stay on
    "::add-mask::a1",
    "##[stop-commands]tok",
    "::add-mask::no",
    "x ##[TOK]", // resumes (old syntax, any case)
    "  ::ADD-MASK::b2",
    "x ##[add-mask]c%3Bd%5D%25",
    "::add-mask::   ",
    "::add-mask::ta",
  ].join("\n");
  // Fed in pieces that cut lines, the last one without its newline.
  for (let at = 0; at < output.length; at += 7) scanner.push(output.slice(at, at + 7));
  assert.deepEqual(found, ["a1", "b2", "c;d]%"]);
  scanner.push("il");
  scanner.end();
  assert.deepEqual(found, ["a1", "b2", "c;d]%", "tail"]);
  // A line longer than the splitter's piece: its continuation is the line's middle, not a line the runner reads.
  const long = new StepMaskScanner((value) => found.push(value));
  long.push(`${"x".repeat(MAX_LINE)}::add-mask::middle\n::add-mask::next\n`);
  long.end();
  assert.deepEqual(found.slice(4), ["next"]);
});

test("GHA output, --runner github-actions: the engine's masks (ORUN_SECRET_* values, the ::add-mask:: lines it consumes) are handed to the runner once each, before the group", async (t) => {
  const dir = await planDir(
    t,
    [
      {
        id: "api@dev.build",
        steps: [
          { id: "fetch", run: `echo '::add-mask::engine-s3cr3t'; echo "key $KEY engine-s3cr3t"`, env: { KEY: "${{ secrets.API_KEY }}" } },
          { id: "later", run: "echo later engine-s3cr3t" },
        ],
      },
      { id: "web@dev.build", dependsOn: ["api@dev.build"], steps: [{ id: "other", run: `echo "other $KEY"`, env: { KEY: "${{ secrets.API_KEY }}" } }] },
    ],
    { concurrency: 1 },
  );
  const env = { ...GHA, ORUN_RUNNER: "", GITHUB_TOKEN: "", ORUN_SECRET_API_KEY: "api-key-value-42" };
  const run = await runOrun(["run", "plan.json", "--runner", "github-actions", "--exec-id", "engine-masks"], { cwd: dir, env, timeoutMs: 60_000 });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const out = run.stdout;
  const firstGroup = out.indexOf("::group::");
  for (const value of ["api-key-value-42", "engine-s3cr3t"]) {
    // Once, though both jobs' engines hold the secret: and nowhere else in clear.
    assert.deepEqual(linesWith(out, value), [`::add-mask::${value}`], out);
    assert.ok(out.indexOf(`\n::add-mask::${value}\n`) < firstGroup, `${value}\n${out}`);
  }
  for (const line of ["key *** ***", "later ***", "other ***"]) assert.ok(out.split("\n").includes(line), `${line}\n${out}`);
  const { commands } = runnerLog(out);
  assert.deepEqual(
    commands.filter((c) => c.name === "add-mask").map((c) => c.data).sort(),
    ["api-key-value-42", "engine-s3cr3t"],
    out,
  );
});
