// A remote runner none of whose jobs failed on it — its dependency failed on another runner, the run stopped, or
// its own job had failed before — ends its summary with the real command that retries the failed job the backend
// named (never `orun run <plan> --job <job>`, which a shell reads as redirections), or with no such line when there
// is none; and a runner given a job that already failed says in which run and on which runner, not "on another
// runner" (it may be this machine's, an earlier command). Real processes: `orun backend serve` on loopback (SQLite),
// `orun run` runners; the printed commands run verbatim by `sh -c`.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { until } from "../support/wait.js";
import { servedBackend } from "./backend-process-bed.js";
import { spawnOrun, writePlan } from "./processes.js";
import { orunOnPath, runPrinted } from "./retry-bed.js";
import { startSelectiveOutageRelay } from "./selective-outage-relay.js";

/** The summary's `again` line's command (undefined without one). */
const againCommand = (output: string): string | undefined => /\n {2}again {3}retry the failed job in this run: (orun run .*)\n/.exec(output)?.[1];

describe("the retry hint of a remote runner whose jobs did not fail on it", () => {
  let dir: string;
  let bin: string;
  const served = servedBackend("sqlite");
  let config: NodeJS.ProcessEnv;
  let runs = 0;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-retry-nothing-here-"));
    bin = await orunOnPath(dir);
    config = served.env();
  });
  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  for (const failFast of [true, false]) {
    it(`names the failed job the backend gave (${failFast ? "the run stopped" : "its dependency failed"}), and its own job that failed before, with the runner`, async () => {
      const fixed = path.join(dir, `fixed-${++runs}`);
      const planFile = await writePlan(
        dir,
        `upstream-${runs}`,
        [
          { id: "x@dev.build", run: `if [ -f ${fixed} ]; then echo x-fixed; else echo x-broken; exit 3; fi` },
          { id: "d@dev.deploy", deps: ["x@dev.build"], run: "echo d-ran" },
        ],
        { failFast },
      );
      const runId = `upstream-${runs}`;
      const env = { ...config, ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: runId };
      const retryX = `orun run ${planFile} --backend-url ${served.backend.url} --job x@dev.build --exec-id ${runId} --remote-state --retry`;

      const failed = await spawnOrun(["run", path.basename(planFile), "--job", "x@dev.build"], { cwd: dir, env }).done;
      assert.equal(failed.code, 1, failed.output);
      const failedOn = /\(runner (\S+)\)\n/.exec(failed.output)?.[1];
      assert.ok(failedOn, failed.output);

      const dependent = await spawnOrun(["run", path.basename(planFile), "--job", "d@dev.deploy"], { cwd: dir, env }).done;
      assert.equal(dependent.code, 1, dependent.output);
      assert.equal(againCommand(dependent.output), retryX, dependent.output);
      assert.doesNotMatch(dependent.output, /<plan>|<job>/);

      // Its own job again, without --retry: it failed in this run, on the runner the backend recorded.
      const again = await spawnOrun(["run", path.basename(planFile), "--job", "x@dev.build"], { cwd: dir, env }).done;
      assert.equal(again.code, 1, again.output);
      assert.ok(again.output.includes(`✕ job x@dev.build not run: it already failed in remote run ${runId} (on runner ${failedOn}): step main: command exited with code 3; once fixed, retry it in this run: ${retryX}\n`), again.output);
      assert.doesNotMatch(again.output, /another runner/);
      assert.equal(againCommand(again.output), retryX, again.output);

      // The summary's command, verbatim, once x is fixed; then the dependent runs.
      await fs.writeFile(fixed, "");
      const retried = await runPrinted(againCommand(dependent.output)!, dir, config, bin);
      assert.equal(retried.code, 0, retried.output);
      assert.match(retried.output, new RegExp(`↻ retrying job x@dev\\.build, which failed in remote run ${runId}`));
      const deployed = await spawnOrun(["run", path.basename(planFile), "--job", "d@dev.deploy"], { cwd: dir, env }).done;
      assert.equal(deployed.code, 0, deployed.output);
    });
  }

  it("names no runner, within 5 s, when the backend never answers the status request that would name it", async () => {
    const planFile = await writePlan(dir, "stalled-status", [{ id: "x@dev.build", run: "echo x-broken; exit 3" }]);
    const runId = "stalled-status-1";
    const env = { ...config, ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: runId };
    const failed = await spawnOrun(["run", path.basename(planFile), "--job", "x@dev.build"], { cwd: dir, env }).done;
    assert.equal(failed.code, 1, failed.output);
    // Before: one 30 s request timeout (budgetMs bounded only the retries), and none at all once the collector had
    // run, as the request's timeout signal was held weakly — 5 minutes, undici's own headers timeout.
    const relay = await startSelectiveOutageRelay(served.backend.url);
    relay.stall = (method, url) => method === "GET" && /\/jobs\/[^/]+\/status$/.test(url);
    try {
      const again = spawnOrun(["run", path.basename(planFile), "--job", "x@dev.build"], { cwd: dir, env: { ...env, ORUN_BACKEND_URL: relay.url } });
      // Only a guard: under load the same run without a stall (above) took about a minute to start and end.
      const limit = setTimeout(() => again.child.kill("SIGKILL"), 240_000);
      const result = await again.done.finally(() => clearTimeout(limit));
      assert.equal(result.code, 1, result.output);
      assert.ok(result.output.includes(`✕ job x@dev.build not run: it already failed in remote run ${runId}: step main: command exited with code 3; once fixed, retry it in this run: orun run`), result.output);
      assert.ok(relay.stallsHeld.length > 0, "the runner asked for the job's status");
      assert.ok(relay.stallsDropped.length > 0, "and gave that request up");
      // Timed from the request to its drop, not from orun's start: within half the 30 s request timeout it would
      // otherwise wait out (5 minutes when its timeout signal was collected).
      const held = relay.stallsDropped[0]! - relay.stallsHeld[0]!;
      assert.ok(held < 15_000, `the runner held the stalled status request ${held} ms`);
    } finally {
      relay.close();
    }
  });

  it("prints no again line when no failed job is known: a runner stopped while it waited", async () => {
    const release = path.join(dir, "release-wait");
    const holding = path.join(dir, "holding-wait");
    const planFile = await writePlan(dir, "waiting", [
      { id: "x@dev.build", run: `touch ${holding}; while [ ! -f ${release} ]; do sleep 0.1; done` },
      { id: "d@dev.deploy", deps: ["x@dev.build"], run: "echo d-ran" },
    ]);
    const env = { ...config, ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: "waiting-1" };
    const holder = spawnOrun(["run", path.basename(planFile), "--job", "x@dev.build"], { cwd: dir, env });
    await until(() => existsSync(holding), "x to start", 60_000);
    const waiter = spawnOrun(["run", path.basename(planFile), "--job", "d@dev.deploy"], { cwd: dir, env });
    await until(() => /waiting for dependencies of d@dev\.deploy/.test(waiter.output()), "d's runner to wait", 60_000);
    waiter.child.kill("SIGINT");
    const stopped = await waiter.done;
    assert.equal(stopped.code, 130, stopped.output);
    assert.match(stopped.output, /status {2}orun status --exec-id waiting-1 --remote-state --backend-url \S+\n/);
    assert.doesNotMatch(stopped.output, /\n {2}again |<plan>|<job>/);
    await fs.writeFile(release, "");
    assert.equal((await holder.done).code, 0);
  });
});
