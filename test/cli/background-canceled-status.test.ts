// A --background run stopped with SIGTERM (docs/running.md: `kill $(cat .orun/executions/<id>/pid)`): its run.log ends
// `✕ Canceled after …`, and `orun status` and metadata.json must tell the same story. The record's state stays
// `failed` (the spec's run states are completed and failed), with why: it was canceled.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { runOrun } from "../support/cli.js";
import { planDir, readJson, recordFile } from "../runtime/helpers.js";
import { processGone, until } from "../support/wait.js";

test("a SIGTERM'd background run: run.log, orun status and metadata.json all say it was canceled", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.slow", steps: [{ id: "s1", run: "echo started; sleep 60" }] }], {}, "orun-bg-cancel-");
  const started = await runOrun(["run", "plan.json", "--background", "--exec-id", "bgc"], { cwd: dir });
  assert.equal(started.code, 0, started.stdout + started.stderr);
  const pid = Number((await readFile(recordFile(dir, "bgc", "pid"), "utf8")).trim());
  // The step has started (its output is in its log): the run is past its start, in a job.
  await until(async () => (await readFile(recordFile(dir, "bgc", "logs/a@dev.slow/s1.log"), "utf8").catch(() => "")).includes("started"), "the step to start");
  process.kill(pid, "SIGTERM");
  await until(() => processGone(pid), `the background child ${pid} to exit`);

  const runLog = await readFile(recordFile(dir, "bgc", "run.log"), "utf8");
  assert.match(runLog, /✕ Canceled after /, runLog);
  const meta = await readJson<{ status: string; error?: string }>(recordFile(dir, "bgc", "metadata.json"));
  assert.equal(meta.status, "failed");
  assert.match(meta.error ?? "", /canceled/, JSON.stringify(meta));
  const status = await runOrun(["status", "--exec-id", "bgc"], { cwd: dir });
  assert.match(status.stdout, /State: failed/, status.stdout);
  assert.match(status.stdout, /Error: .*canceled/, status.stdout);
});
