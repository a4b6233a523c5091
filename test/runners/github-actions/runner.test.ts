import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { jobSummaryPath } from "../../../src/runners/github-actions/index.js";
import { ACTIONS_SRC, failedSetUp, makeHarness, makeJob, runJob, type Harness } from "./helpers.js";

describe("github-actions runner: run steps", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("runs GitHub's default `bash -e {0}` (no pipefail) without shell:, and `shell: bash` with -eo pipefail", async () => {
    const r = await runJob(
      h,
      makeJob("web@dev.shells", [
        { id: "default", run: 'echo "shell=$BASH opts=$-"; set -o | grep pipefail; false | true; echo piped-ok' },
        { id: "errexit", run: "false\necho not-reached" },
        { id: "bash", shell: "bash", run: 'set -o | grep pipefail; echo "script=$0"' },
        { id: "pipefail", shell: "bash", run: "false | true\necho not-reached" },
      ]),
      { stopOnFailure: false },
    );
    assert.match(r.steps[0].output, /shell=\S*bash opts=\S*e/);
    assert.match(r.steps[0].output, /pipefail\s+off/);
    assert.match(r.steps[0].output, /piped-ok/);
    assert.equal(r.steps[1].exitCode, 1);
    assert.doesNotMatch(r.steps[1].output, /not-reached/);
    assert.match(r.steps[2].output, /pipefail\s+on/);
    assert.match(r.steps[2].output, /script=\S+\.sh$/m);
    assert.equal(r.steps[3].exitCode, 1);
    assert.equal(r.steps[3].error, "exit status 1");
    assert.doesNotMatch(r.steps[3].output, /not-reached/);

    const r2 = await runJob(
      h,
      makeJob("web@dev.custom", [
        { id: "sh", shell: "sh", run: "echo from-sh; false; echo not-reached" },
        { id: "python", shell: "python3 {0}", run: "import sys\nprint('py', sys.version_info[0])" },
        { id: "node", shell: "node {0}", run: "console.log('node says', 1 + 1)" },
      ]),
      { stopOnFailure: false },
    );
    assert.equal(r2.steps[0].output, "from-sh");
    assert.equal(r2.steps[0].error, "exit status 1");
    assert.equal(r2.steps[1].output, "py 3");
    assert.equal(r2.steps[2].output, "node says 2");
  });

  it("fails clearly on an unknown shell, keeping going for later jobs", async () => {
    const r = await runJob(h, makeJob("web@dev.badshell", [{ id: "x", shell: "no-such-shell-xyz {0}", run: "echo hi" }]));
    assert.match(r.steps[0].error ?? "", /shell "no-such-shell-xyz \{0\}": no-such-shell-xyz not found in PATH/);
  });

  it("provides GitHub runner variables, per-job HOME and RUNNER_TEMP, and ORUN_ENV = GITHUB_ENV", async () => {
    const script = [
      'echo "ws=$GITHUB_WORKSPACE job=$GITHUB_JOB actions=$GITHUB_ACTIONS ci=$CI os=$RUNNER_OS"',
      'echo "home=$HOME temp=$RUNNER_TEMP"',
      'test "$ORUN_ENV" = "$GITHUB_ENV" && echo same-env-file',
      'test -f "$GITHUB_EVENT_PATH" && echo event-ok',
      'echo "repo=$GITHUB_REPOSITORY ref=$GITHUB_REF action=$GITHUB_ACTION"',
    ].join("\n");
    const [a, b] = await Promise.all([
      runJob(h, makeJob("web@dev.vars-a", [{ id: "v", run: script }])),
      runJob(h, makeJob("web@dev.vars-b", [{ id: "v", run: script }])),
    ]);
    for (const [r, id] of [[a, "web@dev.vars-a"], [b, "web@dev.vars-b"]] as const) {
      const out = r.steps[0].output;
      assert.match(out, new RegExp(`ws=${h.workspace} job=${id.replace(".", "\\.")} actions=true ci=true os=Linux`));
      assert.match(out, /same-env-file/);
      assert.match(out, /event-ok/);
      assert.match(out, /repo=local\/orun-gha-ws-\w+ ref=refs\/heads\/main action=__run/);
      const home = /home=(\S+)/.exec(out)![1];
      assert.ok(home.startsWith(h.scratch), `HOME ${home} is under the run's scratch dir`);
      assert.notEqual(home, process.env.HOME);
    }
    const homeA = /home=(\S+)/.exec(a.steps[0].output)![1];
    const homeB = /home=(\S+)/.exec(b.steps[0].output)![1];
    assert.notEqual(homeA, homeB);
    // The job temp dir is gone after the job.
    await assert.rejects(stat(homeA));
  });

  it("applies GITHUB_ENV (with heredocs), ORUN_ENV, GITHUB_PATH and GITHUB_OUTPUT to later steps", async () => {
    const r = await runJob(
      h,
      makeJob("web@dev.files", [
        {
          id: "write",
          run: [
            'echo "PLAIN=a=b+c/d==" >> "$GITHUB_ENV"',
            'echo "MY_VAR=from_orun_env" >> "$ORUN_ENV"',
            '{ echo "MULTI<<EOF"; echo "line1"; echo "line2"; echo "EOF"; } >> "$GITHUB_ENV"',
            'echo "GITHUB_SHA=forged" >> "$GITHUB_ENV"',
            'echo "NODE_OPTIONS=--inspect" >> "$GITHUB_ENV"',
            'mkdir -p "$RUNNER_TEMP/a" "$RUNNER_TEMP/b"',
            'printf "#!/bin/sh\\necho tool-a\\n" > "$RUNNER_TEMP/a/mytool"; chmod +x "$RUNNER_TEMP/a/mytool"',
            'printf "#!/bin/sh\\necho tool-b\\n" > "$RUNNER_TEMP/b/mytool"; chmod +x "$RUNNER_TEMP/b/mytool"',
            'echo "$RUNNER_TEMP/a" >> "$GITHUB_PATH"',
            'echo "$RUNNER_TEMP/b" >> "$GITHUB_PATH"',
            'echo "result=done" >> "$GITHUB_OUTPUT"',
          ].join("\n"),
        },
        {
          id: "read",
          run: 'printf "%s|%s|%s|%s|%s\\n" "$PLAIN" "$MY_VAR" "$MULTI" "${NODE_OPTIONS:-unset}" "$GITHUB_SHA"; mytool; echo "out=${{ steps.write.outputs.result }}"',
        },
      ]),
    );
    assert.equal(r.steps[0].outputs?.result, "done");
    assert.match(r.steps[0].output, /GITHUB_SHA cannot be set through GITHUB_ENV/);
    const out = r.steps[1].output;
    assert.match(out, /^a=b\+c\/d==\|from_orun_env\|line1\nline2\|unset\|0{40}|^a=b\+c\/d==\|from_orun_env\|line1\nline2\|unset\|[0-9a-f]{40}/);
    assert.doesNotMatch(out, /forged/);
    assert.match(out, /tool-b/, "the last added path wins");
    assert.match(out, /out=done/);
  });

  it("fails a step with a malformed file command, naming the file and line", async () => {
    const r = await runJob(h, makeJob("web@dev.badfile", [{ id: "x", run: 'echo "novalue" >> "$GITHUB_OUTPUT"; echo "K<<END" >> "$GITHUB_ENV"' }]));
    assert.match(r.steps[0].error ?? "", /GITHUB_OUTPUT line 1: invalid file-command assignment "novalue"|GITHUB_ENV line 1: matching delimiter "END" not found/);
  });

  it("handles workflow commands: outputs, state, masks, annotations, groups and stop-commands", async () => {
    const r = await runJob(
      h,
      makeJob("web@dev.commands", [
        {
          id: "cmds",
          run: [
            'echo "::add-mask::hunter2"',
            'echo "the password is hunter2"',
            'echo "::set-output name=answer::42%0Aforty-two"',
            'echo "::group::Setup things"',
            'echo "::debug::hidden debug"',
            'echo "::endgroup::"',
            'echo "::warning file=app.js,line=3::look out"',
            'echo "::error::boom%25"',
            'echo "::stop-commands::pause123"',
            'echo "::set-output name=ignored::x"',
            'echo "::pause123::"',
            'echo "::notice title=Note::fine"',
            'echo "stderr hunter2 line" >&2',
          ].join("\n"),
        },
        { id: "use", run: 'echo "got ${{ steps.cmds.outputs.answer }}"' },
      ]),
    );
    const out = r.steps[0].output;
    assert.doesNotMatch(out, /hunter2/);
    assert.match(out, /the password is \*\*\*/);
    assert.match(out, /stderr \*\*\* line/);
    assert.match(out, /▸ Setup things/);
    assert.doesNotMatch(out, /hidden debug/);
    assert.match(out, /warning: look out \(app\.js:3\)/);
    assert.match(out, /error: boom%/);
    assert.match(out, /::set-output name=ignored::x/, "commands are inert while stopped");
    assert.match(out, /notice: Note: fine/);
    assert.doesNotMatch(r.live, /hunter2/, "live output is masked too");
    assert.deepEqual(r.steps[0].outputs, { answer: "42\nforty-two" });
    assert.equal(r.steps[1].output, "got 42\nforty-two");
  });

  it("interpolates expressions in run, env, working-directory and job env; bad expressions fail clearly", async () => {
    const job = makeJob(
      "web@dev.expr",
      [
        { id: "mk", run: "mkdir -p sub/dir" },
        {
          id: "x",
          env: { STEP_VAR: "${{ env.JOB_VAR }}-step", UPPER: "${{ format('{0}!', github.job) }}" },
          "working-directory": "${{ 'sub' }}/dir",
          run: 'echo "$STEP_VAR $UPPER ${{ runner.os }} ${{ contains(\'abc\', \'b\') }} secret=[${{ secrets.NOPE }}] $(basename $PWD)"',
        },
        { id: "bad", run: "echo ${{ nosuchcontext.value }}" },
      ],
      { JOB_VAR: "job-${{ github.event_name }}" },
    );
    const r = await runJob(h, job, { stopOnFailure: false });
    assert.equal(r.steps[1].output, "job-workflow_dispatch-step web@dev.expr! Linux true secret=[] dir");
    assert.match(r.steps[2].error ?? "", /invalid expression \$\{\{ nosuchcontext\.value \}\}/);
  });

  it("masks secrets and never prints them, with unset secrets empty", async () => {
    const hs = await makeHarness({ hostEnv: { GITHUB_TOKEN: "ghs_supersecret", ORUN_SECRET_DEPLOY_KEY: "dk-12345" } });
    try {
      const r = await runJob(hs, makeJob("web@dev.secrets", [{ id: "s", run: 'echo "t=${{ secrets.GITHUB_TOKEN }} d=${{ secrets.DEPLOY_KEY }} u=[${{ secrets.UNSET }}] env=$GITHUB_TOKEN raw=[$ORUN_SECRET_DEPLOY_KEY]"' }]));
      // ORUN_SECRET_* is the secrets context, not environment: steps and actions get a secret only where it is mapped.
      assert.equal(r.steps[0].output, "t=*** d=*** u=[] env=*** raw=[]");
      assert.doesNotMatch(r.live, /supersecret|dk-12345/);
    } finally {
      await hs.dispose();
    }
  });

  it("kills a step at its timeout and reports it", async () => {
    const started = Date.now();
    const r = await runJob(h, makeJob("web@dev.timeout", [{ id: "slow", run: "echo started; sleep 30 & wait" }]), { timeoutMs: 300 });
    assert.equal(r.steps[0].timedOut, true);
    assert.match(r.steps[0].error ?? "", /timed out after 300ms/);
    assert.ok(Date.now() - started < 10_000);
  });

  it("keeps the step summary in the job folder", async () => {
    const r = await runJob(h, makeJob("web@dev.summary", [{ id: "s", run: 'echo "### Build ok" >> "$GITHUB_STEP_SUMMARY"' }, { id: "t", run: 'echo "- second" >> "$GITHUB_STEP_SUMMARY"' }]));
    assert.equal(r.steps[1].error, undefined);
    const summary = await readFile(jobSummaryPath(h.scratch, "web@dev.summary"), "utf8");
    assert.equal(summary, "### Build ok\n- second\n");
    assert.deepEqual(r.finish && r.finish.outputs, { summary: "### Build ok\n- second\n" }, "finishJob hands the summary back");
    assert.equal(r.finish && r.finish.output, "", "not in the finish log too: the record keeps it once, as the job summary");
  });
});

