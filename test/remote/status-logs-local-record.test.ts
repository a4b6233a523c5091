// A runner's own record of its part of a remote run (`Local record: R.<hex>` in its header), read with
// `orun status` / `orun logs` while intent.yaml's `execution.state.mode: remote` turns remote state on, which no
// flag turns off: they went to the backend whatever the ID (`remote run R.<hex> not found`), so the steps only
// that record keeps could not be read. The record now names its remote run in `orun status`, and local
// `logs --follow` exits with the run's outcome as the remote one does. A real `orun backend serve` process and a
// real `orun run` of a lib/app repository whose app job fails.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it, type TestContext } from "node:test";
import { runOrun, type CliResult } from "../support/cli.js";
import { backendProcessBed } from "./backend-process-bed.js";
import { CHECK_COMPOSITION, libAppIntent } from "./lib-app-repo.js";

interface Repo {
  dir: string;
  url: string;
  /** The runner's local record of remote run `shared-run`. */
  record: string;
  orun(args: string[]): Promise<CliResult>;
}

const RUN = "shared-run";

describe("status and logs under intent execution.state.mode: remote read a runner's own record when asked", () => {
  const open = backendProcessBed("sqlite", "localrec");
  let repo: Promise<Repo> | undefined;
  const ready = (t: TestContext): Promise<Repo> => (repo ??= setUp(t));

  async function setUp(t: TestContext): Promise<Repo> {
    const bed = (await open(t))!;
    const files: Record<string, string> = {
      "intent.yaml": `${libAppIntent("localrec")}execution:\n  state:\n    mode: remote\n    backendUrl: ${bed.backend.url}\n`,
      "compositions/sh/compositions.yaml": CHECK_COMPOSITION,
      "compositions/stack.yaml": "apiVersion: orun.io/v1\nkind: Stack\nmetadata:\n  name: local\n  version: 0.1.0\n",
      "lib/check.sh": "echo lib-ok\n",
      "app/check.sh": "echo app-failing; exit 3\n",
    };
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(bed.dir, file)), { recursive: true });
      await writeFile(path.join(bed.dir, file), text);
    }
    // Remote state comes from intent.yaml alone: the test's own environment does not turn it on or name a run.
    const env = { ORUN_TOKEN: bed.token, ORUN_REMOTE_STATE: "", ORUN_EXEC_ID: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "", NO_COLOR: "1" };
    const orun = (args: string[]) => runOrun(args, { cwd: bed.dir, env, timeoutMs: 60_000 });
    const run = await orun(["run", "--all", "--exec-id", RUN]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const record = /Local record: (\S+)/.exec(run.stdout)?.[1] ?? "";
    assert.ok(record.startsWith(`${RUN}.`), run.stdout);
    return { dir: bed.dir, url: bed.backend.url, record, orun };
  }

  it("status --exec-id <record> shows that record and names the remote run it is part of, in text and --json", async (t) => {
    const { record, orun } = await ready(t);
    const status = await orun(["status", "--exec-id", record, "--detailed"]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`Run: ${record.replace(/\./g, "\\.")} {2}·`), status.stdout);
    assert.ok(status.stdout.includes(`  Remote run: ${RUN}  ·  every runner's jobs: orun status --exec-id ${RUN} --remote-state\n`), status.stdout);
    // The steps only the local record has.
    assert.match(status.stdout, /✗ check .*exit status 3\n {8}✗ main\n/, status.stdout);
    assert.ok(status.stderr.includes(`remote state: reading ${record}, an execution record on this machine (the backend's run it is part of: --exec-id ${RUN} --remote-state)`), status.stderr);
    const json = await orun(["status", "--exec-id", record, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const shown = JSON.parse(json.stdout) as { execID: string; meta: { remoteRunId?: string } };
    assert.deepEqual([shown.execID, shown.meta.remoteRunId], [record, RUN]);
  });

  it("logs run/<record> reads the record; its --follow exits 1 for the failed run, as the backend's follow of the run does", async (t) => {
    const { record, orun } = await ready(t);
    const logs = await orun(["logs", `run/${record}`]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /── app@dev\.check › main {2}\(failed\)\napp-failing\n/, logs.stdout);
    const local = await orun(["logs", "--exec-id", record, "--follow"]);
    assert.match(local.stdout, /── app@dev\.check › main\napp-failing\n/, local.stdout);
    const remote = await orun(["logs", "--follow"]);
    assert.match(remote.stdout, /app-failing\n/, remote.stdout);
    assert.deepEqual([local.code, remote.code], [1, 1], `local: ${local.stderr}\nremote: ${remote.stderr}`);
  });

  it("--local reads the latest record; without it, and for a prefix of a record's ID, the backend's run is read", async (t) => {
    const { record, url, orun } = await ready(t);
    const local = await orun(["status", "--local"]);
    assert.equal(local.code, 0, local.stderr);
    assert.ok(local.stdout.includes(`Run: ${record}  ·`), local.stdout);
    const lib = await orun(["logs", "--local", "--job", "lib@dev.check", "--raw"]);
    assert.deepEqual([lib.code, lib.stdout], [0, "lib-ok\n"], lib.stderr);
    const remote = await orun(["status"]);
    assert.equal(remote.code, 0, remote.stderr);
    assert.ok(remote.stdout.includes(`Backend: ${url}`), remote.stdout);
    const prefix = await orun(["status", "--exec-id", record.slice(0, -1)]);
    assert.equal(prefix.code, 1, prefix.stdout);
    assert.ok(prefix.stderr.includes(`remote run ${record.slice(0, -1)} not found on the backend`), prefix.stderr);
  });

  it("--remote-state with a record's ID says it is a record of this machine; --local with --remote-state or --backend-url is refused", async (t) => {
    const { record, url, orun } = await ready(t);
    const remote = await orun(["status", "--exec-id", record, "--remote-state"]);
    assert.equal(remote.code, 1, remote.stdout);
    assert.ok(remote.stderr.includes(`${record} is an execution record on this machine, not a run ID: read it without --remote-state`), remote.stderr);
    const both = await orun(["status", "--local", "--remote-state"]);
    assert.equal(both.code, 1, both.stdout);
    assert.match(both.stderr, /--local reads this machine's execution records and --remote-state the backend's run: give one/);
    const url2 = await orun(["logs", "--local", "--backend-url", url]);
    assert.equal(url2.code, 1, url2.stdout);
    assert.match(url2.stderr, /--local reads this machine's execution records, so --backend-url would be ignored/);
  });
});
