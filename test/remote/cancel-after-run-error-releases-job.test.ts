// (rev28) a job canceled here (Ctrl-C) after this runner's run ended on an error (the scheduler's onError: a job's result
// could not be reported, the backend answering 503 for the whole retry budget) is reported failed to the backend
// instead of given back. 152d6db decides "the run stopped here, so nothing is handed on" by the admission signal
// (job-executor runStopped), but onError aborts that signal too while the backend's run did not stop: the canceled
// job is then failed on the backend and its dependents skipped, for every runner of the run.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { repositoryIdFor } from "../support/oidc-issuer.js";
import { until } from "../support/wait.js";
import { httpRelay, startTestBackend, testDatabase, tokenFor, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, writePlan } from "./processes.js";

const NS = repositoryIdFor("acme/widgets");

/** Forwards to `target`, but answers 503 to any request whose path matches `refuse`. */
async function refusingProxy(target: string, refuse: RegExp): Promise<{ url: string; refused: () => number; close: () => Promise<void> }> {
  let refused = 0;
  const relay = await httpRelay(target, (req, res) => {
    if (!refuse.test(req.url ?? "")) return false;
    refused++;
    req.resume();
    res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: "unavailable (test proxy)" }));
    return true;
  });
  return { ...relay, refused: () => refused };
}

describe("cancel after a remote runner's run ended on an error", () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-rev28-err-cancel-"));
  });
  after(async () => {
    killAllChildren();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("gives the canceled job back: the backend's run did not stop", { timeout: 180_000 }, async () => {
    const db = (await testDatabase("sqlite")) as TestDatabase;
    const backend = await startTestBackend(db.url);
    const proxy = await refusingProxy(backend.url, /\/jobs\/b%40dev\.unreported\/update/);
    try {
      const token = await tokenFor(backend.store, "acme/widgets");
      const runId = "rev28-err-cancel";
      const started = path.join(dir, "a-started");
      const planFile = await writePlan(
        dir,
        "err-cancel",
        [
          { id: "a@dev.long", run: `touch ${started}; sleep 60` },
          { id: "b@dev.unreported", run: `while [ ! -f ${started} ]; do sleep 0.05; done` },
          { id: "c@dev.after", deps: ["a@dev.long"], run: "true" },
        ],
        { failFast: false },
      );
      const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: proxy.url, ORUN_BACKEND_RETRY_MS: "1500", ORUN_EXEC_ID: runId, GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
      const runner = spawnOrun(["run", planFile, "--remote-state", "--concurrency", "2"], { cwd: dir, env });
      const job = async (id: string) => (await backend.store.getRun(NS, runId))!.jobs.find((j) => j.jobId === id)!;
      await until(() => existsSync(started), "a to start", 60_000);
      // b's result cannot be reported: the client gives up after its retry budget, and the run ends here on that error.
      // The run prints that error only at its end (a still runs): the give-up is waited for past the retry budget (1.5 s)
      // once the refusals began — a margin, not an assertion on timing.
      await until(() => proxy.refused() > 0, "b's report to be refused", 60_000);
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      assert.ok(proxy.refused() > 0);
      assert.equal((await backend.store.getRun(NS, runId))!.run.stoppedReason ?? null, null, "the backend's run did not stop");
      runner.child.kill("SIGINT");
      const r = await runner.done;
      const a = await job("a@dev.long");
      const c = await job("c@dev.after");
      console.log(`backend a: ${a.status} ${a.lastError ?? ""}; c: ${c.status} ${c.lastError ?? ""}\n--- runner output ---\n${r.output}`);
      // Canceled here without a verdict, in a run the backend goes on with: given back for another runner to take over.
      assert.equal(a.status, "pending", `a on the backend: ${a.status} (${a.lastError})\n${r.output}`);
      assert.equal(c.status, "pending", `c on the backend: ${c.status} (${c.lastError})`);
    } finally {
      await proxy.close();
      await backend.stop();
      await db.cleanup();
    }
  });
});
