// `orun run`'s own lines show what a plan file says escaped (src/util/printable.ts: `\u{hex}`): a plan refuses
// control characters in its name and IDs, not bidi controls, which would reorder what the terminal shows; a step's
// error quotes the plan's shell as given, escape sequences included. The header, the dry-run preview, the `-v` step
// lines, the retry, continue and not-run lines, the group header, the links and the unfinished list. Real runs of
// the built CLI on plan files in a temp folder.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { makePlan, planDir, writePlan } from "../runtime/helpers.js";
import { HIDDEN_CHAR } from "../../src/util/hidden-chars.js";

// ESC, BEL, C1, TAB and the bidi controls: none may reach the output raw.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const env = { NO_COLOR: "1", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "" };
/** The lines of `output` holding `marker`, each checked for raw characters. */
const linesWith = (output: string, marker: string): string[] => {
  const lines = output.split("\n").filter((line) => line.includes(marker));
  for (const line of lines) assert.doesNotMatch(line, RAW, JSON.stringify(line));
  return lines;
};

test("the run header, the dry-run preview and -v's step lines show bidi controls from the plan as \\u{hex}", async (t) => {
  const dir = await planDir(
    t,
    [
      { id: "ap\u202ep@dev.bu\u202eild", steps: [{ id: "ma\u202ein", run: "true" }, { id: "se\u2066cond", run: "true" }] },
      { id: "app@dev.ne\u2067xt", dependsOn: ["ap\u202ep@dev.bu\u202eild"], steps: [{ id: "s", run: "true" }] },
      { id: "web@pr\u2068od.deploy", steps: [{ id: "s", run: "true" }] },
    ],
    { name: "pl\u202ean\u2066" },
    "orun-run-lines-",
  );
  const run = await runOrun(["run", "plan.json", "--exec-id", "E", "-v"], { cwd: dir, env });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^▲ orun pl\\u\{202e\}an\\u\{2066\}$/m);
  assert.match(run.stdout, /^ {2}web {2}· {2}pr\\u\{2068\}od$/m);
  assert.match(run.stdout, /^ {6}● ma\\u\{202e\}in \(1\/2\) {2}cwd /m);
  assert.match(run.stdout, /^ {6}✓ ma\\u\{202e\}in {2}\d/m);
  // Every line naming the plan's text: the header, the group header, the job, its steps and the job after it.
  for (const marker of ["orun pl", "ap\\u{202e}p", "bu\\u{202e}ild", "ma\\u{202e}in", "ne\\u{2067}xt"]) assert.ok(linesWith(run.stdout, marker).length > 0, `${marker}:\n${run.stdout}`);
  assert.doesNotMatch(run.stdout, RAW, JSON.stringify(run.stdout));

  const dry = await runOrun(["run", "plan.json", "--dry-run"], { cwd: dir, env });
  assert.equal(dry.code, 0, dry.stderr);
  assert.doesNotMatch(dry.stdout, RAW, JSON.stringify(dry.stdout));
  assert.match(dry.stdout, /^▲ orun pl\\u\{202e\}an\\u\{2066\} {2}\(dry-run: nothing will be executed\)$/m);
  assert.match(dry.stdout, /^ {2}1\. ap\\u\{202e\}p@dev\.bu\\u\{202e\}ild$/m);
  assert.match(dry.stdout, /^ {2}2\. app@dev\.ne\\u\{2067\}xt$/m);
  assert.match(dry.stdout, /^ {5}needs {4}ap\\u\{202e\}p@dev\.bu\\u\{202e\}ild$/m);
  // The step column is as wide as the longest escaped key: the kinds line up.
  assert.match(dry.stdout, /^ {5}steps {4}main ma\\u\{202e\}in {4}run: true$/m);
  assert.match(dry.stdout, /^ {14}main se\\u\{2066\}cond {2}run: true$/m);
});

