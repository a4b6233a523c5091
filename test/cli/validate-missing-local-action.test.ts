// A composition step calling a local action the repository lacks (`use: ./actions/nope`): validate and plan
// warn, naming the job, the step and the repository root local actions are relative to; one that exists, or a
// `${{ }}` value (resolved when its step runs), is not warned about. The run loads it when its step comes, as
// GitHub does, so these warnings are what catch the typo before a deploy step runs (camp22 finding 3).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { runOrun } from "../support/cli.js";
import { DEV_API, HEADER, STACK, cleanupRepos, svcComposition, writeRepo } from "../planner/support.js";

after(cleanupRepos);

const SVC = svcComposition(`        - name: deploy
          run: echo deployed > deployed.txt
        - name: hello
          use: ./actions/hello
        - name: report
          use: ./actions/nope
        - name: picked
          use: "\${{ env.ACTION }}"
`);

const BODY = `${DEV_API}    path: services/api
`;

test("validate and plan warn about a local action missing from the repository; the run fails at that step, as on GitHub", async () => {
  const dir = await writeRepo({ "intent.yaml": HEADER + BODY, "comps/stack.yaml": STACK, "comps/svc/compositions.yaml": SVC });
  await mkdir(path.join(dir, "services/api"), { recursive: true });
  await mkdir(path.join(dir, "actions/hello"), { recursive: true });
  await writeFile(path.join(dir, "actions/hello/action.yml"), "name: hello\nruns:\n  using: composite\n  steps:\n    - run: echo hello\n      shell: bash\n");
  const warning = `⚠ warning: job api@dev.deploy step report: local action ./actions/nope: ${path.join(dir, "actions/nope")} does not exist (local actions are relative to the repository root ${dir})\n`;

  const validate = await runOrun(["validate"], { cwd: dir });
  assert.equal(validate.code, 0, validate.stderr);
  assert.equal(validate.stderr, warning);

  const plan = await runOrun(["plan"], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  assert.ok(plan.stderr.includes(warning), plan.stderr);
  assert.doesNotMatch(plan.stderr, /actions\/hello|ACTION/);

  const run = await runOrun(["run", "-e", "dev", "--gha", "--exec-id", "m"], { cwd: dir, env: { GITHUB_ACTIONS: "", ORUN_RUNNER: "", ACTION: "./actions/hello" } });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout + run.stderr, /local action \.\/actions\/nope: .* does not exist/);
  // Local actions are loaded when their step runs, as GitHub does (an earlier step may check one out): the
  // warnings above are what catches the typo before a run.
  assert.notEqual(await stat(path.join(dir, "services/api/deployed.txt")).catch(() => undefined), undefined, "the deploy step before it ran");
});
