// Small run/logs gaps found in review round 16:
// - `--backend-url` without remote state turned on, and ORUN_REMOTE_STATE not set at all (the usual case): run,
//   status and logs say the URL is ignored (they skipped the remote code, so ran locally in silence), and so does
//   run --dry-run (doc27: it previewed in silence);
// - `orun logs --step X` on a step that completed without printing says so (was "No logs match.");
// - orun v2.3's `--isolation`, `--keep-workspaces` and `--component-concurrency` are refused saying what orun
//   does instead (was a bare "unknown option"), and nothing runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir } from "../runtime/helpers.js";

/** No remote state from the environment: the variables unset, as on a developer's machine. */
const LOCAL_ENV = { ORUN_REMOTE_STATE: undefined, ORUN_BACKEND_URL: undefined, ORUN_EXEC_ID: undefined, GITHUB_ACTIONS: undefined };

test("--backend-url with ORUN_REMOTE_STATE unset: run, status and logs say the URL is ignored; the run is local", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.x", steps: [{ run: "echo ran-locally" }] }]);
  const warning = /^warning: --backend-url is ignored: remote state is off/m;
  const run = await runOrun(["run", "plan.json", "--backend-url", "http://127.0.0.1:9", "--exec-id", "l1", "--verbose"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, warning);
  assert.match(run.stdout, /ran-locally/);
  for (const command of ["status", "logs"]) {
    const r = await runOrun([command, "--backend-url", "http://127.0.0.1:9", "--exec-id", "l1"], { cwd: dir, env: LOCAL_ENV });
    assert.equal(r.code, 0, `${command}: ${r.stderr}`);
    assert.match(r.stderr, warning, command);
    assert.match(r.stdout, command === "status" ? /l1/ : /ran-locally/, command);
  }
  const plain = await runOrun(["status", "--exec-id", "l1"], { cwd: dir, env: LOCAL_ENV });
  assert.doesNotMatch(plain.stderr, /backend-url/, "no warning without the flag");
  // The preview says it too (it previewed a local run in silence); on with remote state, no such warning.
  const preview = await runOrun(["run", "plan.json", "--backend-url", "http://127.0.0.1:9", "--dry-run"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(preview.code, 0, preview.stderr);
  assert.match(preview.stderr, warning, "run --dry-run");
  const remotePreview = await runOrun(["run", "plan.json", "--backend-url", "http://127.0.0.1:9", "--dry-run", "--remote-state"], { cwd: dir, env: LOCAL_ENV });
  assert.equal(remotePreview.code, 0, remotePreview.stderr);
  assert.doesNotMatch(remotePreview.stderr, /backend-url is ignored/, "run --dry-run --remote-state");
});

test("orun logs --step on a step that completed without output says so, in place of 'No logs match.'", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.build", steps: [{ id: "quiet", run: "true" }, { id: "loud", run: "echo hello" }] }]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "q"], { cwd: dir })).code, 0);
  const quiet = await runOrun(["logs", "--exec-id", "q", "--step", "quiet"], { cwd: dir });
  assert.equal(quiet.code, 0);
  assert.equal(quiet.stdout, "── a@dev.build › quiet  (completed, no output)\n");
  // --raw: stdout holds the logs' bytes only (none); the note goes to stderr.
  const raw = await runOrun(["logs", "--exec-id", "q", "--step", "quiet", "--raw"], { cwd: dir });
  assert.equal(raw.stdout, "");
  assert.match(raw.stderr, /a@dev\.build › quiet: completed, no output/);
  // A step that printed is shown as before; an unfiltered listing does not list silent steps.
  assert.equal((await runOrun(["logs", "--exec-id", "q", "--step", "loud", "--raw"], { cwd: dir })).stdout, "hello\n");
  const all = await runOrun(["logs", "--exec-id", "q"], { cwd: dir });
  assert.doesNotMatch(all.stdout, /quiet/);
  // A step no job has is an error naming it (was "No logs match." and exit 0).
  const nosuch = await runOrun(["logs", "--exec-id", "q", "--step", "nosuch"], { cwd: dir });
  assert.equal(nosuch.code, 1, nosuch.stdout);
  assert.match(nosuch.stderr, /step not found in execution q: nosuch \(its steps: loud, quiet\)/);
});

test("orun v2.3's --isolation, --keep-workspaces and --component-concurrency are refused saying what orun does instead", async (t) => {
  const dir = await planDir(t, [{ id: "a@dev.x", steps: [{ run: "touch ran" }] }]);
  const cases: [string[], RegExp][] = [
    [["--isolation", "workspace"], /--isolation is not supported: orun runs each job in place, in its resolved job path/],
    [["--isolation"], /--isolation is not supported/],
    [["--keep-workspaces"], /--keep-workspaces is not supported: orun runs each job in place/],
    [["--component-concurrency", "2"], /--component-concurrency is not supported: jobs of any components run as soon as their dependencies succeed/],
  ];
  for (const [flags, message] of cases) {
    const r = await runOrun(["run", "plan.json", "--exec-id", "v", ...flags], { cwd: dir });
    assert.notEqual(r.code, 0, flags.join(" "));
    assert.match(r.stderr, message);
    assert.match(r.stderr, /--concurrency|job path/);
    assert.match(r.stderr, /docs\/running\.md/);
    assert.doesNotMatch(r.stderr, /unknown option/);
  }
  assert.equal(existsSync(path.join(dir, "ran")), false, "nothing ran");
  assert.equal(existsSync(path.join(dir, ".orun/executions/v")), false, "nothing recorded");
  // The values that ask for what orun does anyway are accepted: v2.3 scripts passing them keep working.
  const same = await runOrun(["run", "plan.json", "--exec-id", "same", "--isolation", "none", "--component-concurrency", "0"], { cwd: dir });
  assert.equal(same.code, 0, same.stderr);
  assert.equal(existsSync(path.join(dir, "ran")), true);
});

test("run --job X --retry: a dependent reopened through another reopened job says that one is waiting to run again", async (t) => {
  const dir = await planDir(t, [
    { id: "a@dev.x", steps: [{ run: "test -f ok" }] },
    { id: "b@dev.x", dependsOn: ["a@dev.x"], steps: [{ run: "true" }] },
    { id: "c@dev.x", dependsOn: ["b@dev.x"], steps: [{ run: "true" }] },
  ]);
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "r"], { cwd: dir })).code, 1);
  await writeFile(path.join(dir, "ok"), "");
  assert.equal((await runOrun(["run", "plan.json", "--exec-id", "r", "--job", "a@dev.x", "--retry"], { cwd: dir })).code, 0);
  const status = await runOrun(["status", "--exec-id", "r"], { cwd: dir });
  assert.match(status.stdout, /skipped earlier; dependency a@dev\.x has completed since: resume with orun run --exec-id r to run it/);
  assert.match(status.stdout, /skipped earlier; dependency b@dev\.x is waiting to run again: resume with orun run --exec-id r to run it/);
});
