// A runner the backend refuses before it takes part in the run (another plan than the run's) leaves no execution
// record behind: that record became `latest` and "the run this machine last took part in", so a bare `orun status
// --local` showed a failed run of 0 jobs (camp23 finding 12). Nor does it print a `Local record:` it then removes
// (it did: the run's header was printed before the refusal), and a backend that cannot be reached at all when the
// runner starts is the same: the runner says so and keeps nothing. Real processes: `orun backend serve` on loopback
// (SQLite) and `orun run --remote-state` runners.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { servedBackend } from "./backend-process-bed.js";
import { spawnOrun, writePlan } from "./processes.js";
import { closedPort } from "../support/wait.js";

describe("a runner refused before it joins a remote run", () => {
  let dir: string;
  const served = servedBackend("sqlite");

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-refused-runner-"));
  });
  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("leaves no record and `latest` on the record of the run this machine took part in", async () => {
    await writePlan(dir, "first", [{ id: "a@dev.build", run: "echo a-ran" }]);
    await writePlan(dir, "other", [{ id: "b@dev.build", run: "echo b-ran" }]);
    const env = served.env({ ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: "shared-1" });
    const joined = await spawnOrun(["run", "first.json"], { cwd: dir, env }).done;
    assert.equal(joined.code, 0, joined.output);
    const record = /Local record: (\S+)/.exec(joined.output)?.[1];
    assert.ok(record, joined.output);
    const executions = path.join(dir, ".orun/executions");
    const before = (await fs.readdir(executions)).sort();

    const refused = await spawnOrun(["run", "other.json"], { cwd: dir, env }).done;
    assert.equal(refused.code, 1, refused.output);
    assert.match(refused.output, /plan/i);
    assert.doesNotMatch(refused.output, /b-ran/);
    assert.doesNotMatch(refused.output, /Local record/, "no header names a record that is then removed");
    assert.deepEqual((await fs.readdir(executions)).sort(), before, `no record of the refused runner is left: ${refused.output}`);
    assert.equal(await fs.readlink(path.join(executions, "latest")), record);
    const local = await spawnOrun(["status", "--local"], { cwd: dir, env: served.env() }).done;
    assert.equal(local.code, 0, local.output);
    assert.ok(local.output.includes(`Run: ${record}`), local.output);
  });

  it("a backend not answering when the runner starts: the error, no header naming a record, no record", async () => {
    await writePlan(dir, "lonely", [{ id: "c@dev.build", run: "echo c-ran" }]);
    const executions = path.join(dir, ".orun/executions");
    const before = (await fs.readdir(executions)).sort();
    const latest = await fs.readlink(path.join(executions, "latest"));
    const env = served.env({ ORUN_REMOTE_STATE: "true", ORUN_EXEC_ID: "nobody-home", ORUN_BACKEND_URL: `http://127.0.0.1:${await closedPort()}`, ORUN_BACKEND_RETRY_MS: "1000" });
    const down = await spawnOrun(["run", "lonely.json"], { cwd: dir, env }).done;
    assert.equal(down.code, 1, down.output);
    assert.match(down.output, /✕ orun backend at http:\/\/127\.0\.0\.1:\d+ is unavailable: ECONNREFUSED/);
    assert.doesNotMatch(down.output, /c-ran|Local record|▲ orun/);
    assert.deepEqual((await fs.readdir(executions)).sort(), before, down.output);
    assert.equal(await fs.readlink(path.join(executions, "latest")), latest);
  });
});