test("a step skipped by its if: (github-actions runner) has its -v line show the key escaped", async (t) => {
  const dir = await planDir(t, [{ id: "app@dev.build", steps: [{ id: "first", run: "true" }, { id: "sk\u202eip", if: "false", run: "true" } as never] }], { name: "p" }, "orun-run-lines-");
  const run = await runOrun(["run", "plan.json", "--gha", "--exec-id", "E", "-v"], { cwd: dir, env: { ...env, ORUN_ACTIONS_CACHE: `${dir}/actions-cache`, ORUN_RUNNER: "", GITHUB_TOKEN: "" }, timeoutMs: 60_000 });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(linesWith(run.stdout, "sk\\u{202e}ip  skipped").length, 1, run.stdout);
  assert.doesNotMatch(run.stdout, RAW, JSON.stringify(run.stdout));
});

test("retry, continue, not-run, group header, link and unfinished-list lines show a plan's escapes as \\u{hex}", async (t) => {
  const dir = await planDir(
    t,
    [
      {
        id: "ap\u202ep@dev.b\u202eroke",
        steps: [
          // A step's error quotes its shell as the plan gives it: an escape sequence, an OSC title, a bidi control.
          { id: "co\u202ent", run: "true", shell: "\u001b[31mno\u202esh", onFailure: "continue" },
          { id: "li\u202enk", run: "printf 'Pre\\033]0;t\\007view: https://x.dev/\\342\\200\\256a\\n'" },
          { id: "ag\u202eain", run: "true", shell: "\u001b]0;t\u0007sh", retry: 1 },
        ],
      },
      { id: "app@dev.after", dependsOn: ["ap\u202ep@dev.b\u202eroke"], steps: [{ id: "s", run: "true" }] },
      { id: "app@dev.fine", steps: [{ id: "s", run: "true" }] },
    ],
    { name: "p" },
    "orun-run-lines-",
  );
  const run = await runOrun(["run", "plan.json", "--exec-id", "E"], { cwd: dir, env });
  assert.equal(run.code, 1, run.stderr);
  const shell = (text: string) => `unsupported shell "${text}" for job ap\\u{202e}p@dev.b\\u{202e}roke step`;
  assert.equal(linesWith(run.stdout, "  ap\\u{202e}p  ·  dev").length, 1, run.stdout);
  assert.equal(linesWith(run.stdout, `→ co\\u{202e}nt failed (${shell("\\u{1b}[31mno\\u{202e}sh")} co\\u{202e}nt (supported:`).length, 1, run.stdout);
  assert.equal(linesWith(run.stdout, `↻ ag\\u{202e}ain  retrying attempt 2/2 after: ${shell("\\u{1b}]0;t\\u{7}sh")} ag\\u{202e}ain (supported:`).length, 1, run.stdout);
  assert.equal(linesWith(run.stdout, "○ after  skipped · dependency ap\\u{202e}p@dev.b\\u{202e}roke failed").length, 1, run.stdout);
  // The link's line (the failure block's tail shows the step's output as it printed it).
  assert.deepEqual(linesWith(run.stdout, "view https://x.dev/"), ["  Pre\\u{1b}]0;t\\u{7}view https://x.dev/\\u{202e}a"]);

  // A later run of the one job that succeeded lists the execution's unfinished jobs.
  const fine = await runOrun(["run", "plan.json", "--exec-id", "E", "--job", "app@dev.fine"], { cwd: dir, env });
  assert.equal(fine.code, 0, fine.stderr);
  assert.deepEqual(linesWith(fine.stdout, "execution E is still failed"), ["  ! execution E is still failed: app@dev.after (skipped), ap\\u{202e}p@dev.b\\u{202e}roke (failed)"]);
});

