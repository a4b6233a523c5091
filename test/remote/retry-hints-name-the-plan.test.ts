// The retry commands a remote runner prints work as printed: they name the plan as the runner's command did (a
// plan file, absolute so that they work pasted in another folder, not its checksum, which names only a stored plan),
// the run summary says how a failed job is retried in its run (not "start a new run"), a --retry of a skipped dependent gives one hint, not two, and a follower of the
// run's logs says a retried job's log restarted for the retry, not for a takeover. Real processes: `orun backend
// serve` on loopback (SQLite), `orun run`/`orun logs` runners; the printed command is run verbatim by `sh -c`.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { servedBackend } from "./backend-process-bed.js";
import { countMatches, spawnOrun, writePlan } from "./processes.js";
import { orunOnPath, runPrinted } from "./retry-bed.js";

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the retry commands a remote runner prints", () => {
  let dir: string;
  let bin: string;
  const served = servedBackend("sqlite");

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-retry-hints-"));
    bin = await orunOnPath(dir);
  });
  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("name the plan file the runner was given and work as printed; the summary and a follower say what a retry does", async () => {
    const fixed = path.join(dir, "fixed");
    const release = path.join(dir, "release");
    const holding = path.join(dir, "holding");
    await writePlan(dir, "hints", [
      { id: "x@dev.build", run: `if [ -f ${fixed} ]; then echo x-fixed; else echo x-broken; exit 3; fi` },
      { id: "d@dev.deploy", deps: ["x@dev.build"], run: "echo d-ran" },
      // Keeps the run open, so that a follower of its logs is still there when x is retried.
      { id: "h@dev.hold", run: `touch ${holding}; while [ ! -f ${release} ]; do sleep 0.1; done` },
    ]);
    const runId = "hints-1";
    const config = served.env();
    const env = { ...config, ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: runId };
    const hold = spawnOrun(["run", "hints.json", "--job", "h@dev.hold"], { cwd: dir, env });
    await waitFor(() => existsSync(holding), 60_000, "h to start");

    const failed = await spawnOrun(["run", "hints.json", "--job", "x@dev.build"], { cwd: dir, env }).done;
    assert.equal(failed.code, 1, failed.output);
    // ORUN_BACKEND_URL is repeated as --backend-url: pasted where it is unset, the command still reaches the backend.
    const retryX = `orun run ${path.join(dir, "hints.json")} --backend-url ${served.backend.url} --job x@dev.build --exec-id hints-1 --remote-state --retry`;
    assert.ok(failed.output.includes(`✕ job x@dev.build failed in remote run hints-1; once fixed, retry it in this run: ${retryX}\n`), failed.output);
    assert.ok(failed.output.includes(`again   retry x@dev.build in this run if it failed: ${retryX}\n`), failed.output);
    assert.doesNotMatch(failed.output, /start a new run/);

    // A --retry of the skipped dependent: one hint, naming the failed job's retry.
    const dependent = await spawnOrun(["run", "hints.json", "--job", "d@dev.deploy", "--retry"], { cwd: dir, env }).done;
    assert.equal(dependent.code, 1, dependent.output);
    assert.equal(countMatches(dependent.output, /retry the failed one|retry x@dev\.build in this run/), 1, dependent.output);
    const printed = /retry x@dev\.build in this run \((orun run [^)]+)\), then run d@dev\.deploy again/.exec(dependent.output)?.[1];
    assert.equal(printed, retryX);
    assert.ok(dependent.output.includes(`again   retry the failed job in this run: ${retryX}\n`), dependent.output);

    const follower = spawnOrun(["logs", "--follow"], { cwd: dir, env });
    await waitFor(() => follower.output().includes("x-broken"), 60_000, `the follower shows x's log: ${follower.output()}`);

    // The printed command, verbatim (run ID and remote state from its flags alone), once x is fixed.
    await fs.writeFile(fixed, "");
    const retried = await runPrinted(printed!, dir, config, bin);
    assert.equal(retried.code, 0, retried.output);
    assert.match(retried.output, /↻ retrying job x@dev\.build, which failed in remote run hints-1/);
    await waitFor(() => follower.output().includes("x-fixed"), 60_000, `the follower shows x's new log: ${follower.output()}`);
    assert.match(follower.output(), /── x@dev\.build \(its log restarted: the failed job is retried in this run\)\n/);
    assert.doesNotMatch(follower.output(), /took the job over/);

    await fs.writeFile(release, "");
    assert.equal((await hold.done).code, 0);
    const deployed = await spawnOrun(["run", "hints.json", "--job", "d@dev.deploy"], { cwd: dir, env }).done;
    assert.equal(deployed.code, 0, deployed.output);
    const followed = await follower.done;
    assert.equal(followed.code, 0, followed.output);
    assert.match(followed.output, /d-ran/);
  });

  it("repeat the flags that chose the plan and the backend: the printed command works without ORUN_BACKEND_URL", async () => {
    const fixed = path.join(dir, "fixed-flags");
    await writePlan(dir, "flags", [
      { id: "x@dev.build", run: `if [ -f ${fixed} ]; then echo x-fixed; else exit 3; fi` },
      { id: "x@prod.build", run: "true" },
    ]);
    const env = served.env({ ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "flags-1" });
    const failed = await spawnOrun(["run", "flags.json", "-e", "dev", "--backend-url", served.backend.url, "--remote-state", "--job", "x@dev.build"], { cwd: dir, env }).done;
    assert.equal(failed.code, 1, failed.output);
    // The plan file absolute (as a resume line names it): pasted in another folder, the command still finds it.
    const printed = new RegExp(`retry it in this run: (orun run ${path.join(dir, "flags.json").replace(/[.]/g, "\\.")} --backend-url ${served.backend.url.replace(/[.]/g, "\\.")} --job x@dev\\.build --exec-id flags-1 --remote-state --retry)\n`).exec(failed.output);
    assert.ok(printed, failed.output);
    assert.ok(failed.output.includes(`again   retry x@dev.build in this run if it failed: ${printed[1]!}\n`), failed.output);
    await fs.writeFile(fixed, "");
    const elsewhere = path.join(dir, "elsewhere");
    await fs.mkdir(elsewhere);
    const retried = await runPrinted(printed[1]!, elsewhere, env, bin);
    assert.equal(retried.code, 0, retried.output);
    assert.match(retried.output, /x-fixed|✓/);
  });

  it("name a stored plan by its name, though a file of that name is in the folder (the store is looked in first)", async () => {
    const fixed = path.join(dir, "fixed-stored");
    await writePlan(dir, "stored-src", [{ id: "x@dev.build", run: `if [ -f ${fixed} ]; then echo x-fixed; else exit 3; fi` }]);
    await fs.mkdir(path.join(dir, ".orun", "plans"), { recursive: true });
    await fs.copyFile(path.join(dir, "stored-src.json"), path.join(dir, ".orun", "plans", "deploy.json"));
    await fs.writeFile(path.join(dir, "deploy"), "#!/bin/sh\necho a script, no plan\n", { mode: 0o755 });
    const env = served.env({ ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: "stored-1" });
    const failed = await spawnOrun(["run", "deploy", "--job", "x@dev.build"], { cwd: dir, env }).done;
    assert.equal(failed.code, 1, failed.output);
    const printed = /retry it in this run: (orun run .* --job x@dev\.build --exec-id stored-1 --remote-state --retry)\n/.exec(failed.output)?.[1];
    assert.equal(printed, `orun run deploy --backend-url ${served.backend.url} --job x@dev.build --exec-id stored-1 --remote-state --retry`, failed.output);
    await fs.writeFile(fixed, "");
    const retried = await runPrinted(printed!, dir, served.env(), bin);
    assert.equal(retried.code, 0, retried.output);
    assert.match(retried.output, /x-fixed|✓/);
  });
});
