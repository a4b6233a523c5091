// A runner the backend refuses before it takes part in the run (another plan than the run's) leaves no execution
// record behind: that record became `latest` and "the run this machine last took part in", so a bare `orun status
// --local` showed a failed run of 0 jobs (camp23 finding 12). Nor does it print a `Local record:` it then removes
// (it did: the run's header was printed before the refusal), and a backend that cannot be reached at all when the
// runner starts is the same: the runner says so and keeps nothing. So is a Ctrl-C while the runner registers: it took
// no part either (it kept a canceled record that became `latest`). Real processes: `orun backend serve` on loopback
// (SQLite), a scripted loopback server that never answers, and `orun run --remote-state` runners. Each test starts in
// a folder of its own, with a record of a run this machine took part in.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { servedBackend } from "./backend-process-bed.js";
import { spawnOrun, writePlan } from "./processes.js";
import { closedPort, until } from "../support/wait.js";

describe("a runner refused before it joins a remote run", () => {
  const served = servedBackend("sqlite");
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
  });

  /**
   * A new folder holding the record of a remote run (ID `runId`, plan `first`) this machine took part in, which
   * `latest` points at; and the folder's record names, for a test to show that nothing was added.
   */
  async function tookPartOnce(runId: string): Promise<{ dir: string; executions: string; record: string; records: string[] }> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-refused-runner-"));
    dirs.push(dir);
    await writePlan(dir, "first", [{ id: "a@dev.build", run: "echo a-ran" }]);
    const joined = await spawnOrun(["run", "first.json"], { cwd: dir, env: served.env({ ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: runId }) }).done;
    assert.equal(joined.code, 0, joined.output);
    const record = /Local record: (\S+)/.exec(joined.output)?.[1];
    assert.ok(record, joined.output);
    const executions = path.join(dir, ".orun/executions");
    assert.equal(await fs.readlink(path.join(executions, "latest")), record);
    return { dir, executions, record, records: (await fs.readdir(executions)).sort() };
  }

  it("leaves no record and `latest` on the record of the run this machine took part in", async () => {
    const { dir, executions, record, records } = await tookPartOnce("shared-1");
    await writePlan(dir, "other", [{ id: "b@dev.build", run: "echo b-ran" }]);
    const refused = await spawnOrun(["run", "other.json"], { cwd: dir, env: served.env({ ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: "shared-1" }) }).done;
    assert.equal(refused.code, 1, refused.output);
    assert.match(refused.output, /plan/i);
    assert.doesNotMatch(refused.output, /b-ran/);
    assert.doesNotMatch(refused.output, /Local record/, "no header names a record that is then removed");
    assert.deepEqual((await fs.readdir(executions)).sort(), records, `no record of the refused runner is left: ${refused.output}`);
    assert.equal(await fs.readlink(path.join(executions, "latest")), record);
    const local = await spawnOrun(["status", "--local"], { cwd: dir, env: served.env() }).done;
    assert.equal(local.code, 0, local.output);
    assert.ok(local.output.includes(`Run: ${record}`), local.output);
  });

  it("a backend not answering when the runner starts: the error, no header naming a record, no record", async () => {
    const { dir, executions, record, records } = await tookPartOnce("shared-2");
    await writePlan(dir, "lonely", [{ id: "c@dev.build", run: "echo c-ran" }]);
    const env = served.env({ ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: "nobody-home", ORUN_BACKEND_URL: `http://127.0.0.1:${await closedPort()}`, ORUN_BACKEND_RETRY_MS: "1000" });
    const down = await spawnOrun(["run", "lonely.json"], { cwd: dir, env }).done;
    assert.equal(down.code, 1, down.output);
    assert.match(down.output, /✕ orun backend at http:\/\/127\.0\.0\.1:\d+ is unavailable: ECONNREFUSED/);
    assert.doesNotMatch(down.output, /c-ran|Local record|▲ orun/);
    assert.deepEqual((await fs.readdir(executions)).sort(), records, down.output);
    assert.equal(await fs.readlink(path.join(executions, "latest")), record);
  });

  it("Ctrl-C while the runner registers: exit 130, what it waited for, no header, no record, `latest` untouched", async () => {
    const { dir, executions, record, records } = await tookPartOnce("shared-3");
    await writePlan(dir, "held", [{ id: "d@dev.build", run: "echo d-ran" }]);
    // A backend that takes the run's registration and never answers it: the cancel lands while it is held.
    const held: { method?: string; url?: string; res: http.ServerResponse }[] = [];
    const silent = http.createServer((req, res) => void held.push({ method: req.method, url: req.url, res }));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const run = spawnOrun(["run", "held.json"], { cwd: dir, env: served.env({ ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: "held-1", ORUN_BACKEND_URL: url }) });
      await until(() => held.some((request) => request.method === "POST" && request.url === "/v1/runs") || run.child.exitCode !== null, "the run's registration (POST /v1/runs)", 30_000);
      assert.equal(run.child.exitCode, null, run.output());
      run.child.kill("SIGINT");
      const result = await run.done;
      assert.equal(result.code, 130, result.output);
      assert.ok(result.output.includes(`✕ remote run held-1: canceled while waiting for the backend at ${url}\n`), result.output);
      assert.doesNotMatch(result.output, /d-ran|Local record|▲ orun|rejoin/, "a runner that took no part names no record");
      assert.deepEqual((await fs.readdir(executions)).sort(), records, `no record of the canceled runner is left: ${result.output}`);
      assert.equal(await fs.readlink(path.join(executions, "latest")), record);
    } finally {
      for (const request of held) request.res.destroy();
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
