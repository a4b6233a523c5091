// `orun status --remote-state` and `orun logs --remote-state` print what the backend sends: the run ID, the plan
// checksum, job IDs, statuses, runner names. Ours refuses control characters in IDs; another backend may send
// escape sequences, which the text output shows escaped (`\u{1b}`) (--json keeps them, encoded
// by JSON). Real processes: the v2 stand-in on loopback, its run planted with such strings, the built CLI.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runOrun } from "../support/cli.js";
import { startV2Backend, type V2Backend } from "./v2-backend.js";

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const RED = "app@dev.\u001b[31mred";
const OTHER = "app@dev.\u009b2Jother";

describe("remote status and logs of a run whose backend sends escape sequences", () => {
  let dir: string;
  let v2: V2Backend;
  const env = { ORUN_TOKEN: "orun_t", GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "" };
  const orun = (args: string[]) => runOrun([...args, "--remote-state", "--backend-url", v2.url, "--exec-id", "hostile"], { cwd: dir, env, timeoutMs: 30_000 });

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-remote-esc-"));
    v2 = await startV2Backend();
    const at = new Date().toISOString();
    const job = (jobId: string, status: "running" | "failed", runnerId: string) => ({
      jobId, component: "app", status, deps: [], runnerId, startedAt: at, finishedAt: status === "failed" ? at : null, lastError: status === "failed" ? "step main: exit 3" : null, heartbeatAt: at,
    });
    v2.runs.set("hostile", {
      runId: "hostile\u001b]0;pwned\u0007",
      checksum: "sha256-\u001b[2Jabc",
      status: "failed\u001b[5m" as "failed",
      createdAt: at,
      updatedAt: at,
      jobs: new Map([
        [RED, job(RED, "running", "runner\u001b[8m-1")],
        [OTHER, job(OTHER, "failed", "runner-2")],
      ]),
    });
    for (const jobId of [RED, OTHER]) {
      const posted = await fetch(`${v2.url}/v1/runs/hostile/logs/${encodeURIComponent(jobId)}`, { method: "POST", body: `=== main ===\nout of ${jobId.slice(-5)}\n` });
      assert.equal(posted.status, 200);
    }
  });
  after(async () => {
    await v2?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("status shows the run ID, plan checksum, state, job IDs and runner names escaped; --json keeps them", async () => {
    const status = await orun(["status"]);
    assert.equal(status.code, 0, status.stderr);
    assert.doesNotMatch(status.stdout, CONTROL, status.stdout);
    assert.match(status.stdout, /^▲ orun remote run hostile\\u\{1b\}\]0;pwned\\u\{7\}$/m);
    assert.match(status.stdout, /^Plan: sha256-\\u\{1b\}\[2Jabc · Run: hostile\\u\{1b\}\]0;pwned\\u\{7\} · State: failed\\u\{1b\}\[5m · Duration: /m);
    assert.match(status.stdout, /^ {2}● app@dev\.\\u\{1b\}\[31mred {2}running .* on runner\\u\{1b\}\[8m-1$/m);
    assert.match(status.stdout, /^ {2}✗ app@dev\.\\u\{9b\}2Jother {2}failed .* step main: exit 3$/m);
    // A command to paste: the run ID as a shell word (its controls as printf's octal escapes), not as shown above.
    assert.ok(status.stdout.includes(`\nLogs: orun logs --exec-id "$(printf 'hostile\\033]0;pwned\\007')" --remote-state --backend-url ${v2.url}\n`), status.stdout);
    const json = await orun(["status", "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as { execID: string; meta: { planId: string }; state: { jobs: Record<string, { runnerId?: string }> } };
    assert.equal(parsed.execID, "hostile\u001b]0;pwned\u0007");
    assert.equal(parsed.meta.planId, "sha256-\u001b[2Jabc");
    assert.equal(parsed.state.jobs[RED]?.runnerId, "runner\u001b[8m-1");
  });

  it("logs heads each job escaped; a typo's error lists the jobs escaped", async () => {
    const logs = await orun(["logs"]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.doesNotMatch(logs.stdout, CONTROL, logs.stdout);
    assert.match(logs.stdout, /^hostile\\u\{1b\}\]0;pwned\\u\{7\} {2}failed\\u\{1b\}\[5m {2}0\/2 succeeded, 1 failed$/m);
    assert.match(logs.stdout, /^● app@dev\.\\u\{1b\}\[31mred \(running on runner\\u\{1b\}\[8m-1\)\n=== main ===\nout of 1mred$/m);
    assert.match(logs.stdout, /^✗ app@dev\.\\u\{9b\}2Jother \(failed on runner-2\)\n=== main ===\nout of other$/m);
    const typo = await orun(["logs", "--job", "nope"]);
    assert.equal(typo.code, 1);
    assert.doesNotMatch(typo.stderr, CONTROL, typo.stderr);
    assert.match(typo.stderr, /job not found in remote run hostile: nope \(its jobs: app@dev\.\\u\{1b\}\[31mred, app@dev\.\\u\{9b\}2Jother\)/);
  });

  it("logs --follow heads each job's output escaped", async () => {
    // A state the follow knows as finished, so that it ends after one read.
    v2.runs.get("hostile")!.status = "failed";
    const follow = await orun(["logs", "--follow"]);
    assert.equal(follow.code, 1, follow.stderr);
    assert.doesNotMatch(follow.stdout, CONTROL, follow.stdout);
    assert.match(follow.stdout, /^── app@dev\.\\u\{1b\}\[31mred\n=== main ===\nout of 1mred$/m);
    assert.match(follow.stdout, /^── app@dev\.\\u\{9b\}2Jother\n=== main ===\nout of other$/m);
  });
});
