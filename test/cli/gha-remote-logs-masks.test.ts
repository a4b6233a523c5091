// Under GITHUB_ACTIONS=true `orun logs --remote-state` printed the backend's log as it is: a value a step masked
// (`::add-mask::`) showed in the workflow's log, and a step's `::error::` or `##[endgroup]` line was acted on by the
// runner around orun. It now prints as the local `orun logs` does there (gha-logs-masks.test.ts): the masks of all the
// job's steps handed to the runner first, the output masked between stop-commands markers. A real backend on loopback
// and a run made by a real runner; GitHub's reading is test/support/gha-runner-log.ts. orun's own lines there (the
// note naming the run read, an error such as a mistyped --job) are masked with the run's masks and no command.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { makePlan } from "../runtime/helpers.js";
import { asUploadedUnmasked, startRemoteRun, type RemoteRunTestbed } from "../remote/helpers.js";
import { runOrun } from "../support/cli.js";
import { runnerLog, shapingLines } from "../support/gha-runner-log.js";

describe("remote logs inside GitHub Actions", () => {
  let remote: RemoteRunTestbed;
  before(async () => {
    const plan = makePlan(
      [
        {
          id: "api@dev.build",
          steps: [
            { id: "s1", run: "echo '::add-mask::s3cr3t'" },
            { id: "s2", run: "echo token=s3cr3t; echo '##[endgroup]'; echo '::error::injected'; printf 'tail s3cr3t'" },
          ],
        },
      ],
      { name: "masked" },
    );
    remote = await startRemoteRun("orun-gha26-remote-logs-", plan, "masked-run", 0);
    // Today's runner uploads `***` for the value: the readers must still mask the log of an older one.
    await asUploadedUnmasked(remote.bed, "masked-run", "api@dev.build", "=== s1 ===\n::add-mask::s3cr3t\n=== s2 ===\ntoken=s3cr3t\n##[endgroup]\n::error::injected\ntail s3cr3t\n");
  });
  after(() => remote?.bed.close());

  const readInGithub = (args: string[], github = "true") =>
    runOrun(["logs", ...args, "--remote-state", "--backend-url", remote.bed.backend.url, "--exec-id", "masked-run"], {
      cwd: remote.bed.dir,
      env: { ...remote.env, GITHUB_ACTIONS: github },
    });

  for (const extra of [["--job", "api@dev.build", "--step", "s2"], [], ["--raw"]]) {
    it(`logs ${extra.join(" ") || "(whole run)"}: the job's masks go to the runner first, the output is masked and no step line is a command`, async () => {
      const logs = await readInGithub(extra);
      assert.equal(logs.code, 0, logs.stdout + logs.stderr);
      const out = logs.stdout;
      assert.equal(out.split("\n")[0], "::add-mask::s3cr3t", out);
      const { commands, log } = runnerLog(out);
      assert.deepEqual(
        commands.map((c) => c.name),
        ["add-mask", "stop-commands", commands.at(-1)!.name],
        out,
      );
      assert.match(commands[1]!.data, /^orun-stop-logs-[0-9a-f]{16}$/, out);
      assert.equal(commands.at(-1)!.name, commands[1]!.data, out);
      assert.deepEqual(shapingLines(log), [], out);
      assert.doesNotMatch(out.split("\n").slice(1).join("\n"), /s3cr3t/, out);
      for (const line of ["token=***", "\\##[endgroup]", "::error::injected", "tail ***"]) assert.ok(out.split("\n").includes(line), `${line}\n${out}`);
    });
  }

  it("logs --follow of a finished run: the masks its logs hold are handed to the runner first, as without --follow, and the values hidden", async () => {
    const logs = await readInGithub(["--follow"]);
    assert.equal(logs.code, 0, logs.stdout + logs.stderr);
    const out = logs.stdout;
    const lines = out.split("\n");
    assert.deepEqual(lines.filter((line) => line.includes("s3cr3t")), ["::add-mask::s3cr3t"], out);
    assert.ok(lines.indexOf("::add-mask::s3cr3t") < lines.indexOf("token=***"), out);
    const { commands, log } = runnerLog(out);
    assert.equal(lines[0], "::add-mask::s3cr3t", out);
    assert.deepEqual(commands.map((c) => c.name), ["add-mask", "stop-commands", commands[1]!.data], out);
    assert.deepEqual(shapingLines(log), [], out);
    assert.ok(lines.includes("::error::injected"), out);
  });

  it("logs --job <typo>: the error hides what the run's steps masked (read from the backend first) and is no command to the runner", async () => {
    const logs = await readInGithub(["--job", "::error::s3cr3t ##[error]x"]);
    assert.equal(logs.code, 1, logs.stdout + logs.stderr);
    assert.match(logs.stderr, /^✕ .*##\\\[error\]x/, logs.stderr);
    assert.doesNotMatch(logs.stderr, /s3cr3t/, logs.stderr);
    const { commands, log } = runnerLog(logs.stderr);
    assert.deepEqual(commands, [], logs.stderr);
    assert.deepEqual(shapingLines(log), [], logs.stderr);
  });

  it("logs outside GitHub Actions prints the backend's log as it is", async () => {
    const logs = await readInGithub(["--raw", "--job", "api@dev.build", "--step", "s2"], "");
    assert.equal(logs.code, 0, logs.stdout + logs.stderr);
    assert.equal(logs.stdout, "token=s3cr3t\n##[endgroup]\n::error::injected\ntail s3cr3t\n");
  });
});

describe("remote logs inside GitHub Actions: the note naming the run read", () => {
  let remote: RemoteRunTestbed;
  before(async () => {
    // A run whose ID a step masked: the note that names the run this machine took part in hides it too.
    const plan = makePlan([{ id: "api@dev.build", steps: [{ id: "s1", run: "echo '::add-mask::hidden-run-7'; echo done" }] }], { name: "noted" });
    remote = await startRemoteRun("orun-gha27-remote-note-", plan, "hidden-run-7", 0);
    await asUploadedUnmasked(remote.bed, "hidden-run-7", "api@dev.build", "=== s1 ===\n::add-mask::hidden-run-7\ndone\n");
  });
  after(() => remote?.bed.close());

  for (const extra of [[], ["--follow"], ["--job", "::error::nope"]]) {
    it(`logs ${extra.join(" ") || "(no run named)"}: "remote state: showing run …" is masked and no command to the runner`, async () => {
      const logs = await runOrun(["logs", ...extra, "--remote-state", "--backend-url", remote.bed.backend.url], {
        cwd: remote.bed.dir,
        env: { ...remote.env, GITHUB_ACTIONS: "true" },
      });
      const typo = extra.includes("--job");
      assert.equal(logs.code, typo ? 1 : 0, logs.stdout + logs.stderr);
      assert.match(logs.stderr, /^remote state: showing run \*\*\*, the last this machine took part in/, logs.stderr);
      assert.doesNotMatch(logs.stderr, /hidden-run-7/, logs.stderr);
      assert.deepEqual(runnerLog(logs.stderr).commands, [], logs.stderr);
      assert.equal(logs.stdout.split("\n")[0], typo ? "" : "::add-mask::hidden-run-7", logs.stdout);
    });
  }
  // status masks its note with the masks of the jobs whose text it prints (gha-status-masks.test.ts), not every job's.
});
