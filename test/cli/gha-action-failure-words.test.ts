// A failed composite action's step and a failed post were shown in the runner's words (`failcomp › step 1: exit
// status 3`, `job finalizer: post np: exit status 4`) on the lines a person reads, where a plain step's exit says
// spec 20 §6's `command exited with code N`; a composite step missing a command got no hint. They now say it in the
// same words after what names them; state.json keeps the runner's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { planDir, readJson, type StateFile } from "../runtime/helpers.js";

test("a failing composite step and a failing post are said as command exits on the run's, status' and logs' lines", async (t) => {
  const dir = await planDir(t, [
    { id: "app@dev.comp", steps: [{ id: "fc", use: "./actions/failcomp" }] },
    { id: "app@dev.missing", steps: [{ id: "mc", use: "./actions/missingcmd" }] },
    { id: "app@dev.post", steps: [{ id: "np", use: "./actions/np" }] },
  ]);
  const action = async (name: string, yaml: string, files: Record<string, string> = {}) => {
    await mkdir(path.join(dir, "actions", name), { recursive: true });
    await writeFile(path.join(dir, "actions", name, "action.yml"), yaml);
    for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, "actions", name, file), text);
  };
  await action("failcomp", "name: failcomp\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: exit 3\n");
  await action("missingcmd", "name: missingcmd\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: no-such-command-gha26\n");
  await action("np", "name: np\nruns:\n  using: node20\n  main: main.js\n  post: post.js\n", { "main.js": "", "post.js": "process.exit(4);\n" });
  const run = await runOrun(["run", "plan.json", "--gha", "--exec-id", "words", "--no-fail-fast", "-v"], { cwd: dir });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const out = run.stdout;
  assert.match(out, /error failcomp › step 1: command exited with code 3\n/, out);
  assert.match(out, /error missingcmd › step 1: command exited with code 127\n +hint +a required command is not available in this runner environment\n/, out);
  assert.match(out, /error job finalizer: post np: command exited with code 4\n/, out);
  assert.doesNotMatch(out, /exit status/, out);
  const status = await runOrun(["status", "--exec-id", "words"], { cwd: dir });
  assert.match(status.stdout, /failcomp › step 1: command exited with code 3/, status.stdout);
  assert.match(status.stdout, /job finalizer: post np: command exited with code 4/, status.stdout);
  assert.doesNotMatch(status.stdout, /exit status/, status.stdout);
  const logs = await runOrun(["logs", "--exec-id", "words", "--job", "app@dev.comp"], { cwd: dir });
  assert.match(logs.stdout, /error: step fc: failcomp › step 1: command exited with code 3\n/, logs.stdout);
  // The record keeps the runner's words.
  const state = await readJson<StateFile>(path.join(dir, ".orun/executions/words/state.json"));
  assert.equal(state.jobs["app@dev.comp"]!.lastError, "step fc: failcomp › step 1: exit status 3");
});
