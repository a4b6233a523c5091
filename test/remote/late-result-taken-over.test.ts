// A runner whose job was taken over while it ran (its lease handed to another claim) reports a result the backend
// refuses. Before, it printed `! result of … not recorded` and exited 0 as if its verdict counted; a takeover under
// its own runner ID (GitHub matrix legs share one) was not even seen: the backend took the claim for the holder's
// repeat and the stale runner's result settled the job. Now the runner says the job was taken over and that its
// result was not recorded, and exits 1; its lease secret appears in no output, record or log. Real `orun run
// --remote-state` processes, a real backend on loopback.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { claimJob } from "../../src/remote/backend/coordinator.js";
import { repositoryIdFor } from "../support/oidc-issuer.js";
import { until } from "../support/wait.js";
import { startTestBackend, testDatabase, tokenFor, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, writePlan } from "./processes.js";

const NS = repositoryIdFor("acme/widgets");
/** Long enough that no heartbeat of the runner is due while a test runs: the takeover is seen by its result alone. */
const LEASE_MS = 600_000;

/** Every file under `dir`, read as text. */
async function filesUnder(dir: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.push({ file, text: await fs.readFile(file, "utf8") });
  }
  return out;
}

/** Whether `text` holds the secret whose SHA-256 is `hash` (a lease secret is 43 base64url characters). */
function holdsSecret(text: string, hash: string): boolean {
  return (text.match(/[A-Za-z0-9_-]{43}/g) ?? []).some((candidate) => createHash("sha256").update(candidate).digest("hex") === hash);
}

describe("a runner whose job was taken over while it ran", () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-taken-over-"));
  });
  after(async () => {
    killAllChildren();
    await fs.rm(dir, { recursive: true, force: true });
  });

  for (const takenBy of ["another runner ID", "its own runner ID"] as const) {
    it(`says its result was not recorded and exits 1 (taken over under ${takenBy}); its lease secret is nowhere`, { timeout: 120_000 }, async () => {
      const db = (await testDatabase("sqlite")) as TestDatabase;
      const backend = await startTestBackend(db.url, { leaseMs: LEASE_MS, sweepIntervalMs: 3_600_000 });
      const tag = takenBy === "its own runner ID" ? "own" : "other";
      const runId = `taken-${tag}`;
      const work = path.join(dir, tag);
      await fs.mkdir(work);
      try {
        const token = await tokenFor(backend.store, "acme/widgets");
        const started = path.join(work, "started");
        const finish = path.join(work, "finish");
        const planFile = await writePlan(work, "taken", [{ id: "a@dev.work", run: `echo first-half; touch ${started}; while [ ! -f ${finish} ]; do sleep 0.05; done; echo second-half` }]);
        const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: runId, GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
        const runner = spawnOrun(["run", planFile, "--remote-state"], { cwd: work, env });
        await until(() => existsSync(started), "a to start", 60_000);
        const held = (await backend.store.getRun(NS, runId))!.jobs.find((j) => j.jobId === "a@dev.work")!;
        assert.equal(held.status, "running");
        assert.match(held.leaseHash ?? "", /^[0-9a-f]{64}$/, "the runner asked for a lease secret");
        const runnerHash = held.leaseHash!;
        // Its lease lapses (a clock one lease ahead) and another claim takes the job over.
        const taker = takenBy === "its own runner ID" ? held.runnerId! : "other-runner";
        const clock = { now: new Date(Date.now() + LEASE_MS + 1000), leaseMs: LEASE_MS };
        const taken = await backend.store.mutateRun(NS, runId, { jobIds: ["a@dev.work"], deps: true }, (state) =>
          claimJob(state, "a@dev.work", taker, clock, { claimKey: "takers-claim-key-0123456789", newLease: "takers-lease-secret" }),
        );
        assert.equal(taken?.takeover, true, JSON.stringify(taken));
        await fs.writeFile(finish, "");
        const r = await runner.done;

        assert.equal(r.code, 1, r.output);
        assert.ok(
          r.output.includes(`✕ job a@dev.work was taken over by another runner: it succeeded here, but its result was not recorded in remote run ${runId} (`),
          r.output,
        );
        assert.match(r.output, /the other runner's result counts, and this runner exits 1\n/);
        // The last word on stderr, after a summary (stdout) that counts the job as done here. The two pipes reach this
        // test in no set order, so only stderr's own lines (orun's ✕ and ! lines) are ordered here.
        const stderrLines = r.output.split("\n").filter((line) => line.startsWith("✕") || line.startsWith("!"));
        assert.equal(stderrLines.at(-1), `✕ not recorded in remote run ${runId}: the result of a@dev.work here (taken over by another runner, whose result counts)`, r.output);
        // The backend kept the taker's claim: still running under it, nothing of the stale runner's settled it.
        const after = (await backend.store.getRun(NS, runId))!.jobs.find((j) => j.jobId === "a@dev.work")!;
        assert.deepEqual([after.status, after.runnerId, after.attempts], ["running", taker, 2]);
        assert.equal((await backend.store.readLog(NS, runId, "a@dev.work"))?.toString("utf8") ?? "", "", "the stale runner's output did not land in the new attempt's log");

        // The secret the runner held is in no output, local record or log.
        assert.equal(holdsSecret(r.output, runnerHash), false, "not in the runner's output");
        const records = await filesUnder(path.join(work, ".orun"));
        assert.ok(records.some((f) => f.text.includes("second-half")), "the local record has the job's output");
        for (const { file, text } of records) assert.equal(holdsSecret(text, runnerHash), false, `not in ${file}`);
      } finally {
        await backend.stop();
        await db.cleanup();
      }
    });
  }
});
