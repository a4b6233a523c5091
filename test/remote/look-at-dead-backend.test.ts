// A one-off look at a remote run (status, logs without --follow) against a backend that is not answering gives up in
// seconds with the "unavailable" error: it retried for a runner's 2 minutes before (user testing).
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { runOrun } from "../support/cli.js";
import { closedPort } from "../support/wait.js";

test("status and logs --remote-state against a dead backend give up within seconds, saying it is unavailable", async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-look-dead-"));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const url = `http://127.0.0.1:${await closedPort()}`;
  const env = { ORUN_TOKEN: "orun_t", ORUN_BACKEND_RETRY_MS: "", ORUN_BACKEND_URL: "", ORUN_EXEC_ID: "", GITHUB_ACTIONS: "" };
  for (const command of ["status", "logs"]) {
    const started = Date.now();
    // Killed at 40 s: the 2-minute retry of before fails the exit-code check.
    const r = await runOrun([command, "--remote-state", "--backend-url", url, "--exec-id", "m3"], { cwd: dir, env, timeoutMs: 40_000 });
    const output = r.stdout + r.stderr;
    assert.equal(r.code, 1, `${command}: ${output}`);
    assert.match(output, new RegExp(`orun backend at ${url.replace(/\./g, "\\.")} is not answering \\(.*ECONNREFUSED.*\\); retrying for up to [45](\\.\\d)?s`));
    assert.match(output, new RegExp(`✕ orun backend at ${url.replace(/\./g, "\\.")} is unavailable: .*ECONNREFUSED`));
    assert.ok(Date.now() - started < 20_000, `${command} took ${Date.now() - started} ms`);
  }
});
