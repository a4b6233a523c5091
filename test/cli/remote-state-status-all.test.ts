// Remote state turned on by intent.yaml (execution.state.mode: remote), not by a flag: `status --all` said
// "--remote-state requires --exec-id or ORUN_EXEC_ID" (a flag the user never typed). It lists this machine's
// executions, saying the backend keeps no list of runs. (status/logs without a run: remote-state-without-run-id.test.ts.)
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runOrun } from "../support/cli.js";

describe("status/logs under remote state turned on by intent.yaml", () => {
  let dir: string;
  const env = { ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", ORUN_TOKEN: "x", GITHUB_ACTIONS: "" };
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-remote-intent-"));
    // A port nothing serves: none of these commands may need the backend.
    await fs.writeFile(
      path.join(dir, "intent.yaml"),
      "apiVersion: orun.io/v1\nkind: Intent\nmetadata:\n  name: remote-intent\nexecution:\n  state:\n    mode: remote\n    backendUrl: http://127.0.0.1:9\n",
    );
  });
  after(() => fs.rm(dir, { recursive: true, force: true }));

  it("status --all lists this machine's executions, saying the backend lists no runs", async () => {
    const r = await runOrun(["status", "--all"], { cwd: dir, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, /requires --exec-id|✕/);
    assert.match(r.stderr, /the backend lists no runs: --all lists this machine's execution records/);
    assert.match(r.stdout, /No runs yet/, "the local listing (this folder has no execution records)");
    // --json: stdout stays the listing alone.
    const json = await runOrun(["status", "--all", "--json"], { cwd: dir, env });
    assert.equal(json.code, 0, json.stdout + json.stderr);
    assert.doesNotThrow(() => JSON.parse(json.stdout), json.stdout);
  });
});
