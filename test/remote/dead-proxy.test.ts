// A dead proxy in front of the backend is named as such (without the
// password in its URL), not reported as the backend being down: the runner's
// retry notice and its final error say which proxy refused the connection. The retry budget leaves room for a
// second attempt on a loaded machine (at 3 s a full CI run once gave up after the first, with no notice).
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { runOrun } from "../support/cli.js";
import { closedPort } from "../support/wait.js";

describe("a dead proxy in front of the backend", () => {
  it("is named, credentials hidden, in the retry notice and the error", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-dead-proxy-"));
    try {
      const port = await closedPort();
      const r = await runOrun(["status", "--remote-state", "--backend-url", "http://backend.corp:8080", "--exec-id", "r1"], {
        cwd: dir,
        env: { HTTP_PROXY: `http://u:s3cr3t@127.0.0.1:${port}`, NO_PROXY: "", no_proxy: "", ORUN_BACKEND_RETRY_MS: "8000", ORUN_TOKEN: "orun_t", GITHUB_ACTIONS: "" },
      });
      const output = r.stdout + r.stderr;
      assert.equal(r.code, 1, output);
      const proxy = `the proxy http://127\\.0\\.0\\.1:${port} failed the tunnel request \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\) to backend\\.corp:8080`;
      assert.match(output, new RegExp(`orun backend at http://backend\\.corp:8080 is not answering \\(${proxy}\\); retrying`));
      assert.match(output, new RegExp(`✕ orun backend at http://backend\\.corp:8080 is unavailable: ${proxy}`));
      assert.doesNotMatch(output, /s3cr3t/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
