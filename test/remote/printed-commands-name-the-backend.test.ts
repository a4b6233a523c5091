// The `orun status` / `orun logs` / retry commands that a remote runner, its local record and `orun status
// --remote-state` print name the backend (`--backend-url`, from the flag or ORUN_BACKEND_URL): pasted in a shell
// without ORUN_BACKEND_URL they read the run (they failed "--remote-state requires --backend-url", camp23 finding 2).
// Real processes: `orun backend serve` on loopback (SQLite), `orun run` runners; each printed line is run by `sh -c`.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { servedBackend } from "./backend-process-bed.js";
import { spawnOrun, writePlan } from "./processes.js";
import { inShell } from "../support/resume-hint.js";

describe("the commands printed about a remote run name its backend", () => {
  let dir: string;
  const served = servedBackend("sqlite");

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-printed-backend-"));
  });
  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("the runner's status, logs and failed-job lines, its record's every-runner line and status --remote-state's Stopped and Logs lines work pasted", async (t) => {
    await writePlan(dir, "carry", [
      { id: "x@dev.build", run: "echo x-broken; exit 3" },
      { id: "d@dev.deploy", deps: ["x@dev.build"], run: "echo d-ran" },
    ], { failFast: true });
    const url = served.backend.url;
    // ORUN_BACKEND_URL for the runner; the flag for status: each is repeated.
    const run = await spawnOrun(["run", "carry.json", "--remote-state", "--exec-id", "carry-1"], { cwd: dir, env: served.env() }).done;
    assert.equal(run.code, 1, run.output);
    const printed = (re: RegExp, text: string): string => {
      const line = re.exec(text)?.[1];
      assert.ok(line, `${re} in:\n${text}`);
      assert.ok(line.includes(` --backend-url ${url}`), line);
      return line;
    };
    const pasted = async (line: string, expect: RegExp): Promise<void> => {
      // Without ORUN_BACKEND_URL (inShell drops every ORUN_* setting): only the token is given.
      const result = await inShell(t, line, dir, { ORUN_TOKEN: served.token });
      assert.doesNotMatch(result.output, /requires --backend-url/, line);
      assert.match(result.output, expect, `${line}\n${result.output}`);
    };
    await pasted(printed(/^ {2}status {2}(orun status .*)$/m, run.output), /▲ orun remote run carry-1/);
    await pasted(printed(/^ {2}logs {4}(orun logs .*)$/m, run.output), /x-broken/);
    await pasted(printed(/^\s+logs {2}(orun logs .* --job x@dev\.build)$/m, run.output), /x-broken/);

    const record = /Local record: (\S+)/.exec(run.output)?.[1] ?? "";
    const local = await spawnOrun(["status", "--exec-id", record], { cwd: dir, env: { ...served.env(), ORUN_BACKEND_URL: "" } }).done;
    assert.equal(local.code, 0, local.output);
    await pasted(printed(/every runner's jobs: (orun status .*)$/m, local.output), /▲ orun remote run carry-1/);

    const status = await spawnOrun(["status", "--remote-state", "--backend-url", url, "--exec-id", "carry-1"], { cwd: dir, env: { ...served.env(), ORUN_BACKEND_URL: "" } }).done;
    assert.equal(status.code, 0, status.output);
    await pasted(printed(/^Logs: (orun logs .*)$/m, status.output), /x-broken/);
    // x failed, d was skipped (not run): progress counts the finished job only.
    assert.match(status.output, /^█{16}░{16} 50%$/m, status.output);
    // The retry names the plan as `orun run` here is given it: the runner's record holds it (its manifest.json).
    const retry = printed(/^Stopped: .*\((orun run .* --retry)\), which reopens it$/m, status.output);
    assert.ok(retry.startsWith(`orun run ${path.join(".orun/executions", record, "manifest.json")} `), retry);
    // Pasted, it reopens x in the run (which fails again: nothing was fixed).
    await pasted(retry, /job x@dev\.build failed in remote run carry-1/);
    // Stored here by its ID, the plan is named by it.
    const planId = /^Plan: (\S+) /m.exec(status.output)?.[1] ?? "";
    await fs.mkdir(path.join(dir, ".orun/plans"), { recursive: true });
    await fs.copyFile(path.join(dir, ".orun/executions", record, "manifest.json"), path.join(dir, ".orun/plans", `${planId}.json`));
    const stored = await spawnOrun(["status", "--remote-state", "--backend-url", url, "--exec-id", "carry-1"], { cwd: dir, env: { ...served.env(), ORUN_BACKEND_URL: "" } }).done;
    await pasted(printed(new RegExp(`^Stopped: .*\\((orun run ${planId} .* --retry)\\), which reopens it$`, "m"), stored.output), /job x@dev\.build failed in remote run carry-1/);
    // A machine without the plan gets a template that says so, not an ID no `orun run` there can find.
    const elsewhere = await fs.mkdtemp(path.join(os.tmpdir(), "orun-printed-elsewhere-"));
    t.after(() => fs.rm(elsewhere, { recursive: true, force: true }));
    const away = await spawnOrun(["status", "--remote-state", "--backend-url", url, "--exec-id", "carry-1"], { cwd: elsewhere, env: { ...served.env(), ORUN_BACKEND_URL: "" } }).done;
    assert.equal(away.code, 0, away.output);
    assert.match(away.output, new RegExp(`^Stopped: .*\\(orun run <plan file of ${planId}> --job x@dev\\.build --exec-id carry-1 --remote-state --backend-url \\S+ --retry\\)`, "m"));
  });
});
