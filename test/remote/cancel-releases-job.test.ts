// Ctrl-C or SIGTERM on one remote runner while its job runs gives the job back to the backend: pending again at
// once, its dependents on other runners still waiting, no failure (so no fail-fast), and the runner's summary ends
// with a `rejoin` command that, pasted, takes the job over. Before, the job was recorded failed ("step …: canceled"):
// its dependents on other machines were skipped, and the printed rejoin answered "already failed" (user testing).
// Real `orun run --remote-state` processes, a real backend on loopback.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { repositoryIdFor } from "../support/oidc-issuer.js";
import { ORUN_BIN } from "../support/cli.js";
import { until } from "../support/wait.js";
import { startTestBackend, testDatabase, tokenFor, type TestBackend, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, writePlan } from "./processes.js";

const NS = repositoryIdFor("acme/widgets");

describe("a runner canceled while its job runs releases the job", () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-cancel-release-"));
  });
  after(async () => {
    killAllChildren();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const env = (backend: TestBackend, token: string, runId: string): NodeJS.ProcessEnv => ({
    ORUN_TOKEN: token,
    ORUN_BACKEND_URL: backend.url,
    ORUN_EXEC_ID: runId,
    GITHUB_ACTIONS: "",
    ORUN_REMOTE_STATE: "",
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal}: the job is pending again, its dependent's runner keeps waiting, and the printed rejoin takes it over`, { timeout: 180_000 }, async () => {
      const db = (await testDatabase("sqlite")) as TestDatabase;
      const backend = await startTestBackend(db.url);
      try {
        const token = await tokenFor(backend.store, "acme/widgets");
        const runId = `cancel-${signal}`;
        const started = path.join(dir, `${signal}-started`);
        const second = path.join(dir, `${signal}-second`);
        // First time a blocks until canceled; once `second` exists (the rejoin) it finishes at once.
        const planFile = await writePlan(
          dir,
          `cancel-${signal}`,
          [
            { id: "a@dev.long", run: `if [ -f ${second} ]; then echo a-rejoined; else touch ${started}; sleep 60; fi` },
            { id: "b@dev.after", deps: ["a@dev.long"], run: "echo b-ran" },
            { id: "c@dev.other", run: `while [ ! -f ${second} ]; do sleep 0.05; done` },
          ],
          { failFast: true },
        );
        const e = env(backend, token, runId);
        const machineA = path.join(dir, `${signal}-a`);
        const machineB = path.join(dir, `${signal}-b`);
        await fs.mkdir(machineA);
        await fs.mkdir(machineB);
        const runnerA = spawnOrun(["run", planFile, "--job", "a@dev.long", "--remote-state"], { cwd: machineA, env: e });
        const runnerB = spawnOrun(["run", planFile, "--job", "b@dev.after", "--remote-state"], { cwd: machineB, env: e });
        await until(() => existsSync(started), "a to start", 60_000);
        await until(() => /waiting for dependencies of b@dev\.after/.test(runnerB.output()), "b's runner to wait", 60_000);
        runnerA.child.kill(signal);
        const r = await runnerA.done;
        assert.equal(r.code, signal === "SIGINT" ? 130 : 143, r.output);
        assert.match(r.output, /↷ job a@dev\.long was canceled here and released in remote run cancel-SIG\w+: it is pending again/);
        // Shown and counted released, not failed: the cancel gave no verdict on its work (rem26: `✗ … command canceled`, `1 failed`).
        assert.match(r.output, /↷ .*long .*released: canceled here without a verdict/, r.output);
        assert.doesNotMatch(r.output, /✗ .*long|\d+ failed/, r.output);
        // No retry advice for a job that did not fail: only the rejoin.
        assert.doesNotMatch(r.output, /\n {2}again /, r.output);
        const rejoin = /\n {2}rejoin {2}(orun run .*--job a@dev\.long --exec-id \S+ --remote-state) {2}# takes a@dev\.long over unless another runner has\n/.exec(r.output)?.[1];
        assert.ok(rejoin, r.output);

        // On the backend: a pending (released, its attempt kept), b still pending, the run neither failed nor stopped.
        const state = (await backend.store.getRun(NS, runId))!;
        const a = state.jobs.find((j) => j.jobId === "a@dev.long")!;
        assert.equal(a.status, "pending", JSON.stringify(a));
        assert.equal(a.attempts, 1);
        assert.match(a.lastError ?? "", /^released by its runner \S+: canceled while it ran/);
        assert.equal(state.jobs.find((j) => j.jobId === "b@dev.after")!.status, "pending");
        assert.equal(state.jobs.find((j) => j.jobId === "c@dev.other")!.status, "pending", "fail-fast did not skip the rest");
        assert.ok(!state.run.stoppedReason, JSON.stringify(state.run));
        assert.equal(runnerB.child.exitCode, null, runnerB.output());
        assert.doesNotMatch(runnerB.output(), /will not run/);
        // b's runner is told a was given back by its canceled runner, not that a lease expired.
        await until(() => /! a@dev\.long: its runner /.test(runnerB.output()), "b's runner to name a", 60_000);
        assert.match(runnerB.output(), /! a@dev\.long: its runner was canceled and released it and no runner has taken it over; re-run it in this run: orun run /);
        assert.doesNotMatch(runnerB.output(), /lease expired/);

        // The rejoin line, pasted into a shell on machine A, takes a over; b then runs on machine B.
        await fs.writeFile(second, "");
        const pasted = rejoin.replace(/^orun /, `${JSON.stringify(process.execPath)} ${JSON.stringify(ORUN_BIN)} `);
        const { stdout, stderr } = await promisify(execFile)("sh", ["-c", pasted], { cwd: machineA, env: { ...process.env, NO_COLOR: "1", ...e, ORUN_EXEC_ID: "" } });
        assert.match(stdout + stderr, /↻ taking over job a@dev\.long from a previous runner/);
        assert.match(stdout + stderr, /✓ a·dev\/long/);
        assert.equal((await backend.store.getRun(NS, runId))!.jobs.find((j) => j.jobId === "a@dev.long")!.status, "success");
        const b = await runnerB.done;
        assert.equal(b.code, 0, b.output);
        assert.match(b.output, /✓ b·dev\/after/);
      } finally {
        await backend.stop();
        await db.cleanup();
      }
    });
  }
});
