// rev27: `orun logs` inside GitHub Actions masks, in the job it shows, a value another job of the run masked — the
// local record's path does (masksOf: every job's values hide text, only the shown jobs' are handed on); the
// --remote-state path reads the masks of the jobs it shows only (remote/cli.ts remoteLogs), so `--job b` prints in
// clear a value job a masked.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestBackend, testDatabase, tokenFor, type TestDatabase } from "../remote/helpers.js";
import { killAllChildren, spawnOrun, writePlan } from "../remote/processes.js";

const SECRET = "s3cr3t-rev27-value";

describe("rev27: remote orun logs inside GitHub Actions", () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-rev27-mask-"));
  });
  after(async () => {
    killAllChildren();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("masks in job b's log the value job a masked, as the local record's logs do", { timeout: 180_000 }, async () => {
    const db = (await testDatabase("sqlite")) as TestDatabase;
    const backend = await startTestBackend(db.url);
    try {
      const token = await tokenFor(backend.store, "acme/widgets");
      const runId = "rev27-mask";
      const planFile = await writePlan(dir, "mask", [
        { id: "a@dev.mint", run: `echo "::add-mask::${SECRET}"; echo minted` },
        { id: "b@dev.use", deps: ["a@dev.mint"], run: `echo "using ${SECRET}"` },
      ]);
      const env = { ORUN_TOKEN: token, ORUN_BACKEND_URL: backend.url, ORUN_EXEC_ID: runId, GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "" };
      const run = await spawnOrun(["run", planFile, "--remote-state"], { cwd: dir, env }).done;
      assert.equal(run.code, 0, run.output);

      const inGithub = { ...env, GITHUB_ACTIONS: "true", ORUN_EXEC_ID: "" };
      const local = await spawnOrun(["logs", "--job", "b@dev.use"], { cwd: dir, env: { ...inGithub, ORUN_TOKEN: "", ORUN_BACKEND_URL: "" } }).done;
      const remote = await spawnOrun(["logs", "--remote-state", "--exec-id", runId, "--job", "b@dev.use"], { cwd: dir, env: inGithub }).done;
      console.log(`--- local ---\n${local.output}\n--- remote ---\n${remote.output}`);
      assert.match(local.output, /using/, local.output);
      assert.doesNotMatch(local.output, new RegExp(SECRET), "local path");
      assert.match(remote.output, /using/, remote.output);
      assert.doesNotMatch(remote.output, new RegExp(SECRET), "remote path");
    } finally {
      await backend.stop();
      await db.cleanup();
    }
  });
});
