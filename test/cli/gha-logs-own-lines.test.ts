// Under GITHUB_ACTIONS=true the lines `orun logs` writes itself land in the workflow's log too. A job's error printed
// in place of the log its step never wrote (on stderr under --raw) was written as it is: a value an earlier step
// masked showed in clear, and its `##[error]` was read by GitHub's runner as a command. They are now masked and no
// line of them a command (`##\[error]`), without stop-commands markers of their own: the runner reads stdout and
// stderr into one log in no order orun can set, and markers on stderr could turn commands back on in the middle of
// the output's span on stdout. The errors `orun logs` ends with (a mistyped --job, a missing record) likewise. And
// the documented limit of the mask reading: an `##[add-mask]` past a line's first 1 MiB is not read
// (docs/running.md). GitHub's reading is test/support/gha-runner-log.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { runnerLog, shapingLines } from "../support/gha-runner-log.js";
import { planDir } from "../runtime/helpers.js";

const GHA = { GITHUB_ACTIONS: "true" };

async function erroredRecord(t: import("node:test").TestContext): Promise<string> {
  const dir = await planDir(t, [
    {
      id: "api@dev.build",
      steps: [
        { id: "s1", run: "echo '::add-mask::s3cr3t'; echo shown; echo '::error::from-s1'" },
        // Refused before it runs: the job's error (naming the shell) stands in for the log s2 never wrote.
        { id: "s2", run: "true", shell: "##[error]s3cr3t" },
      ],
    },
  ]);
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "e1"], { cwd: dir, env: { GITHUB_ACTIONS: "" } });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  return dir;
}

for (const extra of [["--raw"], ["--raw", "--follow"]]) {
  test(`GHA logs ${extra.join(" ")}: the job's error on stderr is masked and no command to the runner`, async (t) => {
    const dir = await erroredRecord(t);
    const logs = await runOrun(["logs", "--exec-id", "e1", ...extra], { cwd: dir, env: GHA });
    assert.equal(logs.code, extra.includes("--follow") ? 1 : 0, logs.stdout + logs.stderr);
    const err = logs.stderr;
    assert.match(err, /api@dev\.build › s2: error: .*unsupported shell "##\\\[error\]\*\*\*"/, err);
    assert.doesNotMatch(err, /s3cr3t/, err);
    const { commands, log } = runnerLog(err);
    assert.deepEqual(commands, [], err);
    assert.deepEqual(shapingLines(log), [], err);
    // stdout: orun's `::add-mask::` for the runner first, then the output masked.
    assert.equal(logs.stdout.split("\n")[0], "::add-mask::s3cr3t", logs.stdout);
    assert.doesNotMatch(logs.stdout.split("\n").slice(1).join("\n"), /s3cr3t/, logs.stdout);
  });
}

/** Every order the runner may read two streams' lines in: each stream's own order kept. */
function merges(a: string[], b: string[]): string[][] {
  if (a.length === 0 || b.length === 0) return [[...a, ...b]];
  return [...merges(a.slice(1), b).map((rest) => [a[0]!, ...rest]), ...merges(a, b.slice(1)).map((rest) => [b[0]!, ...rest])];
}

test("GHA logs --raw: however the runner interleaves stdout and stderr, the output's masks are handed, its lines are no command, and the note is none", async (t) => {
  const dir = await erroredRecord(t);
  const logs = await runOrun(["logs", "--exec-id", "e1", "--raw"], { cwd: dir, env: GHA });
  assert.equal(logs.code, 0, logs.stdout + logs.stderr);
  const out = logs.stdout.replace(/\n$/, "").split("\n");
  const err = logs.stderr.replace(/\n$/, "").split("\n");
  // What the runner acts on, its stop-commands and resume lines aside: the mask, nothing of the step's or the note.
  const acted = (lines: string[]) => runnerLog(lines.join("\n")).commands.filter((c) => c.name !== "stop-commands" && !c.name.startsWith("orun-stop-")).map((c) => c.name);
  assert.deepEqual(acted(out), ["add-mask"], logs.stdout);
  for (const lines of merges(out, err)) {
    const { log } = runnerLog(lines.join("\n"));
    const order = lines.join("\n");
    assert.deepEqual(acted(lines), ["add-mask"], order);
    assert.deepEqual(shapingLines(log), [], order);
    assert.ok(log.includes("::error::from-s1"), order);
    assert.ok(!log.some((line) => line.includes("s3cr3t")), order);
  }
});

