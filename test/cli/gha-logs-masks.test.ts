// Under GITHUB_ACTIONS=true `orun logs` prints into the workflow's log: the record's clear text would show a value a
// step masked and hand `::error::` or `##[endgroup]` lines of a step to the runner. A `--json` run printed no
// `::add-mask::` at all, so logs hands the masks of all the job's steps to the runner first (even with --step: the
// step that masked may not be the one shown), then prints the output masked between stop-commands markers. GitHub's
// reading is test/support/gha-runner-log.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { runnerLog, shapingLines } from "../support/gha-runner-log.js";
import { planDir, recordFile } from "../runtime/helpers.js";
import { until } from "../support/wait.js";

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

test("GHA logs --follow: a value a step masks after the follower started is handed to the runner before the line that masks it, and hidden after", async (t) => {
  const dir = await planDir(t, [
    {
      id: "api@dev.build",
      steps: [
        { id: "s1", run: "echo first; while [ ! -f release ]; do sleep 0.02; done" },
        { id: "s2", run: "echo '::add-mask::later-s3cr3t'; echo 'token later-s3cr3t'; echo '::error::injected'" },
      ],
    },
  ]);
  const start = (args: string[], env: NodeJS.ProcessEnv) => {
    const child = spawn(process.execPath, [ORUN_BIN, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    t.after(() => child.kill("SIGKILL"));
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const done = new Promise<number | null>((resolve) => child.on("close", resolve));
    return { output: () => stdout, done };
  };
  const run = start(["run", "plan.json", "--runner", "local", "--exec-id", "live"], { GITHUB_ACTIONS: "" });
  await until(async () => (await readFile(recordFile(dir, "live", "logs/api@dev.build/s1.log"), "utf8").catch(() => "")).includes("first"), "s1 printing");
  const follow = start(["logs", "--exec-id", "live", "--follow"], { GITHUB_ACTIONS: "true" });
  await until(() => follow.output().includes("first\n"), "the follower showing s1");
  await writeFile(path.join(dir, "release"), "");
  assert.equal(await run.done, 0);
  assert.equal(await follow.done, 0, follow.output());
  const out = follow.output();
  const lines = out.split("\n");
  assert.deepEqual(lines.filter((line) => line.includes("later-s3cr3t")), ["::add-mask::later-s3cr3t"], out);
  assert.ok(lines.indexOf("::add-mask::later-s3cr3t") < lines.indexOf("token ***"), out);
  const { commands, log } = runnerLog(out);
  assert.deepEqual(
    commands.map((c) => c.name),
    ["stop-commands", commands[1]!.name, "add-mask", "stop-commands", commands[4]!.name],
    out,
  );
  assert.equal(commands[1]!.name, commands[0]!.data, out);
  assert.equal(commands[4]!.name, commands[3]!.data, out);
  assert.notEqual(commands[0]!.data, commands[3]!.data, "a new token after the mask");
  assert.deepEqual(shapingLines(log), [], out);
  assert.ok(lines.includes("::error::injected"), out);
});
