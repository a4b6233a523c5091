// A backend restart while a job runs: the runner's outage notice names when the running job stops here (its lease),
// not only how long requests retry; a failing heartbeat is said once, not at every beat; and a line says when the
// backend answers again. Before, "retrying for up to 2m0s" was followed by a "gave up after 4 attempts" per beat and
// nothing said the backend was back, though the job then succeeded (user testing).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { countMatches, spawnOrun, writePlan } from "./processes.js";
import { backendProcessBed } from "./backend-process-bed.js";
import { until } from "../support/wait.js";

describe("heartbeat notices through a backend restart", () => {
  // A 20 s lease: heartbeats every 5 s, and the runner stops its job 15 s after the last one got through.
  const open = backendProcessBed("sqlite", "beats", ["--lease-timeout", "20s", "--sweep-interval", "200ms"]);

  it("name the lease deadline, say a failing heartbeat once, and say when the backend answers again", { timeout: 120_000 }, async (t) => {
    const bed = await open(t);
    if (!bed) return;
    const { dir, token } = bed;
    const started = path.join(dir, "started");
    const release = path.join(dir, "release");
    const planFile = await writePlan(dir, "beats", [{ id: "slow@dev.build", run: `touch ${started}; while [ ! -f ${release} ]; do sleep 0.05; done` }]);
    const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: bed.backend.url, ORUN_EXEC_ID: "beats-1", GITHUB_ACTIONS: "", ORUN_BACKEND_RETRY_MS: "" };
    const runner = spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env });
    await until(() => existsSync(started), "the job started", 60_000);
    await bed.backend.stop("SIGKILL");
    await until(() => /is not answering/.test(runner.output()), "the runner noticed the outage", 15_000);
    await bed.restart();
    await until(() => /is answering again/.test(runner.output()), "the runner saw the backend back", 30_000);
    await fs.writeFile(release, "");
    const result = await runner.done;
    assert.equal(result.code, 0, result.output);
    const url = bed.backend.url.replace(/\./g, "\\.");
    assert.match(
      result.output,
      new RegExp(`orun backend at ${url} is not answering \\(ECONNREFUSED\\); retrying for up to \\S+; running job slow@dev\\.build stops here at \\d\\d:\\d\\d:\\d\\d UTC unless a heartbeat reaches the backend by then \\(its lease\\)\\n`),
    );
    assert.match(result.output, new RegExp(`orun backend at ${url} is answering again\\n`));
    assert.ok(countMatches(result.output, /heartbeat for slow@dev\.build failed/g) <= 1, result.output);
    assert.doesNotMatch(result.output, /stopping it here/);
  });
});
