// orun run --gha ends a job as GitHub's runner does, "Cleaning up orphan processes": what its steps left
// running (a server started with `&`) is there for the job's later steps and killed at the job's end; a
// process started with RUNNER_TRACKING_ID cleared is kept. Real processes; pids are read from files.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ExecutionStore } from "../../src/runtime/records/store.js";
import { runOrun } from "../support/cli.js";
import { processEnded, signalIfAlive, until } from "../support/wait.js";
import { ghaEnv, makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

describe("orun run --gha: processes a job leaves running are killed at its end", { skip: process.platform !== "linux" ? "reads /proc" : undefined }, () => {
  let ws: string;
  const pids: number[] = [];
  before(async () => {
    ws = await tempDir("gha15-orphans");
  });
  after(async () => {
    for (const pid of pids) signalIfAlive(pid, "SIGKILL");
    await rm(ws, { recursive: true, force: true });
  });

  it("a background process lives through the job's later steps, then goes; one with RUNNER_TRACKING_ID cleared stays", async () => {
    const job = makeJob("app@dev.serve", [
      { id: "start", run: "sleep 300 & echo $! > BG_PID; nohup sleep 301 > /dev/null 2>&1 & echo $! > NOHUP_PID" },
      { id: "keep", env: { RUNNER_TRACKING_ID: "" }, run: "sleep 302 & echo $! > KEPT_PID" },
      { id: "use", run: 'kill -0 "$(cat BG_PID)" && echo alive > ALIVE' },
    ]);
    await writeFile(path.join(ws, "plan.json"), JSON.stringify(makePlan([job], "orphans")));
    const r = await runOrun(["run", "plan.json", "--gha", "--exec-id", "orphans"], { cwd: ws, env: ghaEnv(ws) });
    const [bg, nohup, kept] = await Promise.all(["BG_PID", "NOHUP_PID", "KEPT_PID"].map(async (f) => Number((await readFile(path.join(ws, f), "utf8")).trim())));
    pids.push(bg!, nohup!, kept!);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await readFile(path.join(ws, "ALIVE"), "utf8"), "alive\n", "a later step of the job still sees the process");
    await until(() => processEnded(bg!) && processEnded(nohup!), "the job's background processes to be killed", 15_000);
    assert.ok(!processEnded(kept!), "a process started with RUNNER_TRACKING_ID cleared is kept, as on GitHub");
    const finish = await readFile(new ExecutionStore(ws).jobFinishFile("orphans", "app@dev.serve"), "utf8");
    assert.match(finish, new RegExp(`Cleaning up orphan processes\\nTerminate orphan process: pid \\(${Math.min(bg!, nohup!)}\\) \\(sleep\\)`));
  });
});