test("separators and characters that show nothing in a plan's IDs are escaped, in the lines and the printed commands", async (t) => {
  // A plan refuses control characters in IDs, not U+2028 or a zero-width space: `bu\u200bild` looks like `build`.
  const dir = await planDir(t, [{ id: "app@dev.bu\u200bild\u2028x", steps: [{ id: "ma\ufeffin", run: "exit 3" }] }], { name: "p\u2060" }, "orun-run-lines-");
  const run = await runOrun(["run", "plan.json", "--exec-id", "E"], { cwd: dir, env });
  assert.equal(run.code, 1, run.stderr);
  const hidden = /[\u2028\u2029\u200b\u2060\ufeff]/;
  assert.doesNotMatch(run.stdout + run.stderr, hidden, JSON.stringify(run.stdout));
  assert.match(run.stdout, /^▲ orun p\\u\{2060\}$/m);
  assert.match(run.stdout, /^ {4}✗ bu\\u\{200b\}ild\\u\{2028\}x {2}/m);
  assert.match(run.stdout, /^ {7}step {2}ma\\u\{feff\}in$/m);
  // The command to paste names the job by its bytes, as printf octal escapes (src/util/shell-word.ts).
  assert.match(run.stdout, /^ {7}logs {2}orun logs --exec-id E --job "\$\(printf 'app@dev\.bu\\342\\200\\213ild\\342\\200\\250x'\)"$/m);
});

test("the dry-run preview and -v's cwd show a plan's path, command, shell, onFailure, working-directory and timeout escaped", async (t) => {
  // A plan file may come from anywhere (a CI artifact): these fields are free text, escape sequences included.
  const jobPath = "ap\u001b[31mp\u202e";
  const dir = await planDir(
    t,
    [
      {
        id: "app@dev.build",
        path: jobPath,
        steps: [
          { id: "s1", run: "  echo \u001b]0;t\u0007hi\u202e\u2028x\u200b\r\nsecond \u001b[2J line\n", shell: "ba\u001b[2Jsh", onFailure: "\ufeffcontinue\u000b", "working-directory": "w\u001b[1md" },
          { id: "s2", run: "true\rfake", timeout: "2\u001b[2Jm" },
        ],
      },
    ],
    { name: "p" },
    "orun-run-lines-",
  );
  const dry = await runOrun(["run", "plan.json", "--dry-run"], { cwd: dir, env });
  assert.equal(dry.code, 0, dry.stderr);
  for (const line of dry.stdout.split("\n")) assert.doesNotMatch(line, HIDDEN_CHAR, JSON.stringify(line));
  const shownDir = `${dir}/ap\\u{1b}[31mp\\u{202e}`;
  const lines = dry.stdout.split("\n");
  assert.ok(lines.includes(`     workdir  ${shownDir}`), dry.stdout);
  // A command of several lines: its first line, escaped, and `…`.
  assert.ok(
    lines.includes(
      "     steps    main s1    run: echo \\u{1b}]0;t\\u{7}hi\\u{202e}\\u{2028}x\\u{200b} …" +
        `  [onFailure \\u{feff}continue\\u{b} · shell ba\\u{1b}[2Jsh · cwd ${shownDir}/w\\u{1b}[1md]`,
    ),
    dry.stdout,
  );
  assert.ok(lines.includes("              main s2    run: true\\u{d}fake  [timeout 2\\u{1b}[2Jm]"), dry.stdout);
  assert.ok(lines.includes(`     note     working directory ${shownDir} is missing: the run will fail; step s2: invalid timeout "2\\u{1b}[2Jm" (its timeout): the run will fail the step`), dry.stdout);

  // -v heads each step with its working directory: the job's path as the plan gives it, escaped.
  await mkdir(path.join(dir, jobPath, "w"), { recursive: true });
  await writePlan(dir, makePlan([{ id: "app@dev.build", path: jobPath, steps: [{ id: "s1", run: "true" }, { id: "s2", run: "true", "working-directory": "w" }] }], { name: "p" }), "run.json");
  const run = await runOrun(["run", "run.json", "--exec-id", "E", "-v"], { cwd: dir, env });
  assert.equal(run.code, 0, run.stderr);
  for (const line of run.stdout.split("\n")) assert.doesNotMatch(line, HIDDEN_CHAR, JSON.stringify(line));
  const stepLines = run.stdout.split("\n").filter((line) => line.includes("● s"));
  assert.deepEqual(stepLines, [`      ● s1 (1/2)  cwd ${shownDir}`, `      ● s2 (2/2)  cwd ${shownDir}/w`], run.stdout);
});
