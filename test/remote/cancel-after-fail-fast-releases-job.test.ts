// Ctrl-C on a remote runner after fail-fast tripped, while another of its jobs still runs (rev27 #1): the executor
// called that job released while the hooks, judging the cancel by the admission signal (fail-fast's reason), reported
// it failed to the backend: the output and record said "released … the backend hands it on" for a job held failed.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { repositoryIdFor } from "../support/oidc-issuer.js";
import { until } from "../support/wait.js";
import { startTestBackend, testDatabase, tokenFor, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, writePlan } from "./processes.js";

const NS = repositoryIdFor("acme/widgets");

describe("cancel after fail-fast tripped on a remote runner", () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-rev27-ff-cancel-"));
  });
  after(async () => {
    killAllChildren();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("the runner's record and the backend agree on the canceled job", { timeout: 180_000 }, async () => {
    const db = (await testDatabase("sqlite")) as TestDatabase;
    const backend = await startTestBackend(db.url);
    try {
      const token = await tokenFor(backend.store, "acme/widgets");
      const runId = "rev27-ff-cancel";
      const started = path.join(dir, "long-started");
      const failed = path.join(dir, "fast-failed");
      const planFile = await writePlan(
        dir,
        "ff-cancel",
        [
          { id: "a@dev.long", run: `touch ${started}; sleep 60` },
          { id: "b@dev.fast", run: `while [ ! -f ${started} ]; do sleep 0.05; done; touch ${failed}; exit 3` },
        ],
        { failFast: true },
      );
      const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: runId, GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
      const runner = spawnOrun(["run", planFile, "--remote-state", "--concurrency", "2"], { cwd: dir, env });
      await until(() => existsSync(failed), "b to fail", 60_000);
      await until(async () => (await backend.store.getRun(NS, runId))?.jobs.find((j) => j.jobId === "b@dev.fast")?.status === "failed", "b failed on the backend", 60_000);
      runner.child.kill("SIGINT");
      const r = await runner.done;
      const a = (await backend.store.getRun(NS, runId))!.jobs.find((j) => j.jobId === "a@dev.long")!;
      const saysReleased = /released: canceled here without a verdict; the backend hands it on/.test(r.output);
      console.log(`backend a: ${a.status} ${a.lastError ?? ""}\n--- runner output ---\n${r.output}`);
      // Either both say released (pending on the backend) or both say failed.
      assert.equal(saysReleased, a.status === "pending", `runner says released: ${saysReleased}; backend: ${a.status}\n${r.output}`);
    } finally {
      await backend.stop();
      await db.cleanup();
    }
  });
});
