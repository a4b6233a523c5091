// orun run --gha SIGKILLed mid-step leaves its scratch folders behind (the raw-output folder under TMPDIR,
// the job folders in its execution record: HOME, file commands, scripts); the next --gha run removes them,
// and never the folders of a run that is still alive.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { processStartTicks } from "../../src/runtime/records/lock.js";
import { ORUN_BIN, runOrun } from "../support/cli.js";
import { liveSleeper, processGone, until } from "../support/wait.js";
import { makeJob, makePlan, tempDir } from "../runners/github-actions/helpers.js";

describe("orun run --gha after a run was SIGKILLed", () => {
  it("removes the dead run's raw-output folder and job folders on the next run, and leaves a live run's alone", async (t) => {
    const ws = await tempDir("gha14-killed");
    const tmp = path.join(ws, "tmpdir");
    await mkdir(tmp);
    t.after(() => rm(ws, { recursive: true, force: true }));
    const env = { TMPDIR: tmp, ORUN_LOCAL_SPAWNER: "", GITHUB_ACTIONS: "", ORUN_RUNNER: "", GITHUB_TOKEN: "", ORUN_ACTIONS_CACHE: path.join(ws, ".cache"), NO_COLOR: "1" };
    await writeFile(path.join(ws, "long.json"), JSON.stringify(makePlan([makeJob("app@dev.long", [{ id: "s", run: 'echo "TOKEN=abc" >> "$GITHUB_ENV"; touch STARTED; sleep 30' }])], "long")));
    await writeFile(path.join(ws, "short.json"), JSON.stringify(makePlan([makeJob("app@dev.short", [{ id: "s", run: "echo hi" }])], "short")));

    // A live run's folders: its output folder named after a live process, its record locked by it.
    const live = await liveSleeper(t);
    const host = createHash("sha256").update(os.hostname()).digest("hex").slice(0, 8);
    const liveOut = path.join(tmp, `orun-gha-out-${host}-${live.pid}-${processStartTicks(live.pid)}-AbC123`);
    await mkdir(liveOut);
    // Another host's folder (a TMPDIR shared with a container): its pid means nothing here.
    const otherHost = path.join(tmp, "orun-gha-out-00000000-1999999-12-AbC123");
    await mkdir(otherHost);
    const liveRecord = path.join(ws, ".orun/executions/live-1");
    await mkdir(path.join(liveRecord, "tmp/github-actions/job/tmp"), { recursive: true });
    await writeFile(path.join(liveRecord, ".lock"), JSON.stringify({ pid: live.pid, host: os.hostname(), startTime: processStartTicks(live.pid), since: new Date().toISOString() }));

    const orun = spawn(process.execPath, [ORUN_BIN, "run", "long.json", "--gha", "--exec-id", "killed-1"], { cwd: ws, env: { ...process.env, ...env }, stdio: "ignore" });
    t.after(() => orun.kill("SIGKILL"));
    await until(() => existsSync(path.join(ws, "STARTED")), "the step to start");
    orun.kill("SIGKILL");
    await until(() => processGone(orun.pid!), "orun to die");
    const deadOut = (await readdir(tmp)).filter((n) => n.startsWith(`orun-gha-out-${host}-${orun.pid}-`));
    assert.equal(deadOut.length, 1, "the killed run left its raw-output folder");
    const deadJobs = path.join(ws, ".orun/executions/killed-1/tmp/github-actions");
    assert.ok(existsSync(deadJobs), "the killed run left its job folders");

    const r = await runOrun(["run", "short.json", "--gha", "--exec-id", "short-1"], { cwd: ws, env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(!existsSync(path.join(tmp, deadOut[0]!)), "the dead run's output folder is removed");
    assert.ok(!existsSync(deadJobs), "the dead run's job folders are removed");
    assert.ok(existsSync(path.join(ws, ".orun/executions/killed-1/state.json")), "its record stays");
    assert.ok(existsSync(liveOut), "a live run's output folder stays");
    assert.ok(existsSync(path.join(liveRecord, "tmp/github-actions/job/tmp")), "a live run's job folders stay");
    assert.deepEqual(
      (await readdir(tmp)).filter((n) => n.startsWith("orun-gha-out-")).sort(),
      [path.basename(otherHost), path.basename(liveOut)].sort(),
      "the new run removed its own output folder at exit; another host's stays",
    );
  });
});