describe("github-actions runner: actions", () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(async () => h.dispose());

  it("runs a node action built on @actions/core, feeding a later step's expressions, and its post hook at job end", async () => {
    const postLog = path.join(h.workspace, "post.log");
    const job = makeJob(
      "web@dev.toolkit",
      [
        { id: "greet", use: "./actions/toolkit", with: { who: "octocat", secret: "s3cr3t-value" } },
        {
          id: "after",
          run: 'echo "msg=${{ steps.greet.outputs.message }} env=$TOOLKIT_GREETING"; toolkit-tool; echo "leak? s3cr3t-value"',
        },
      ],
      { TOOLKIT_POST_LOG: postLog },
    );
    const r = await runJob(h, job);
    const [greet, afterStep] = r.steps;
    assert.equal(greet.error, undefined, greet.output);
    assert.deepEqual(greet.outputs, { message: "hello octocat" });
    assert.match(greet.output, /pre for octocat/);
    assert.match(greet.output, /pre state: yes/);
    assert.match(greet.output, /secret is \*\*\*/);
    assert.match(greet.output, /warning: careful now/);
    assert.match(greet.output, /▸ details\ninside group/);
    assert.doesNotMatch(greet.output, /s3cr3t-value/);
    assert.equal(afterStep.output, "msg=hello octocat env=hello octocat\ntool says hi\nleak? ***");
    assert.ok(r.finish, "finishJob reports the post hook");
    assert.match(r.finish!.output, /post: started=octocat-state pre=yes/);
    assert.equal(await readFile(postLog, "utf8"), "toolkit octocat-state\n");
    const summary = await readFile(jobSummaryPath(h.scratch, "web@dev.toolkit"), "utf8");
    assert.match(summary, /<h1>Toolkit report<\/h1>\ngreeted octocat/);
  });

  it("runs post hooks in reverse order, honouring post-if and pre-if", async () => {
    const postLog = path.join(h.workspace, "post-order.log");
    const job = makeJob(
      "web@dev.posts",
      [
        { id: "one", use: "./actions/toolkit", with: { who: "first" } },
        { id: "two", use: "./actions/toolkit", with: { who: "second", greeting: "skip-pre" } },
      ],
      { TOOLKIT_POST_LOG: postLog },
    );
    const r = await runJob(h, job);
    assert.doesNotMatch(r.steps[1].output, /pre for/, "pre-if false skips pre");
    assert.match(r.steps[1].output, /pre state: none/);
    assert.equal(await readFile(postLog, "utf8"), "toolkit second-state\ntoolkit first-state\n");
  });

  it("runs composite actions with defaults, env/output files, if conditions, action_path and outputs", async () => {
    const r = await runJob(
      h,
      makeJob("web@dev.composite", [
        { id: "local", use: "./actions/composite", with: { greeting: "hello" } },
        { id: "next", run: "printf '%s|%s' \"$GREETING\" '${{ steps.local.outputs.message }}'" },
      ]),
    );
    assert.equal(r.steps[0].error, undefined, r.steps[0].output);
    assert.deepEqual(r.steps[0].outputs, { message: "hello world", enabled: "true" });
    assert.match(r.steps[0].output, /data next to the composite action/);
    assert.doesNotMatch(r.steps[0].output, /should not run/);
    assert.equal(r.steps[1].output, "hello|hello world");
    assert.equal(r.finish, undefined, "no post hooks, nothing to report");
  });

  it("runs nested actions (INPUT_* env, multi-line outputs, legacy set-output, continue-on-error)", async () => {
    const r = await runJob(
      h,
      makeJob("web@dev.nested", [
        { id: "n", use: "./actions/nested", with: { label: "L1" } },
        { id: "direct", use: "./actions/hello-node", with: { label: "L2", "my input": "spaced", extra: "x" } },
      ]),
    );
    assert.equal(r.steps[0].error, undefined, r.steps[0].output);
    assert.deepEqual(r.steps[0].outputs, { label: "L1" });
    assert.match(r.steps[0].output, /after failure outcome=failure conclusion=success/);
    assert.equal(r.steps[1].outputs?.multi, "line one\nline two");
    assert.equal(r.steps[1].outputs?.legacy, "L2-legacy");
    assert.match(r.steps[1].output, /label=L2 space=spaced/);
    assert.match(r.steps[1].output, /warning: unexpected input\(s\) 'extra' for hello-node; valid inputs are \['label', 'my input'\]/);
    assert.match(r.steps[1].output, new RegExp(`cwd=${h.workspace}`), "node actions run in the job's working directory");
  });

  it("uses local actions in place and reads action.yaml", async () => {
    const r = await runJob(h, makeJob("web@dev.yaml", [{ id: "y", use: "./actions/yaml-ext" }]));
    assert.equal(r.steps[0].error, undefined, r.steps[0].output);
    assert.equal(r.steps[0].outputs?.where, path.join(h.workspace, "actions/yaml-ext"));
    assert.equal(r.steps[0].output, `node ${process.version}`);
  });

  it("stops a running action when the job is cancelled", async () => {
    const controller = new AbortController();
    const { mkdir } = await import("node:fs/promises");
    const jobDir = path.join(h.workspace, "cancel");
    await mkdir(jobDir, { recursive: true });
    const job = makeJob("web@dev.cancel", [{ id: "wait", run: "echo waiting > started.txt; sleep 60" }]);
    const jobCtx = { run: h.run, job, jobDir, signal: controller.signal };
    await h.runner.startJob(jobCtx);
    const pending = h.runner.runStep({ job: jobCtx, step: job.steps[0], stepKey: "wait", cwd: jobDir, env: {}, signal: controller.signal, onOutput: () => undefined });
    // Cancel once the step has provably started (it wrote its file).
    for (let i = 0; i < 200; i++) {
      if (await stat(path.join(jobDir, "started.txt")).catch(() => undefined)) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const started = Date.now();
    controller.abort();
    const result = await pending;
    assert.equal(result.error, "canceled");
    // Far below the step's sleep 60, with room for a loaded machine's process kills.
    assert.ok(Date.now() - started < 15_000, `canceled ${Date.now() - started} ms after the abort`);
    await h.runner.finishJob(jobCtx, { failed: true });
  });

  it("reports bad actions as clear failures: a use: it cannot parse fails the job's set-up, before any step; a bad local action fails its step", async () => {
    // Parsed at job start, as GitHub's "Set up job" does: the job fails naming the step and the action.
    const atSetUp: [string, RegExp][] = [
      ["not a reference", /unsupported action reference "not a reference"/],
    ];
    for (const [use, pattern] of atSetUp) {
      const job = makeJob("web@dev.bad-setup", [{ id: "first", run: "echo ran > bad-setup-first.txt" }, { id: "bad", use }]);
      const error = await failedSetUp(h, job);
      assert.ok(error.startsWith(`set up job: step bad (use: ${use}): `), error);
      assert.match(error, pattern, use);
      assert.equal(await stat(path.join(h.workspace, "bad-setup-first.txt")).catch(() => undefined), undefined, `a step ran before ${use} failed`);
    }
    // Known only once the step runs (its inputs, the container engine): a step failure, as on GitHub.
    const atStep: [string, RegExp][] = [
      // Local actions are loaded when their step runs, as on GitHub (an earlier step may check one out).
      ["./actions/malformed", /actions\/malformed\/action\.yml:\d+: invalid YAML/],
      ["./actions/unknown-kind", /action\.yml:3: runs\.using: unsupported action runtime "java11"/],
      ["./actions/does-not-exist", /local action \.\/actions\/does-not-exist: .* does not exist \(local actions are relative to the repository root .*\)/],
      ["../outside", /outside the workspace/],
      // Its image names no file in the action, so it is pulled as "Dockerfile" (docker-action.test.ts covers the rest).
      ["./actions/docker-kind", /docker container action \.\/actions\/docker-kind(: failed to pull image Dockerfile| needs a container engine)/],
      // As spec case 42: a declared `required: true` input without a default that the step does not give.
      ["./actions/needs-input", /required input "token" is missing for action needs-input \(\S+actions\/needs-input\/action\.yml:3\)/],
    ];
    const job = makeJob("web@dev.bad", atStep.map(([use], i) => ({ id: `b${i}`, use })));
    const r = await runJob(h, job, { stopOnFailure: false });
    atStep.forEach(([use, pattern], i) => {
      assert.notEqual(r.steps[i].exitCode, 0, use);
      assert.match(r.steps[i].error ?? "", pattern, use);
    });
    // Nothing was written into the workspace's action folders.
    assert.deepEqual((await readdir(path.join(h.workspace, "actions"))).sort(), (await readdir(ACTIONS_SRC)).sort());
  });

  it("runs 4 concurrent jobs on the same action without env leaking between them", async () => {
    const jobs = ["a", "b", "c", "d", "e", "f"].map((n) =>
      makeJob(`svc-${n}@dev.build`, [
        { id: "first", use: "./actions/hello-node", with: { label: `label-${n}` } },
        { id: "second", use: "./actions/hello-node", with: { label: `again-${n}` } },
        { id: "check", run: 'echo "LEAK=$LEAK mark=$JOB_MARK out=${{ steps.first.outputs.label }}"' },
      ], { JOB_MARK: `mark-${n}` }),
    );
    const queue = [...jobs];
    const results = new Map<string, Awaited<ReturnType<typeof runJob>>>();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) results.set(job.id, await runJob(h, job));
      }),
    );
    for (const n of ["a", "b", "c", "d", "e", "f"]) {
      const r = results.get(`svc-${n}@dev.build`)!;
      assert.match(r.steps[0].output, new RegExp(`label=label-${n} space= job=mark-${n} leaked=none`));
      assert.match(r.steps[1].output, new RegExp(`label=again-${n} space= job=mark-${n} leaked=mark-${n}`));
      assert.equal(r.steps[2].output, `LEAK=mark-${n} mark=mark-${n} out=label-${n}`);
    }
  });
});

describe("github-actions runner: job folders", () => {
  it("uses distinct, safe folders for hostile job IDs", async () => {
    const h = await makeHarness();
    try {
      const ids = ["../../etc@dev.x", "a/b@c.d", "a-b@c.d"];
      const runs = await Promise.all(ids.map((id) => runJob(h, makeJob(id, [{ id: "t", run: 'echo "$RUNNER_TEMP"; echo "x" > "$RUNNER_TEMP/f"; echo "### $GITHUB_JOB" >> "$GITHUB_STEP_SUMMARY"' }]))));
      const temps = runs.map((r) => r.steps[0].output);
      assert.equal(new Set(temps).size, 3);
      for (const t of temps) assert.ok(path.resolve(t).startsWith(path.join(h.scratch, "github-actions") + path.sep), t);
      const folders = await readdir(path.join(h.scratch, "github-actions"));
      assert.equal(folders.length, 3);
      await writeFile(path.join(h.scratch, "marker"), "");
    } finally {
      await h.dispose();
    }
  });
});
