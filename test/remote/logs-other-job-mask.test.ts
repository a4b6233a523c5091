// `orun logs --remote-state --job b` inside GitHub Actions masks a value another job of the run masked, as the local
// record's path does (rev27 #3: the remote path read the shown jobs' masks only and printed it in clear).
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestBackend, testDatabase, tokenFor, type TestDatabase } from "./helpers.js";
import { killAllChildren, spawnOrun, writePlan } from "./processes.js";

const SECRET = "s3cr3t-rev27-value";

describe("remote orun logs inside GitHub Actions", () => {
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
