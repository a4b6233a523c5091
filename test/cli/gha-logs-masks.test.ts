// Under GITHUB_ACTIONS=true `orun logs` prints into the workflow's log: the record's clear text would show a value a
// step masked and hand `::error::` or `##[endgroup]` lines of a step to the runner. A `--json` run printed no
// `::add-mask::` at all, so logs hands the masks of all the job's steps to the runner first (even with --step: the
// step that masked may not be the one shown), then prints the output masked between stop-commands markers. GitHub's
// reading is test/support/gha-runner-log.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOrun } from "../support/cli.js";
import { runnerLog, shapingLines } from "../support/gha-runner-log.js";
import { planDir } from "../runtime/helpers.js";

const GHA = { GITHUB_ACTIONS: "true" };

async function maskedRecord(t: import("node:test").TestContext): Promise<string> {
  const dir = await planDir(t, [
    {
      id: "api@dev.build",
      steps: [
        { id: "s1", run: "echo '::add-mask::s3cr3t'" },
        { id: "s2", run: `echo token=s3cr3t; echo '##[endgroup]'; echo '::error::injected'; printf 'tail s3cr3t'` },
      ],
    },
  ]);
  const run = await runOrun(["run", "plan.json", "--runner", "local", "--json", "--exec-id", "m3"], { cwd: dir, env: GHA });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.doesNotMatch(run.stdout, /::add-mask::/, run.stdout);
  return dir;
}

for (const extra of [["--step", "s2"], [], ["--raw"], ["--follow"]]) {
  test(`GHA logs ${extra.join(" ") || "(whole run)"}: the record's masks go to the runner first, the output is masked and no step line is a command`, async (t) => {
    const dir = await maskedRecord(t);
    const logs = await runOrun(["logs", "--exec-id", "m3", ...extra], { cwd: dir, env: GHA });
    assert.equal(logs.code, 0, logs.stdout + logs.stderr);
    const out = logs.stdout;
    assert.equal(out.split("\n")[0], "::add-mask::s3cr3t", out);
    const { commands, log } = runnerLog(out);
    // The mask, then stop-commands and its resume: no ::error:: nor endgroup reaches the runner.
    assert.deepEqual(
      commands.map((c) => c.name),
      ["add-mask", "stop-commands", commands.at(-1)!.name],
      out,
    );
    assert.match(commands[1]!.data, /^orun-stop-logs-[0-9a-f]{16}$/, out);
    assert.equal(commands.at(-1)!.name, commands[1]!.data, out);
    assert.deepEqual(shapingLines(log), [], out);
    // orun's own output holds no clear secret, whatever GitHub does with its mask.
    assert.doesNotMatch(out.split("\n").slice(1).join("\n"), /s3cr3t/, out);
    for (const line of ["token=***", "\\##[endgroup]", "::error::injected", "tail ***"]) assert.ok(out.split("\n").includes(line), `${line}\n${out}`);
  });
}

test("logs outside GitHub Actions prints the record as it is", async (t) => {
  const dir = await maskedRecord(t);
  const logs = await runOrun(["logs", "--exec-id", "m3", "--step", "s2"], { cwd: dir, env: { GITHUB_ACTIONS: "" } });
  assert.equal(logs.code, 0, logs.stdout + logs.stderr);
  assert.match(logs.stdout, /^token=s3cr3t\n##\[endgroup\]\n::error::injected\ntail s3cr3t$/m, logs.stdout);
  assert.doesNotMatch(logs.stdout, /::add-mask::|stop-commands/, logs.stdout);
});
