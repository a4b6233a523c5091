// `--backend-url` without remote state turned on (no --remote-state,
// ORUN_REMOTE_STATE or intent mode remote): v2's rule keeps the command
// local, and the CLI says the URL is ignored instead of running locally in silence.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { spawnOrun, writePlan } from "./processes.js";

describe("--backend-url without remote state", () => {
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-backend-url-"));
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it("orun run, status and logs say the URL is ignored; run executes locally", async () => {
    const planFile = await writePlan(dir, "local", [{ id: "a@dev.x", run: "echo ran-locally" }]);
    // Unset, as on a developer's machine (set to "" the variable sent run, status and logs down the remote path anyway).
    const env = { ORUN_REMOTE_STATE: undefined, ORUN_BACKEND_URL: undefined, ORUN_TOKEN: undefined, GITHUB_ACTIONS: undefined };
    const warning = /^warning: --backend-url is ignored: remote state is off \(add --remote-state/m;
    const run = await spawnOrun(["run", planFile, "--job", "a@dev.x", "--backend-url", "http://127.0.0.1:9", "--exec-id", "local-1", "--verbose"], { cwd: dir, env }).done;
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, warning);
    assert.match(run.output, /ran-locally/);
    for (const command of ["status", "logs"]) {
      const r = await spawnOrun([command, "--backend-url", "http://127.0.0.1:9", "--exec-id", "local-1"], { cwd: dir, env }).done;
      assert.equal(r.code, 0, `${command}: ${r.output}`);
      assert.match(r.output, warning, command);
    }
    const plain = await spawnOrun(["status", "--exec-id", "local-1"], { cwd: dir, env }).done;
    assert.doesNotMatch(plain.output, /backend-url/, "no warning without the flag");
  });
});
