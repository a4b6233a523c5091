// (rev28) inside GitHub Actions `orun status --remote-state` reads every job's whole log from the backend before it
// prints anything (4dcb64c/2ccb947 statusLineShaper → jobMasks: one GET …/logs/<job> per job, one after the other) —
// even with --json, whose output it never masks. A 2,000-job run's status is then 2,000 sequential log downloads.
// The --json status uses none of them: it must read none.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { httpRelay, startTestBackend, testDatabase, tokenFor, type TestDatabase } from "../remote/helpers.js";
import { killAllChildren, spawnOrun, writePlan } from "../remote/processes.js";

/** Forwards to `target`, keeping each request's method and path. */
async function recordingProxy(target: string): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const relay = await httpRelay(target, (req) => {
    requests.push(`${req.method} ${req.url}`);
    return false;
  });
  return { ...relay, requests };
}

describe("remote status inside GitHub Actions", () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-rev28-status-logs-"));
  });
  after(async () => {
    killAllChildren();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("--json reads no job's log", { timeout: 180_000 }, async () => {
    const db = (await testDatabase("sqlite")) as TestDatabase;
    const backend = await startTestBackend(db.url);
    const proxy = await recordingProxy(backend.url);
    try {
      const token = await tokenFor(backend.store, "acme/widgets");
      const runId = "rev28-status-logs";
      const jobs = Array.from({ length: 12 }, (_, i) => ({ id: `c${i}@dev.j`, run: `echo job ${i} output` }));
      const planFile = await writePlan(dir, "status-logs", jobs);
      const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: runId, GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
      const ran = await spawnOrun(["run", planFile, "--remote-state", "--concurrency", "4"], { cwd: dir, env }).done;
      assert.equal(ran.code, 0, ran.output);

      const gha = { ...env, ORUN_BACKEND_URL: proxy.url, GITHUB_ACTIONS: "true", GITHUB_RUN_ID: "1", GITHUB_RUN_ATTEMPT: "1" };
      const status = await spawnOrun(["status", "--remote-state", "--exec-id", runId, "--json"], { cwd: dir, env: gha }).done;
      assert.equal(status.code, 0, status.output);
      const logReads = proxy.requests.filter((r) => /^GET \/v1\/runs\/[^/]+\/logs\//.test(r));
      assert.deepEqual(logReads, [], `status --json read ${logReads.length} job logs:\n${proxy.requests.join("\n")}`);
    } finally {
      await proxy.close();
      await backend.stop();
      await db.cleanup();
    }
  });
});
