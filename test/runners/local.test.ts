// The local runner through its Runner API, with real processes.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createLocalRunner } from "../../src/runners/local.js";
import type { Runner, RunContext, StepContext } from "../../src/runners/runner.js";
import type { PlanStep } from "../../src/model/plan.js";
import { isAlive } from "../../src/runtime/records/lock.js";
import { makePlan, removeDir, tempDir } from "../runtime/helpers.js";
import { until } from "../support/wait.js";

/** Runners under test: direct spawns, and the native spawn helper (native-spawner.ts). */
const MODES = ["direct", "native"] as const;
let currentMode: (typeof MODES)[number] = "direct";
const opened: Runner[] = [];

async function localRunner(): Promise<Runner> {
  const runner = createLocalRunner();
  const saved = process.env.ORUN_LOCAL_SPAWNER;
  process.env.ORUN_LOCAL_SPAWNER = currentMode;
  try {
    await runner.prepare?.({ plan: makePlan([]), execId: "e1", workspaceDir: "/", scratchDir: "/tmp", options: {} });
  } finally {
    if (saved === undefined) delete process.env.ORUN_LOCAL_SPAWNER;
    else process.env.ORUN_LOCAL_SPAWNER = saved;
  }
  opened.push(runner);
  return runner;
}

function stepContext(dir: string, step: Partial<PlanStep>, extra: Partial<StepContext> = {}): StepContext {
  const plan = makePlan([{ id: "api@dev.build", steps: [step] }]);
  const run: RunContext = { plan, execId: "e1", workspaceDir: dir, scratchDir: path.join(dir, ".scratch"), options: {} };
  const fullStep = plan.jobs[0]!.steps[0]!;
  return {
    job: { run, job: plan.jobs[0]!, jobDir: dir, signal: new AbortController().signal },
    step: fullStep,
    stepKey: fullStep.id,
    cwd: dir,
    env: {},
    signal: new AbortController().signal,
    onOutput: () => undefined,
    ...extra,
  };
}