for (const [what, args] of [
  ["a mistyped --job", ["--exec-id", "e1", "--job", "::error::s3cr3t ##[error]x"]],
  ["a mistyped --step", ["--exec-id", "e1", "--step", "##[error]s3cr3t"]],
  ["a missing record", ["--exec-id", "##[error]nope"]],
] as const) {
  test(`GHA logs: the error of ${what} is masked and no command to the runner`, async (t) => {
    const dir = await erroredRecord(t);
    const logs = await runOrun(["logs", ...args], { cwd: dir, env: GHA });
    assert.equal(logs.code, 1, logs.stdout + logs.stderr);
    assert.match(logs.stderr, /^✕ /, logs.stderr);
    assert.match(logs.stderr, /##\\\[error\]/, logs.stderr);
    assert.doesNotMatch(logs.stderr, /s3cr3t/, logs.stderr);
    const { commands, log } = runnerLog(logs.stderr);
    assert.deepEqual(commands, [], logs.stderr);
    assert.deepEqual(shapingLines(log), [], logs.stderr);
  });
}

test("logs outside GitHub Actions writes the job's error as it is", async (t) => {
  const dir = await erroredRecord(t);
  const logs = await runOrun(["logs", "--exec-id", "e1", "--raw"], { cwd: dir, env: { GITHUB_ACTIONS: "" } });
  assert.equal(logs.code, 0, logs.stdout + logs.stderr);
  assert.match(logs.stderr, /^api@dev\.build › s2: error: .*unsupported shell "##\[error\]s3cr3t"/m, logs.stderr);
  assert.doesNotMatch(logs.stderr, /stop-commands/, logs.stderr);
});

test("GHA logs: an ##[add-mask] in a line's first 1 MiB is read, one past it is not (the documented limit)", async (t) => {
  // The early mask on a line of its own; then a line of 1 MiB of filler and the late mask; then both values.
  const dir = await planDir(t, [
    {
      id: "api@dev.build",
      steps: [
        {
          id: "s1",
          run: "echo 'x ##[add-mask]early-s3cr3t'; head -c 1048576 /dev/zero | tr '\\0' y; printf ' ##[add-mask]late-s3cr3t\\n'; echo 'values early-s3cr3t late-s3cr3t'",
        },
      ],
    },
  ]);
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "long"], { cwd: dir, env: { GITHUB_ACTIONS: "" } });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const logs = await runOrun(["logs", "--exec-id", "long", "--raw"], { cwd: dir, env: GHA });
  assert.equal(logs.code, 0, logs.stderr);
  const lines = logs.stdout.split("\n");
  assert.equal(lines[0], "::add-mask::early-s3cr3t");
  assert.ok(lines.includes("values *** late-s3cr3t"), lines.filter((line) => line.length < 200).join("\n"));
});

test("GHA run: a warning on stderr quoting a record's text (metadata.json that is not JSON) is no command to the runner", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.build", steps: [{ run: "true" }] }]);
  const first = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "e1"], { cwd: dir });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const { writeFile } = await import("node:fs/promises");
  const { recordFile } = await import("../runtime/helpers.js");
  await writeFile(recordFile(dir, "e1", "metadata.json"), "##[error]boom\n");
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--exec-id", "e1"], { cwd: dir, env: GHA });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stderr, /^warning: the record's metadata\.json cannot be read \(.*##\\\[error\]boom/m, run.stderr);
  assert.deepEqual(runnerLog(run.stderr).commands, [], run.stderr);
});
