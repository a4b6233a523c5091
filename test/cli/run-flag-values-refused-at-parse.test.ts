// Newcomer audit (fuprun15): a bad value of an enumerated flag of `orun run` is refused while the flags are
// parsed — before a plan is compiled or an execution record written — so `latest` keeps naming the last real run.
// Real processes, real files in temp dirs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

const records = async (dir: string): Promise<string[]> => (await readdir(path.join(dir, ".orun", "executions")).catch(() => [] as string[])).filter((name) => name !== "latest").sort();

test("bad --pull, --runner, --intent-impact and --from-ci values are refused at parse time, naming the flag and the choices; no record is made", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }]);
  const first = await runOrun(["run", "plan.json", "--exec-id", "rs1"], { cwd: dir });
  assert.equal(first.code, 0, first.stderr);
  const cases: [string[], RegExp][] = [
    [["--runner", "docker", "--pull", "sometimes"], /^✕ option '--pull <policy>' argument 'sometimes' is invalid\. expected one of always, missing, never\.\n$/],
    [["--runner", "podman"], /^✕ option '--runner <name>' argument 'podman' is invalid\. expected one of local, docker, github-actions/],
    [["--intent-impact", "some"], /^✕ option '--intent-impact <mode>' argument 'some' is invalid\. expected one of all, watch, none\.\n$/],
    [["--from-ci", "gitlab"], /^✕ option '--from-ci <provider>' argument 'gitlab' is invalid\. expected github\.\n$/],
  ];
  for (const [args, message] of cases) {
    const result = await runOrun(["run", "plan.json", ...args], { cwd: dir });
    assert.equal(result.code, 1, args.join(" "));
    assert.match(result.stderr, message, args.join(" "));
  }
  assert.deepEqual(await records(dir), ["rs1"], "no record for the refused runs");
  assert.equal(await readlink(path.join(dir, ".orun", "executions", "latest")), "rs1");
  const status = await runOrun(["status"], { cwd: dir });
  assert.match(status.stdout, /Run: rs1 .*State: completed/);
  // Values are read as the runtime reads them: any case, surrounding spaces.
  const upper = await runOrun(["run", "plan.json", "--runner", " Local ", "--exec-id", "rs2"], { cwd: dir });
  assert.equal(upper.code, 0, upper.stderr);
});

test("a bad ORUN_DOCKER_PULL or ORUN_RUNNER is refused before a record is made (and before a fresh plan is compiled)", async (t) => {
  const dir = await planDir(t, [{ id: "api@dev.build", steps: [{ run: "echo built" }] }]);
  const pull = await runOrun(["run", "plan.json", "--runner", "docker"], { cwd: dir, env: { ORUN_DOCKER_PULL: "sometimes" } });
  assert.equal(pull.code, 1);
  assert.match(pull.stderr, /^✕ invalid ORUN_DOCKER_PULL value "sometimes" \(expected one of: always, missing, never\)\n$/);
  const runner = await runOrun(["run", "plan.json"], { cwd: dir, env: { ORUN_RUNNER: "podman" } });
  assert.equal(runner.code, 1);
  assert.match(runner.stderr, /unsupported runner "podman" from ORUN_RUNNER/);
  assert.deepEqual(await records(dir), []);
  // Not compiled either: without an intent a fresh compile would have said "no intent.yaml found".
  const fresh = await runOrun(["run"], { cwd: dir, env: { ORUN_RUNNER: "podman" } });
  assert.match(fresh.stderr, /unsupported runner "podman" from ORUN_RUNNER/);
});
