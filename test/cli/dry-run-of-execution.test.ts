// `orun run --dry-run --exec-id X` previews the resume of execution X (seed: dry-run shows what the run will do):
// it refuses another plan's execution as the run does (it said exit 0 and listed the other plan's jobs as to run),
// and names the jobs the resume skips as completed (it listed them as to run), writing nothing; one a live run holds
// is refused after the preview, as the run refuses to start beside it (it passed, exit 0).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { until } from "../support/wait.js";
import { makePlan, planDir, recordFile, writePlan } from "../runtime/helpers.js";

const LOCAL_ENV = { ORUN_REMOTE_STATE: undefined, ORUN_BACKEND_URL: undefined, ORUN_EXEC_ID: undefined, GITHUB_ACTIONS: undefined };

test("a dry-run of an existing execution names the jobs its resume skips and refuses another plan's execution", async (t) => {
  const dir = await planDir(t, [
    { id: "a@dev.done", steps: [{ run: "true" }] },
    { id: "a@dev.broken", steps: [{ run: "exit 2" }] },
  ]);
  const first = await runOrun(["run", "plan.json", "--exec-id", "e1"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(first.code, 1, first.stdout + first.stderr);
  const state = await readFile(recordFile(dir, "e1", "state.json"), "utf8");

  const preview = await runOrun(["run", "plan.json", "--exec-id", "e1", "--dry-run"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(preview.code, 0, preview.stdout + preview.stderr);
  const skipped = preview.stdout.split("\n").filter((line) => line.includes("already completed in execution e1: the run skips it"));
  assert.equal(skipped.length, 1, preview.stdout);
  // The note is a@dev.done's: the preview lists a@dev.broken first (sorted), then a@dev.done with its note.
  const at = (text: string): number => preview.stdout.indexOf(text);
  assert.ok(at("a@dev.broken") < at("a@dev.done") && at("a@dev.done") < at("already completed"), preview.stdout);

  // --job X --retry runs X again: no note.
  const retry = await runOrun(["run", "plan.json", "--exec-id", "e1", "--dry-run", "--job", "a.dev.done", "--retry"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(retry.code, 0, retry.stdout + retry.stderr);
  assert.doesNotMatch(retry.stdout, /already completed/);

  // Another plan's execution: the preview refuses it as the run does, naming the record's file.
  await writePlan(dir, makePlan([{ id: "a@dev.other", steps: [{ run: "true" }] }]), "other.json");
  const run = await runOrun(["run", "other.json", "--exec-id", "e1"], { cwd: dir, env: LOCAL_ENV });
  const dry = await runOrun(["run", "other.json", "--exec-id", "e1", "--dry-run"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(dry.code, 1, dry.stdout + dry.stderr);
  assert.match(dry.stderr, /execution e1 belongs to plan \w+, not \w+/);
  assert.ok(dry.stderr.includes(path.join(dir, ".orun/executions/e1/state.json")), dry.stderr);

  // Under remote state --exec-id names the backend's run, not this record: the preview reads no local record.
  const remote = await runOrun(["run", "other.json", "--exec-id", "e1", "--dry-run", "--remote-state", "--backend-url", "http://127.0.0.1:9"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(remote.code, 0, remote.stdout + remote.stderr);

  // Nothing written by the previews.
  assert.equal(await readFile(recordFile(dir, "e1", "state.json"), "utf8"), state);
});

test("a dry-run of --job X whose dependencies have not completed refuses as the run does; under remote state it says X waits", async (t) => {
  const dir = await planDir(t, [
    { id: "a@dev.build", steps: [{ run: "true" }] },
    { id: "a@dev.deploy", dependsOn: ["a@dev.build"], steps: [{ run: "true" }] },
  ]);
  const run = await runOrun(["run", "plan.json", "--job", "a@dev.deploy"], { cwd: dir, env: LOCAL_ENV });
  const dry = await runOrun(["run", "plan.json", "--job", "a@dev.deploy", "--dry-run"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(dry.code, 1, dry.stdout + dry.stderr);
  assert.match(dry.stderr, /the run would refuse: cannot run a@dev\.deploy: dependencies not completed \(a@dev\.build\)/);
  assert.match(dry.stderr, /run it first, then this job, in a new execution: orun run \S*plan\.json --exec-id (\S+) --job a@dev\.build && orun run \S*plan\.json --exec-id \1 --job a@dev\.deploy\)/);
  assert.equal(existsSync(path.join(dir, ".orun/executions")), false, "neither wrote a record");

  // Its dependency completed in the execution: the preview passes, as the run would.
  const build = await runOrun(["run", "plan.json", "--exec-id", "e2", "--job", "a@dev.build"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(build.code, 0, build.stdout + build.stderr);
  const resumed = await runOrun(["run", "plan.json", "--exec-id", "e2", "--job", "a@dev.deploy", "--dry-run"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);

  // Under remote state the run waits for the dependency instead: the preview says so.
  const remote = await runOrun(["run", "plan.json", "--job", "a@dev.deploy", "--dry-run", "--remote-state", "--backend-url", "http://127.0.0.1:9"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(remote.code, 0, remote.stdout + remote.stderr);
  assert.match(remote.stdout, /note +waits for a@dev\.build to complete in the run \(remote state\)/);
});

test("a dry-run of a record the resume refuses (metadata.json of the wrong shape, a remote runner's record without one) refuses it too", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.build", steps: [{ run: "true" }] }]);
  const { rm } = await import("node:fs/promises");
  for (const [execId, damage] of [
    ["e1", () => writeFile(recordFile(dir, "e1", "metadata.json"), '{"execId": 5}\n')],
    ["r1.abc123", () => rm(recordFile(dir, "r1.abc123", "metadata.json"))],
  ] as const) {
    const first = await runOrun(["run", "plan.json", "--exec-id", execId], { cwd: dir, env: LOCAL_ENV });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    await damage();
    const run = await runOrun(["run", "plan.json", "--exec-id", execId], { cwd: dir, env: LOCAL_ENV });
    const dry = await runOrun(["run", "plan.json", "--exec-id", execId, "--dry-run"], { cwd: dir, env: LOCAL_ENV });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.equal(dry.code, 1, dry.stdout + dry.stderr);
    assert.equal(dry.stderr, run.stderr, "the same refusal, naming the same file");
    assert.ok(dry.stderr.includes(recordFile(dir, execId, "metadata.json")), dry.stderr);
  }
});

test("a dry-run of an execution a live run holds refuses after its preview, as the run refuses to start beside it", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.wait", steps: [{ run: "touch started; while [ ! -f release ]; do sleep 0.05; done" }] }]);
  const live = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--exec-id", "held"], { cwd: dir, env: { ...process.env, ...LOCAL_ENV }, stdio: "ignore" });
  const exited = new Promise((resolve) => live.on("exit", resolve));
  // Stopped when a check fails (planDir's own clean-up may have removed the folder its step waits in by then).
  t.after(async () => {
    if (live.exitCode === null && live.signalCode === null) live.kill("SIGTERM");
    await exited;
  });
  await until(() => existsSync(path.join(dir, "started")), "the live run's step to start");

  const run = await runOrun(["run", "plan.json", "--exec-id", "held"], { cwd: dir, env: LOCAL_ENV });
  const dry = await runOrun(["run", "plan.json", "--exec-id", "held", "--dry-run"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(dry.code, 1, dry.stdout + dry.stderr);
  assert.match(dry.stdout, /1\. a@dev\.wait/, "the preview is shown first");
  const refusal = `execution held is already running (pid ${live.pid}); wait for it or use another --exec-id`;
  assert.ok(run.stderr.includes(refusal), run.stderr);
  assert.ok(dry.stderr.includes(`${recordFile(dir, "held", ".lock")}: the run would refuse: ${refusal}`), dry.stderr);

  // Once the run has ended, its preview passes.
  await writeFile(path.join(dir, "release"), "");
  assert.equal(await exited, 0);
  const after = await runOrun(["run", "plan.json", "--exec-id", "held", "--dry-run"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(after.code, 0, after.stdout + after.stderr);
});