for (const mode of MODES) {
  describe(`local runner (${mode} spawns)`, () => {
    before(() => {
      currentMode = mode;
    });
    after(async () => {
      for (const runner of opened.splice(0)) await runner.cleanup?.({ plan: makePlan([]), execId: "e1", workspaceDir: "/", scratchDir: "/tmp", options: {} });
    });

  test("runs `sh -c` in the step directory with host env under the declared env, capturing stdout+stderr", async (t) => {
    const dir = await tempDir();
    t.after(() => removeDir(dir));
    await mkdir(path.join(dir, "sub"));
    process.env.ORUN_TEST_HOST_ONLY = "from-host";
    t.after(() => delete process.env.ORUN_TEST_HOST_ONLY);
    const runner = await localRunner();
    const chunks: string[] = [];
    const result = await runner.runStep(
      stepContext(dir, { run: 'pwd; echo "$ORUN_TEST_HOST_ONLY $DECLARED"; echo oops >&2' }, {
        cwd: path.join(dir, "sub"),
        env: { DECLARED: "declared" },
        onOutput: (chunk) => chunks.push(chunk),
      }),
    );
    assert.equal(result.exitCode, 0);
    assert.equal(result.error, undefined);
    const lines = result.output.trim().split("\n");
    assert.equal(await import("node:fs/promises").then((fs) => fs.realpath(lines[0]!)), await import("node:fs/promises").then((fs) => fs.realpath(path.join(dir, "sub"))));
    assert.equal(lines[1], "from-host declared");
    assert.ok(lines.includes("oops"));
    assert.equal(chunks.join(""), result.output);
  });

  test("a non-zero exit is reported as `exit status N`", async (t) => {
    const dir = await tempDir();
    t.after(() => removeDir(dir));
    const result = await (await localRunner()).runStep(stepContext(dir, { run: "echo bad; exit 3" }));
    assert.equal(result.exitCode, 3);
    assert.equal(result.error, "exit status 3");
    assert.equal(result.output.trim(), "bad");
  });

  test("a use: step fails fast and points at --gha / --runner github-actions", async (t) => {
    const dir = await tempDir();
    t.after(() => removeDir(dir));
    const result = await (await localRunner()).runStep(stepContext(dir, { id: "setup-demo", use: "azure/setup-helm@v4.3.0" }));
    assert.match(result.error!, /uses GitHub Actions syntax \(azure\/setup-helm@v4\.3\.0\); rerun with --gha or --runner github-actions/);
  });

  test("shell: bash runs the script with bash -e semantics; an unknown shell is a clear error", async (t) => {
    const dir = await tempDir();
    t.after(() => removeDir(dir));
    const runner = await localRunner();
    const bash = await runner.runStep(stepContext(dir, { shell: "bash", run: 'echo "bash=${BASH_VERSION:+yes}"\nfalse\necho not-reached' }));
    assert.equal(bash.error, "exit status 1");
    assert.match(bash.output, /bash=yes/);
    assert.doesNotMatch(bash.output, /not-reached/);
    const custom = await runner.runStep(stepContext(dir, { shell: "sh -e {0}", run: "echo custom-ok" }));
    assert.equal(custom.output.trim(), "custom-ok");
    const unknown = await runner.runStep(stepContext(dir, { shell: "fish", run: "echo hi" }));
    assert.match(unknown.error!, /unsupported shell "fish" for job api@dev.build step s1/);
  });

  test("shell: python runs python3 where only that is on the step's PATH; the script file goes afterwards", async (t) => {
    const dir = await tempDir();
    t.after(() => removeDir(dir));
    const bin = path.join(dir, "bin");
    await mkdir(bin);
    // A stand-in python3 made of shell builtins only (PATH holds nothing else).
    await writeFile(path.join(bin, "python3"), '#!/bin/sh\necho "python3 ran $1"\nwhile IFS= read -r line; do echo "$line"; done < "$1"\n', { mode: 0o755 });
    const result = await (await localRunner()).runStep(stepContext(dir, { shell: "python", run: "print('hi')" }, { env: { PATH: bin } }));
    assert.equal(result.error, undefined, result.output);
    assert.match(result.output, /^python3 ran \S*\/\.scratch\/scripts\/[0-9a-f]{12}\.py$/m);
    assert.match(result.output, /^print\('hi'\)$/m);
    assert.deepEqual(await readdir(path.join(dir, ".scratch", "scripts")), []);
  });

  test("a timeout beyond Node's 24.8-day timer limit does not fire at once", async (t) => {
    const dir = await tempDir();
    t.after(() => removeDir(dir));
    const result = await (await localRunner()).runStep(stepContext(dir, { run: "sleep 0.3; echo fine" }, { timeoutMs: 800 * 3600 * 1000 }));
    assert.equal(result.error, undefined, result.output);
    assert.equal(result.output.trim(), "fine");
  });

  test("a timeout kills the whole process group, background children included", async (t) => {
    const dir = await tempDir();
    t.after(() => removeDir(dir));
    const pidFile = path.join(dir, "bg.pid");
    const started = Date.now();
    const result = await (await localRunner()).runStep(stepContext(dir, { run: `sleep 30 & echo $! > ${pidFile}; wait` }, { timeoutMs: 300 }));
    assert.equal(result.timedOut, true);
    assert.equal(result.error, "timed out after 300ms");
    assert.ok(Date.now() - started < 10_000);
    const bgPid = Number((await readFile(pidFile, "utf8")).trim());
    // The group was SIGKILLed; give the kernel (and init, which reaps the orphan) a moment, longer on a loaded machine.
    await until(() => !isAlive(bgPid), "the background sleep to be gone", 10_000);
  });

  test("an abort signal cancels the running step", async (t) => {
    const dir = await tempDir();
    t.after(() => removeDir(dir));
    const abort = new AbortController();
    const pending = (await localRunner()).runStep(stepContext(dir, { run: "sleep 30" }, { signal: abort.signal }));
    setTimeout(() => abort.abort(), 100);
    const result = await pending;
    assert.equal(result.error, "canceled");
  });

  test("output of a running step reaches onOutput while it runs", async (t) => {
    const dir = await tempDir();
    t.after(() => removeDir(dir));
    const go = path.join(dir, "go");
    // The step prints "second" only once the test has seen "first" live (gives up after ~10 s).
    const run = `echo first; i=0; while [ ! -f '${go}' ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; [ -f '${go}' ] && echo second`;
    const onOutput = (chunk: string): void => {
      if (chunk.includes("first")) void writeFile(go, "");
    };
    const result = await (await localRunner()).runStep(stepContext(dir, { run }, { onOutput }));
    assert.equal(result.exitCode, 0, result.output);
    assert.equal(result.output, "first\nsecond\n");
  });

  test("a missing working directory is reported as such, not as a missing shell", async (t) => {
    const dir = await tempDir();
    t.after(() => removeDir(dir));
    const result = await (await localRunner()).runStep(stepContext(dir, { run: "true" }, { cwd: path.join(dir, "nope") }));
    assert.match(result.error!, /working directory .*nope does not exist/);
  });
  });
}
