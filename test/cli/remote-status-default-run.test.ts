// Seed 002: with remote state set in intent.yaml, "orun run, orun status, and orun logs automatically use the
// backend". After a run, a plain `orun status` / `orun logs` (no --exec-id) read the remote run this machine last
// took part in — its newest execution record names it — or, in GitHub Actions, the run ID that workflow attempt
// derives; they say which run they show. Real `orun backend serve` on loopback, the built CLI as real processes.
import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { TOKEN_PREFIX } from "../../src/remote/backend/auth/tokens.js";
import { killAllChildren, spawnOrun, startBackendProcess, writePlan, type BackendProcess } from "../remote/processes.js";

describe("status and logs under remote state from intent.yaml, with no run named", () => {
  let dir: string;
  let backend: BackendProcess;
  let token: string;
  // No variable of the machine running the tests may name a run or turn OIDC on.
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ORUN_TOKEN: token, ORUN_EXEC_ID: "", ORUN_REMOTE_STATE: "", ORUN_BACKEND_URL: "", GITHUB_ACTIONS: "", GITHUB_RUN_ID: "", ...extra });
  const orun = async (args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}) => spawnOrun(args, { cwd, env: env(extra) }).done;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "orun-remote-default-"));
    const database = `sqlite:${path.join(dir, "backend.db")}`;
    backend = await startBackendProcess(database);
    const created = await spawnOrun(["backend", "token", "create", "--namespace", "local:acme/app", "--database", database], { cwd: dir }).done;
    token = created.output.split("\n").find((line) => line.startsWith(TOKEN_PREFIX))?.trim() ?? "";
    assert.ok(token, created.output);
    await fs.mkdir(path.join(dir, "repo"));
    await fs.writeFile(
      path.join(dir, "repo", "intent.yaml"),
      `apiVersion: orun.io/v1\nkind: Intent\nmetadata:\n  name: remote-default\nexecution:\n  state:\n    mode: remote\n    backendUrl: ${backend.url}\n`,
    );
  });
  after(async () => {
    killAllChildren();
    await backend?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("read the run this machine last took part in, saying which", async () => {
    const repo = path.join(dir, "repo");
    const first = await writePlan(repo, "first", [{ id: "a@dev.build", run: "echo first-run-output" }]);
    const second = await writePlan(repo, "second", [
      { id: "b@dev.build", run: "echo second-run-output; exit 4" },
      { id: "c@dev.deploy", deps: ["b@dev.build"], run: "echo never" },
    ]);
    const r1 = await orun(["run", first], repo);
    assert.equal(r1.code, 0, r1.output);
    const r2 = await orun(["run", second], repo);
    assert.equal(r2.code, 1, r2.output);
    const runId = /remote state: run (\S+) on /.exec(r2.output)?.[1];
    assert.ok(runId, r2.output);

    const status = await orun(["status"], repo);
    assert.equal(status.code, 0, status.output);
    assert.match(status.output, new RegExp(`remote state: showing run ${runId}, the last this machine took part in \\(execution record ${runId}\\.[0-9a-f]+\\)`));
    assert.match(status.output, new RegExp(`▲ orun remote run ${runId}\\n`));
    assert.match(status.output, /✗ b@dev\.build\s+failed/);
    assert.match(status.output, /⊘ c@dev\.deploy\s+skipped/);
    const json = await orun(["status", "--json"], repo);
    assert.equal(json.code, 0, json.output);
    assert.match(json.output, new RegExp(`"execID": "${runId}"`));

    const logs = await orun(["logs"], repo);
    assert.equal(logs.code, 0, logs.output);
    assert.match(logs.output, /second-run-output/);
    assert.doesNotMatch(logs.output, /first-run-output/);
    // A named run still wins.
    const named = await orun(["logs", "--exec-id", /remote state: run (\S+) on /.exec(r1.output)![1]], repo);
    assert.match(named.output, /first-run-output/);
    assert.doesNotMatch(named.output, /showing run/);
  });

  it("in GitHub Actions, read the run ID this workflow attempt derives, from any folder", async () => {
    const repo = path.join(dir, "repo");
    const plan = await writePlan(repo, "gha", [{ id: "g@dev.build", run: "echo gha-run-output" }]);
    const gha = { GITHUB_ACTIONS: "true", GITHUB_RUN_ID: "987654", GITHUB_RUN_ATTEMPT: "2", ACTIONS_ID_TOKEN_REQUEST_URL: "", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "" };
    const run = await orun(["run", plan], repo, gha);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /remote state: run gha_987654_2 on /);
    const elsewhere = await fs.mkdtemp(path.join(dir, "verify-"));
    const status = await orun(["status", "--remote-state", "--backend-url", backend.url], elsewhere, gha);
    assert.equal(status.code, 0, status.output);
    assert.match(status.output, /remote state: showing run gha_987654_2 \(this GitHub Actions run's/);
    assert.match(status.output, /✓ g@dev\.build\s+success/);
  });

  it("in GitHub Actions, a run this machine took part in under a pinned run ID wins over the derived one", async () => {
    // The seed's workflow pins ORUN_EXEC_ID per run; a later step without it must not read gha_<run>_<attempt>, a run nobody made.
    const repo = await fs.mkdtemp(path.join(dir, "pinned-"));
    const plan = await writePlan(repo, "pinned", [{ id: "p@dev.build", run: "echo pinned-run-output" }]);
    const gha = { GITHUB_ACTIONS: "true", GITHUB_RUN_ID: "4242", GITHUB_RUN_ATTEMPT: "1", ACTIONS_ID_TOKEN_REQUEST_URL: "", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "" };
    const run = await orun(["run", plan, "--remote-state", "--backend-url", backend.url], repo, { ...gha, ORUN_EXEC_ID: "gha-4242-1-pinned" });
    assert.equal(run.code, 0, run.output);
    const status = await orun(["status", "--remote-state", "--backend-url", backend.url], repo, gha);
    assert.equal(status.code, 0, status.output);
    assert.match(status.output, /remote state: showing run gha-4242-1-pinned, the last this machine took part in/);
    assert.match(status.output, /✓ p@dev\.build\s+success/);
  });
});
