// A job still running when fail-fast trips (or a job's error ends the run here) runs to its end — the stop keeps new
// jobs from starting — so its output and result reach the backend however long it takes: the 5 s cancel grace of its
// log uploads and result report starts at a cancel (Ctrl-C, SIGTERM), not at the run's stop of admissions.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { repositoryIdFor } from "../support/oidc-issuer.js";
import { startTestBackend, testDatabase, tokenFor, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, writePlan } from "./processes.js";

const NS = repositoryIdFor("acme/widgets");

describe("a job running when fail-fast trips", () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-ff-running-"));
  });
  after(async () => {
    killAllChildren();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("reports its output and result when it ends more than the cancel grace later", { timeout: 180_000 }, async () => {
    const db = (await testDatabase("sqlite")) as TestDatabase;
    const backend = await startTestBackend(db.url);
    try {
      const token = await tokenFor(backend.store, "acme/widgets");
      const runId = "ff-running-reported";
      const failed = path.join(dir, "x-failed");
      // y outlives x's failure by more than the 5 s grace (a wait for an event that must come later, not a timing assertion).
      const planFile = await writePlan(
        dir,
        "ff-running",
        [
          { id: "x@dev.fails", run: `sleep 0.5; touch ${failed}; exit 3` },
          { id: "y@dev.long", run: `while [ ! -f ${failed} ]; do sleep 0.05; done; sleep 7; echo y-finished-after-grace` },
        ],
        { failFast: true },
      );
      const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: runId, GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
      const r = await spawnOrun(["run", planFile, "--remote-state", "--concurrency", "2"], { cwd: dir, env }).done;
      const y = (await backend.store.getRun(NS, runId))!.jobs.find((j) => j.jobId === "y@dev.long")!;
      assert.equal(y.status, "success", `y on the backend: ${y.status} (${y.lastError})\n${r.output}`);
      const log = await backend.store.readLog(NS, runId, "y@dev.long");
      assert.match(String(log ?? ""), /y-finished-after-grace/, `y's log on the backend:\n${String(log ?? "")}\n${r.output}`);
      assert.equal(r.code, 1, r.output);
    } finally {
      await backend.stop();
      await db.cleanup();
    }
  });
});
