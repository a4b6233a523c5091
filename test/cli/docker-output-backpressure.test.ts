// `orun run --runner docker --verbose | a slow reader`: a step's output waits on disk while orun's stdout
// is full, as the local runner's does (util/output-pressure.ts). The docker runner read the `docker exec`
// CLI's pipes as fast as the step wrote and queued everything the console could not take in memory: orun's
// peak RSS grew with the step's output (50 MB of output: 424 MB; 200 MB: 1.38 GB).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { PLAN_API_VERSION, PLAN_KIND, type Plan } from "../../src/model/plan.js";
import { ORUN_BIN } from "../support/cli.js";
import { TEST_IMAGE, provideContainerEngine } from "../support/container-engine.js";
import { until } from "../support/wait.js";
import { planJob, tempWorkspace } from "../runners/docker/contexts.js";

const availability = await provideContainerEngine();
/** ~20.9 MB of numbered lines: well past what the console may queue (8 MiB) before producers wait. */
const LINES = 3_000_000;

async function stepLogBytes(record: string): Promise<number> {
  const logs = path.join(record, "logs");
  if (!existsSync(logs)) return 0;
  let total = 0;
  for (const entry of await readdir(logs, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

test("docker runner behind a reader that takes nothing: the step's output waits on disk, then every line arrives in order", { skip: availability.skip }, async (t) => {
  const workspace = await tempWorkspace("orun-ci16-output-");
  t.after(() => workspace.remove());
  const plan: Plan = {
    apiVersion: PLAN_API_VERSION,
    kind: PLAN_KIND,
    metadata: { name: "ci16-output" },
    execution: { concurrency: 1, failFast: true },
    spec: {},
    // The marker is written only after the step has printed everything (the engine took it all).
    jobs: [planJob("a@dev.chatty", [{ id: "print", run: `seq 1 ${LINES}; touch printed` }])],
  };
  await writeFile(path.join(workspace.dir, "plan.json"), JSON.stringify(plan));
  const env = { ...availability.engine!.env, NO_COLOR: "1", ORUN_DOCKER_IMAGE: TEST_IMAGE, ORUN_DOCKER_PULL: "never" };
  const child = spawn(process.execPath, [ORUN_BIN, "run", "plan.json", "--runner", "docker", "--exec-id", "slow", "--verbose"], { cwd: workspace.dir, env, stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => child.kill("SIGKILL"));
  child.stdout.pause(); // the reader takes nothing: the pipe (64 KiB) fills at once
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  let exited = false;
  const closed = new Promise<number | null>((resolve) => child.on("close", (code) => ((exited = true), resolve(code))));

  await until(() => exited || existsSync(path.join(workspace.dir, "printed")), "the step to print everything", 120_000);
  assert.ok(!exited, `orun ended while its stdout was not read: ${stderr}`);
  // orun takes the step's output at the console's pace: its log (written as output is taken) stays far behind
  // the ~21 MB the step printed. Queued in memory instead, all of it would be taken within moments.
  const record = path.join(workspace.dir, ".orun/executions/slow");
  let logged = 0;
  for (let i = 0; i < 20; i++) {
    logged = await stepLogBytes(record);
    assert.ok(logged < 16 * 1024 * 1024, `orun took ${logged} bytes of the step's output though nobody read its stdout`);
    await delay(100);
  }

  child.stdout.resume();
  assert.equal(await closed, 0, stderr);
  const printed = stdout.split("\n").flatMap((line) => /│ (\d+)$/.exec(line)?.[1] ?? []).map(Number);
  assert.equal(printed.length, LINES);
  assert.ok(printed.every((n, i) => n === i + 1), "in order, none lost or repeated");
  assert.match(stdout, /1 succeeded/);
  assert.ok((await stepLogBytes(record)) > 20 * 1000 * 1000, "the whole output is in the step log in the end");
});
